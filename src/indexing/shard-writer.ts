import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Analyzer } from '../analysis/analyzer.js';
import { utf8Pieces } from '../analysis/utf8-pieces.js';
import { deleteBodiesFrom, deleteBody, writeBody } from '../store/body-store.js';
import { BoundedWriter } from '../store/bounded-writer.js';
import { checkDiskSpace } from '../store/disk-space.js';
import { readMergeProgress } from '../store/merge-progress.js';
import { deleteSegmentKeys } from '../store/segment-reader.js';
import { BLOCK_TARGET_BYTES, SegmentWriter } from '../store/segment-writer.js';
import {
  type HitRecord,
  openShardDbs,
  readShardState,
  type SegmentInfo,
  type ShardDbs,
  type ShardState,
  type StoredDoc,
  writeShardState,
} from '../store/shard-store.js';
import type { BatchOp, BatchResult, ParsedOp, WorkerShares } from '../types.js';
import { MERGE_TXN_BYTES, mergeSegments } from './merge.js';
import { MAX_MERGE_BYTES, mergeSourceBytes, pickMerge, pickOptimizeMerge } from './merge-policy.js';
import { PostingsBuffer } from './postings-buffer.js';
import { beginMerge, discardMerge, freeStep, liveSources, mergeStep } from './streaming-merge.js';

type AddOp = Extract<BatchOp, { op: 'add' }>;

/** Shares for callers without a plan (tests, tools): what a 256 MB budget gives a thread. */
export const DEFAULT_SHARES: WorkerShares = { postingsBytes: 8 << 20, txnBytes: MERGE_TXN_BYTES, mergeBytes: MAX_MERGE_BYTES };

/** Spilled runs of a shard's batch go to <index>/tmp/shard-<n>/, removed when it is written. */
function spillDir(indexDir: string, shard: number): string {
  return join(indexDir, 'tmp', `shard-${shard}`);
}

/**
 * Applies batches to one shard. Only one batch per shard is in flight at a time (the main
 * thread sees to it), so a ShardWriter never waits on LMDB's write lock.
 */
export class ShardWriter {
  readonly dbs: ShardDbs;
  private readonly spillDir: string;

  /** Where the shard lives, for the disk-space check of a merge. */
  private readonly indexDir: string;

  constructor(indexDir: string, shard: number) {
    this.indexDir = indexDir;
    this.dbs = openShardDbs(indexDir, shard);
    this.spillDir = spillDir(indexDir, shard);
    // Runs left by a worker that died mid-batch.
    rmSync(this.spillDir, { recursive: true, force: true });
  }

  /**
   * Adds, replaces and removes. Bodies and the new segment are written first, in bounded
   * transactions under numbers no committed state references; one last small transaction
   * then publishes the documents, the deletions and the segment together. After it commits
   * (fsync) the batch is durable, and readers never see half of it. A crash before it
   * leaves only unreferenced keys, removed by the next batch. Within a batch the last op on
   * an id wins.
   */
  applyBatch(
    analyzer: Analyzer,
    ops: readonly ParsedOp[],
    buffer = new PostingsBuffer(),
    deferMerges = false,
    memory: WorkerShares = DEFAULT_SHARES,
  ): BatchResult {
    const last = new Map<string, ParsedOp>();
    let superseded = 0;
    for (const op of ops) {
      const id = op.op === 'add' ? op.doc.id : op.id;
      if (op.op === 'add' && last.get(id)?.op === 'add') superseded++;
      last.delete(id);
      last.set(id, op);
    }
    const adds: AddOp[] = [];
    for (const op of last.values()) if (op.op === 'add') adds.push(op);
    const { dbs } = this;

    const before = readShardState(dbs);
    this.removeOrphans(before);
    const first = before.nextDoc;
    const segId = before.nextSeg;

    // Analysis, the expensive part, runs before any transaction opens.
    const t0 = performance.now();
    buffer.reset(this.spillDir);
    const lengths = adds.map(({ doc, bodyUtf8 }) =>
      buffer.addDocument(analyzer, doc.title, bodyUtf8 ? utf8Pieces(bodyUtf8) : doc.body, doc.tags),
    );
    const t1 = performance.now();

    let segment = null;
    if (adds.length > 0) {
      const bounded = new BoundedWriter(dbs.env, memory.txnBytes);
      adds.forEach(({ doc, bodyUtf8 }, i) => {
        writeBody(bounded, dbs, first + i, bodyUtf8 ?? doc.body);
      });
      const writer = new SegmentWriter(segId, (key, value) => bounded.put(dbs.postings, key, value));
      buffer.writeSegment(writer, first);
      const blocks = writer.finish(buffer.norms());
      bounded.commit();
      segment = { id: segId, first, last: first + adds.length - 1, docs: adds.length, bytes: writer.bytes, blocks };
    }

    const result: BatchResult = {
      added: 0,
      replaced: 0,
      superseded,
      removed: 0,
      missing: 0,
      rejected: [],
      rejectedCount: 0,
      tokens: buffer.tokens,
      merges: 0,
      ms: { analyze: t1 - t0, write: 0, merge: 0 },
    };
    dbs.env.transactionSync(() => {
      const state = readShardState(dbs);
      if (state.nextDoc !== first || state.nextSeg !== segId) {
        throw new Error(`shard changed under its writer (nextDoc ${state.nextDoc}, expected ${first}): two writers?`);
      }
      for (const [id, op] of last) {
        const existed = this.deleteDoc(state, id);
        if (op.op === 'remove') {
          if (existed) result.removed++;
          else result.missing++;
        } else if (existed) result.replaced++;
      }
      if (segment !== null) {
        adds.forEach(({ doc }, i) => {
          const len = lengths[i] as { titleLen: number; bodyLen: number };
          this.putDoc(state, doc, first + i, len.titleLen, len.bodyLen);
        });
        state.segments.push(segment);
        state.nextSeg = segId + 1;
        state.nextDoc = first + adds.length;
        result.added = adds.length - result.replaced;
      }
      writeShardState(dbs, state);
    });
    const t2 = performance.now();
    if (!deferMerges) result.merges = this.mergeWhileNeeded(memory);
    result.ms.write = t2 - t1;
    result.ms.merge = performance.now() - t2;
    return result;
  }

