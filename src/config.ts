import os from 'node:os';
import { z } from 'zod';
import { EngineError } from './errors.js';

const MiB = 1024 * 1024;

/*
 * The memory model (measured here, Node 20, 2 cores): the main process with LMDB and the
 * worker pool is ~40 MB resident before any work and ~90 MB while it streams a dump (its V8
 * heap, glibc arenas, pending batches); each shard worker adds ~62 MB once jieba's dictionary
 * is loaded (~40 MB of it native) and ~35-45 MB more while it works; the query-side analyzer
 * adds ~33 MB on the first search. Batches, postings buffers, worker heaps and LMDB write
 * transactions are sized from what remains of the budget.
 */

/** The main thread's share while indexing: Node, LMDB, V8 heap, pending batches. */
export const MAIN_BYTES = 96 * MiB;
/** A worker's fixed cost: its V8 isolate and its own jieba dictionary. */
export const WORKER_FIXED_BYTES = 64 * MiB;
/** The least working memory a worker gets (heap, postings buffer, write transaction). */
export const WORKER_MIN_WORKING_BYTES = 32 * MiB;
/** Past this, more working memory only spills less often: the rest of a budget is left unused. */
export const WORKER_MAX_WORKING_BYTES = 48 * MiB;
/**
 * The least peak RSS a one-thread run can be held to (measured here by npm run bench:memory,
 * max RSS of `ruyi index` at --threads 1): Node's own code pages (~40 MB, counted in RSS as
 * mapped file pages), the main thread streaming (~50 MB more), one worker's V8 isolate and
 * jieba dictionary (~62 MB) and its working memory (~35-45 MB), and the index pages a merge
 * maps. A smaller budget cannot be kept: the plan says so (see MemoryPlan.warning).
 */
export const MEMORY_FLOOR_BYTES = 240 * MiB;
/** Default budget: 40% of the machine, at least the floor and at most 256 MB. */
export const DEFAULT_BUDGET_SHARE = 0.4;
export const DEFAULT_BUDGET_MIN = MEMORY_FLOOR_BYTES;
export const DEFAULT_BUDGET_MAX = 256 * MiB;
export const MAX_DEFAULT_THREADS = 4;
export const DEFAULT_SHARDS = 4;
export const DEFAULT_BATCH_BYTES = 2 * MiB;
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_DOC_BYTES = 64 * MiB;
/** Bytes of worker memory per buffered token: 12 in the buffer, 8 while writing, and slack. */
const BYTES_PER_BUFFERED_TOKEN = 24;

/** The smaller of physical memory and the cgroup limit (process.constrainedMemory() is 0 or 2^64 when unlimited). */
export function machineMemoryBytes(): number {
  const total = os.totalmem();
  const constrained = typeof process.constrainedMemory === 'function' ? process.constrainedMemory() : 0;
  return constrained > 0 && constrained < total ? constrained : total;
}

/** 40% of the machine's memory, kept between the floor (240 MB) and 256 MB. */
export function defaultMaxMemory(machineBytes = machineMemoryBytes()): number {
  return Math.round(Math.min(DEFAULT_BUDGET_MAX, Math.max(DEFAULT_BUDGET_MIN, machineBytes * DEFAULT_BUDGET_SHARE)));
}

/**
 * What each thread past the first adds to the peak RSS (measured, npm run bench:memory: the
 * 100 MB dump at --threads 1, 2 and 4): a worker's fixed cost (64 MB), its working memory
 * and the index pages its merges map.
 */
export const EXTRA_THREAD_BYTES = 128 * MiB;

/** The least peak RSS `threads` threads measured: the floor, then EXTRA_THREAD_BYTES a thread. */
export function floorForThreads(threads: number): number {
  return MEMORY_FLOOR_BYTES + (threads - 1) * EXTRA_THREAD_BYTES;
}

/**
 * Threads that fit a memory budget: 1 at the floor (240 MB), one more per 128 MB above it,
 * at most min(cores, 4). The default budgets (240-256 MB) give 1 thread; --max-memory 512M
 * gives 3 (on 4 cores), 2G on 8 cores gives 4.
 */
export function threadsForBudget(maxMemory: number, cores = os.availableParallelism()): number {
  const fits = 1 + Math.floor((maxMemory - MEMORY_FLOOR_BYTES) / EXTRA_THREAD_BYTES);
  return Math.max(1, Math.min(fits, cores, MAX_DEFAULT_THREADS));
}

