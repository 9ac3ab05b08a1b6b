/**
 * Piscina worker: segments and writes batches for any shard. Piscina has no task affinity,
 * so a task opens its shard's environment and closes it when done (~1 ms): the pages it
 * mapped are released with it, instead of every shard's whole file piling up in the
 * process's resident memory. The main thread keeps at most one task per shard in flight,
 * so two workers never write one shard at once.
 */
import { type AnalysisOptions, analysisFingerprint } from '../src/analysis/analysis-options.js';
import { Analyzer } from '../src/analysis/analyzer.js';
import { PostingsBuffer } from '../src/indexing/postings-buffer.js';
import { type ParsedBatch, parseRawOps } from '../src/indexing/raw-records.js';
import { ShardWriter } from '../src/indexing/shard-writer.js';
import { batchWriteEstimate, checkDiskSpace } from '../src/store/disk-space.js';
import type { BatchOp, BatchResult, ParsedOp, RawRecordOptions, WorkerShares } from '../src/types.js';
import { heapNow } from '../src/worker-heap.js';

/** One analyzer per analysis fingerprint (a worker serves one index, so nearly always one). */
const analyzers = new Map<string, Analyzer>();

function analyzerFor(options: AnalysisOptions | undefined): Analyzer {
  const key = options === undefined ? 'base' : analysisFingerprint(options);
  let analyzer = analyzers.get(key);
  if (analyzer === undefined) {
    analyzer = Analyzer.load(options);
    analyzers.set(key, analyzer);
  }
  return analyzer;
}
/**
 * Buffered tokens in a share of bytes: 12 bytes a token in the arrays, 8 more while a
 * segment is written, and the batch's term dictionary (a Map entry and its string, ~80
 * bytes a distinct term, at most one per token but ~1 in 6 measured on manuals).
 */
function bufferedTokens(postingsBytes: number): number {
  return Math.max(1 << 14, Math.floor(postingsBytes / 32));
}

/** One postings buffer per thread, reused by every batch (see PostingsBuffer.reset). */
let buffer: PostingsBuffer | undefined;

async function withWriter<T>(dir: string, shard: number, work: (writer: ShardWriter) => T): Promise<T> {
  const writer = new ShardWriter(dir, shard);
  try {
    return work(writer);
  } finally {
    await writer.close();
  }
}

export interface IndexBatchTask {
  dir: string;
  shard: number;
  ops: BatchOp[];
  /** This worker's shares of the memory budget, bytes. */
  memory: WorkerShares;
  /** The index's shard count: a raw record's parsed id is checked against the shard it was routed to. */
  shards: number;
  /** The batch's raw records, packed (RawRecordOp.start/end locate each). */
  raw?: Uint8Array;
  /** How to parse raw records; set when the batch has any. */
  records?: RawRecordOptions;
  /** The index's analysis options (from ruyi.json); absent means both off. */
  analysis?: AnalysisOptions;
  /** Leave segments unmerged until optimize (bulk loads: every posting is then rewritten once). */
  deferMerges?: boolean;
  /** Test hook: the worker exits abruptly (as on out-of-memory) when it meets this id. */
  crashOnId?: string;
}

/** html-to-text, loaded by the first batch of raw records that asks for it. */
let stripHtml: ((html: string) => string) | undefined;

export async function indexBatch(task: IndexBatchTask): Promise<BatchResult> {
  if (task.crashOnId !== undefined && task.ops.some((op) => (op.op === 'add' ? op.doc.id : op.id) === task.crashOnId)) {
    process.exit(70);
  }
  const analyzer = analyzerFor(task.analysis);
  const maxTokens = bufferedTokens(task.memory.postingsBytes);
  if (buffer?.maxTokens !== maxTokens) buffer = new PostingsBuffer(maxTokens, undefined, task.memory.postingsBytes);
  const scratch = buffer;
  let parsed: ParsedBatch = { ops: task.ops as ParsedOp[], rejected: [], rejectedCount: 0 };
  if (task.records !== undefined) {
    if (task.records.html && stripHtml === undefined) stripHtml = (await import('../src/ingest/html-text.js')).htmlToText;
    parsed = parseRawOps(task.ops, task.raw, task.shard, task.shards, task.records, stripHtml);
  }
  let text = 0;
  for (const op of parsed.ops) if (op.op === 'add') text += (op.bodyUtf8?.byteLength ?? op.doc.body.length * 3) + op.doc.title.length * 3;
  checkDiskSpace(task.dir, batchWriteEstimate(text));
  const result = await withWriter(task.dir, task.shard, (writer) =>
    writer.applyBatch(analyzer, parsed.ops, scratch, task.deferMerges === true, task.memory),
  );
  result.rejected = parsed.rejected;
  result.rejectedCount = parsed.rejectedCount;
  result.heap = heapNow();
  return result;
}

export interface OptimizeTask {
  dir: string;
  shard: number;
  memory: WorkerShares;
  /** The process's budget and the workers merging at once: each step is sized to the room left. */
  budget: { maxMemory: number; threads: number };
  /** The index is a generation being built, which no reader sees: a merge may free its sources as it goes. */
  building?: boolean;
}

/** Kept free of a merge step's mapped pages: allocator and V8 slack, the step's own transaction. */
const MERGE_ROOM_MARGIN_BYTES = 8 * 1024 * 1024;

/**
 * Postings one merge step may read now: ~1/7 of the room the process has left under its
 * budget, shared by the workers merging at once; at most the plan's share, at least 256 KB.
 * Measured, not planned: the threads that indexed give little of their memory back, so the
 * room is what RSS says. The 1/7 dates from merges that mapped ~6 times what they read; a
 * streaming step maps about twice what it reads (RssFile, a 100 MB dump's shard: +16 MB at
 * 1 MB steps, +46 MB at 16 MB steps) on top of ~25-35 MB that does not depend on the step
 * (the blocks in hand before V8 collects them, the transaction): the factor is kept as margin,
 * since the step's size barely changes the merge's speed (36 steps of 1 MB or 3 of 16 MB: ±15%).
 */
function mergeStepBytes(task: OptimizeTask): number {
  const room = task.budget.maxMemory - process.memoryUsage.rss() - MERGE_ROOM_MARGIN_BYTES;
  return Math.max(256 * 1024, Math.min(task.memory.mergeBytes, Math.floor(room / task.budget.threads / 7)));
}

/**
 * Merges the shard into one segment (see ShardWriter.optimizeStep), one bounded step per
 * opening of the environment: closing it unmaps the pages the step read. Returns the steps.
 */
export async function optimizeShard(task: OptimizeTask): Promise<number> {
  let steps = 0;
  while (await withWriter(task.dir, task.shard, (writer) => writer.optimizeStep(task.memory, mergeStepBytes(task), task.building === true)))
    steps++;
  return steps;
}