  /** Closes this writer's handle on the environment (the mapping goes when the last handle does). */
  async close(): Promise<void> {
    await this.dbs.env.close();
  }

  /**
   * One step of optimize() in this opening of the environment; false when the shard is
   * optimized (one segment, no deleted postings) and no merge is pending. A step carries on
   * the recorded merge (merge-progress.ts): it merges about `stepBytes` of source postings,
   * or frees about as many bytes of the old segments' keys; or it begins the next merge (see
   * pickOptimizeMerge) and makes its first step. Run each step with a fresh ShardWriter
   * (closed after it): the pages a step reads through the memory map are released only when
   * the environment is closed, so steps in one opening would pile up a whole shard's pages.
   * `consumeSources`: see MergeStepLimits (a generation being built only).
   */
  optimizeStep(memory: WorkerShares = DEFAULT_SHARES, stepBytes = memory.mergeBytes, consumeSources = false): boolean {
    const { dbs } = this;
    // A batch killed before it published left keys under ids no state holds.
    this.removeOrphans(readShardState(dbs));
    const limits = { readBytes: stepBytes, txnBytes: memory.txnBytes, consumeSources };
    let pending = readMergeProgress(dbs);
    if (pending?.phase === 'writing' && liveSources(readShardState(dbs), pending) === null) pending = discardMerge(dbs, pending);
    if (pending?.phase === 'freeing') {
      freeStep(dbs, pending, Math.max(1, Math.floor(stepBytes / BLOCK_TARGET_BYTES)));
      return true;
    }
    if (pending === null) {
      const group = this.nextOptimizeMerge();
      if (group === null) return false;
      // The merged segment is written before its sources are freed.
      checkDiskSpace(this.indexDir, mergeSourceBytes(group));
      pending = beginMerge(dbs, group);
    }
    mergeStep(dbs, pending, limits);
    return true;
  }

  /** The segments the next optimize merge would merge, or null when the shard is optimized. */
  nextOptimizeMerge(): SegmentInfo[] | null {
    const state = readShardState(this.dbs);
    return pickOptimizeMerge(state.segments, state.dead);
  }

  /**
   * Merges made while indexing, in this opening. A merge left pending by an optimize() a
   * crash cut short is finished being freed, or discarded when unfinished: its sources may
   * be what this merge picks.
   */
  private mergeWhileNeeded(memory: WorkerShares): number {
    let pending = readMergeProgress(this.dbs);
    if (pending?.phase === 'writing') pending = discardMerge(this.dbs, pending);
    if (pending?.phase === 'freeing') freeStep(this.dbs, pending, Number.POSITIVE_INFINITY);
    let merges = 0;
    for (;;) {
      const pick = pickMerge(readShardState(this.dbs).segments, memory.mergeBytes);
      if (pick === null) return merges;
      mergeSegments(this.dbs, pick, memory.txnBytes);
      merges++;
    }
  }

  /**
   * Keys no state references: segment keys at or above nextSeg and bodies at or above
   * nextDoc, the remains of a batch or merge cut short by a crash.
   */
  private removeOrphans(state: ShardState): void {
    const orphanSegs = [...this.dbs.postings.getKeys({ start: [state.nextSeg], limit: 1 })];
    const orphanBodies = [...this.dbs.bodies.getKeys({ start: [state.nextDoc, 0], limit: 1 })];
    if (orphanSegs.length === 0 && orphanBodies.length === 0) return;
    this.dbs.env.transactionSync(() => {
      const top = orphanSegs[0]?.[0];
      if (typeof top === 'number') for (let id = state.nextSeg; id <= top; id++) deleteSegmentKeys(this.dbs, id);
      if (orphanBodies.length > 0) deleteBodiesFrom(this.dbs, state.nextDoc);
    });
  }

  private deleteDoc(state: ShardState, id: string): boolean {
    const old = this.dbs.docs.get(id);
    if (old === undefined) return false;
    this.dbs.docs.removeSync(id);
    this.dbs.hits.removeSync(old.n);
    deleteBody(this.dbs, old.n);
    state.docs--;
    state.sumTitleLen -= old.titleLen;
    state.sumBodyLen -= old.bodyLen;
    state.dead.push(old.n);
    return true;
  }

  private putDoc(state: ShardState, doc: AddOp['doc'], n: number, titleLen: number, bodyLen: number): void {
    const stored: StoredDoc = { n, title: doc.title, tags: doc.tags, date: doc.date, fields: doc.fields, titleLen, bodyLen };
    const hit: HitRecord = [doc.id, doc.title, doc.tags, doc.date];
    this.dbs.docs.putSync(doc.id, stored);
    this.dbs.hits.putSync(n, hit);
    state.docs++;
    state.sumTitleLen += titleLen;
    state.sumBodyLen += bodyLen;
  }
}
