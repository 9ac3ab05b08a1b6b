import { Analyzer } from '../analysis/analyzer.js';
import type { WriteReport } from '../batcher.js';
import { type IndexOptions, type ResolvedOptions, resolveOptions } from '../config.js';
import { type DocSizeLimit, docSizeLimit } from '../doc-size.js';
import { EngineError } from '../errors.js';
import { shardOf } from '../router.js';
import type { Doc, IndexStats, SearchOptions, StructuredQuery } from '../types.js';
import { validateDoc, validateId } from '../validate.js';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { CLUSTER_FILE, type ClusterConfig, otherSet, readClusterConfig, switchLive, tableOf } from './cluster-config.js';
import { countMissing } from './cluster-check.js';
import { ClusterError } from './cluster-error.js';
import { type ClusterMemoryPlan, clusterIndexOptions, planClusterMemory } from './cluster-memory.js';
import { ClusterWriter, emptyReport } from './cluster-writer.js';
import { type ClusterSearchResult, SEARCH_TIMEOUT_MS, searchCluster } from './cluster-search.js';
import { idLiteral, sphinxId } from './doc-ids.js';
import { SphinxNodes } from './sphinx-nodes.js';
import { SyncSql } from './sync-sql.js';

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/**
 * A ruyi index whose shards live on a SphinxQL cluster (DIR/cluster.json), with the API of a
 * local index: add, remove, flush, search (synchronous, see SyncSql), get, has, stats, close.
 * Documents are analyzed by ruyi (a worker pool) and routed by ruyi's shard hash; flush()
 * returns once every replica of every written shard has made the writes durable.
 */
export class ClusterIndex {
  private closed = false;
  private writerInstance: ClusterWriter | null = null;
  private readonly nodes = new SphinxNodes();
  private sync: SyncSql | null = null;
  private analyzerInstance: Analyzer | null = null;
  /** cluster.json as last read: the live table set changes when a rebuild switches (see follow). */
  private current: ClusterConfig;
  private checkedAt = 0;
  private configMtimeMs: number;
  /** The table set a rebuild of this instance fills (beginRebuild), until it switches. */
  private rebuildTarget: ClusterConfig | null = null;

  private constructor(
    readonly dir: string,
    config: ClusterConfig,
    readonly options: ResolvedOptions,
  ) {
    this.current = config;
    this.configMtimeMs = configMtime(dir);
  }

  /** The cluster's description, with the table set live now (re-read at most once a second). */
  get config(): ClusterConfig {
    this.follow();
    return this.current;
  }

  /**
   * Follows a rebuild's switch made by another process (or instance): cluster.json is
   * checked at most every FOLLOW_INTERVAL_MS, and re-read when it changed.
   */
  private follow(): void {
    const now = Date.now();
    if (now - this.checkedAt < FOLLOW_INTERVAL_MS) return;
    this.checkedAt = now;
    const mtime = configMtime(this.dir);
    if (mtime === this.configMtimeMs) return;
    this.configMtimeMs = mtime;
    this.current = readClusterConfig(this.dir);
  }

  static async open(dir: string, options: IndexOptions = {}): Promise<ClusterIndex> {
    const config = readClusterConfig(dir);
    // The SphinxQL client is part of what the process keeps besides the workers (cluster-memory.ts).
    const resolved = resolveOptions(clusterIndexOptions(options));
    for (const [name, asked] of [
      ['pinyin', resolved.pinyin],
      ['traditional', resolved.traditional],
    ] as const) {
      if (asked !== undefined && asked !== config.analysis[name])
        throw new EngineError(
          'E_META_MISMATCH',
          `cluster ${dir} was made with ${name}: ${config.analysis[name]}; make a new cluster to change it`,
        );
    }
    if (resolved.shards !== undefined && resolved.shards !== config.shards.length)
      throw new EngineError('E_META_MISMATCH', `cluster ${dir} has ${config.shards.length} shards, not ${resolved.shards}`);
    return new ClusterIndex(dir, config, resolved);
  }

  /** Always true: `options.create` does not apply, a cluster is made by `ruyi cluster init`. */
  get isCluster(): true {
    return true;
  }

  private live(): void {
    if (this.closed) throw new EngineError('E_CLOSED', `index ${this.dir} is closed`);
  }

  private analyzer(): Analyzer {
    this.analyzerInstance ??= Analyzer.load(this.config.analysis);
    return this.analyzerInstance;
  }

  /** The writer's buffers and heaps, planned from the budget (cluster-memory.ts). */
  get memoryPlan(): ClusterMemoryPlan {
    const replicas = Math.max(...this.config.shards.map((s) => s.replicas.length));
    return planClusterMemory(this.options.memory, this.config.shards.length, replicas);
  }

