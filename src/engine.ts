import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type AnalysisOptions, analysisFingerprint, analysisHeapMb } from './analysis/analysis-options.js';
import { Analyzer } from './analysis/analyzer.js';
import { Batcher, type WriteReport } from './batcher.js';
import { DEFAULT_SHARDS, type IndexOptions, type ResolvedOptions, resolveOptions } from './config.js';
import { type DocSizeLimit, docSizeLimit, fitDocSize } from './doc-size.js';
import { EngineError } from './errors.js';
import { scanRecordId } from './ingest/record-id-scan.js';
import { type MemoryPlan, planMemory } from './memory-plan.js';
import { ShardPool } from './pool.js';
import { shardOf } from './router.js';
import { Searcher } from './search/searcher.js';
import { ShardReader } from './search/shard-reader.js';
import { readBody } from './store/body-store.js';
import { checkIndexDir, createGeneration, currentToken, readCurrent, removeStaleGenerations, switchCurrent } from './store/generations.js';
import { analysisOf, type IndexMeta, openMeta } from './store/index-meta.js';
import { openShardDbs, readShardState, shardDir } from './store/shard-store.js';
import { WriterLock } from './store/writer-lock.js';
import type {
  BatchOp,
  Doc,
  DocInput,
  IndexStats,
  RawRecordOptions,
  SearchOptions,
  SearchResult,
  StructuredQuery,
  WorkerShares,
} from './types.js';
import { validateDoc, validateId } from './validate.js';

/** Batches are sized by JavaScript string memory (2 bytes a char) plus a per-document overhead. */
function docBytes(title: string, body: string): number {
  return (title.length + body.length) * 2 + 64;
}

/**
 * Bodies longer than this many characters travel to the worker as transferred UTF-8 bytes
 * and are segmented a piece at a time: no thread holds them twice or as one huge string.
 */
export const LARGE_BODY_CHARS = 256 * 1024;

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/**
 * One query analyzer per process and analysis options: jieba's dictionary (~40 MB) lives
 * outside V8's heap, and one per index instance was freed only by a rare full GC (a host
 * that opened and closed indexes grew by 40 MB a round).
 */
const queryAnalyzers = new Map<string, Analyzer>();

function queryAnalyzer(options: AnalysisOptions): Analyzer {
  const key = analysisFingerprint(options);
  let analyzer = queryAnalyzers.get(key);
  if (analyzer === undefined) {
    analyzer = Analyzer.load(options);
    queryAnalyzers.set(key, analyzer);
  }
  return analyzer;
}

/** How often a reader looks for a switched generation (a rebuild by another process). */
const GENERATION_CHECK_MS = 100;

/** The generation an index instance reads and writes: its directory and metadata. */
interface Generation {
  name: string;
  dir: string;
  meta: IndexMeta;
}

function loadGeneration(
  db: string,
  name: string,
  wantShards: number | undefined,
  create: boolean,
  analysis: Partial<AnalysisOptions> = {},
): Generation {
  const dir = join(db, name);
  return { name, dir, meta: openMeta(dir, wantShards, DEFAULT_SHARDS, create, analysis) };
}

/** The analysis options asked for (undefined ones take what the index recorded). */
function wantedAnalysis(resolved: ResolvedOptions): Partial<AnalysisOptions> {
  return {
    ...(resolved.pinyin === undefined ? {} : { pinyin: resolved.pinyin }),
    ...(resolved.traditional === undefined ? {} : { traditional: resolved.traditional }),
  };
}

/** Slabs of 1 MiB that raw lines are copied into; a slab is freed when its last line's batch is sent. */
class RawArena {
  private slab = Buffer.allocUnsafeSlow(0);
  private used = 0;

  copy(line: Buffer): Buffer {
    if (line.length > RAW_SLAB_BYTES / 4) return Buffer.from(line);
    if (this.used + line.length > this.slab.length) {
      this.slab = Buffer.allocUnsafeSlow(RAW_SLAB_BYTES);
      this.used = 0;
    }
    const view = this.slab.subarray(this.used, this.used + line.length);
    line.copy(view);
    this.used += line.length;
    return view;
  }
}

