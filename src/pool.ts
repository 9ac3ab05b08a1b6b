import { Piscina } from 'piscina';
import type { IndexBatchTask, OptimizeTask } from '../workers/shard-worker.js';
import { fromWorkerFailure } from './errors.js';
import { WORKER_FILE } from './paths.js';
import type { BatchResult } from './types.js';

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
      // strings and small structures. An 8 MB young generation (V8's default grows to 48):
      // 4 MB measured ~10 MB less per worker but ~7% slower, 16 MB the reverse.
      resourceLimits: { maxOldGenerationSizeMb: workerHeapMb, maxYoungGenerationSizeMb: 8 },
      // Tasks are fully synchronous (lmdb transactionSync), but 'disabled' keeps the worker's
      // event loop turning between tasks so nothing lmdb-js schedules is starved.
      atomics: 'disabled',
    });
    // Worker start-up failures are also delivered to the task that triggered them; without a
    // listener, Piscina's 'error' event would end the whole process.
    this.piscina.on('error', () => {});
  }

  async indexBatch(task: IndexBatchTask): Promise<BatchResult> {
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
