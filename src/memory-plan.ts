import { machineMemoryBytes, memoryIsConstrained, usableCores } from './machine.js';

const MiB = 1024 * 1024;

/*
 * The budget is split by accounting, not fitted to a corpus: the fixed costs below are
 * measured (test/memory-budget.test.ts re-measures them and fails if they grew), and
 * everything that grows with the data (pending text on the main thread, a worker's batch,
 * its buffered postings and term dictionary, its V8 heap, a write transaction, the pages a
 * merge maps) gets a share of the rest in bytes, is counted as it grows, and is flushed
 * or spilled at its share. optimize() sizes each merge step from the real RSS.
 */

/**
 * The main process's fixed cost: Node's code pages (~40 MB of the `node` binary, mapped
 * file pages that RSS counts), its heap with ruyi, lmdb-js, piscina and zod loaded (61 MB
 * measured idle), and the slack V8 and glibc keep while it streams.
 */
export const PROCESS_BASE_BYTES = 80 * MiB;
/**
 * A worker's fixed cost: its V8 isolate and modules (~12 MB), jieba's dictionary built in
 * native memory (~36 MB for its 349,000 words; one per thread: napi objects cannot be
 * shared between isolates; the 5 MB dictionary file is dropped once built), and its heap's
 * and allocator's slack. Measured 52 MB idle; one thread at the least working memory peaked
 * at 162 MB (`/usr/bin/time -v`, 30 MB of the dev corpus): the minimum is set above that.
 */
export const WORKER_BASE_BYTES = 64 * MiB;
/**
 * A worker that only merges (optimize): its isolate and modules, no jieba dictionary, and a
 * write transaction. Measured ~14 MB.
 */
export const WORKER_MERGE_BASE_BYTES = 20 * MiB;
/** Past this, a merge step gains little: a 100 MB dump's shard then merges in 2-3 steps into as many segments. */
export const MAX_MERGE_STEP_BYTES = 16 * MiB;
/** The least the main thread streams with: two batches of text pending and in flight, and V8's young generation. */
export const MAIN_WORK_MIN_BYTES = 6 * MiB;
/** Past this, the main thread's pending text only sits there. */
export const MAIN_WORK_MAX_BYTES = 8 * MiB;
/** The least a worker indexes with: a 256 KB batch, its strings, 1 MB of postings, a 1 MB transaction. */
export const WORKER_WORK_MIN_BYTES = 16 * MiB;
/** Past this, more working memory only spills less often (and --threads 1 at the defaults stays under 160 MB). */
export const WORKER_WORK_MAX_BYTES = 20 * MiB;
/**
 * V8's old-generation limit of each worker: a backstop, so that a runaway worker dies
 * alone, not a share of the budget. What a worker holds is bounded by its shares above
 * (batch, postings, transaction, the largest document), and its heap is measured after
 * every batch (WriteReport.workerHeap): at most 20 MB committed, 15 MB live, on the dev
 * and the manuals corpus. Every budget was measured with workers at this limit: the CLI's
 * --max-old-space-size=64 is process-wide and overrides a worker's resourceLimits. A
 * tighter limit saves nothing and makes V8 collect all the time: at the 12 MB this plan
 * once set, a host app in plain node indexed the dev corpus in 71 s instead of 1.9 s.
 */
export const WORKER_HEAP_LIMIT_MB = 64;
/** Without a budget: 40% of the machine, at most this. */
export const DEFAULT_BUDGET_MAX = 256 * MiB;
export const DEFAULT_BUDGET_SHARE = 0.4;
/**
 * Of a container's memory limit, this much is kept out of a default budget: the process's
 * page tables and kernel memory are charged to the container too. Page cache of the index
 * files is charged as well, but the kernel reclaims it before it kills (tested in a real
 * 160 MB cgroup).
 */
export const CGROUP_RESERVED_BYTES = 4 * MiB;
export const MAX_DEFAULT_THREADS = 4;
/**
 * The query side's jieba, built on the main thread by the first search: 40 MB of RSS once
 * built, 51 MB at its peak while building (measured in a plain node process with the bin's
 * allocator settings). A bulk load never searches and does not pay it; a process that
 * searches while it indexes (a server) does, and says so with `hostBytes`.
 */
export const QUERY_ANALYZER_BYTES = 52 * MiB;

/**
 * The least budget `threads` threads can index within, in a process whose host keeps
 * `hostBytes` of it for itself (a server's query analyzer, requests and document store).
 */
export function minimumBytes(threads: number, hostBytes = 0): number {
  return PROCESS_BASE_BYTES + hostBytes + MAIN_WORK_MIN_BYTES + threads * (WORKER_BASE_BYTES + WORKER_WORK_MIN_BYTES);
}

