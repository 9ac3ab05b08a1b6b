import { type EngineError, isEngineError } from './errors.js';
import type { BatchOp, BatchResult, RawRejection } from './types.js';
import { heapPeak, type WorkerHeap } from './worker-heap.js';

export interface FailedDoc {
  id: string;
  reason: string;
}

/** What was applied since the last report. */
export interface WriteReport {
  added: number;
  /** Adds of ids the index already had (in a rebuild: duplicates in the dump). */
  replaced: number;
  /** Adds overtaken by a later add of the same id before either was written. */
  superseded: number;
  removed: number;
  /** Removes of ids the index did not have. */
  missing: number;
  /** Documents (or removes) that failed even when retried alone, first 100. */
  failed: FailedDoc[];
  failedCount: number;
  /** Raw records (see RuyiIndex.enqueueRaw) a worker could not index, by file and line; first 100. */
  rejected: RawRejection[];
  rejectedCount: number;
  /**
   * The workers' heap at its largest after any batch of this report (absent when no batch
   * was written): the heap is held by accounting (batch and document sizes), the limit is
   * only a backstop, and this shows how far apart they are.
   */
  workerHeap?: WorkerHeap;
}

const MAX_REPORTED_FAILURES = 100;
/** Text waiting on the main thread without a plan (tests): the plan's share replaces it. */
export const MAX_PENDING_BYTES = 16 * 1024 * 1024;

export type SendBatch = (shard: number, ops: BatchOp[]) => Promise<BatchResult>;

function opId(op: BatchOp): string {
  if (op.op === 'add') return op.doc.id;
  if (op.op === 'raw') return op.id ?? `${op.file}:${op.line}`;
  return op.id;
}

/**
 * Groups documents per shard into batches of about `batchBytes` and keeps at most one
 * batch per shard in flight. Memory held here is bounded: when `shards x batchBytes` bytes
 * wait, `push` does not resolve until a batch completes (this is the ingest backpressure).
 */
export class Batcher {
  private readonly pending: { ops: BatchOp[]; bytes: number[] }[];
  private readonly pendingBytes: number[];
  private readonly inFlight: (Promise<void> | null)[];
  private totalPending = 0;
  /** Raw records rejected by workers since the batcher started: a bulk reader stops on it (--max-errors). */
  rejectedSoFar = 0;
  private inFlightBytes = 0;
  private readonly maxPendingBytes: number;
  private waiters: (() => void)[] = [];
  private report: WriteReport = Batcher.emptyReport();
  /** An error that no retry can fix (a full disk): every later push and flush throws it. */
  private fatal: EngineError | null = null;

  constructor(
    shards: number,
    private readonly batchBytes: number,
    private readonly send: SendBatch,
    /** Text pending and in flight together, bytes (the main thread's share of the budget). */
    maxHeldBytes = 2 * MAX_PENDING_BYTES,
    /** Batches worth keeping in flight at once: the worker threads. */
    private readonly concurrency = 1,
  ) {
    const maxPendingBytes = Math.floor(maxHeldBytes / 2);
    this.pending = Array.from({ length: shards }, () => ({ ops: [], bytes: [] }));
    this.pendingBytes = new Array<number>(shards).fill(0);
    this.inFlight = new Array<Promise<void> | null>(shards).fill(null);
    this.maxPendingBytes = Math.min(shards * batchBytes, Math.max(batchBytes, maxPendingBytes));
  }

  static emptyReport(): WriteReport {
    return { added: 0, replaced: 0, superseded: 0, removed: 0, missing: 0, failed: [], failedCount: 0, rejected: [], rejectedCount: 0 };
  }

  async push(shard: number, op: BatchOp, bytes: number): Promise<void> {
    if (this.fatal !== null) throw this.fatal;
    const p = this.pending[shard] as { ops: BatchOp[]; bytes: number[] };
    p.ops.push(op);
    p.bytes.push(bytes);
    this.pendingBytes[shard] = (this.pendingBytes[shard] as number) + bytes;
    this.totalPending += bytes;
    if ((this.pendingBytes[shard] as number) >= this.batchBytes) this.dispatch(shard, false);
    // Batches sent but not yet done count too: their documents are still held here.
    while (this.totalPending > this.maxPendingBytes || this.totalPending + this.inFlightBytes > 2 * this.maxPendingBytes) {
      // With many shards no single one may have reached batchBytes: send the fullest.
      // Fewer batches in flight than workers: send the fullest idle shard's text now rather
      // than wait, or a small pending share spread over many shards would leave workers idle.
      if (this.inFlightCount() < this.concurrency) {
        const idle = this.fullestIdleShard();
        if (idle >= 0 && this.dispatch(idle, true)) continue;
      }
      await this.nextCompletion();
      if (this.fatal !== null) throw this.fatal;
    }
  }