const RAW_SLAB_BYTES = 1 << 20;

/** What the CLI's reader says about raw records: the ingest options that can cross threads. */
export type RawIngestOptions = Pick<RawRecordOptions, 'fields' | 'html' | 'numericIds'>;

/** What a worker may hold, in bytes, from the plan (see IndexBatchTask.memory). */
function workerShares(plan: MemoryPlan): WorkerShares {
  return { postingsBytes: plan.postingsBytes, txnBytes: plan.txnBytes, mergeBytes: plan.mergeBytes };
}

/** The analysis options' dictionaries live on each worker's heap: its limit is raised by them. */
function workerHeapMb(resolved: ResolvedOptions, meta: IndexMeta): number {
  return resolved.memory.workerHeapMb + analysisHeapMb(analysisOf(meta));
}

function newPool(resolved: ResolvedOptions, meta: IndexMeta): ShardPool {
  return new ShardPool(resolved.threads, meta.shards, resolved.idleTimeoutMs, workerHeapMb(resolved, meta), resolved.memory.workerYoungMb);
}

/**
 * An open index. Writes (add, remove) go to worker threads in batches and become visible
 * to search and get when their batch commits; flush() waits for that. Reads are synchronous.
 * Call close() when done: it writes what is still queued and releases the writer lock.
 *
 * The first write takes the index's writer lock (one writer at a time, across processes),
 * held until close(). A reader follows rebuilds made by other processes: it notices the
 * switched generation within 100 ms and reads the new one from then on.
 */
export class RuyiIndex {
  private closed = false;
  private batcher: Batcher | null = null;
  private readonly searcher: Searcher;
  private lock: WriterLock | null;
  private seenToken: string;
  private checkedAt = 0;

  private constructor(
    /** The index directory as given to openIndex. */
    readonly dir: string,
    private generation: Generation,
    readonly options: ResolvedOptions,
    private pool: ShardPool,
    /** Test hook, see IndexBatchTask.crashOnId. */
    private readonly crashOnId: string | undefined,
    /** Set for a generation being built: the lock is the builder's, and there is nothing to follow. */
    private readonly building: { lock: WriterLock } | null,
  ) {
    this.lock = building?.lock ?? null;
    this.seenToken = currentToken(dir);
    this.searcher = new Searcher(
      () => this.readers(),
      () => {
        return queryAnalyzer(analysisOf(this.meta));
      },
    );
  }

  /** See openIndex. */
  static async open(dir: string, options: IndexOptions & { crashOnIdForTests?: string } = {}): Promise<RuyiIndex> {
    const { crashOnIdForTests, ...rest } = options;
    const resolved = resolveOptions(rest);
    checkIndexDir(dir);
    let name = readCurrent(dir);
    if (name === null) {
      if (!resolved.create) throw new EngineError('E_CONFIG', `no index at ${dir}`);
      name = createFirstGeneration(dir, resolved.shards, wantedAnalysis(resolved));
    }
    const generation = openLiveGeneration(dir, name, resolved.shards, wantedAnalysis(resolved));
    // Here rather than on the first search (the dictionary is most of a first query's time).
    // Never for a generation being built (rebuilds, `ruyi index`): only a search needs it, and
    // the indexing memory budget leaves the main thread no room for it.
    if (resolved.preloadAnalyzer) queryAnalyzer(analysisOf(generation.meta));
    const pool = newPool(resolved, generation.meta);
    return new RuyiIndex(dir, generation, resolved, pool, crashOnIdForTests, null);
  }

  /**
   * Opens a generation that is not live yet, for a rebuild that holds the writer lock.
   * @internal see rebuild.ts
   */
  static openBuilding(db: string, name: string, options: IndexOptions, lock: WriterLock): RuyiIndex {
    // A generation being built is never searched: its plan keeps no room for the query analyzer.
    const resolved = resolveOptions({ preloadAnalyzer: false, ...options });
    const generation = loadGeneration(db, name, resolved.shards, true, wantedAnalysis(resolved));
    const pool = newPool(resolved, generation.meta);
    return new RuyiIndex(db, generation, resolved, pool, undefined, { lock });
  }