/** The most memory a default budget may plan on this machine: a container's limit less what the kernel charges, else all of it. */
export function plannableBytes(machineBytes = machineMemoryBytes(), constrained = memoryIsConstrained()): number {
  return Math.floor(constrained ? machineBytes - CGROUP_RESERVED_BYTES : machineBytes);
}

/** 40% of the machine, at least what one thread needs, at most 256 MB, never more than the machine allows. */
export function defaultMaxMemory(machineBytes = machineMemoryBytes(), constrained = memoryIsConstrained(), hostBytes = 0): number {
  const wanted = Math.min(DEFAULT_BUDGET_MAX, Math.max(minimumBytes(1, hostBytes), machineBytes * DEFAULT_BUDGET_SHARE));
  return Math.round(Math.min(wanted, plannableBytes(machineBytes, constrained)));
}

/**
 * Threads a budget holds: as many as fit at their least working memory (a thread adds a
 * core's throughput; working memory past the minimum only saves spills). At most
 * min(usable cores, 4).
 */
export function threadsForBudget(maxMemory: number, cores = usableCores(), hostBytes = 0): number {
  const perThread = WORKER_BASE_BYTES + WORKER_WORK_MIN_BYTES;
  const fits = Math.floor((maxMemory - PROCESS_BASE_BYTES - hostBytes - MAIN_WORK_MIN_BYTES) / perThread);
  return Math.max(1, Math.min(fits, cores, MAX_DEFAULT_THREADS));
}

/** The default thread count of a machine: the threads its default budget holds. */
export function defaultThreads(machineBytes = machineMemoryBytes(), cores = usableCores()): number {
  return threadsForBudget(defaultMaxMemory(machineBytes), cores);
}

/** What the budget decided, and why: shown by stats() and the CLI, and sent to the workers. */
export interface MemoryPlan {
  maxMemory: number;
  /** Where maxMemory came from. */
  maxMemorySource: 'option' | 'machine';
  /** The smaller of RAM and the container's limit. */
  machineMemory: number;
  threads: number;
  /** Why this many threads. */
  threadsReason: string;
  /** The least budget these threads can index within (minimumBytes). */
  minimumBytes: number;
  /** What the host process keeps of the budget for itself (see minimumBytes). */
  hostBytes: number;
  /**
   * Set when indexing cannot keep the budget (below minimumBytes): writes are refused with
   * E_CONFIG and this message, which names the minimum. Searching needs no workers and is
   * still allowed.
   */
  refusal: string | null;
  /** Text the main thread holds, pending and in flight together, bytes. */
  mainPendingBytes: number;
  /** A worker's share: everything it holds while indexing, bytes. */
  workerWorkBytes: number;
  /** V8 old-generation limit of each worker, MiB (WORKER_HEAP_LIMIT_MB: a backstop, not a share). */
  workerHeapMb: number;
  /** V8 young generation of each worker, MiB. */
  workerYoungMb: number;
  /** Text per batch sent to a worker, bytes. */
  batchBytes: number;
  /** Postings a worker buffers (token arrays and term dictionary) before it spills a sorted run, bytes. */
  postingsBytes: number;
  /** Bytes written per LMDB transaction (dirty pages are held in memory until commit). */
  txnBytes: number;
  /** Postings bytes one merge step reads while indexing (it maps ~6 times that of the index file). */
  mergeBytes: number;
  /** The same for optimize(), which runs in fresh workers without a segmenter (see WORKER_MERGE_BASE_BYTES). */
  optimizeMergeBytes: number;
  /** The largest document a worker can hold with its analysis, bytes; larger ones are refused (or cut with truncateLongDocs). */
  maxDocBytes: number;
}

const mb = (n: number): string => `${Math.round(n / MiB)} MB`;

