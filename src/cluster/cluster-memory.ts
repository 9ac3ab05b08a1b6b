import type { IndexOptions } from '../config.js';
import { defaultMaxMemory, type MemoryPlan, minimumBytes, plannableBytes, QUERY_ANALYZER_BYTES } from '../memory-plan.js';
import { MAX_STRING_ATTR_BYTES } from './doc-rows.js';

const MiB = 1024 * 1024;

/**
 * What the SphinxQL client adds to the process: mysql2's modules and a connection pool
 * (measured 18.5 MiB RSS once loaded and connected). A cluster index plans with it as part of
 * what the host keeps (IndexOptions.hostBytes), so the threads, the default budget and the
 * minimum all count it.
 */
export const CLUSTER_CLIENT_BYTES = 20 * MiB;

/*
 * A cluster load is planned in the local engine's shares (memory-plan.ts: the same threads,
 * the same minimum, the same refusal), spent differently: an analysis worker keeps no
 * postings, no LMDB transaction and no merge, so its whole share is the V8 heap it analyzes
 * in; the main thread's share holds rows instead of text (analysis results waiting to be
 * taken, rows buffered per shard, one statement in flight per shard with mysql2's copy of it
 * for each replica). What the budget has past the minimum goes half to the workers (room
 * for a long document) and half to the main thread (larger statements, fewer round trips).
 */

/**
 * V8 heap an analysis worker needs besides its document (modules, the analyzer's tables,
 * V8's slack). Measured: a 0.85 MB body analyzed into its row within a 24 MiB heap and not
 * within 16; 1.7 MB within 32 and not within 24 (so about 12 bytes of heap a body byte).
 */
export const ANALYSIS_HEAP_BASE_BYTES = 8 * MiB;
/** Heap bytes per UTF-8 byte of a body being analyzed into its row (tokens, keywords, the escaped row). */
export const ANALYSIS_HEAP_PER_BODY_BYTE = 12;
/** A row is about this many times its document's UTF-8 text (keywords, sub-words, the stored copy). */
export const ROW_EXPANSION = 2;
/** Least and most SQL per REPLACE statement (searchd's max_packet_size is 8 MiB by default, 128 MiB in our configs). */
export const STATEMENT_MIN_BYTES = 64 * 1024;
export const STATEMENT_MAX_BYTES = MiB;
/**
 * Most text per analysis task (UTF-16 bytes). The local batch (up to 2 MiB) amortizes an
 * LMDB commit; an analysis task has none, and its rows wait on the main thread until taken.
 */
export const TASK_MAX_BYTES = 256 * 1024;
/** Past this, buffered rows only wait: a statement per shard is what a round trip needs. */
export const BUFFERED_MAX_BYTES = 16 * MiB;

/**
 * A cluster index's options: the SphinxQL client counted in what the host keeps, and without
 * a budget, the default one raised to the minimum when the machine has it (a server's
 * minimum, 262 MB with the client, is past the 256 MB a default budget stops at).
 */
export function clusterIndexOptions(options: IndexOptions): IndexOptions {
  const hostBytes = (options.hostBytes ?? (options.preloadAnalyzer === false ? 0 : QUERY_ANALYZER_BYTES)) + CLUSTER_CLIENT_BYTES;
  if (options.maxMemory !== undefined) return { ...options, hostBytes };
  const needed = minimumBytes(options.threads ?? 1, hostBytes);
  const budget = defaultMaxMemory(undefined, undefined, hostBytes);
  return budget < needed && needed <= plannableBytes() ? { ...options, hostBytes, maxMemory: needed } : { ...options, hostBytes };
}

export interface ClusterMemoryPlan {
  threads: number;
  /** The local plan's refusal (its minimum): a cluster load refuses the same budgets. */
  refusal: string | null;
  /** Text per analysis task, UTF-16 bytes (the local batch size, at most TASK_MAX_BYTES). */
  taskBytes: number;
  /** Analysis tasks queued or running at once (their results wait on the main thread, in order). */
  tasksInFlight: number;
  /** V8 old generation of each analysis worker, MiB. */
  workerHeapMb: number;
  /** The longest body (UTF-8 bytes) a worker's heap can analyze; longer ones are refused or cut. */
  maxBodyBytes: number;
  /** SQL per REPLACE statement, bytes. */
  statementBytes: number;
  /** Rows buffered across all shards before the largest buffer is sent, bytes. */
  bufferedBytes: number;
}

/**
 * The cluster writer's buffers and heaps from the local plan (see the comment above).
 * `replicas` is the largest replica count of a shard: mysql2 encodes a statement once per
 * connection it is sent on.
 */
export function planClusterMemory(plan: MemoryPlan, shards: number, replicas: number): ClusterMemoryPlan {
  const room = Math.max(0, plan.maxMemory - plan.minimumBytes);
  const workerBytes = plan.workerWorkBytes + room / 2 / plan.threads;
  const mainBytes = 2 * plan.mainPendingBytes + room / 2;
  const tasksInFlight = plan.threads + 1;
  const taskBytes = Math.min(plan.batchBytes, TASK_MAX_BYTES);
  const taskRows = tasksInFlight * taskBytes * ROW_EXPANSION;
  // A third of what is left for rows is statements in flight (each held once as a string and
  // once per replica as mysql2's packet), the rest buffered rows.
  const forRows = Math.max(0, mainBytes - taskRows);
  const statementBytes = clamp(forRows / 3 / shards / (1 + replicas), STATEMENT_MIN_BYTES, STATEMENT_MAX_BYTES);
  const bufferedBytes = clamp((forRows * 2) / 3, shards * statementBytes, BUFFERED_MAX_BYTES);
  const workerHeapMb = Math.max(16, Math.floor(workerBytes / MiB));
  const maxBodyBytes = Math.min(MAX_STRING_ATTR_BYTES, Math.floor((workerHeapMb * MiB - ANALYSIS_HEAP_BASE_BYTES) / ANALYSIS_HEAP_PER_BODY_BYTE));
  return {
    threads: plan.threads,
    refusal: plan.refusal === null ? null : clusterRefusal(plan),
    taskBytes,
    tasksInFlight,
    workerHeapMb,
    maxBodyBytes,
    statementBytes: Math.floor(statementBytes),
    bufferedBytes: Math.floor(bufferedBytes),
  };
}

const mb = (n: number): string => `${Math.round(n / MiB)} MB`;

/** memory-plan's refusal names the host's share as a server's; a cluster load's is the SphinxQL client. */
function clusterRefusal(plan: MemoryPlan): string {
  const what = plan.threads === 1 ? 'one thread' : `${plan.threads} threads`;
  const where = plan.maxMemorySource === 'option' ? `the ${mb(plan.maxMemory)} budget` : `this machine's default budget (${mb(plan.maxMemory)})`;
  return (
    `${where} is below the ${mb(plan.minimumBytes)} that a cluster load with ${what} needs at least ` +
    `(measured: a local index's ${mb(plan.minimumBytes - plan.hostBytes)}, the SphinxQL client ${mb(CLUSTER_CLIENT_BYTES)}` +
    `${plan.hostBytes > CLUSTER_CLIENT_BYTES ? `, what the process keeps for searching and serving ${mb(plan.hostBytes - CLUSTER_CLIENT_BYTES)}` : ''}): ` +
    `give it --max-memory ${Math.ceil(plan.minimumBytes / MiB)}M or more`
  );
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, n));
}
