import { open, type RootDatabase } from 'lmdb';
import type { JsonObject } from './filter-eval.js';

/**
 * The documents exactly as they were sent, by id: ruyi stores what it searches (title and
 * body), not arbitrary JSON, and has no listing; GET /documents, filters, facets, sorting
 * and highlighting read from here. One LMDB environment per index, values are the JSON
 * text (so numbers, key order and unicode come back byte-for-byte as parsed).
 */
export class DocStore {
  private readonly db: RootDatabase<string, string>;
  private pending: Promise<unknown> = Promise.resolve();

  constructor(readonly path: string) {
    // overlappingSync would resolve a commit before its fsync: a task reported succeeded must be on disk.
    this.db = open<string, string>({ path, encoding: 'string', overlappingSync: false, compression: false });
  }

  getText(id: string): string | undefined {
    return this.db.get(id);
  }

  get(id: string): JsonObject | undefined {
    const text = this.db.get(id);
    return text === undefined ? undefined : (JSON.parse(text) as JsonObject);
  }

  /** Queues a write (lmdb-js batches queued writes into one transaction); see settle(). */
  put(id: string, doc: JsonObject): Promise<unknown> {
    this.pending = this.db.put(id, JSON.stringify(doc));
    return this.pending;
  }

  remove(id: string): Promise<unknown> {
    this.pending = this.db.remove(id);
    return this.pending;
  }

  /** Resolves when every write queued so far is committed and synced. */
  async settle(): Promise<void> {
    await this.pending;
    await this.db.flushed;
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
    await this.db.close();
  }
}
