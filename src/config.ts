import os from 'node:os';
import { z } from 'zod';
import { EngineError } from './errors.js';

const MiB = 1024 * 1024;

/** Measured here: one shard worker with its own jieba dictionary and LMDB env, ~65 MB RSS; 96 leaves room for its batch. */
export const WORKER_RSS_BYTES = 96 * MiB;
/** The main thread: Node itself, the query analyzer and pending batches. */
export const MAIN_RSS_BYTES = 64 * MiB;
/** Share of the machine's memory the default thread count may plan to use. */
export const DEFAULT_MEMORY_SHARE = 0.25;
export const MAX_DEFAULT_THREADS = 4;
export const DEFAULT_SHARDS = 4;
export const DEFAULT_BATCH_BYTES = 2 * MiB;
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

/** The smaller of physical memory and the cgroup limit (process.constrainedMemory() is 0 or 2^64 when unlimited). */
export function machineMemoryBytes(): number {
  const total = os.totalmem();
  const constrained = typeof process.constrainedMemory === 'function' ? process.constrainedMemory() : 0;
  return constrained > 0 && constrained < total ? constrained : total;
}

/**
 * Default worker threads: as many as a quarter of the memory holds after the main thread,
 * at ~96 MB each, between 1 and min(cores, 4). 512 MB -> 1, 1 GB -> 2, 2 GB+ on 2 cores -> 2.
 */
export function defaultThreads(memoryBytes = machineMemoryBytes(), cores = os.availableParallelism()): number {
  const fits = Math.floor((memoryBytes * DEFAULT_MEMORY_SHARE - MAIN_RSS_BYTES) / WORKER_RSS_BYTES);
  return Math.max(1, Math.min(fits, cores, MAX_DEFAULT_THREADS));
}

const optionsSchema = z.strictObject({
  shards: z.number().int().min(1).max(256).optional(),
  threads: z.number().int().min(1).max(64).optional(),
  batchBytes: z
    .number()
    .int()
    .min(4 * 1024)
    .max(256 * MiB)
    .optional(),
  idleTimeoutMs: z.number().int().min(0).optional(),
  create: z.boolean().optional(),
  deferMerges: z.boolean().optional(),
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
   * Worker threads that segment and write (1-64). A per-open setting. Default: what a
   * quarter of the memory holds at ~96 MB per worker, between 1 and min(cores, 4).
   */
  threads?: number;
  /**
   * Documents are sent to a worker in batches of about this many bytes of text per shard
   * (4 KiB to 256 MiB, default 2 MiB). A worker holds about 10x this while indexing it.
   */
  batchBytes?: number;
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
}

export interface ResolvedOptions {
  shards: number | undefined;
  threads: number;
  batchBytes: number;
  idleTimeoutMs: number;
  create: boolean;
  deferMerges: boolean;
}

export function resolveOptions(options: IndexOptions = {}): ResolvedOptions {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new EngineError('E_CONFIG', `invalid options: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`);
  }
  const o = parsed.data;
  return {
    shards: o.shards,
    threads: o.threads ?? defaultThreads(),
    batchBytes: o.batchBytes ?? DEFAULT_BATCH_BYTES,
    idleTimeoutMs: o.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    create: o.create ?? true,
    deferMerges: o.deferMerges ?? false,
  };
}
