import type { Analyzer } from '../analysis/analyzer.js';
import type { BatchOp, BatchResult, DocInput } from '../types.js';
import { SegmentWriter } from '../store/segment-writer.js';
import { deleteSegmentKeys } from '../store/segment-reader.js';
import {
  type HitRecord,
  openShardDbs,
  readShardState,
  type ShardDbs,
  type ShardState,
  type StoredDoc,
  writeShardState,
} from '../store/shard-store.js';
import { mergeSegments } from './merge.js';
import { pickMerge } from './merge-policy.js';
import { PostingsBuffer } from './postings-buffer.js';

/**
 * Applies batches to one shard. Only one batch per shard is in flight at a time (the main
 * thread sees to it), so a ShardWriter never waits on LMDB's write lock.
 */
export class ShardWriter {
  readonly dbs: ShardDbs;

  constructor(indexDir: string, shard: number) {
    this.dbs = openShardDbs(indexDir, shard);
  }

  /**
   * Adds, replaces and removes in one transaction: after it commits (fsync) every op of the
   * batch is durable, and readers never see half of it. Within a batch the last op on an id wins.
   */
  applyBatch(analyzer: Analyzer, ops: readonly BatchOp[], buffer = new PostingsBuffer(), deferMerges = false): BatchResult {
    const last = new Map<string, BatchOp>();
    for (const op of ops) {
      const id = op.op === 'add' ? op.doc.id : op.id;
      last.delete(id);
      last.set(id, op);
    }
    const adds: DocInput[] = [];
    for (const op of last.values()) if (op.op === 'add') adds.push(op.doc);

    // Analysis, the expensive part, runs before the transaction opens.
    const t0 = performance.now();
    buffer.reset();
    const lengths = adds.map((doc) => buffer.addDocument(analyzer, doc.title, doc.body, doc.tags));

    const t1 = performance.now();
    const result: BatchResult = {
      added: 0,
      replaced: 0,
      removed: 0,
      missing: 0,
      tokens: buffer.tokens,
      merges: 0,
      ms: { analyze: t1 - t0, write: 0, merge: 0 },
    };
    const { dbs } = this;
    dbs.env.transactionSync(() => {
      const state = readShardState(dbs);
      this.removeOrphans(state);
      for (const [id, op] of last) {
        const existed = this.deleteDoc(state, id);
        if (op.op === 'remove') {
          if (existed) result.removed++;
          else result.missing++;
        } else if (existed) result.replaced++;
      }
      if (adds.length > 0) {
        const first = state.nextDoc;
        adds.forEach((doc, i) => {
          const len = lengths[i] as { titleLen: number; bodyLen: number };
          this.putDoc(state, doc, first + i, len.titleLen, len.bodyLen);
        });
        const segId = state.nextSeg++;
        const writer = new SegmentWriter(segId, (key, value) => dbs.postings.putSync(key, value));
        buffer.writeSegment(writer, first);
        const blocks = writer.finish(buffer.norms());
        state.segments.push({ id: segId, first, last: first + adds.length - 1, docs: adds.length, bytes: writer.bytes, blocks });
        state.nextDoc = first + adds.length;
        result.added = adds.length - result.replaced;
      }
      writeShardState(dbs, state);
    });
    const t2 = performance.now();
    if (!deferMerges) result.merges = this.mergeWhileNeeded();
    result.ms.write = t2 - t1;
    result.ms.merge = performance.now() - t2;
    return result;
  }

  /** Merges every segment into one, dropping deleted postings: fastest queries afterwards. */
  optimize(): number {
    const state = readShardState(this.dbs);
    if (state.segments.length <= 1 && state.dead.length === 0) return 0;
    if (state.segments.length === 0) return 0;
    mergeSegments(this.dbs, state.segments);
    return 1;
  }

  private mergeWhileNeeded(): number {
    let merges = 0;
    for (;;) {
      const pick = pickMerge(readShardState(this.dbs).segments);
      if (pick === null) return merges;
      mergeSegments(this.dbs, pick);
      merges++;
    }
  }

  /** Keys of segments that no state references: the remains of a merge cut short by a crash. */
  private removeOrphans(state: ShardState): void {
    const next = state.nextSeg;
    for (const key of this.dbs.postings.getKeys({ start: [next], limit: 1 })) {
      const orphan = key[0] as number;
      if (orphan >= next) for (let id = next; id <= orphan; id++) deleteSegmentKeys(this.dbs, id);
    }
  }

  private deleteDoc(state: ShardState, id: string): boolean {
    const old = this.dbs.docs.get(id);
    if (old === undefined) return false;
    this.dbs.docs.removeSync(id);
    this.dbs.hits.removeSync(old.n);
    this.dbs.bodies.removeSync(old.n);
    state.docs--;
    state.sumTitleLen -= old.titleLen;
    state.sumBodyLen -= old.bodyLen;
    state.dead.push(old.n);
    return true;
  }

  private putDoc(state: ShardState, doc: DocInput, n: number, titleLen: number, bodyLen: number): void {
    const stored: StoredDoc = { n, title: doc.title, tags: doc.tags, date: doc.date, fields: doc.fields, titleLen, bodyLen };
    const hit: HitRecord = [doc.id, doc.title, doc.tags, doc.date];
    this.dbs.docs.putSync(doc.id, stored);
    this.dbs.hits.putSync(n, hit);
    this.dbs.bodies.putSync(n, doc.body);
    state.docs++;
    state.sumTitleLen += titleLen;
    state.sumBodyLen += bodyLen;
  }
}
