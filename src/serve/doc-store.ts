import { type Database, open, type RootDatabase } from 'lmdb';
import { MAP_SIZE_BYTES } from '../store/map-size.js';
import type { JsonObject } from './filter-eval.js';

/** Strings longer than this are left out of the attribute projection (see project()). */
const MAX_PROJECTED_CHARS = 256;
/** Stands for a long string in the projection: it exists, is not null or empty, and equals nothing. */
const LONG_KEY = '…';
const LONG = { [LONG_KEY]: 1 };

/**
 * The document without its long strings: what filters, facets and sorting read. Parsing
 * a blog post's whole JSON for every match of a faceted query costs ~30 µs a document;
 * the projection is a few dozen bytes.
 */
export function project(value: unknown): unknown {
  if (typeof value === 'string') return value.length > MAX_PROJECTED_CHARS ? LONG : value;
  if (Array.isArray(value)) return value.map(project);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, project(v)]));
  return value;
}

/** Whether a projection holds a string it left out (see project()). */
export function holdsLong(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some(holdsLong);
  if ((value as Record<string, unknown>)[LONG_KEY] === 1 && Object.keys(value).length === 1) return true;
  return Object.values(value).some(holdsLong);
}

/**
 * The documents exactly as they were sent, by id: ruyi stores what it searches (title and
 * body), not arbitrary JSON, and has no listing; GET /documents, filters, facets, sorting
 * and highlighting read from here. One LMDB environment per index, values are the JSON
 * text (so numbers, key order and unicode come back byte-for-byte as parsed).
 */
export class DocStore {
  private readonly env: RootDatabase<string, string>;
  private readonly db: Database<string, string>;
  private readonly attrs: Database<string, string>;
  private pending: Promise<unknown> = Promise.resolve();
  private queuedChars = 0;
  /** The first failed write since the last settle(): writes are not awaited one by one, so a failure waits here. */
  private failure: Error | null = null;

  constructor(readonly path: string) {
    // overlappingSync would resolve a commit before its fsync: a task reported succeeded must be on disk.
    this.env = open<string, string>({ path, encoding: 'string', overlappingSync: false, compression: false, maxDbs: 4, mapSize: MAP_SIZE_BYTES });
    this.db = this.env.openDB<string, string>({ name: 'docs', encoding: 'string' });
    this.attrs = this.env.openDB<string, string>({ name: 'attrs', encoding: 'string' });
  }

  getText(id: string): string | undefined {
    return this.db.get(id);
  }

  get(id: string): JsonObject | undefined {
    const text = this.db.get(id);
    return text === undefined ? undefined : (JSON.parse(text) as JsonObject);
  }

  /** The document's projection (short values only), for filters, facets and sorting. */
  getAttrs(id: string): JsonObject | undefined {
    const text = this.attrs.get(id);
    return text === undefined ? undefined : (JSON.parse(text) as JsonObject);
  }

  /** Queues a write (lmdb-js batches queued writes into one transaction); see settle(). */
  put(id: string, doc: JsonObject): Promise<unknown> {
    const text = JSON.stringify(doc);
    this.queuedChars += text.length;
    void this.track(this.attrs.put(id, JSON.stringify(project(doc))));
    this.pending = this.track(this.db.put(id, text));
    return this.pending;
  }

  /**
   * Waits for the queued writes once more than `maxChars` of text is queued: lmdb-js
   * commits queued puts together, so waiting on each would be slow, and never waiting
   * would hold a whole upload in memory.
   */
  async pace(maxChars: number): Promise<boolean> {
    if (this.queuedChars <= maxChars) return false;
    this.queuedChars = 0;
    await this.pending;
    return true;
  }

  remove(id: string): Promise<unknown> {
    void this.track(this.attrs.remove(id));
    this.pending = this.track(this.db.remove(id));
    return this.pending;
  }

  private track(write: Promise<unknown>): Promise<unknown> {
    return write.catch((err: Error) => {
      this.failure ??= err;
    });
  }

  /** Resolves when every write queued so far is committed and synced; throws the first write that failed. */
  async settle(): Promise<void> {
    await this.pending;
    await this.env.flushed;
    const failure = this.failure;
    this.failure = null;
    if (failure !== null) throw failure;
  }

  count(): number {
    return this.db.getCount();
  }

  /** Documents in id order, from `offset`, at most `limit`. */
  *range(offset = 0, limit = Number.POSITIVE_INFINITY): Generator<{ id: string; text: string }> {
    for (const { key, value } of this.db.getRange(limit === Number.POSITIVE_INFINITY ? { offset } : { offset, limit }))
      yield { id: key, text: value };
  }

  *ids(): Generator<string> {
    for (const key of this.db.getKeys()) yield key;
  }

  async close(): Promise<void> {
    await this.settle();
    await this.env.close();
  }
}
