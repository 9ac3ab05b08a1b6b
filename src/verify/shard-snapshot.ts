import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Database, type Key, open, type RootDatabase, type Transaction } from 'lmdb';
import type { HitRecord, StoredDoc } from '../store/shard-store.js';

/** The named databases every ruyi shard environment holds (see store/shard-store.ts). */
export const SHARD_DB_NAMES = ['docs', 'hits', 'bodies', 'postings', 'state'] as const;

type BinaryGet = (key: Key, options: { transaction: Transaction }) => Buffer | undefined;

/**
 * One shard read through one read transaction: every read below sees the same committed
 * snapshot, even while another thread or process writes the shard. Nothing is written.
 *
 * The environment is opened as the engine's readers open it, not with lmdb-js's
 * `readOnly`: lmdb-js shares one native environment per file within a process, and a
 * read-only handle next to the engine's or a worker's handle broke their transactions
 * ("No transaction to renew": batches failed while a verify ran in the same process).
 * Databases are opened with `create: false` and only after the root lists them, so a
 * missing one is reported instead of created.
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
   * Opens `dir` (a shard-NNN directory). Instead of a snapshot, returns `unwritten` for an
   * environment nothing was committed to yet, or the names of missing databases; throws
   * what LMDB throws for a broken file.
   */
  static open(dir: string): ShardSnapshot | { missing: string[]; unwritten: boolean } {
    // A directory without data.mdb holds no document, like a missing shard directory (the
    // writer creates the directory, then the file).
    if (!existsSync(join(dir, 'data.mdb'))) return { missing: [], unwritten: true };
    // lmdb-js would create a missing directory: checked above.
    let env: RootDatabase;
    try {
      env = open({ path: dir, maxDbs: 8, overlappingSync: false });
    } catch (err) {
      // A copy on read-only media or files of another user: no other handle of this
      // process can be on them, so lmdb-js's read-only mode is safe there.
      if (!/permission denied|read-only file system|EACCES|EROFS/i.test(String((err as Error).message))) throw err;
      env = open({ path: dir, maxDbs: 8, readOnly: true });
    }
    try {
      // The root database lists the named ones.
      const names = new Set<unknown>(env.getKeys());
      const missing = SHARD_DB_NAMES.filter((n) => !names.has(n));
      // openShardDbs creates 'state' last: without it, nothing was ever committed (or a
      // writer is creating the environment right now).
      if (!names.has('state')) {
        void env.close();
        return { missing: [], unwritten: true };
      }
      if (missing.length > 0) {
        void env.close();
        return { missing, unwritten: false };
      }
      // `create` is read by lmdb-js (open.js) but missing from its types.
      const existing = { create: false } as object;
      const docs = env.openDB<StoredDoc, string>({ name: 'docs', ...existing });
      const hits = env.openDB<HitRecord, number>({ name: 'hits', ...existing });
      const bodies = env.openDB<Buffer, [number, number]>({ name: 'bodies', encoding: 'binary', ...existing });
      const postings = env.openDB<Buffer, (string | number)[]>({ name: 'postings', encoding: 'binary', ...existing });
      const state = env.openDB<unknown, string>({ name: 'state', ...existing });
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
