import { z } from 'zod';
import { EngineError } from './errors.js';
import { type MemoryPlan, planMemory, QUERY_ANALYZER_BYTES } from './memory-plan.js';

const MiB = 1024 * 1024;

export { machineMemoryBytes } from './machine.js';
export {
  DEFAULT_BUDGET_MAX,
  DEFAULT_BUDGET_SHARE,
  defaultMaxMemory,
  defaultThreads,
  MAX_DEFAULT_THREADS,
  type MemoryPlan,
  minimumBytes,
  planMemory,
  QUERY_ANALYZER_BYTES,
  threadsForBudget,
} from './memory-plan.js';

export const DEFAULT_SHARDS = 4;
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_DOC_BYTES = 64 * MiB;

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
  // Any positive size: one below what indexing needs is refused with the measured minimum.
  maxMemory: z.number().int().min(1).optional(),
  hostBytes: z.number().int().min(0).optional(),
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
  preloadAnalyzer: z.boolean().optional(),
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
   * Memory budget in bytes for the whole process while indexing (peak RSS). Default: 40%
   * of the machine (the smaller of RAM and a container's limit), at least what one thread
   * needs and at most 256 MiB, never over 90% of a container's limit. Threads, worker heap
   * limits, batches, buffered postings, transactions and merges get shares of it in bytes.
   * A budget below what the threads need (`minimumBytes`, 166 MiB for one) is refused:
   * writes throw E_CONFIG naming the minimum (an explicit one already at open).
   * @example { maxMemory: 512 * 1024 * 1024 }
   */
  maxMemory?: number;
  /**
   * Of `maxMemory`, what the rest of the process needs besides indexing, in bytes. Default:
   * the query side's jieba dictionary (`QUERY_ANALYZER_BYTES`, 52 MiB) when
   * `preloadAnalyzer` loads it, else 0; a server adds its requests. The threads, batches and
   * buffers are then planned in what is left, and the minimum grows by as much.
   */
  hostBytes?: number;
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
  /**
   * Load the query analyzer (jieba's dictionary: ~0.2-0.4 s, ~45 MB resident, shared by every
   * index of the process) while opening, so that the first search costs what the others do.
   * Default true. `false` for a process that only writes (the CLI's `index --update`,
   * `remove`, `stats`): it is then loaded by the first search, if one comes.
   * @example await openIndex('./search-index', { preloadAnalyzer: false })
   */
  preloadAnalyzer?: boolean;
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
  /** Load the query analyzer while opening (see IndexOptions.preloadAnalyzer). */
  preloadAnalyzer: boolean;
  memory: MemoryPlan;
  /** Whether maxDocBytes is the budget's limit rather than the option's. */
  maxDocBytesByBudget: boolean;
}

export function resolveOptions(options: IndexOptions = {}): ResolvedOptions {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new EngineError('E_CONFIG', `invalid options: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`);
  }
  const o = parsed.data;
  const preloadAnalyzer = o.preloadAnalyzer ?? true;
  // A process that opens an index to search holds the query side's jieba: the budget counts it.
  const hostBytes = o.hostBytes ?? (preloadAnalyzer ? QUERY_ANALYZER_BYTES : 0);
  const memory = planMemory(o.maxMemory, o.threads, undefined, undefined, undefined, hostBytes);
  return {
    shards: o.shards,
    threads: memory.threads,
    batchBytes: o.batchBytes ?? memory.batchBytes,
    // The budget bounds documents too: one it cannot hold is refused (or cut), not indexed over it.
    maxDocBytes: Math.min(o.maxDocBytes ?? DEFAULT_MAX_DOC_BYTES, memory.maxDocBytes),
    maxDocBytesByBudget: memory.maxDocBytes < (o.maxDocBytes ?? DEFAULT_MAX_DOC_BYTES),
    truncateLongDocs: o.truncateLongDocs ?? false,
    idleTimeoutMs: o.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    create: o.create ?? true,
    deferMerges: o.deferMerges ?? false,
    pinyin: o.pinyin,
    traditional: o.traditional,
    preloadAnalyzer,
    memory,
  };
}
