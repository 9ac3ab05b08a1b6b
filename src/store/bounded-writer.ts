import type { Database, Key, RootDatabase } from 'lmdb';

/**
 * Collects puts and commits them in transactions of about `maxBytes`, so writing a large
 * segment or body never holds more than that in LMDB's dirty pages (which live in process
 * memory until commit). Only for keys that no committed state references yet: readers must
 * not see them before a final, small transaction publishes them.
 */
export class BoundedWriter {
  private pending: [Database<unknown, Key>, Key, Buffer][] = [];
  private bytes = 0;

  constructor(
    private readonly env: RootDatabase,
    private readonly maxBytes: number,
  ) {}

  put<K extends Key>(db: Database<Buffer, K>, key: K, value: Buffer): void {
    this.pending.push([db as unknown as Database<unknown, Key>, key, value]);
    this.bytes += value.length;
    if (this.bytes >= this.maxBytes) this.commit();
  }

  /**
   * Commits what is pending; `also` runs in the same transaction after the puts (a merge step
   * records its progress with its last blocks, so the record never runs ahead of the data).
   */
  commit(also?: () => void): void {
    if (this.pending.length === 0 && also === undefined) return;
    const puts = this.pending;
    this.pending = [];
    this.bytes = 0;
    this.env.transactionSync(() => {
      for (const [db, key, value] of puts) db.putSync(key, value);
      also?.();
    });
  }
}