  /**
   * Drops what waits unsent and resolves when the batches in flight are done: a cancelled
   * rebuild stops without writing what it had not sent yet.
   */
  async discard(): Promise<void> {
    for (let s = 0; s < this.pending.length; s++) {
      this.pending[s] = { ops: [], bytes: [] };
      this.pendingBytes[s] = 0;
    }
    this.totalPending = 0;
    while (this.inFlight.some((f) => f !== null)) await this.nextCompletion();
  }

  /** Sends everything pending and resolves when all of it is committed; returns what happened since the last flush. */
  async flush(): Promise<WriteReport> {
    for (;;) {
      if (this.fatal !== null) {
        await this.discard();
        throw this.fatal;
      }
      for (let s = 0; s < this.pending.length; s++) this.dispatch(s, true);
      const busy = this.inFlight.filter((f): f is Promise<void> => f !== null);
      if (busy.length === 0) break;
      await Promise.all(busy);
    }
    const report = this.report;
    this.report = Batcher.emptyReport();
    return report;
  }

  /** The idle shard with the most text pending, or -1 when none has any. */
  private fullestIdleShard(): number {
    let best = -1;
    for (let s = 0; s < this.pendingBytes.length; s++) {
      if (this.inFlight[s] !== null || (this.pendingBytes[s] as number) === 0) continue;
      if (best < 0 || (this.pendingBytes[s] as number) > (this.pendingBytes[best] as number)) best = s;
    }
    return best;
  }

  private inFlightCount(): number {
    let n = 0;
    for (const f of this.inFlight) if (f !== null) n++;
    return n;
  }

  private nextCompletion(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Starts the shard's next batch if none is in flight: up to batchBytes, or everything when draining. */
  private dispatch(shard: number, draining: boolean): boolean {
    if (this.inFlight[shard] !== null || this.fatal !== null) return false;
    const p = this.pending[shard] as { ops: BatchOp[]; bytes: number[] };
    if (p.ops.length === 0) return false;
    if (!draining && (this.pendingBytes[shard] as number) < this.batchBytes) return false;
    // A document larger than a whole batch goes alone, when no other batch is in flight: the
    // budget's room for long documents is what the other workers' working memory leaves idle.
    if ((p.bytes[0] as number) > this.batchBytes && this.inFlight.some((f) => f !== null)) return false;
    let take = 0;
    let bytes = 0;
    while (take < p.ops.length && bytes < this.batchBytes && !(take > 0 && (p.bytes[take] as number) > this.batchBytes)) {
      bytes += p.bytes[take++] as number;
    }
    const ops = p.ops.splice(0, take);
    p.bytes.splice(0, take);
    this.pendingBytes[shard] = (this.pendingBytes[shard] as number) - bytes;
    this.totalPending -= bytes;
    this.inFlightBytes += bytes;
    this.inFlight[shard] = this.run(shard, ops).finally(() => {
      this.inFlight[shard] = null;
      this.inFlightBytes -= bytes;
      this.dispatch(shard, false);
      // Batches that filled while this one ran, or a long document that waited for it, go now.
      for (let s = 0; s < this.pending.length; s++) if (s !== shard) this.dispatch(s, false);
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    });
    return true;
  }

  /**
   * Runs a batch; if the worker fails (crash, out of memory, I/O), retries each op alone so
   * that one bad document costs only itself, and reports the ones that fail again.
   */
  private async run(shard: number, batch: BatchOp[]): Promise<void> {
    let ops = batch;
    try {
      this.count(await this.send(shard, ops));
      return;
    } catch (err) {
      if (isEngineError(err, 'E_DISK_FULL')) {
        this.fatal = err;
        return;
      }
      if (ops.length === 1) {
        this.fail(ops[0] as BatchOp, err as EngineError);
        return;
      }
      // A large body was moved to the worker and is gone from this thread: it cannot be
      // retried, and is most likely what failed.
      const moved = (op: BatchOp): boolean => op.op === 'add' && op.transfer === true && op.bodyUtf8?.byteLength === 0;
      for (const op of ops) if (moved(op)) this.fail(op, err as EngineError);
      ops = ops.filter((op) => !moved(op));
    }
    for (const op of ops) {
      try {
        this.count(await this.send(shard, [op]));
      } catch (err) {
        this.fail(op, err as EngineError);
      }
    }
  }

  private count(result: BatchResult): void {
    this.rejectedSoFar += result.rejectedCount;
    this.report.rejectedCount += result.rejectedCount;
    for (const r of result.rejected) if (this.report.rejected.length < MAX_REPORTED_FAILURES) this.report.rejected.push(r);
    this.report.added += result.added;
    this.report.replaced += result.replaced;
    this.report.superseded += result.superseded;
    this.report.removed += result.removed;
    this.report.missing += result.missing;
    const heap = heapPeak(this.report.workerHeap, result.heap);
    if (heap !== undefined) this.report.workerHeap = heap;
  }

  private fail(op: BatchOp, err: Error): void {
    this.report.failedCount++;
    if (this.report.failed.length < MAX_REPORTED_FAILURES) {
      this.report.failed.push({ id: opId(op), reason: err.message.replace(/^ruyi: /, '') });
    }
  }
}
