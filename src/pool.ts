import { Piscina } from 'piscina';
import type { IndexBatchTask, OptimizeTask } from '../workers/shard-worker.js';
import { fromWorkerFailure } from './errors.js';
import { WORKER_FILE } from './paths.js';
import type { BatchOp, BatchResult } from './types.js';

/**
 * The worker pool, with every Piscina default that would grow without bound replaced:
 * Piscina starts `cores` threads, grows to 1.5 x cores and queues without limit; here the
 * pool has exactly `threads` at most, starts none until there is work, lets idle ones exit,
 * and never queues more than one task per shard.
 */
export class ShardPool {
  private readonly piscina: Piscina;

  constructor(
    readonly threads: number,
    shards: number,
    idleTimeoutMs: number,
    /** V8 old-generation limit per worker, MiB: a runaway worker dies alone instead of the process. */
    workerHeapMb: number,
    /** V8 young generation per worker, MiB (the plan's share; V8's own default grows to 48). */
    workerYoungMb: number,
  ) {
    this.piscina = new Piscina({
      filename: WORKER_FILE,
      minThreads: 0,
      maxThreads: threads,
      idleTimeout: idleTimeoutMs,
      maxQueue: shards + 1,
      concurrentTasksPerWorker: 1,
      // Piscina's run/wait-time histograms (perf_hooks, native) are never read here, and V8
      // does not see their memory: creating and closing pools grew RSS ~0.3 MB a pool.
      recordTiming: false,
      // Large bodies travel off-heap (transferred UTF-8), so the heap holds only a batch's
      // strings and small structures. The young generation is the plan's (2-4 MB): V8's
      // default grows to 48 MB; 8 MB measured ~7% faster than 4 and 10 MB more per worker.
      resourceLimits: { maxOldGenerationSizeMb: workerHeapMb, maxYoungGenerationSizeMb: workerYoungMb },
      // Tasks are fully synchronous (lmdb transactionSync), but 'disabled' keeps the worker's
      // event loop turning between tasks so nothing lmdb-js schedules is starved.
      atomics: 'disabled',
    });
    // Worker start-up failures are also delivered to the task that triggered them; without a
    // listener, Piscina's 'error' event would end the whole process.
    this.piscina.on('error', () => {});
  }

  async indexBatch(task: IndexBatchTask): Promise<BatchResult> {
    task = packRawRecords(task);
    try {
      // Only bodies the engine encoded itself are moved; a caller's buffer is copied.
      const transferList = task.ops.flatMap((op) =>
        op.op === 'add' && op.bodyUtf8 && op.transfer ? [op.bodyUtf8.buffer as ArrayBuffer] : [],
      );
      return (await this.piscina.run(task, { name: 'indexBatch', transferList })) as BatchResult;
    } catch (err) {
      throw fromWorkerFailure(task.shard, err);
    }
  }

  async optimize(task: OptimizeTask): Promise<number> {
    try {
      return (await this.piscina.run(task, { name: 'optimizeShard' })) as number;
    } catch (err) {
      throw fromWorkerFailure(task.shard, err);
    }
  }

  /** Ends every worker; pending tasks are rejected. */
  async destroy(): Promise<void> {
    await this.piscina.destroy();
  }
}

/**
 * Raw records travel as one buffer per batch, the ops locating their lines in it: one copy
 * for the batch instead of a structured clone per record. The ops keep their own bytes on
 * this side, so that a failed batch can be retried record by record.
 */
function packRawRecords(task: IndexBatchTask): IndexBatchTask {
  let total = 0;
  for (const op of task.ops) if (op.op === 'raw') total += op.bytes?.byteLength ?? 0;
  if (total === 0) return task;
  const raw = new Uint8Array(total);
  let at = 0;
  const ops = task.ops.map((op): BatchOp => {
    if (op.op !== 'raw' || op.bytes === undefined) return op;
    raw.set(op.bytes, at);
    const packed = { op: 'raw' as const, id: op.id, file: op.file, line: op.line, start: at, end: at + op.bytes.byteLength };
    at = packed.end;
    return packed;
  });
  return { ...task, ops, raw };
}