  /** The metadata of the generation this instance uses. */
  get meta(): IndexMeta {
    return this.generation.meta;
  }

  /** The directory of the generation this instance reads and writes. */
  get generationDir(): string {
    return this.generation.dir;
  }

  private shardReaders: ShardReader[] | null = null;

  /**
   * The read side opens on first use (a search, get, has or stats), not at open: an LMDB
   * mapping lives as long as any handle on it, so a process that only writes (a bulk
   * reindex) must hold none, or every page its workers touched would stay resident.
   */
  private readers(): ShardReader[] {
    this.followSwitch();
    if (this.shardReaders === null) {
      const { dir, meta } = this.generation;
      const readers: ShardReader[] = [];
      try {
        for (let s = 0; s < meta.shards; s++) readers.push(new ShardReader(openShardDbs(dir, s)));
      } catch (err) {
        for (const r of readers) void r.dbs.env.close();
        throw new EngineError('E_SHARD_IO', `cannot open shards in ${dir}: ${(err as Error).message}`, { cause: err });
      }
      this.shardReaders = readers;
    }
    return this.shardReaders;
  }

  /**
   * A reader that does not write follows CURRENT: when a rebuild has switched it, the old
   * generation's handles are closed and the new one is opened on next use. A writer holds
   * the lock, so no switch can happen under it.
   */
  private followSwitch(): void {
    if (this.lock !== null) return;
    const now = performance.now();
    if (now - this.checkedAt < GENERATION_CHECK_MS) return;
    this.checkedAt = now;
    const token = currentToken(this.dir);
    if (token === this.seenToken) return;
    const name = readCurrent(this.dir);
    this.seenToken = token;
    if (name === null || name === this.generation.name) return;
    this.generation = openLiveGeneration(this.dir, name, undefined);
    const old = this.shardReaders ?? [];
    this.shardReaders = null;
    for (const r of old) void r.dbs.env.close();
  }

  private live(): void {
    if (this.closed) throw new EngineError('E_CLOSED', `index ${this.dir} is closed`);
  }

  /**
   * The write side, made on the first write: takes the writer lock (E_LOCKED if another
   * process writes this index), moves to the live generation if a rebuild switched it
   * since open, and starts the batcher.
   */
  private writer(): Batcher {
    if (this.batcher !== null) return this.batcher;
    // Up front, before any document is taken: a budget that cannot be kept is refused.
    const { refusal } = this.options.memory;
    if (refusal !== null) throw new EngineError('E_CONFIG', refusal);
    if (this.lock === null) {
      const lock = WriterLock.acquire(this.dir);
      try {
        this.checkedAt = 0;
        this.followSwitch();
      } catch (err) {
        lock.release();
        throw err;
      }
      this.lock = lock;
    }
    const options = this.options;
    const plan = options.memory;
    this.batcher = new Batcher(
      this.meta.shards,
      options.batchBytes,
      (shard, ops) =>
        this.pool.indexBatch({
          dir: this.generation.dir,
          shard,
          ops,
          shards: this.meta.shards,
          ...(this.rawOptions !== null && ops.some((op) => op.op === 'raw') ? { records: this.rawOptions } : {}),
          deferMerges: options.deferMerges,
          memory: workerShares(plan),
          analysis: analysisOf(this.meta),
          ...(this.crashOnId === undefined ? {} : { crashOnId: this.crashOnId }),
        }),
      plan.mainPendingBytes,
      options.threads,
    );
    return this.batcher;
  }

  /**
   * Queues documents for indexing; resolves once they are accepted (not yet durable: see
   * flush). Accepts one document, an array, or any (async) iterable, read with backpressure.
   * An invalid document throws E_INPUT naming it; the ones before it stay queued.
   * Returns the number of documents accepted.
   */
  async add(docs: Doc | Iterable<Doc> | AsyncIterable<Doc>): Promise<number> {
    this.live();
    let n = 0;
    const one = async (raw: unknown): Promise<void> => {
      const { doc, bodyUtf8 } = validateDoc(raw, `document ${n}`);
      await this.enqueue(doc, bodyUtf8, `document ${n}`, false);
      n++;
    };
    if (isAsyncIterable(docs)) for await (const d of docs) await one(d);
    else if (Symbol.iterator in Object(docs) && !('id' in Object(docs))) for (const d of docs as Iterable<Doc>) await one(d);
    else await one(docs);
    return n;
  }

