import { BoundedWriter } from '../store/bounded-writer.js';
import { type FreeingSegments, putMergeProgress, type WritingMerge } from '../store/merge-progress.js';
import { PayloadMerger, type SegmentNorms } from '../store/postings-codec.js';
import { deleteConsumedKeys, deleteSegmentKeys, SegmentReader } from '../store/segment-reader.js';
import { SegmentWriter } from '../store/segment-writer.js';
import { readShardState, type SegmentInfo, type ShardDbs, type ShardState, writeShardState } from '../store/shard-store.js';
import { ByteWriter } from '../store/varint.js';
import { HeadHeap } from './head-heap.js';

/*
 * A merge of adjacent segments into one that streams: the sources' terms are walked in order
 * (a k-way merge over their blocks, one block of each in memory), and the merged postings
 * are written term by term in transactions of a bounded size. It runs in steps, each reading
 * about a given number of source bytes, and each step commits the blocks it wrote together
 * with the merge's record (merge-progress.ts), so the next step may run in a new opening of
 * the environment (the pages this one mapped are then released) or after a crash.
 *
 *   beginMerge   reserves the merged segment's id and records the merge (one transaction);
 *   mergeStep    merges the next terms; the last step writes the norms and block index and,
 *                in the same transaction, swaps the merged segment in for its sources;
 *   freeStep     removes the old segments' keys, a bounded number of keys per transaction.
 */

/** How much one step may do. */
export interface MergeStepLimits {
  /** Source postings bytes read before the step ends (at a term boundary). */
  readBytes: number;
  /** Bytes written per transaction (LMDB keeps a transaction's dirty pages in memory). */
  txnBytes: number;
  /**
   * Remove the sources' blocks each step has merged, so the merged segment reuses their pages
   * and the file does not grow by a whole shard's postings. Only where no reader can see the
   * sources: a generation being built (a crash throws it away anyway).
   */
  consumeSources?: boolean;
}

function concatNorms(parts: SegmentNorms[]): SegmentNorms {
  const count = parts.reduce((sum, p) => sum + p.title.length, 0);
  const norms: SegmentNorms = { title: new Uint16Array(count), body: new Uint32Array(count) };
  let at = 0;
  for (const p of parts) {
    norms.title.set(p.title, at);
    norms.body.set(p.body, at);
    at += p.title.length;
  }
  return norms;
}

/** Begins merging `segments` (adjacent, live): reserves the merged segment's id and records the merge. */
export function beginMerge(dbs: ShardDbs, segments: readonly SegmentInfo[]): WritingMerge {
  const first = (segments[0] as SegmentInfo).first;
  const last = (segments[segments.length - 1] as SegmentInfo).last;
  let progress: WritingMerge | null = null;
  dbs.env.transactionSync(() => {
    const state = readShardState(dbs);
    progress = {
      phase: 'writing',
      target: state.nextSeg,
      sources: segments.map((s) => s.id),
      first,
      last,
      dead: state.dead.filter((n) => n >= first && n <= last),
      steps: 0,
      blocks: 0,
      bytes: 0,
      terms: 0,
      lastTerm: null,
      index: new Uint8Array(0),
    };
    // Raised past the target: keys at or above nextSeg are orphans that the next batch removes.
    state.nextSeg += 1;
    writeShardState(dbs, state);
    putMergeProgress(dbs, progress);
  });
  return progress as unknown as WritingMerge;
}

/** The sources of a recorded merge, if all are still live and adjacent in the state; else null (the merge is stale). */
export function liveSources(state: ShardState, progress: WritingMerge): SegmentInfo[] | null {
  const at = state.segments.findIndex((s) => s.id === progress.sources[0]);
  if (at < 0) return null;
  const found = progress.sources.map((_, j) => state.segments[at + j]);
  return found.every((s, j) => s?.id === progress.sources[j]) ? (found as SegmentInfo[]) : null;
}

/** Gives up a recorded merge whose sources changed: its target's keys are freed like a merged-away segment's. */
export function discardMerge(dbs: ShardDbs, progress: WritingMerge): FreeingSegments {
  const freeing: FreeingSegments = { phase: 'freeing', ids: [progress.target], steps: 0 };
  dbs.env.transactionSync(() => putMergeProgress(dbs, freeing));
  return freeing;
}

/**
 * Merges the next terms of a recorded merge, about `limits.readBytes` of source postings.
 * Returns the merged segment once it is complete and swapped in (the record then lists the
 * sources to free), else the record to carry on from.
 */