  private writer(): ClusterWriter {
    if (this.writerInstance !== null) return this.writerInstance;
    // Up front, before any document is taken, as for a local index: a budget below the minimum is refused.
    const memory = this.memoryPlan;
    if (memory.refusal !== null) throw new EngineError('E_CONFIG', memory.refusal);
    this.writerInstance = new ClusterWriter(this.rebuildTarget ?? this.config, this.nodes, {
      memory,
      analysis: { pinyin: this.config.analysis.pinyin, traditional: this.config.analysis.traditional },
      truncate: this.options.truncateLongDocs,
    });
    return this.writerInstance;
  }

  private runSync = (queries: Parameters<SyncSql['run']>[0], timeoutMs: number) => {
    this.sync ??= new SyncSql();
    return this.sync.run(queries, timeoutMs);
  };

  /** Queues documents (see RuyiIndex.add); they are on the cluster and durable after flush(). */
  async add(docs: Doc | Iterable<Doc> | AsyncIterable<Doc>): Promise<number> {
    this.live();
    let n = 0;
    const one = async (raw: unknown): Promise<void> => {
      const { doc, bodyUtf8 } = validateDoc(raw, `document ${n}`);
      if (bodyUtf8 !== null) doc.body = Buffer.from(bodyUtf8.buffer, bodyUtf8.byteOffset, bodyUtf8.byteLength).toString('utf8');
      await this.writer().add(doc, `document ${n} (id ${JSON.stringify(doc.id)})`);
      n++;
    };
    if (isAsyncIterable(docs)) for await (const d of docs) await one(d);
    else if (Symbol.iterator in Object(docs) && !('id' in Object(docs))) for (const d of docs as Iterable<Doc>) await one(d);
    else await one(docs);
    return n;
  }

  /** @internal the CLI's reader, with validated documents and their place in the input. */
  async enqueue(doc: import('../types.js').DocInput, where: string): Promise<void> {
    this.live();
    await this.writer().add(doc, where);
  }

  async remove(ids: string | readonly string[]): Promise<number> {
    this.live();
    const list = (typeof ids === 'string' ? [ids] : ids).map((id, i) => validateId(id, `id ${i}`));
    await this.writer().remove(list);
    return list.length;
  }

  /** Resolves when everything queued is on every replica of its shard and flushed to disk there (FLUSH RTINDEX). */
  async flush(): Promise<WriteReport> {
    this.live();
    return this.writer().flush();
  }

  /**
   * Starts a rebuild (`ruyi index` without --update): the other table set of every shard is
   * emptied (TRUNCATE RTINDEX on every replica) and every write until commitRebuild goes to
   * it, while searches read the live set. A rebuild that stops before its commit leaves the
   * live set as it was. Call before any write. @internal the CLI.
   */
  async beginRebuild(): Promise<void> {
    this.live();
    if (this.writerInstance !== null) throw new EngineError('E_CONFIG', 'beginRebuild() comes before any write');
    const target = otherSet(this.config);
    await Promise.all(
      target.shards.flatMap((s) => s.replicas.map((node) => this.nodes.run(node, [{ sql: `TRUNCATE RTINDEX ${tableOf(target, s.name)}` }], s.name))),
    );
    this.rebuildTarget = target;
  }

  /**
   * Flushes the rebuild (durable on every replica), then switches searches to it: cluster.json
   * is replaced atomically, and other instances follow within a second. Returns how many
   * documents of the previous live set the new one does not hold (on each shard's first replica).
   * @internal the CLI.
   */
  async commitRebuild(): Promise<{ report: WriteReport; removed: number }> {
    this.live();
    const target = this.rebuildTarget;
    if (target === null) throw new EngineError('E_CONFIG', 'commitRebuild() without beginRebuild()');
    const report = await this.writer().flush();
    let removed = 0;
    for (const s of target.shards)
      removed += await countMissing(this.nodes, s.replicas[0] as string, tableOf(this.current, s.name), tableOf(target, s.name), s.name);
    switchLive(this.dir, target);
    this.current = target;
    this.configMtimeMs = configMtime(this.dir);
    this.rebuildTarget = null;
    return { report, removed };
  }

  /**
   * Flushes, then removes every document this instance did not write (see ClusterWriter.sweep):
   * what deleting a served index does. @internal
   */
  async sweepOthers(): Promise<number> {
    this.live();
    return this.writer().sweep();
  }