  /**
   * Checks a validated document against maxDocBytes and queues it. Large bodies travel as
   * UTF-8 bytes; `owned` says the bytes may be moved to the worker instead of copied.
   * @internal also used by the CLI's NDJSON reader, which owns the buffers it reads.
   */
  async enqueue(doc: DocInput, givenUtf8: Uint8Array | null, where: string, owned: boolean): Promise<void> {
    this.live();
    const shard = shardOf(doc.id, this.meta.shards);
    let bodyUtf8 = fitDocSize(doc, givenUtf8, this.docSizeLimit(), where);
    if (bodyUtf8 === null && doc.body.length > LARGE_BODY_CHARS) {
      bodyUtf8 = utf8.encode(doc.body);
      owned = true;
      doc.body = '';
    }
    if (bodyUtf8 !== null && bodyUtf8.byteLength <= LARGE_BODY_CHARS) {
      doc.body = utf8Decoder.decode(bodyUtf8);
      bodyUtf8 = null;
    }
    if (bodyUtf8 !== null) {
      // Moving detaches the whole ArrayBuffer: only when it is this body's own (at most a
      // JSON line around it, whose escapes can double its size), never a shared stream chunk.
      const own = owned && bodyUtf8.byteLength >= 2 ** 20 && bodyUtf8.buffer.byteLength <= 2 * bodyUtf8.byteLength + 2 ** 20;
      const op: BatchOp = { op: 'add', doc, bodyUtf8, transfer: own };
      await this.writer().push(shard, op, bodyUtf8.byteLength + doc.title.length * 2 + 64);
    } else {
      await this.writer().push(shard, { op: 'add', doc }, docBytes(doc.title, doc.body));
    }
  }

  /**
   * Queues one NDJSON record as its bytes: this thread only reads its id (for the shard)
   * and copies the line; the worker parses, maps, validates and indexes it, and reports a
   * bad record by file and line in the batch's result (WriteReport.rejected). A bulk reader
   * then costs the main thread almost nothing per document, and no JavaScript objects.
   * Every record of one run must come with the same options.
   * @internal the CLI's NDJSON reader.
   */
  async enqueueRaw(line: Buffer, file: string, lineNo: number, options: RawIngestOptions): Promise<void> {
    this.live();
    if (this.rawOptions === null) {
      const limit = this.docSizeLimit();
      this.rawOptions = {
        ...options,
        maxDocBytes: limit.maxDocBytes,
        maxDocBytesReason: limit.reason,
        truncateLongDocs: limit.truncate,
      };
    }
    const id = scanRecordId(line, options.fields?.id ?? 'id', options.numericIds !== false);
    const shards = this.meta.shards;
    // Without an id the record is refused by whichever worker parses it, with the reason.
    const shard = id === null ? lineNo % shards : shardOf(id, shards);
    const bytes = this.rawArena.copy(line);
    await this.writer().push(shard, { op: 'raw', id, file, line: lineNo, bytes }, bytes.length + 64);
  }

  /** Lines are copied into shared slabs, not a buffer each: no allocation, and no GC pressure, per record. */
  private readonly rawArena = new RawArena();

  private rawOptions: RawRecordOptions | null = null;

  /** Raw records (enqueueRaw) the workers have rejected so far; each is listed in a flush's report. */
  get rejectedSoFar(): number {
    return this.batcher?.rejectedSoFar ?? 0;
  }