export function mergeStep(dbs: ShardDbs, progress: WritingMerge, limits: MergeStepLimits): SegmentInfo | WritingMerge {
  const infos = liveSources(readShardState(dbs), progress);
  if (infos === null) throw new Error(`merge into segment ${progress.target}: its sources are no longer live`);
  const dead = new Set(progress.dead);
  const bounded = new BoundedWriter(dbs.env, limits.txnBytes);
  const writer = new SegmentWriter(progress.target, (key, value) => bounded.put(dbs.postings, key, value), progress);
  const sources = infos.map((info) => {
    const reader = new SegmentReader(dbs, info);
    const deadHere = progress.dead.some((n) => n >= info.first && n <= info.last);
    return { info, reader, dead: deadHere ? dead : null, it: reader.entries(progress.lastTerm) };
  });
  // Segments cover adjacent docNum ranges, so the merged norms are the sources' back to back.
  const norms = concatNorms(sources.map((s) => s.reader.norms()));
  const payloads: (Uint8Array | null)[] = sources.map(() => null);
  const heap = new HeadHeap(sources.length);
  const advance = (i: number): void => {
    const next = (sources[i] as (typeof sources)[number]).it.next();
    if (next.done) payloads[i] = null;
    else {
      payloads[i] = next.value.payload;
      heap.push(i, next.value.term);
    }
  };
  for (let i = 0; i < sources.length; i++) advance(i);

  const merger = new PayloadMerger();
  const out = new ByteWriter();
  const holding: number[] = [];
  let read = 0;
  let lastTerm = progress.lastTerm;
  while (heap.size > 0 && read < limits.readBytes) {
    const term = heap.minTerm();
    holding.length = 0;
    while (heap.size > 0 && heap.minTerm() === term) holding.push(heap.pop());
    // Sources are in docNum order, so appending them in order keeps postings sorted.
    holding.sort((a, b) => a - b);
    merger.start(progress.first, norms);
    for (const i of holding) {
      const source = sources[i] as (typeof sources)[number];
      const payload = payloads[i] as Uint8Array;
      merger.append(payload, source.info.first, source.dead);
      read += payload.length + term.length;
      advance(i);
    }
    out.reset();
    // A term whose every posting was deleted is dropped.
    if (merger.finish(out)) writer.addTerm(term, out);
    lastTerm = term;
  }

  if (heap.size > 0) {
    const next: WritingMerge = { ...progress, ...writer.endStep(), lastTerm, steps: progress.steps + 1 };
    bounded.commit(() => {
      if (limits.consumeSources === true && lastTerm !== null) for (const s of sources) deleteConsumedKeys(dbs, s.reader, lastTerm);
      putMergeProgress(dbs, next);
    });
    return next;
  }
  const blocks = writer.finish(norms);
  const merged: SegmentInfo = {
    id: progress.target,
    first: progress.first,
    last: progress.last,
    docs: infos.reduce((sum, s) => sum + s.docs, 0) - dead.size,
    bytes: writer.bytes,
    blocks,
  };
  bounded.commit(() => {
    const state = readShardState(dbs);
    const ids = new Set(progress.sources);
    const at = state.segments.findIndex((s) => ids.has(s.id));
    state.segments = state.segments.filter((s) => !ids.has(s.id));
    state.segments.splice(at, 0, merged);
    // Documents deleted while the merge ran still have postings in it: they stay listed.
    state.dead = state.dead.filter((n) => !dead.has(n));
    writeShardState(dbs, state);
    putMergeProgress(dbs, { phase: 'freeing', ids: progress.sources, steps: 0 });
  });
  return merged;
}

/**
 * Removes up to `maxKeys` keys of the segments a merge left (in one transaction) and records
 * what is left; returns true when every one is gone and the record cleared.
 */
export function freeStep(dbs: ShardDbs, progress: FreeingSegments, maxKeys: number): boolean {
  const ids = [...progress.ids];
  dbs.env.transactionSync(() => {
    let room = maxKeys;
    while (ids.length > 0 && room > 0) {
      const removed = deleteSegmentKeys(dbs, ids[0] as number, room);
      if (removed < room) ids.shift();
      room -= removed;
    }
    putMergeProgress(dbs, ids.length === 0 ? null : { ...progress, ids, steps: progress.steps + 1 });
  });
  return ids.length === 0;
}
