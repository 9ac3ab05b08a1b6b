/**
 * Piscina worker: segments and writes batches for any shard. Piscina has no task affinity,
 * so each worker opens shard environments lazily and keeps them; the main thread keeps at
 * most one task per shard in flight, so two workers never write one shard at once.
 */
import { Analyzer } from '../src/analysis/analyzer.js';
import { PostingsBuffer } from '../src/indexing/postings-buffer.js';
import { ShardWriter } from '../src/indexing/shard-writer.js';
import type { BatchOp, BatchResult } from '../src/types.js';

let analyzer: Analyzer | undefined;
/** One postings buffer per thread, reused by every batch (see PostingsBuffer.reset). */
let buffer: PostingsBuffer | undefined;
const writers = new Map<string, ShardWriter>();

function writerFor(dir: string, shard: number): ShardWriter {
  const key = `${dir}\0${shard}`;
  let writer = writers.get(key);
  if (writer === undefined) {
    writer = new ShardWriter(dir, shard);
    writers.set(key, writer);
  }
  return writer;
}

export interface IndexBatchTask {
  dir: string;
  shard: number;
  ops: BatchOp[];
  /** Tokens held in memory before spilling sorted runs to disk (from the memory budget). */
  maxBufferedTokens: number;
  /** Leave segments unmerged until optimize (bulk loads: every posting is then rewritten once). */
  deferMerges?: boolean;
  /** Test hook: the worker exits abruptly (as on out-of-memory) when it meets this id. */
  crashOnId?: string;
}

export function indexBatch(task: IndexBatchTask): BatchResult {
  if (task.crashOnId !== undefined && task.ops.some((op) => (op.op === 'add' ? op.doc.id : op.id) === task.crashOnId)) {
    process.exit(70);
  }
  analyzer ??= Analyzer.load();
  if (buffer?.maxTokens !== task.maxBufferedTokens) buffer = new PostingsBuffer(task.maxBufferedTokens);
  return writerFor(task.dir, task.shard).applyBatch(analyzer, task.ops, buffer, task.deferMerges === true);
}

export interface OptimizeTask {
  dir: string;
  shard: number;
}

export function optimizeShard(task: OptimizeTask): number {
  return writerFor(task.dir, task.shard).optimize();
}