  /**
   * The size limit documents are held to: the option's, or what the budget can hold. A
   * host that must refuse a whole upload before writing any of it checks it first.
   */
  docSizeLimit(): DocSizeLimit {
    // Once per index, not per document: planMemory reads the cgroup's files.
    if (this.sizeLimit === null) {
      const o = this.options;
      const one = o.threads > 1 ? planMemory(o.memory.maxMemory, 1, undefined, undefined, undefined, o.memory.hostBytes).maxDocBytes : null;
      this.sizeLimit = docSizeLimit(o.maxDocBytes, o.maxDocBytesByBudget, o.memory.maxMemory, o.truncateLongDocs, one);
    }
    return this.sizeLimit;
  }

  private sizeLimit: DocSizeLimit | null = null;

  /** Queues removals by id; resolves once accepted. Removing an unknown id is counted as missing. */
  async remove(ids: string | readonly string[]): Promise<number> {
    this.live();
    const list = typeof ids === 'string' ? [ids] : ids;
    let n = 0;
    for (const raw of list) {
      const id = validateId(raw, `id ${n}`);
      await this.writer().push(shardOf(id, this.meta.shards), { op: 'remove', id }, id.length * 2 + 64);
      n++;
    }
    return n;
  }

  /**
   * Resolves when everything queued before the call is committed and synced to disk, with
   * counts since the previous flush. Documents that failed even alone are listed in `failed`.
   */
  async flush(): Promise<WriteReport> {
    this.live();
    return this.batcher === null ? Batcher.emptyReport() : this.batcher.flush();
  }

  /**
   * Merges each shard's segments into one, purging deleted postings: do it after a bulk load.
   * The merge streams in bounded steps and resumes where it stopped if a crash cut it short
   * (see indexing/streaming-merge.ts).
   */
  async optimize(): Promise<void> {
    this.live();
    await this.writer().flush();
    // Merging needs no segmenter: fresh workers do it, and the indexing workers go with
    // their jieba dictionaries and everything their heaps and buffers grew to (memory a
    // thread does not give back while it lives). The merges then get that room for the
    // index pages they map, and read more per step, leaving fewer segments.
    await this.renewPool();
    const dir = this.generation.dir;
    const memory = { ...workerShares(this.options.memory), mergeBytes: this.options.memory.optimizeMergeBytes };
    const budget = { maxMemory: this.options.memory.maxMemory, threads: this.options.threads };
    // A rebuild's generation has no readers: its merges free their sources as they go, so the
    // file does not grow by a second copy of the postings.
    const building = this.building !== null;
    await Promise.all(Array.from({ length: this.meta.shards }, (_, shard) => this.pool.optimize({ dir, shard, memory, budget, building })));
  }

  /** The stored document, as committed, or undefined. */
  get(id: string): (Doc & { body: string }) | undefined {
    this.live();
    const dbs = this.readers()[shardOf(id, this.meta.shards)]?.dbs;
    const stored = dbs?.docs.get(id);
    if (dbs === undefined || stored === undefined) return undefined;
    const doc: Doc & { body: string } = { id, title: stored.title, body: readBody(dbs, stored.n), tags: stored.tags };
    if (stored.date !== null) doc.date = stored.date;
    if (stored.fields !== null) doc.fields = stored.fields;
    return doc;
  }

  has(id: string): boolean {
    this.live();
    return this.readers()[shardOf(id, this.meta.shards)]?.dbs.docs.doesExist(id) ?? false;
  }

  /**
   * Ranked search over committed documents, synchronous. `query` is a string in the query
   * language (README "Query syntax"; `syntax: 'plain'` takes it as words) or a StructuredQuery.
   * A string that is not valid query syntax is searched as plain words (the result's `syntax`
   * and `syntaxError` say so); only `syntax: 'strict'` throws EngineError E_QUERY_SYNTAX with
   * `position`. See Searcher for the ranking.
   */
  search(query: string | StructuredQuery, options?: SearchOptions): SearchResult {
    this.live();
    return this.searcher.search(query, options);
  }

  private bytesOnDisk(): number {
    // Throws ENOENT when the generation itself is gone (switched and removed by a rebuild).
    statSync(this.generation.dir);
    let bytes = 0;
    for (let s = 0; s < this.meta.shards; s++) {
      const dir = shardDir(this.generation.dir, s);
      // A shard is created by its first write.
      if (!existsSync(dir)) continue;
      for (const name of readdirSync(dir)) bytes += statSync(join(dir, name)).blocks * 512;
    }
    return bytes;
  }

