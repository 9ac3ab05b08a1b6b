import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { type ClusterConfig, isClusterDir, readClusterConfig } from '../cluster/cluster-config.js';
import { EngineError, type IndexOptions, openIndex, type RuyiIndex } from '../index.js';
import { writeFileDurably } from '../store/durable-file.js';
import { clearCluster, clusterServeRefusal, oneIndexOnly, withClusterAnalysis } from './cluster-serve.js';
import { DocStore } from './doc-store.js';
import { ApiError } from './errors.js';
import { DEFAULT_SETTINGS, type IndexSettings } from './settings.js';
import { type Task, TaskLog } from './task-log.js';

/** What the server keeps about an index beside ruyi's own files. */
export interface IndexRecord {
  uid: string;
  primaryKey: string | null;
  createdAt: string;
  updatedAt: string;
  settings: IndexSettings;
  /** The task that made the index: a creation task run again after a crash recognises its own work. */
  createdByTask?: number;
}

export interface OpenedIndex {
  ruyi: RuyiIndex;
  docs: DocStore;
}

/** Meilisearch's rule for index uids; it also keeps them safe as directory names. */
const UID_PATTERN = /^[A-Za-z0-9_-]{1,400}$/;

export function checkUid(uid: string): void {
  if (!UID_PATTERN.test(uid))
    throw new ApiError(
      'invalid_index_uid',
      `\`${uid.slice(0, 100)}\` is not a valid index uid. Index uid can be an integer or a string containing only alphanumeric characters, hyphens (-) and underscores (_), and can not be more than 400 bytes.`,
    );
}

const ALL_TASKS = '';

export type TaskRunner = (task: Task, registry: Registry) => Promise<Record<string, unknown> | undefined>;

/**
 * The data directory: `<db>/<uid>/` is each index's ruyi index; `<db>/.serve/` holds the
 * index list (indexes.json), the task log (tasks.ndjson), the documents as sent
 * (docs/<uid>/, LMDB) and uploaded bodies waiting for their task (spool/). A dot never
 * occurs in a uid, so the two never collide. A data directory that holds cluster.json is a
 * SphinxQL cluster (cluster-serve.ts): it is the one index the server holds, and its
 * `.serve/` sits beside cluster.json.
 */
export class Registry {
  readonly serveDir: string;
  readonly spoolDir: string;
  readonly tasks: TaskLog;
  private readonly records = new Map<string, IndexRecord>();
  private readonly opened = new Map<string, OpenedIndex>();
  /** The tail of the task chain: tasks run in order, one at a time (see schedule). */
  private readonly queues = new Map<string, Promise<void>>();
  /** The index whose workers may still be alive. */
  private lastWriter: string | null = null;
  private readonly pendingCount = new Map<string, number>();
  private closing = false;
  /** The cluster that `db` is, or null for a data directory of local indexes. */
  readonly cluster: ClusterConfig | null;

  constructor(
    readonly db: string,
    readonly engineOptions: IndexOptions,
    private readonly runner: TaskRunner,
    readonly log: Logger,
  ) {
    this.cluster = isClusterDir(db) ? readClusterConfig(db) : null;
    if (this.cluster !== null) {
      // Before anything is written, as the server refuses a budget too small for local indexes.
      const refusal = clusterServeRefusal(this.cluster, engineOptions);
      if (refusal !== null) throw new EngineError('E_CONFIG', `ruyi serve: ${refusal}`);
    }
    this.serveDir = join(db, '.serve');
    this.spoolDir = join(this.serveDir, 'spool');
    mkdirSync(this.spoolDir, { recursive: true });
    mkdirSync(join(this.serveDir, 'docs'), { recursive: true });
    const listFile = join(this.serveDir, 'indexes.json');
    if (existsSync(listFile)) {
      const list = JSON.parse(readFileSync(listFile, 'utf8')) as { indexes: IndexRecord[] };
      for (const r of list.indexes) this.records.set(r.uid, { ...r, settings: { ...DEFAULT_SETTINGS, ...r.settings } });
    }
    this.tasks = new TaskLog(join(this.serveDir, 'tasks.ndjson'));
  }

  /** Runs again what the previous process left enqueued or processing; drops orphaned uploads. */
  resume(): void {
    const unfinished = this.tasks.unfinished();
    const keep = new Set(unfinished.map((t) => (t.payload as { file?: string } | undefined)?.file).filter(Boolean));
    for (const name of readdirSync(this.spoolDir)) if (!keep.has(name)) rmSync(join(this.spoolDir, name), { force: true });
    for (const task of unfinished) {
      task.status = 'enqueued';
      this.schedule(task);
    }
  }

  /**
   * Opens every index and runs one search, so that the query-side jieba dictionary (0.2 s
   * and more) loads at start-up, not in the first visitor's request.
   */
  async warmUp(): Promise<void> {
    for (const r of this.list()) {
      try {
        (await this.open(r.uid)).ruyi.search('预热', { limit: 1 });
      } catch (err) {
        this.log.warn({ err, index: r.uid }, 'warm-up failed');
      }
    }
  }

  indexDir(uid: string): string {
    return this.cluster === null ? join(this.db, uid) : this.db;
  }

  docsDir(uid: string): string {
    return join(this.serveDir, 'docs', uid);
  }

