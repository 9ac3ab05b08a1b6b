import { ClusterError, reasonOf } from './cluster-error.js';
import type { SphinxNodes, Statement } from './sphinx-nodes.js';

/** Statements for one shard, run in order on one of its replicas. */
export interface ShardQuery {
  shard: string;
  replicas: string[];
  statements: Statement[];
}

export type ShardAnswer =
  | { shard: string; ok: true; node: string; results: unknown[] }
  /** No replica answered: each one's reason; `statementError` when a node refused the statement itself (not a failover case). */
  | { shard: string; ok: false; errors: string[]; statementError: boolean };

let turn = 0;

/**
 * Runs each shard's statements on one live replica, shards in parallel. Replicas are tried
 * in turn (a rotating start spreads reads); ones that failed in the last second go last; a
 * replica that fails is skipped and the next one tried, so with two replicas a dead node
 * changes no answer. A shard none of whose replicas answers comes back `ok: false`.
 */
export async function runShardQueries(nodes: SphinxNodes, queries: readonly ShardQuery[], timeoutMs: number): Promise<ShardAnswer[]> {
  turn = (turn + 1) % 1_000_000;
  return Promise.all(
    queries.map(async (q): Promise<ShardAnswer> => {
      const n = q.replicas.length;
      const order = Array.from({ length: n }, (_, i) => q.replicas[(i + turn) % n] as string);
      order.sort((a, b) => Number(nodes.isDown(a)) - Number(nodes.isDown(b)));
      const errors: string[] = [];
      let statementError = false;
      for (const addr of order) {
        try {
          const results = await nodes.run(addr, q.statements, q.shard, timeoutMs);
          return { shard: q.shard, ok: true, node: addr, results };
        } catch (err) {
          errors.push(err instanceof ClusterError ? err.message.replace(/^ruyi: /, '') : `node ${addr}: ${reasonOf(err)}`);
          if (err instanceof ClusterError && err.message.includes('statement failed')) statementError = true;
        }
      }
      return { shard: q.shard, ok: false, errors, statementError };
    }),
  );
}
