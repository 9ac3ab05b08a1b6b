import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { ClusterError } from './cluster-error.js';
import type { ShardAnswer, ShardQuery } from './shard-query.js';

const fromSource = import.meta.url.endsWith('.ts');
const WORKER = fileURLToPath(new URL(fromSource ? './sync-sql-worker-tsx.mjs' : './sync-sql-worker.js', import.meta.url));

/** Extra time the main thread waits for the worker beyond the statements' own timeout (its start-up, mysql2 loading). */
const BRIDGE_SLACK_MS = 5000;

/**
 * SphinxQL from synchronous code: `search`, `get` and `has` of an index are synchronous in
 * ruyi's API. A worker thread owns the connections and runs the statements; the caller's
 * thread blocks on Atomics.wait until the worker posts the answers and notifies, then takes
 * them with receiveMessageOnPort (the technique of synckit). The blocking lasts one round
 * trip to the replicas (sub-millisecond on loopback), bounded by the statement timeout.
 */
export class SyncSql {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private seq = 0;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(WORKER, { workerData: { port: port2, flag: this.flag }, transferList: [port2] });
    this.worker.unref();
    this.worker.on('error', () => {});
  }

  run(queries: ShardQuery[], timeoutMs: number): ShardAnswer[] {
    const id = ++this.seq;
    Atomics.store(this.flag, 0, 0);
    this.port.postMessage({ id, queries, timeoutMs });
    const started = Date.now();
    const deadline = started + timeoutMs * Math.max(1, ...queries.map((q) => q.replicas.length)) + BRIDGE_SLACK_MS;
    for (;;) {
      // The worker posts before it raises the flag: after the flag is cleared, every answer it
      // announced is on the port.
      for (let m = receiveMessageOnPort(this.port); m !== undefined; m = receiveMessageOnPort(this.port)) {
        const msg = m.message as { id: number; answers?: ShardAnswer[]; error?: string };
        // An answer to an earlier call that timed out is dropped.
        if (msg.id !== id) continue;
        if (msg.error !== undefined) throw new ClusterError('(bridge)', null, msg.error);
        return msg.answers as ShardAnswer[];
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        const nodes = [...new Set(queries.flatMap((q) => q.replicas))].join(', ');
        throw new ClusterError(nodes, null, `no answer within ${Math.round((deadline - started) / 1000)} s`);
      }
      Atomics.wait(this.flag, 0, 0, left);
      Atomics.store(this.flag, 0, 0);
    }
  }

  async close(): Promise<void> {
    this.port.close();
    await this.worker.terminate();
  }
}