export function planMemory(
  maxMemoryOption: number | undefined,
  threadsOption: number | undefined,
  machineBytes = machineMemoryBytes(),
  cores = usableCores(),
  constrained = memoryIsConstrained(),
  hostBytes = 0,
): MemoryPlan {
  let maxMemory = maxMemoryOption ?? defaultMaxMemory(machineBytes, constrained, hostBytes);
  let source: MemoryPlan['maxMemorySource'] = maxMemoryOption === undefined ? 'machine' : 'option';
  const fit = threadsForBudget(maxMemory, cores, hostBytes);
  const threads = threadsOption ?? fit;
  let threadsReason =
    threadsOption !== undefined
      ? 'set by option'
      : `${mb(maxMemory)} budget: ${mb(WORKER_BASE_BYTES)} and at least ${mb(WORKER_WORK_MIN_BYTES)} to work in per thread ` +
        `past the process's ${mb(PROCESS_BASE_BYTES + hostBytes + MAIN_WORK_MIN_BYTES)}, at most min(${Number.isFinite(cores) ? cores : 'all'} usable cores, ${MAX_DEFAULT_THREADS})`;
  const minimum = minimumBytes(threads, hostBytes);
  // Threads asked for without a budget: the budget grows to what they need, if the machine has it.
  if (maxMemoryOption === undefined && threadsOption !== undefined && maxMemory < minimum) {
    const room = plannableBytes(machineBytes, constrained);
    if (minimum <= room) {
      maxMemory = minimum;
      source = 'machine';
      threadsReason += `; the budget is raised to the ${mb(minimum)} they need`;
    }
  }
  let refusal: string | null = null;
  if (maxMemory < minimum) {
    const what = threads === 1 ? 'one thread' : `${threads} threads`;
    const where =
      source === 'option'
        ? `the ${mb(maxMemory)} budget`
        : `this machine's default budget (${mb(maxMemory)}, of ${mb(machineBytes)}${constrained ? ' in its container' : ''})`;
    refusal =
      `${where} is below the ${mb(minimum)} that ${what} need${threads === 1 ? 's' : ''} at least ` +
      `(measured: the process ${mb(PROCESS_BASE_BYTES)}${hostBytes > 0 ? `, what it keeps for searching and serving ${mb(hostBytes)}` : ''}, ${threads === 1 ? 'a worker' : 'each worker'} with jieba's dictionary ${mb(WORKER_BASE_BYTES)}, ` +
      `and ${mb(MAIN_WORK_MIN_BYTES)} + ${mb(WORKER_WORK_MIN_BYTES)}${threads > 1 ? ' a thread' : ''} to work in): ` +
      (threads > 1 && threadsOption !== undefined ? 'use fewer --threads or ' : '') +
      `give it --max-memory ${Math.ceil(minimum / MiB)}M or more`;
  }
  const available = Math.max(
    MAIN_WORK_MIN_BYTES + threads * WORKER_WORK_MIN_BYTES,
    maxMemory - PROCESS_BASE_BYTES - hostBytes - threads * WORKER_BASE_BYTES,
  );
  const mainWork = Math.max(
    MAIN_WORK_MIN_BYTES,
    Math.min(MAIN_WORK_MAX_BYTES, available * 0.15, available - threads * WORKER_WORK_MIN_BYTES),
  );
  const work = Math.min(WORKER_WORK_MAX_BYTES, Math.max(WORKER_WORK_MIN_BYTES, (available - mainWork) / threads));
  // A worker's share, by what measured: its V8 heap's growth (a batch's strings, jieba's
  // token arrays, the term dictionary's Map) about half, buffered postings a quarter, a write
  // transaction and a merge's mapped pages the rest.
  const batchBytes = Math.max(256 * 1024, Math.min(2 * MiB, Math.floor(Math.min(work / 12, mainWork / 4))));
  return {
    maxMemory,
    maxMemorySource: source,
    machineMemory: machineBytes,
    threads,
    threadsReason: refusal === null ? threadsReason : `${threadsReason}; refused: ${refusal}`,
    minimumBytes: minimum,
    hostBytes,
    refusal,
    mainPendingBytes: Math.floor(mainWork / 2),
    workerWorkBytes: Math.floor(work),
    workerHeapMb: WORKER_HEAP_LIMIT_MB,
    workerYoungMb: work >= 24 * MiB ? 4 : 2,
    batchBytes,
    postingsBytes: Math.floor(work * 0.25),
    txnBytes: Math.max(MiB, Math.floor(work * 0.1)),
    // While indexing, a merge maps pages on top of what the batch left allocated (a thread
    // gives little back): a quarter of the share, the pages ~6 times the postings read.
    mergeBytes: Math.max(256 * 1024, Math.floor((work * 0.25) / 6)),
    // optimize() runs in fresh workers that load no dictionary: the rest of the budget, past
    // the process and their isolates, is theirs to map, up to MAX_MERGE_STEP_BYTES a step.
    optimizeMergeBytes: Math.max(
      256 * 1024,
      Math.min(
        MAX_MERGE_STEP_BYTES,
        Math.floor((maxMemory - PROCESS_BASE_BYTES - hostBytes - mainWork - threads * WORKER_MERGE_BASE_BYTES) / threads / 8),
      ),
    ),
    // A long document is held once, whole: its line is decoded in place into its body's UTF-8
    // bytes, which are moved (not copied) to the worker, which segments and stores it a piece
    // at a time; the next one waits until it is done. So it may take what the budget has past
    // the minimum, less a margin; a batch's worth always fits within the minimum.
    // With several threads a long document is indexed alone (see Batcher.dispatch), so the
    // others' least working memory is idle room for it too.
    maxDocBytes: Math.floor(Math.max(MiB, maxMemory - minimum + (threads - 1) * WORKER_WORK_MIN_BYTES - 4 * MiB)),
  };
}
