import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { AnalysisOptions } from '../analysis/analysis-options.js';
import type { WriteReport } from '../batcher.js';
import { utf8Boundary } from '../doc-size.js';
import { shardOf } from '../router.js';
import type { DocInput } from '../types.js';
import type { AnalyzeResult, AnalyzeTask } from './analyze-worker.js';
import { type ClusterConfig, tableOf } from './cluster-config.js';
import type { ClusterMemoryPlan } from './cluster-memory.js';
import { idLiteral, sphinxId } from './doc-ids.js';
import { COLUMNS, type DocRow, MAX_STRING_ATTR_BYTES } from './doc-rows.js';
import type { SphinxNodes } from './sphinx-nodes.js';

/** Ids per DELETE / SELECT ... IN statement. */
const IDS_PER_STATEMENT = 1000;
const MAX_REPORTED = 100;

const fromSource = import.meta.url.endsWith('.ts');
const WORKER = fileURLToPath(new URL(fromSource ? './analyze-worker-tsx.mjs' : './analyze-worker.js', import.meta.url));

export function emptyReport(): WriteReport {
  return { added: 0, replaced: 0, superseded: 0, removed: 0, missing: 0, failed: [], failedCount: 0, rejected: [], rejectedCount: 0 };
}

interface ShardBuffer {
  rows: Map<string, DocRow>;
  bytes: number;
  /** The statement in flight to this shard's replicas: at most one, so writes to a shard stay in order. */
  sending: Promise<void>;
}

/**
 * Writes documents to the cluster: a Piscina pool analyzes them (jieba, as for a local index)
 * into rows, which go to their shard by ruyi's own hash (router.ts) and to every replica of
 * it, in REPLACE statements of at most `memory.statementBytes`, one in flight per shard.
 * Every buffer and heap is sized by the budget (cluster-memory.ts). Results of
 * analysis are taken in the order the documents came, so the last copy of an id wins.
 * flush() ends with FLUSH RTINDEX on every replica of every shard it wrote: searchd's binlog
 * alone lost acknowledged commits after a kill -9 in Sphinx 2.2.11 (see README).
 */
export class ClusterWriter {
  private pool: Piscina | null = null;
  private pendingDocs: DocInput[] = [];
  private pendingWhere: string[] = [];
  private pendingBytes = 0;
  private readonly tasks: { result: Promise<AnalyzeResult>; where: string[] }[] = [];
  private readonly buffers: ShardBuffer[];
  private bufferedBytes = 0;
  private readonly touched = new Set<number>();
  private report = emptyReport();
  private failure: Error | null = null;
  /** Marks every row this writer writes (ms since the epoch at its start): what sweep() keeps. */
  readonly loadId = Date.now();

  constructor(
    private readonly config: ClusterConfig,
    private readonly nodes: SphinxNodes,
    private readonly options: { memory: ClusterMemoryPlan; analysis: AnalysisOptions; truncate: boolean },
  ) {
    this.buffers = config.shards.map(() => ({ rows: new Map(), bytes: 0, sending: Promise.resolve() }));
  }

  private workers(): Piscina {
    const { threads, tasksInFlight, workerHeapMb } = this.options.memory;
    this.pool ??= new Piscina({
      filename: WORKER,
      name: 'analyzeDocs',
      minThreads: 0,
      maxThreads: threads,
      maxQueue: tasksInFlight,
      idleTimeout: 30_000,
      recordTiming: false,
      atomics: 'disabled',
      resourceLimits: { maxOldGenerationSizeMb: workerHeapMb, maxYoungGenerationSizeMb: 2 },
    });
    return this.pool;
  }

  private check(): void {
    if (this.failure !== null) throw this.failure;
  }

  /** Queues a validated document; resolves when it is accepted (backpressure: analysis tasks in flight are bounded). */
  async add(doc: DocInput, where: string): Promise<void> {
    this.check();
    const { maxBodyBytes, taskBytes } = this.options.memory;
    // A body past what a worker's heap can analyze would end the worker (heap limit): refused
    // naming the document, or cut with truncate. The byte count only when it may be over.
    if (doc.body.length * 3 > maxBodyBytes && Buffer.byteLength(doc.body) > maxBodyBytes) {
      if (!this.options.truncate) {
        const limit =
          maxBodyBytes >= MAX_STRING_ATTR_BYTES
            ? `${MAX_STRING_ATTR_BYTES + 1} bytes stored (the most a Sphinx 2.2 string attribute holds)`
            : `${maxBodyBytes} bytes this budget can analyze (raise --max-memory)`;
        this.fail(where, `body of ${Buffer.byteLength(doc.body)} bytes is over the ${limit}; --truncate cuts it`);
        return;
      }
      doc = { ...doc, body: cutToBytes(doc.body, maxBodyBytes) };
    }
    this.pendingDocs.push(doc);
    this.pendingWhere.push(where);
    this.pendingBytes += (doc.title.length + doc.body.length) * 2 + 64;
    if (this.pendingBytes >= taskBytes) await this.dispatch();
  }