/** The default thread count of a machine: the threads its default budget holds. */
export function defaultThreads(machineBytes = machineMemoryBytes(), cores = os.availableParallelism()): number {
  return threadsForBudget(defaultMaxMemory(machineBytes), cores);
}

/** Parses "512M", "1G", "256MB", "300000000" into bytes. */
export function parseBytes(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$/i.exec(text);
  if (!m) throw new EngineError('E_CONFIG', `not a size: ${JSON.stringify(text)} (examples: 256M, 1G, 300000000)`);
  const unit = { '': 1, k: 1024, m: MiB, g: 1024 * MiB, t: 1024 * 1024 * MiB }[(m[2] as string).toLowerCase()] as number;
  return Math.round(Number(m[1]) * unit);
}

const optionsSchema = z.strictObject({
  shards: z.number().int().min(1).max(256).optional(),
  threads: z.number().int().min(1).max(64).optional(),
  maxMemory: z
    .number()
    .int()
    .min(96 * MiB)
    .optional(),
  batchBytes: z
    .number()
    .int()
    .min(4 * 1024)
    .max(256 * MiB)
    .optional(),
  maxDocBytes: z.number().int().min(1024).optional(),
  truncateLongDocs: z.boolean().optional(),
  idleTimeoutMs: z.number().int().min(0).optional(),
  create: z.boolean().optional(),
  deferMerges: z.boolean().optional(),
  pinyin: z.boolean().optional(),
  traditional: z.boolean().optional(),
});

/** Options of `openIndex`. */
export interface IndexOptions {
  /**
   * Number of shards, fixed when the index is created (1-256, default 4). Documents are
   * routed to a shard by a hash of their id; each shard is written by one thread at a time,
   * so use at least as many shards as threads. Opening an existing index with another
   * value is an error.
   */
  shards?: number;
  /**
   * Worker threads that segment and write (1-64). A per-open setting. Default: as many as
   * `maxMemory` holds (see threadsForBudget), between 1 and min(cores, 4).
   */
  threads?: number;
  /**
   * Memory budget in bytes for the whole process while indexing (at least 96 MiB). Default:
   * 40% of the machine (the smaller of RAM and the cgroup limit), between 240 and 256 MiB.
   * Threads, worker heap limits, batch sizes and in-memory postings are derived from it.
   * Below MEMORY_FLOOR_BYTES (240 MiB) it cannot be kept, and the plan's `warning` says so.
   * @example { maxMemory: 512 * 1024 * 1024 }
   */
  maxMemory?: number;
  /**
   * Documents are sent to a worker in batches of about this many bytes of text per shard
   * (4 KiB to 256 MiB, default 2 MiB, smaller if the budget is tight).
   */
  batchBytes?: number;
  /** Largest document accepted, title plus body in UTF-8 bytes (default 64 MiB). */
  maxDocBytes?: number;
  /** Cut longer documents' bodies to maxDocBytes instead of refusing them (default false). */
  truncateLongDocs?: boolean;
  /** Idle workers exit after this many milliseconds (default 30000), releasing their memory. */
  idleTimeoutMs?: number;
  /** Create the index if the directory has none (default true). */
  create?: boolean;
  /**
   * For bulk loads (default false): segments are not merged while documents are added, and
   * `optimize()` at the end merges each shard once, so every posting is rewritten once
   * instead of once per merge level. Searches stay correct meanwhile, only slower.
   */
  deferMerges?: boolean;
  /**
   * Also index the pinyin of Han words, so `neicun` (full pinyin) and `nc` (initials) find
   * 内存. Fixed when the index is created (default false); opening an existing index uses
   * the recorded value, and another value is an error. Costs index size and indexing time
   * (see README, "Pinyin and traditional Chinese").
   * @example await openIndex('./search-index', { pinyin: true })
   */
  pinyin?: boolean;
  /**
   * Convert traditional Chinese to simplified in documents and queries, with Taiwan and
   * Hong Kong vocabulary, so 記憶體 and 內存 find 内存. Fixed at creation (default false),
   * like `pinyin`.
   */
  traditional?: boolean;
}

