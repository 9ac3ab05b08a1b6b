import { join } from 'node:path';
import { DEFAULT_ANALYSIS } from './analysis/analysis-options.js';
import type { WriteReport } from './batcher.js';
import type { IndexOptions } from './config.js';
import { DEFAULT_SHARDS } from './config.js';
import { RuyiIndex } from './engine.js';
import { EngineError } from './errors.js';
import { checkIndexDir, createGeneration, readCurrent, removeStaleGenerations, switchCurrent } from './store/generations.js';
import { analysisOf, type IndexMeta, openMeta } from './store/index-meta.js';
import { WriterLock } from './store/writer-lock.js';
import type { Doc } from './types.js';

/**
 * A rebuild in progress: a new generation written beside the live one, which keeps
 * answering searches until commit() switches to the new one in one atomic rename.
 */
export class Rebuild {
  private done = false;

  private constructor(
    readonly db: string,
    /** The generation being built, e.g. "gen-000004". */
    readonly generation: string,
    /** Write the new documents here (add, enqueue); do not close it yourself. */
    readonly index: RuyiIndex,
    private readonly lock: WriterLock,
  ) {}

  /**
   * Takes the writer lock (E_LOCKED if another process writes the index), removes what
   * failed or killed rebuilds left, and opens a new, empty generation. The shard count is
   * the live index's unless `options.shards` says otherwise.
   */
  static begin(db: string, options: IndexOptions = {}): Rebuild {
    checkIndexDir(db);
    const lock = WriterLock.acquire(db);
    try {
      // Numbered above the leftovers before they go, so that no name is ever used twice
      // (lmdb-js and readers in other processes know environments by path).
      const name = createGeneration(db);
      removeStaleGenerations(db, name);
      const live = readCurrent(db);
      const previous = live === null ? null : liveMeta(db, live);
      // What the live index was made with carries over, unless asked otherwise.
      const shards = options.shards ?? previous?.shards ?? DEFAULT_SHARDS;
      const analysis = previous === null ? DEFAULT_ANALYSIS : analysisOf(previous);
      const index = RuyiIndex.openBuilding(
        db,
        name,
        {
          ...options,
          shards,
          pinyin: options.pinyin ?? analysis.pinyin,
          traditional: options.traditional ?? analysis.traditional,
          deferMerges: true,
        },
        lock,
      );
      return new Rebuild(db, name, index, lock);
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  /**
   * Writes everything queued, merges each shard once, closes the new generation and makes
   * it the live one; the old generation is then removed. Returns the last write report.
   */
  async commit(): Promise<WriteReport> {
    if (this.done) throw new EngineError('E_CLOSED', `rebuild of ${this.db} is already finished`);
    this.done = true;
    try {
      await this.index.optimize();
      const report = await this.index.close();
      switchCurrent(this.db, this.generation);
      removeStaleGenerations(this.db);
      return report;
    } catch (err) {
      await this.index.abandon().catch(() => {});
      removeStaleGenerations(this.db);
      throw err;
    } finally {
      this.lock.release();
    }
  }

  /** Throws the new generation away; the live index stays exactly as it was. Safe to call twice. */
  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    try {
      await this.index.abandon();
    } finally {
      try {
        removeStaleGenerations(this.db);
      } finally {
        this.lock.release();
      }
    }
  }
}

/** The live generation's metadata, or null when this version cannot read it (a rebuild is then the fix). */
function liveMeta(db: string, live: string): IndexMeta | null {
  try {
    return openMeta(join(db, live), undefined, DEFAULT_SHARDS, false);
  } catch {
    return null;
  }
}

export interface RebuildResult extends WriteReport {
  /** The generation now live. */
  generation: string;
}

/**
 * Replaces the whole content of the index in `db` with `docs`, atomically: searches (in
 * this process and others) see the old index until the new one is complete. If `docs`
 * throws, or an invalid document is met, nothing changes and the error is rethrown.
 *
 * @example
 * await rebuildIndex('./search-index', readAllPostsFromDb())
 */
export async function rebuildIndex(
  db: string,
  docs: Iterable<Doc> | AsyncIterable<Doc>,
  options: IndexOptions = {},
): Promise<RebuildResult> {
  const rebuild = Rebuild.begin(db, options);
  let first: WriteReport;
  try {
    await rebuild.index.add(docs);
    first = await rebuild.index.flush();
  } catch (err) {
    await rebuild.abort();
    throw err;
  }
  const last = await rebuild.commit();
  return {
    generation: rebuild.generation,
    added: first.added + last.added,
    replaced: first.replaced + last.replaced,
    superseded: first.superseded + last.superseded,
    removed: 0,
    missing: 0,
    failed: [...first.failed, ...last.failed].slice(0, 100),
    failedCount: first.failedCount + last.failedCount,
    rejected: [...first.rejected, ...last.rejected].slice(0, 100),
    rejectedCount: first.rejectedCount + last.rejectedCount,
  };
}