  private fail(where: string, reason: string): void {
    this.report.failedCount++;
    if (this.report.failed.length < MAX_REPORTED) this.report.failed.push({ id: where, reason });
  }

  private async dispatch(): Promise<void> {
    if (this.pendingDocs.length === 0) return;
    const task: AnalyzeTask = {
      docs: this.pendingDocs,
      analysis: this.options.analysis,
      truncate: this.options.truncate,
      loadId: this.loadId,
    };
    const result = this.workers().run(task) as Promise<AnalyzeResult>;
    // Awaited in order by takeOne; a close() after a failure rejects tasks nobody takes any more.
    result.catch(() => {});
    this.tasks.push({ result, where: this.pendingWhere });
    this.pendingDocs = [];
    this.pendingWhere = [];
    this.pendingBytes = 0;
    while (this.tasks.length >= this.options.memory.tasksInFlight) await this.takeOne();
  }

  /** Takes the oldest analysis result: its rows go to their shards' buffers. */
  private async takeOne(): Promise<void> {
    const head = this.tasks.shift();
    if (head === undefined) return;
    const { rows, rejected } = await head.result;
    for (const r of rejected) this.fail(head.where[r.at] ?? '?', r.reason);
    for (const row of rows) {
      const k = shardOf(row.rid, this.config.shards.length);
      const buf = this.buffers[k] as ShardBuffer;
      const old = buf.rows.get(row.rid);
      if (old !== undefined) {
        buf.bytes -= old.bytes;
        this.bufferedBytes -= old.bytes;
        this.report.superseded++;
      }
      buf.rows.set(row.rid, row);
      buf.bytes += row.bytes;
      this.bufferedBytes += row.bytes;
      if (buf.bytes >= this.options.memory.statementBytes) await this.send(k);
    }
    while (this.bufferedBytes > this.options.memory.bufferedBytes) {
      let largest = 0;
      this.buffers.forEach((b, i) => {
        if (b.bytes > (this.buffers[largest] as ShardBuffer).bytes) largest = i;
      });
      await this.send(largest);
    }
  }

  /** Sends shard k's buffered rows to every replica; waits for the shard's previous statement first. */
  private async send(k: number): Promise<void> {
    const buf = this.buffers[k] as ShardBuffer;
    await buf.sending;
    this.check();
    if (buf.rows.size === 0) return;
    const rows = [...buf.rows.values()];
    this.bufferedBytes -= buf.bytes;
    buf.rows = new Map();
    buf.bytes = 0;
    const shard = this.config.shards[k] as ClusterConfig['shards'][number];
    const sql = `REPLACE INTO ${tableOf(this.config, shard.name)} (${COLUMNS.join(',')}) VALUES ${rows.map((r) => r.values).join(',')}`;
    this.touched.add(k);
    buf.sending = this.onEveryReplica(k, [{ sql }]).then(
      () => {
        this.report.added += rows.length;
      },
      (err: Error) => {
        this.failure ??= err;
      },
    );
  }

  /** Runs statements on every replica of shard k; the first failure names its node and shard. */
  private async onEveryReplica(k: number, statements: { sql: string; values?: unknown[] }[]): Promise<unknown[][]> {
    const shard = this.config.shards[k] as ClusterConfig['shards'][number];
    const settled = await Promise.allSettled(shard.replicas.map((addr) => this.nodes.run(addr, statements, shard.name)));
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
    return settled.map((s) => (s as PromiseFulfilledResult<unknown[]>).value);
  }

  /** Everything queued so far reaches the replicas (not yet FLUSHed). */
  private async drain(): Promise<void> {
    await this.dispatch();
    while (this.tasks.length > 0) await this.takeOne();
    for (let k = 0; k < this.buffers.length; k++) await this.send(k);
    await Promise.all(this.buffers.map((b) => b.sending));
    this.check();
  }