  list(): IndexRecord[] {
    return [...this.records.values()].sort((a, b) => (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
  }

  record(uid: string): IndexRecord | undefined {
    return this.records.get(uid);
  }

  require(uid: string): IndexRecord {
    const r = this.records.get(uid);
    if (r === undefined) throw new ApiError('index_not_found', `Index \`${uid}\` not found.`);
    return r;
  }

  saveRecord(r: IndexRecord | null, removeUid?: string): void {
    if (r !== null) this.records.set(r.uid, this.cluster === null ? r : this.clusterRecord(r, removeUid));
    if (removeUid !== undefined) this.records.delete(removeUid);
    writeFileDurably(join(this.serveDir, 'indexes.json'), `${JSON.stringify({ indexes: this.list() }, null, 1)}\n`);
  }

  /** A cluster holds one index, with the cluster's analysis settings. */
  private clusterRecord(r: IndexRecord, removeUid: string | undefined): IndexRecord {
    const held = [...this.records.keys()].find((uid) => uid !== r.uid && uid !== removeUid);
    if (held !== undefined) throw oneIndexOnly(held, r.uid);
    return withClusterAnalysis(r, this.cluster as ClusterConfig);
  }

  /** The open ruyi index and document store of an existing index (opened on first use). */
  async open(uid: string): Promise<OpenedIndex> {
    const have = this.opened.get(uid);
    if (have !== undefined) return have;
    const r = this.require(uid);
    // A cluster's analysis is its own (cluster.json), not the record's to choose.
    const ruyi = await openIndex(
      this.indexDir(uid),
      this.cluster === null
        ? { ...this.engineOptions, pinyin: r.settings.pinyin, traditional: r.settings.traditional }
        : this.engineOptions,
    );
    const again = this.opened.get(uid);
    if (again !== undefined) {
      await ruyi.close();
      return again;
    }
    const opened = { ruyi, docs: new DocStore(this.docsDir(uid)) };
    this.opened.set(uid, opened);
    return opened;
  }

  async closeIndex(uid: string): Promise<void> {
    const o = this.opened.get(uid);
    if (o === undefined) return;
    this.opened.delete(uid);
    await o.ruyi.close();
    await o.docs.close();
  }

  /** Removes an index's ruyi data: its directory, or on a cluster every document on every replica. */
  async dropIndexData(uid: string): Promise<void> {
    await this.closeIndex(uid);
    if (this.cluster === null) rmSync(this.indexDir(uid), { recursive: true, force: true });
    else await clearCluster(this.db, this.engineOptions);
  }

  isIndexing(uid: string): boolean {
    return (this.pendingCount.get(uid) ?? 0) > 0;
  }

  /** Records a task durably and queues it behind the index's earlier tasks. */
  enqueue(fields: Parameters<TaskLog['enqueue']>[0]): Task {
    if (this.closing) throw new ApiError('shutting_down', 'The server is shutting down; retry the write after it restarts.');
    const task = this.tasks.enqueue(fields);
    this.schedule(task);
    return task;
  }

  /**
   * One task at a time across all indexes, as Meilisearch does: each index's writer has
   * a pool of workers, and the budget holds one pool (see releaseOtherWriters).
   */
  private schedule(task: Task): void {
    const key = task.indexUid ?? '';
    this.pendingCount.set(key, (this.pendingCount.get(key) ?? 0) + 1);
    const run = (this.queues.get(ALL_TASKS) ?? Promise.resolve()).then(() => this.run(task));
    this.queues.set(ALL_TASKS, run);
  }

  /** Ends the workers of every open index but `uid`'s: idle workers keep their dictionaries until their timeout. */
  private async releaseOtherWriters(uid: string | null): Promise<void> {
    for (const [other, opened] of this.opened) if (other !== uid) await opened.ruyi.releaseWorkers();
  }

  private async run(task: Task): Promise<void> {
    const started = performance.now();
    if (this.lastWriter !== task.indexUid) {
      await this.releaseOtherWriters(task.indexUid).catch((err: unknown) => this.log.warn({ err }, 'releasing idle workers failed'));
      this.lastWriter = task.indexUid;
    }
    task.status = 'processing';
    task.startedAt = new Date().toISOString();
    task.batchUid = task.uid;
    this.tasks.update(task);
    try {
      const details = await this.runner(task, this);
      if (details !== undefined) task.details = { ...task.details, ...details };
      task.status = 'succeeded';
    } catch (err) {
      task.status = 'failed';
      const apiError = err instanceof ApiError ? err : new ApiError('internal', (err as Error).message);
      if (!(err instanceof ApiError)) this.log.error({ err, taskUid: task.uid }, 'task failed');
      task.error = apiError.body();
    } finally {
      const key = task.indexUid ?? '';
      this.pendingCount.set(key, (this.pendingCount.get(key) ?? 1) - 1);
      task.finishedAt = new Date().toISOString();
      task.duration = isoDuration(performance.now() - started);
      const file = (task.payload as { file?: string } | undefined)?.file;
      // The finished state is on disk before the upload goes: a crash in between re-runs nothing.
      this.tasks.update(task);
      if (file !== undefined) rmSync(join(this.spoolDir, file), { force: true });
    }
  }

  /** Resolves when every task queued so far has finished. */
  async drain(): Promise<void> {
    for (;;) {
      const tails = [...this.queues.values()];
      await Promise.all(tails);
      if ([...this.queues.values()].every((p, i) => p === tails[i]) && this.queues.size === tails.length) return;
    }
  }

  /** Stops taking tasks, finishes the queued ones, closes every index and the task log. */
  async close(): Promise<void> {
    this.closing = true;
    await this.drain();
    for (const uid of [...this.opened.keys()]) await this.closeIndex(uid);
    this.tasks.close();
  }
}

function isoDuration(ms: number): string {
  return `PT${(ms / 1000).toFixed(6)}S`;
}
