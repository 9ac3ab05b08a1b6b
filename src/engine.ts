import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Analyzer } from './analysis/analyzer.js';
import { Batcher, type WriteReport } from './batcher.js';
import { DEFAULT_SHARDS, type IndexOptions, type ResolvedOptions, resolveOptions } from './config.js';
import { EngineError } from './errors.js';
import { ShardPool } from './pool.js';
import { shardOf } from './router.js';
import { Searcher } from './search/searcher.js';
import { ShardReader } from './search/shard-reader.js';
import { type IndexMeta, openMeta } from './store/index-meta.js';
import { openShardDbs, readShardState, shardDir } from './store/shard-store.js';
import type { Doc, IndexStats, SearchOptions, SearchResult } from './types.js';
import { validateDoc, validateId } from './validate.js';

/** Batches are sized by JavaScript string memory (2 bytes a char) plus a per-document overhead. */
function docBytes(title: string, body: string): number {
  return (title.length + body.length) * 2 + 64;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/**
 * An open index. Writes (add, remove) go to worker threads in batches and become visible
 * to search and get when their batch commits; flush() waits for that. Reads are synchronous.
 * Call close() when done: the worker pool keeps the process alive until then.
 */
export class RuyiIndex {
  private closed = false;
  private analyzer: Analyzer | null = null;
  private readonly batcher: Batcher;
  private readonly searcher: Searcher;

  private constructor(
    readonly dir: string,
    readonly meta: IndexMeta,
    readonly options: ResolvedOptions,
    private readonly pool: ShardPool,
    private readonly readers: ShardReader[],
    /** Test hook, see IndexBatchTask.crashOnId. */
    private readonly crashOnId: string | undefined,
  ) {
    this.batcher = new Batcher(meta.shards, options.batchBytes, (shard, ops) =>
      this.pool.indexBatch({
        dir: this.dir,
        shard,
        ops,
        deferMerges: options.deferMerges,
        ...(this.crashOnId === undefined ? {} : { crashOnId: this.crashOnId }),
      }),
    );
    this.searcher = new Searcher(readers, () => {
      this.analyzer ??= Analyzer.load();
      return this.analyzer;
    });
  }

  /** See openIndex. */
  static async open(dir: string, options: IndexOptions & { crashOnIdForTests?: string } = {}): Promise<RuyiIndex> {
    const { crashOnIdForTests, ...rest } = options;
    const resolved = resolveOptions(rest);
    const meta = openMeta(dir, resolved.shards, DEFAULT_SHARDS, resolved.create);
    const readers: ShardReader[] = [];
    try {
      for (let s = 0; s < meta.shards; s++) readers.push(new ShardReader(openShardDbs(dir, s)));
    } catch (err) {
      for (const r of readers) await r.dbs.env.close();
      throw new EngineError('E_SHARD_IO', `cannot open shards in ${dir}: ${(err as Error).message}`, { cause: err });
    }
    const pool = new ShardPool(resolved.threads, meta.shards, resolved.idleTimeoutMs);
    return new RuyiIndex(dir, meta, resolved, pool, readers, crashOnIdForTests);
  }

  private live(): void {
    if (this.closed) throw new EngineError('E_CLOSED', `index ${this.dir} is closed`);
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
      const doc = validateDoc(raw, `document ${n}`);
      await this.batcher.push(shardOf(doc.id, this.meta.shards), { op: 'add', doc }, docBytes(doc.title, doc.body));
      n++;
    };
    if (isAsyncIterable(docs)) for await (const d of docs) await one(d);
    else if (Symbol.iterator in Object(docs) && !('id' in Object(docs))) for (const d of docs as Iterable<Doc>) await one(d);
    else await one(docs);
    return n;
  }

  /** Queues removals by id; resolves once accepted. Removing an unknown id is counted as missing. */
  async remove(ids: string | readonly string[]): Promise<number> {
    this.live();
    const list = typeof ids === 'string' ? [ids] : ids;
    let n = 0;
    for (const raw of list) {
      const id = validateId(raw, `id ${n}`);
      await this.batcher.push(shardOf(id, this.meta.shards), { op: 'remove', id }, id.length * 2 + 64);
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
    return this.batcher.flush();
  }

  /** Merges each shard into one segment, purging deleted postings: do it after a bulk load. */
  async optimize(): Promise<void> {
    this.live();
    await this.batcher.flush();
    await Promise.all(this.readers.map((_, shard) => this.pool.optimize({ dir: this.dir, shard })));
  }

  /** The stored document, as committed, or undefined. */
  get(id: string): Doc | undefined {
    this.live();
    const dbs = this.readers[shardOf(id, this.meta.shards)]?.dbs;
    const stored = dbs?.docs.get(id);
    if (dbs === undefined || stored === undefined) return undefined;
    const doc: Doc = { id, title: stored.title, body: dbs.bodies.get(stored.n) ?? '', tags: stored.tags };
    if (stored.date !== null) doc.date = stored.date;
    if (stored.fields !== null) doc.fields = stored.fields;
    return doc;
  }

  has(id: string): boolean {
    this.live();
    return this.readers[shardOf(id, this.meta.shards)]?.dbs.docs.doesExist(id) ?? false;
  }

  /** Ranked search over committed documents. See Searcher for the ranking. */
  search(query: string, options?: SearchOptions): SearchResult {
    this.live();
    if (typeof query !== 'string') throw new EngineError('E_QUERY_SYNTAX', 'query must be a string');
    return this.searcher.search(query, options);
  }

  stats(): IndexStats {
    this.live();
    const states = this.readers.map((r) => readShardState(r.dbs));
    let bytesOnDisk = 0;
    for (let s = 0; s < this.meta.shards; s++) {
      const dir = shardDir(this.dir, s);
      for (const name of readdirSync(dir)) bytesOnDisk += statSync(join(dir, name)).blocks * 512;
    }
    return {
      docs: states.reduce((sum, st) => sum + st.docs, 0),
      shards: this.meta.shards,
      threads: this.options.threads,
      bytesOnDisk,
      shardDocs: states.map((st) => st.docs),
      shardSegments: states.map((st) => st.segments.length),
    };
  }

  /** Flushes, ends the workers and closes the shards. Safe to call twice. */
  async close(): Promise<WriteReport> {
    if (this.closed) return Batcher.emptyReport();
    let report: WriteReport;
    try {
      report = await this.batcher.flush();
    } finally {
      this.closed = true;
      await this.pool.destroy();
      for (const r of this.readers) await r.dbs.env.close();
    }
    return report;
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