  /** Removes by ruyi id, after everything queued before; counts ids that no replica had as missing. */
  async remove(ids: readonly string[]): Promise<void> {
    this.check();
    await this.drain();
    const byShard = new Map<number, string[]>();
    for (const id of ids) {
      const k = shardOf(id, this.config.shards.length);
      byShard.set(k, [...(byShard.get(k) ?? []), sphinxId(id)]);
    }
    for (const [k, all] of byShard) {
      const name = tableOf(this.config, (this.config.shards[k] as ClusterConfig['shards'][number]).name);
      for (let i = 0; i < all.length; i += IDS_PER_STATEMENT) {
        const list = [...new Set(all.slice(i, i + IDS_PER_STATEMENT))].map(idLiteral).join(',');
        const [found] = await this.onEveryReplica(k, [
          { sql: `SELECT id FROM ${name} WHERE id IN (${list}) LIMIT ${IDS_PER_STATEMENT} OPTION max_matches=${IDS_PER_STATEMENT}` },
          { sql: `DELETE FROM ${name} WHERE id IN (${list})` },
        ]);
        const present = ((found as unknown[])[0] as unknown[]).length;
        this.report.removed += present;
        this.report.missing += all.slice(i, i + IDS_PER_STATEMENT).length - present;
        this.touched.add(k);
      }
    }
  }

  /**
   * Resolves when everything queued is on every replica of its shard and durable there
   * (FLUSH RTINDEX: searchd writes the RT index's RAM chunk to disk), with the counts since
   * the last flush. A replica that is down fails it with a ClusterError naming node and shard.
   */
  async flush(): Promise<WriteReport> {
    await this.drain();
    const touched = [...this.touched];
    await Promise.all(
      touched.map((k) =>
        this.onEveryReplica(k, [{ sql: `FLUSH RTINDEX ${tableOf(this.config, (this.config.shards[k] as ClusterConfig['shards'][number]).name)}` }]),
      ),
    );
    this.touched.clear();
    const report = this.report;
    this.report = emptyReport();
    return report;
  }

  /**
   * After a flush: deletes, on every replica, the documents no row of this writer replaced
   * (an older load_id): a served index deleted (a writer that wrote nothing deletes all).
   * A rebuild does not sweep: it fills the other table set (ClusterIndex.beginRebuild).
   * Sphinx 2.2 deletes only by id, so the ids are listed first, a page at a time. Returns
   * the documents removed (counted on each shard's first replica).
   */
  async sweep(): Promise<number> {
    await this.flush();
    let removed = 0;
    await Promise.all(
      this.config.shards.map(async (shard) => {
        const counts = await Promise.all(
          shard.replicas.map(async (node) => {
            let n = 0;
            let after = 0n;
            for (;;) {
              const [rows] = (await this.nodes.run(
                node,
                [
                  {
                    sql: `SELECT id FROM ${tableOf(this.config, shard.name)} WHERE load_id < ${this.loadId} AND id > ${after} ORDER BY id ASC LIMIT ${IDS_PER_STATEMENT} OPTION max_matches=${IDS_PER_STATEMENT}`,
                  },
                ],
                shard.name,
              )) as { id: string }[][];
              const ids = (rows ?? []).map((r) => idLiteral(r.id));
              if (ids.length > 0)
                await this.nodes.run(node, [{ sql: `DELETE FROM ${tableOf(this.config, shard.name)} WHERE id IN (${ids.join(',')})` }], shard.name);
              n += ids.length;
              const last = ids[ids.length - 1];
              if (ids.length < IDS_PER_STATEMENT || last === undefined) break;
              after = BigInt(last);
            }
            await this.nodes.run(node, [{ sql: `FLUSH RTINDEX ${tableOf(this.config, shard.name)}` }], shard.name);
            return n;
          }),
        );
        removed += counts[0] ?? 0;
      }),
    );
    return removed;
  }

  async close(): Promise<void> {
    await this.pool?.destroy();
    this.pool = null;
  }
}

/** The longest prefix of `text` whose UTF-8 is at most `maxBytes` (never splitting a character). */
export function cutToBytes(text: string, maxBytes: number): string {
  // At most maxBytes characters can fit: only they are encoded, not the whole (long) text.
  return cutUtf8(Buffer.from(text.slice(0, maxBytes), 'utf8'), maxBytes);
}

/** The longest whole-character prefix of UTF-8 `bytes` of at most `maxBytes`, decoded. */
export function cutUtf8(bytes: Uint8Array, maxBytes: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, utf8Boundary(bytes, maxBytes)).toString('utf8');
}
