import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Database, type Key, open, type RootDatabase, type Transaction } from 'lmdb';
import type { HitRecord, StoredDoc } from '../store/shard-store.js';

/** The named databases every ruyi shard environment holds (see store/shard-store.ts). */
export const SHARD_DB_NAMES = ['docs', 'hits', 'bodies', 'postings', 'state'] as const;

type BinaryGet = (key: Key, options: { transaction: Transaction }) => Buffer | undefined;

/**
 * One shard opened read-only with one read transaction: every read below sees the same
 * committed snapshot, even while another process writes the shard. The environment is
 * opened read-only, so verifying never creates a file, a database or a lock on the writer.
 */
export class ShardSnapshot {
  private constructor(
    private readonly env: RootDatabase,
    readonly txn: Transaction,
    readonly docs: Database<StoredDoc, string>,
    readonly hits: Database<HitRecord, number>,
    readonly bodies: Database<Buffer, [number, number]>,
    readonly postings: Database<Buffer, (string | number)[]>,
    readonly state: Database<unknown, string>,
  ) {}

  /**
   * Opens `dir` (a shard-NNN directory). Returns the names of missing databases instead of a
   * snapshot when the environment lacks any, and throws what LMDB throws for a broken file.
   */
  static open(dir: string): ShardSnapshot | { missing: string[] } {
    if (!existsSync(join(dir, 'data.mdb'))) return { missing: ['data.mdb'] };
    // lmdb-js would create a missing directory even read-only: checked above.
    const env = open({ path: dir, readOnly: true, maxDbs: 8 });
    try {
      // The root database lists the named ones. A read-only openDB of a missing name does
      // not fail until it is read, so the names are checked first.
      const names = new Set<unknown>(env.getKeys());
      const missing = SHARD_DB_NAMES.filter((n) => !names.has(n));
      if (missing.length > 0) {
        void env.close();
        return { missing };
      }
      const docs = env.openDB<StoredDoc, string>({ name: 'docs' });
      const hits = env.openDB<HitRecord, number>({ name: 'hits' });
      const bodies = env.openDB<Buffer, [number, number]>({ name: 'bodies', encoding: 'binary' });
      const postings = env.openDB<Buffer, (string | number)[]>({ name: 'postings', encoding: 'binary' });
      const state = env.openDB<unknown, string>({ name: 'state' });
      // After the openDBs: in read-only mode each of them resets the environment's read transaction.
      const txn = env.useReadTransaction();
      return new ShardSnapshot(env, txn, docs, hits, bodies, postings, state);
    } catch (err) {
      void env.close();
      throw err;
    }
  }

  get at(): { transaction: Transaction } {
    return { transaction: this.txn };
  }

  /** A copy of a binary value, safe to keep across further reads. */
  binary(
    db: Database<Buffer, never> | Database<Buffer, (string | number)[]> | Database<Buffer, [number, number]>,
    key: Key,
  ): Buffer | undefined {
    return (db.getBinary as unknown as BinaryGet).call(db, key, this.at);
  }

  async close(): Promise<void> {
    this.txn.done();
    await this.env.close();
  }
}
