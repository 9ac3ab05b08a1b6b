import { BoundedWriter } from '../store/bounded-writer.js';
import { PayloadMerger, type SegmentNorms } from '../store/postings-codec.js';
import { deleteSegmentKeys, SegmentReader } from '../store/segment-reader.js';
import { SegmentWriter } from '../store/segment-writer.js';
import { readShardState, type SegmentInfo, type ShardDbs, writeShardState } from '../store/shard-store.js';
import { ByteWriter } from '../store/varint.js';

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

/** A merge commits its output in transactions of about this size, so no transaction holds a whole shard. */
export const MERGE_TXN_BYTES = 4 * 1024 * 1024;

/**
 * Merges adjacent segments into one, dropping the postings of deleted documents. The new
 * segment is written under an id no live state references yet, in bounded transactions;
 * one last transaction swaps it in and deletes the old ones. A crash before that leaves
 * only unreferenced keys, which the next batch removes (see ShardWriter.removeOrphans).
 */
export function mergeSegments(dbs: ShardDbs, segments: readonly SegmentInfo[], txnBytes = MERGE_TXN_BYTES): SegmentInfo {
  const before = readShardState(dbs);
  const newId = before.nextSeg;
  const first = (segments[0] as SegmentInfo).first;
  const last = (segments[segments.length - 1] as SegmentInfo).last;
  const dead = new Set(before.dead.filter((n) => n >= first && n <= last));

  const bounded = new BoundedWriter(dbs.env, txnBytes);
  const writer = new SegmentWriter(newId, (key, value) => bounded.put(dbs.postings, key, value));

  const sources = segments.map((info) => {
    let deadHere = false;
    for (const n of dead) if (n >= info.first && n <= info.last) deadHere = true;
    const reader = new SegmentReader(dbs, info);
    return { info, reader, dead: deadHere ? dead : null, it: reader.entries() };
  });
  const heads = sources.map((s) => s.it.next());
  // Segments cover adjacent docNum ranges, so the merged norms are the sources' back to back.
  const norms = concatNorms(sources.map((s) => s.reader.norms()));
  const merger = new PayloadMerger();
  const out = new ByteWriter();
  for (;;) {
    let term: string | null = null;
    for (const h of heads) if (!h.done && (term === null || h.value.term < term)) term = h.value.term;
    if (term === null) break;
    merger.start(first, norms);
    // Sources are in docNum order, so appending them in order keeps postings sorted.
    for (let i = 0; i < sources.length; i++) {
      const h = heads[i] as IteratorResult<{ term: string; payload: Uint8Array }>;
      if (!h.done && h.value.term === term) {
        const source = sources[i] as (typeof sources)[number];
        merger.append(h.value.payload, source.info.first, source.dead);
        heads[i] = source.it.next();
      }
    }
    out.reset();
    if (merger.finish(out)) writer.addTerm(term, out);
  }
  const blocks = writer.finish(norms);
  const merged: SegmentInfo = {
    id: newId,
    first,
    last,
    docs: segments.reduce((sum, s) => sum + s.docs, 0) - dead.size,
    bytes: writer.bytes,
    blocks,
  };
  bounded.commit();

  dbs.env.transactionSync(() => {
    const state = readShardState(dbs);
    const ids = new Set(segments.map((s) => s.id));
    const at = state.segments.findIndex((s) => ids.has(s.id));
    state.segments = state.segments.filter((s) => !ids.has(s.id));
    state.segments.splice(at, 0, merged);
    state.nextSeg = newId + 1;
    state.dead = state.dead.filter((n) => n < first || n > last);
    for (const id of ids) deleteSegmentKeys(dbs, id);
    writeShardState(dbs, state);
  });
  return merged;
}
