import { type MessagePort, workerData } from 'node:worker_threads';
import { runShardQueries, type ShardQuery } from './shard-query.js';
import { SphinxNodes } from './sphinx-nodes.js';

/** The worker side of SyncSql: runs each request's shard queries and wakes the waiting thread. */
const { port, flag } = workerData as { port: MessagePort; flag: Int32Array };
const nodes = new SphinxNodes();

port.on('message', (msg: { id: number; queries: ShardQuery[]; timeoutMs: number }) => {
  runShardQueries(nodes, msg.queries, msg.timeoutMs)
    .then(
      (answers) => port.postMessage({ id: msg.id, answers }),
      (err: Error) => port.postMessage({ id: msg.id, error: err.message }),
    )
    .finally(() => {
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
    });
});
port.on('close', () => {
  void nodes.close();
});