/** What the budget decided, and why: shown by stats() and the CLI. */
export interface MemoryPlan {
  maxMemory: number;
  /** Where maxMemory came from. */
  maxMemorySource: 'option' | 'machine';
  machineMemory: number;
  threads: number;
  /** Why this many threads. */
  threadsReason: string;
  /** V8 old-generation limit of each worker, MiB. */
  workerHeapMb: number;
  /** Tokens a worker holds in memory before spilling sorted runs to disk. */
  maxBufferedTokens: number;
  /** The least peak RSS one thread measured (MEMORY_FLOOR_BYTES). */
  floorBytes: number;
  /** Set when the budget cannot be kept: below the floor, or more threads than it holds. */
  warning: string | null;
}

export interface ResolvedOptions {
  shards: number | undefined;
  threads: number;
  batchBytes: number;
  maxDocBytes: number;
  truncateLongDocs: boolean;
  idleTimeoutMs: number;
  create: boolean;
  deferMerges: boolean;
  /** Analysis options asked for; undefined means the index's recorded value (off for a new index). */
  pinyin: boolean | undefined;
  traditional: boolean | undefined;
  memory: MemoryPlan;
}

export function planMemory(
  maxMemoryOption: number | undefined,
  threadsOption: number | undefined,
  machineBytes = machineMemoryBytes(),
  cores = os.availableParallelism(),
): MemoryPlan {
  const maxMemory = maxMemoryOption ?? defaultMaxMemory(machineBytes);
  const fit = threadsForBudget(maxMemory, cores);
  const threads = threadsOption ?? fit;
  const mb = (n: number): string => `${Math.round(n / MiB)} MB`;
  const threadsReason =
    threadsOption !== undefined
      ? `set by option${threadsOption > fit ? ` (the ${mb(maxMemory)} budget fits ${fit}: expect more memory use)` : ''}`
      : `${mb(maxMemory)} budget: 1 thread at ${mb(MEMORY_FLOOR_BYTES)}, 1 more per ${mb(EXTRA_THREAD_BYTES)} above it, ` +
        `capped at min(${cores} cores, ${MAX_DEFAULT_THREADS})`;
  const floor = floorForThreads(threads);
  const warning =
    maxMemory < floor
      ? `the ${mb(maxMemory)} budget is below what ${threads === 1 ? 'one thread' : `${threads} threads`} measured at least ` +
        `(${mb(floor)}: Node ~90 MB with its code pages, a worker with jieba ~62 MB and ~40 MB to work in, a merge's mapped pages` +
        `${threads > 1 ? `, ${mb(EXTRA_THREAD_BYTES)} a thread past the first` : ''}): expect ~${mb(floor)}`
      : null;
  const working = Math.min(
    WORKER_MAX_WORKING_BYTES,
    Math.max(WORKER_MIN_WORKING_BYTES, (maxMemory - MAIN_BYTES) / threads - WORKER_FIXED_BYTES),
  );
  return {
    maxMemory,
    maxMemorySource: maxMemoryOption === undefined ? 'machine' : 'option',
    machineMemory: machineBytes,
    threads,
    threadsReason: warning === null ? threadsReason : `${threadsReason}; warning: ${warning}`,
    // The heap holds a batch's strings and small maps (bodies and token arrays are off-heap);
    // a larger limit only lets garbage pile up (a 50 MB article: +40 MB at 48 MB vs 32 MB).
    workerHeapMb: Math.max(32, Math.floor(working / 2 / MiB)),
    // A quarter of the working memory for buffered tokens; the rest is the batch, the heap's
    // garbage and the write transaction (a 50 MB article measured 300 MB at a half).
    maxBufferedTokens: Math.min(4 << 20, Math.max(1 << 16, Math.floor(working / 4 / BYTES_PER_BUFFERED_TOKEN))),
    floorBytes: floor,
    warning,
  };
}

export function resolveOptions(options: IndexOptions = {}): ResolvedOptions {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new EngineError('E_CONFIG', `invalid options: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`);
  }
  const o = parsed.data;
  const memory = planMemory(o.maxMemory, o.threads);
  return {
    shards: o.shards,
    threads: memory.threads,
    batchBytes: o.batchBytes ?? Math.min(DEFAULT_BATCH_BYTES, Math.max(256 * 1024, Math.floor((memory.workerHeapMb * MiB) / 16))),
    maxDocBytes: o.maxDocBytes ?? DEFAULT_MAX_DOC_BYTES,
    truncateLongDocs: o.truncateLongDocs ?? false,
    idleTimeoutMs: o.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    create: o.create ?? true,
    deferMerges: o.deferMerges ?? false,
    pinyin: o.pinyin,
    traditional: o.traditional,
    memory,
  };
}