  /** Flushes, then ends the analysis workers now (see RuyiIndex.releaseWorkers); the next write starts fresh ones. */
  async releaseWorkers(): Promise<WriteReport> {
    this.live();
    if (this.writerInstance === null) return emptyReport();
    const report = await this.writerInstance.flush();
    await this.writerInstance.close();
    this.writerInstance = null;
    return report;
  }

  /** The size limit documents are held to (see RuyiIndex.docSizeLimit): the body an analysis worker's heap can take. */
  docSizeLimit(): DocSizeLimit {
    const { maxBodyBytes } = this.memoryPlan;
    return docSizeLimit(maxBodyBytes, true, this.options.memory.maxMemory, this.options.truncateLongDocs);
  }

  /** Nothing to merge that searchd does not do itself; kept for the API. */
  async optimize(): Promise<void> {
    await this.flush();
  }

  /** Ranked search through the cluster (see cluster-search.ts); synchronous like a local index's. */
  search(query: string | StructuredQuery, options?: SearchOptions): ClusterSearchResult {
    this.live();
    return searchCluster(this.config, this.analyzer(), this.runSync, query, options);
  }

  private lookup(id: string): { rid: string; ttl: string; bdy: string; tgs: string; dat: string; fld: string } | undefined {
    const shard = this.config.shards[shardOf(id, this.config.shards.length)] as ClusterConfig['shards'][number];
    const [answer] = this.runSync(
      [
        {
          shard: shard.name,
          replicas: shard.replicas,
          statements: [{ sql: `SELECT rid, ttl, bdy, tgs, dat, fld FROM ${tableOf(this.config, shard.name)} WHERE id = ${idLiteral(sphinxId(id))}` }],
        },
      ],
      SEARCH_TIMEOUT_MS,
    );
    if (answer === undefined || !answer.ok)
      throw new ClusterError(shard.replicas.join(', '), shard.name, answer?.ok === false ? answer.errors.join('; ') : 'no answer');
    return (answer.results[0] as { rid: string; ttl: string; bdy: string; tgs: string; dat: string; fld: string }[])[0];
  }

  /** The stored document, or undefined. */
  get(id: string): (Doc & { body: string }) | undefined {
    this.live();
    const r = this.lookup(id);
    if (r === undefined) return undefined;
    const doc: Doc & { body: string } = {
      id: JSON.parse(r.rid),
      title: JSON.parse(r.ttl),
      body: JSON.parse(r.bdy),
      tags: JSON.parse(r.tgs),
    };
    const date = JSON.parse(r.dat) as string | number | null;
    const fields = JSON.parse(r.fld) as Doc['fields'] | null;
    if (date !== null) doc.date = date;
    if (fields !== null) doc.fields = fields;
    return doc;
  }

  has(id: string): boolean {
    this.live();
    return this.lookup(id) !== undefined;
  }

  /** Documents per shard (from a live replica of each). `bytesOnDisk` is 0: the data is on the nodes. */
  stats(): IndexStats {
    this.live();
    const answers = this.runSync(
      this.config.shards.map((s) => ({
        shard: s.name,
        replicas: s.replicas,
        statements: [{ sql: `SELECT COUNT(*) AS n FROM ${tableOf(this.config, s.name)}` }],
      })),
      SEARCH_TIMEOUT_MS,
    );
    const shardDocs = answers.map((a) => {
      if (!a.ok) throw new ClusterError(a.errors[0]?.split(' ')[1] ?? '?', a.shard, a.errors.join('; '));
      return Number((a.results[0] as { n: string }[])[0]?.n ?? 0);
    });
    return {
      docs: shardDocs.reduce((a, b) => a + b, 0),
      generation: 'cluster',
      shards: this.config.shards.length,
      threads: this.options.threads,
      memory: this.options.memory,
      bytesOnDisk: 0,
      shardDocs,
      shardSegments: shardDocs.map(() => 0),
    };
  }

  /** Flushes (durably), ends the workers and the connections. Safe to call twice. */
  async close(): Promise<WriteReport> {
    if (this.closed) return emptyReport();
    try {
      return this.writerInstance === null ? emptyReport() : await this.writerInstance.flush();
    } finally {
      this.closed = true;
      await this.writerInstance?.close();
      await this.sync?.close();
      await this.nodes.close();
    }
  }
}

/** How often a ClusterIndex looks whether a rebuild switched the live table set. */
const FOLLOW_INTERVAL_MS = 1000;

function configMtime(dir: string): number {
  return statSync(join(dir, CLUSTER_FILE)).mtimeMs;
}

export function openCluster(dir: string, options?: IndexOptions): Promise<ClusterIndex> {
  return ClusterIndex.open(dir, options);
}
