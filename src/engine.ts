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
import { readBody } from './store/body-store.js';
import { openShardDbs, readShardState, shardDir } from './store/shard-store.js';
import type { BatchOp, Doc, DocInput, IndexStats, SearchOptions, SearchResult, StructuredQuery } from './types.js';
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

/** The largest length <= maxBytes that does not cut a UTF-8 character. */
function utf8Boundary(bytes: Uint8Array, maxBytes: number): number {
  if (bytes.length <= maxBytes) return bytes.length;
  let end = maxBytes;
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
  return end;
}

/** The first `maxBytes` of a string's UTF-8 encoding, cut at a character boundary. */
function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = utf8.encode(text);
  return utf8Decoder.decode(bytes.subarray(0, utf8Boundary(bytes, maxBytes)));
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
    /** Test hook, see IndexBatchTask.crashOnId. */
    private readonly crashOnId: string | undefined,
  ) {
    this.batcher = new Batcher(meta.shards, options.batchBytes, (shard, ops) =>
      this.pool.indexBatch({
        dir: this.dir,
        shard,
        ops,
        deferMerges: options.deferMerges,
        maxBufferedTokens: options.memory.maxBufferedTokens,
        ...(this.crashOnId === undefined ? {} : { crashOnId: this.crashOnId }),
      }),
    );
    this.searcher = new Searcher(
      () => this.readers(),
      () => {
        this.analyzer ??= Analyzer.load();
        return this.analyzer;
      },
    );
  }

  /** See openIndex. */
  static async open(dir: string, options: IndexOptions & { crashOnIdForTests?: string } = {}): Promise<RuyiIndex> {
    const { crashOnIdForTests, ...rest } = options;
    const resolved = resolveOptions(rest);
    const meta = openMeta(dir, resolved.shards, DEFAULT_SHARDS, resolved.create);
    const pool = new ShardPool(resolved.threads, meta.shards, resolved.idleTimeoutMs, resolved.memory.workerHeapMb);
    return new RuyiIndex(dir, meta, resolved, pool, crashOnIdForTests);
  }

  private shardReaders: ShardReader[] | null = null;

  /**
   * The read side opens on first use (a search, get, has or stats), not at open: an LMDB
   * mapping lives as long as any handle on it, so a process that only writes (a bulk
   * reindex) must hold none, or every page its workers touched would stay resident.
   */
  private readers(): ShardReader[] {
    if (this.shardReaders === null) {
      const readers: ShardReader[] = [];
      try {
        for (let s = 0; s < this.meta.shards; s++) readers.push(new ShardReader(openShardDbs(this.dir, s)));
      } catch (err) {
        for (const r of readers) void r.dbs.env.close();
        throw new EngineError('E_SHARD_IO', `cannot open shards in ${this.dir}: ${(err as Error).message}`, { cause: err });
      }
      this.shardReaders = readers;
    }
    return this.shardReaders;
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
    let bodyUtf8 = givenUtf8;
    const shard = shardOf(doc.id, this.meta.shards);
    const bodyBytes = (): number => bodyUtf8?.byteLength ?? Buffer.byteLength(doc.body);
    // Cheap upper bound first: a UTF-16 unit is at most 3 UTF-8 bytes.
    if (bodyUtf8 !== null || (doc.title.length + doc.body.length) * 3 > this.options.maxDocBytes) {
      const size = Buffer.byteLength(doc.title) + bodyBytes();
      if (size > this.options.maxDocBytes) {
        if (!this.options.truncateLongDocs) {
          const mb = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;
          const reason = `document is ${mb(size)}, over maxDocBytes (${mb(this.options.maxDocBytes)}); raise it or set truncateLongDocs`;
          throw new EngineError('E_INPUT', `${where} (id ${JSON.stringify(doc.id)}): ${reason}`, { detail: reason });
        }
        const keep = Math.max(0, this.options.maxDocBytes - Buffer.byteLength(doc.title));
        if (bodyUtf8 !== null) bodyUtf8 = bodyUtf8.subarray(0, utf8Boundary(bodyUtf8, keep));
        else doc.body = truncateUtf8(doc.body, keep);
      }
    }
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
      await this.batcher.push(shard, op, bodyUtf8.byteLength + doc.title.length * 2 + 64);
    } else {
      await this.batcher.push(shard, { op: 'add', doc }, docBytes(doc.title, doc.body));
    }
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
    await Promise.all(Array.from({ length: this.meta.shards }, (_, shard) => this.pool.optimize({ dir: this.dir, shard })));
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
   * A malformed query throws EngineError E_QUERY_SYNTAX with `position`. See Searcher for the ranking.
   */
  search(query: string | StructuredQuery, options?: SearchOptions): SearchResult {
    this.live();
    return this.searcher.search(query, options);
  }

  stats(): IndexStats {
    this.live();
    const states = this.readers().map((r) => readShardState(r.dbs));
    let bytesOnDisk = 0;
    for (let s = 0; s < this.meta.shards; s++) {
      const dir = shardDir(this.dir, s);
      for (const name of readdirSync(dir)) bytesOnDisk += statSync(join(dir, name)).blocks * 512;
    }
    return {
      docs: states.reduce((sum, st) => sum + st.docs, 0),
      shards: this.meta.shards,
      threads: this.options.threads,
      memory: this.options.memory,
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
      for (const r of this.shardReaders ?? []) await r.dbs.env.close();
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