  stats(): IndexStats {
    this.live();
    let bytesOnDisk: number;
    try {
      bytesOnDisk = this.bytesOnDisk();
    } catch (err) {
      // A rebuild switched and removed this generation since we last looked: follow it now.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.checkedAt = 0;
      this.followSwitch();
      bytesOnDisk = this.bytesOnDisk();
    }
    const states = this.readers().map((r) => readShardState(r.dbs));
    return {
      docs: states.reduce((sum, st) => sum + st.docs, 0),
      generation: this.generation.name,
      shards: this.meta.shards,
      threads: this.options.threads,
      memory: this.options.memory,
      bytesOnDisk,
      shardDocs: states.map((st) => st.docs),
      shardSegments: states.map((st) => st.segments.length),
    };
  }

  /**
   * Closes without writing what is still queued (batches already sent finish): for a
   * cancelled rebuild, whose generation is thrown away anyway.
   * @internal see rebuild.ts
   */
  async abandon(): Promise<void> {
    await this.batcher?.discard();
    await this.close();
  }

  /**
   * Flushes, then ends the workers now rather than after `idleTimeoutMs`: their jieba
   * dictionaries and heaps go with them. A server writing to several indexes releases one
   * index's workers before another's start, so that one set of workers lives at a time.
   */
  async releaseWorkers(): Promise<WriteReport> {
    this.live();
    const report = await this.flush();
    await this.renewPool();
    return report;
  }

  /** Ends the workers (and what their heaps grew to); the next write starts fresh ones. */
  private async renewPool(): Promise<void> {
    await this.pool.destroy();
    this.pool = newPool(this.options, this.meta);
  }

  /** Flushes, ends the workers and closes the shards. Safe to call twice. */
  async close(): Promise<WriteReport> {
    if (this.closed) return Batcher.emptyReport();
    let report: WriteReport;
    try {
      report = this.batcher === null ? Batcher.emptyReport() : await this.batcher.flush();
    } finally {
      this.closed = true;
      await this.pool.destroy();
      for (const r of this.shardReaders ?? []) await r.dbs.env.close();
      if (this.building === null) this.lock?.release();
    }
    return report;
  }
}

/**
 * Makes the first, empty generation of a new index live, under the writer lock so that
 * two processes creating the same index at once agree on one. Leftovers of a first build
 * that was killed before it switched in are removed.
 */
function createFirstGeneration(db: string, shards: number | undefined, analysis: Partial<AnalysisOptions>): string {
  const lock = WriterLock.acquire(db);
  try {
    const live = readCurrent(db);
    if (live !== null) return live;
    const name = createGeneration(db);
    removeStaleGenerations(db, name);
    loadGeneration(db, name, shards, true, analysis);
    switchCurrent(db, name);
    return name;
  } finally {
    lock.release();
  }
}

/**
 * Opens the live generation. A rebuild may switch and remove it between reading CURRENT
 * and opening it: then CURRENT is read again.
 */
function openLiveGeneration(db: string, name: string, wantShards: number | undefined, analysis: Partial<AnalysisOptions> = {}): Generation {
  for (let attempt = 0; ; attempt++) {
    try {
      return loadGeneration(db, name, wantShards, false, analysis);
    } catch (err) {
      const now = readCurrent(db);
      if (attempt >= 3 || now === null || now === name) throw err;
      name = now;
    }
  }
}

/**
 * Opens the index in `dir`, creating it if needed (unless `create: false`).
 *
 * @example
 * const index = await openIndex('./search-index', { threads: 1 })
 * await index.add({ id: 'post-1', title: '内存溢出排查', body: '……' })
 * await index.flush()
 * index.search('内存溢出').hits
 * await index.close()
 */
export function openIndex(dir: string, options?: IndexOptions): Promise<RuyiIndex> {
  return RuyiIndex.open(dir, options);
}
