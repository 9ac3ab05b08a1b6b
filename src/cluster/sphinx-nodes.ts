import { createRequire } from 'node:module';
import type mysql from 'mysql2/promise';

/** Loaded by the first connection, not by every process that imports ruyi (~17 MB, ~0.1-0.3 s). */
let driver: typeof mysql | null = null;
const mysqlDriver = (): typeof mysql => (driver ??= createRequire(import.meta.url)('mysql2/promise') as typeof mysql);
import { ClusterError, isConnectionError, reasonOf } from './cluster-error.js';

/** A node that cannot be reached fails fast after this long: the CLI must name it within 5 s. */
export const CONNECT_TIMEOUT_MS = 2000;
/** A node that failed is skipped by reads for this long, then tried again (so a node that comes back is used again). */
export const DOWN_RETRY_MS = 1000;
/** Connections per node and process. */
const CONNECTIONS_PER_NODE = 4;

export interface Statement {
  sql: string;
  values?: unknown[];
}

/**
 * Connection pools to the cluster's nodes, one per address, created on first use, and
 * which nodes failed recently. Statements are always given as SQL with `?` placeholders and
 * values: mysql2 escapes every value on the client (Sphinx has no server-side prepared
 * statements), so nothing a user typed is ever SphinxQL syntax.
 */
export class SphinxNodes {
  private readonly pools = new Map<string, mysql.Pool>();
  private readonly downUntil = new Map<string, number>();

  constructor(private readonly statementTimeoutMs = 30_000) {}

  private pool(address: string): mysql.Pool {
    let pool = this.pools.get(address);
    if (pool === undefined) {
      const at = address.lastIndexOf(':');
      pool = mysqlDriver().createPool({
        host: address.slice(0, at),
        port: Number(address.slice(at + 1)),
        connectTimeout: CONNECT_TIMEOUT_MS,
        connectionLimit: CONNECTIONS_PER_NODE,
        maxIdle: CONNECTIONS_PER_NODE,
        idleTimeout: 10_000,
        supportBigNumbers: true,
        bigNumberStrings: true,
        charset: 'UTF8_GENERAL_CI',
      });
      // A pool emits errors of idle connections (a node killed): they surface on the next statement.
      pool.pool.on('error', () => {});
      this.pools.set(address, pool);
    }
    return pool;
  }

  isDown(address: string): boolean {
    return (this.downUntil.get(address) ?? 0) > Date.now();
  }

  markDown(address: string): void {
    this.downUntil.set(address, Date.now() + DOWN_RETRY_MS);
  }

  /**
   * Runs the statements in order on one connection of the node (so `SHOW META` follows its
   * SELECT) and returns each one's rows. Throws ClusterError naming the node (and `shard`).
   */
  async run(
    address: string,
    statements: readonly Statement[],
    shard: string | null = null,
    timeoutMs = this.statementTimeoutMs,
  ): Promise<unknown[]> {
    let conn: mysql.PoolConnection;
    try {
      conn = await this.pool(address).getConnection();
    } catch (err) {
      this.markDown(address);
      throw new ClusterError(address, shard, `cannot connect: ${reasonOf(err)}`, { cause: err });
    }
    const results: unknown[] = [];
    try {
      for (const s of statements) {
        const [rows] = await conn.query({ sql: s.sql, values: s.values ?? [], timeout: timeoutMs });
        results.push(rows);
      }
      this.downUntil.delete(address);
    } catch (err) {
      if (isConnectionError(err) || (err as { code?: string }).code === 'PROTOCOL_SEQUENCE_TIMEOUT') {
        this.markDown(address);
        conn.destroy();
        throw new ClusterError(address, shard, `connection failed: ${reasonOf(err)}`, { cause: err });
      }
      conn.release();
      throw new ClusterError(address, shard, `statement failed: ${reasonOf(err)}`, { cause: err });
    }
    conn.release();
    return results;
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.end().catch(() => {})));
  }
}
