import { Worker } from 'node:worker_threads';

export interface Ceiling {
  threads: number;
  mbPerSecond: number;
  tokens: number;
  bytes: number;
}

/**
 * Raw @node-rs/jieba cutForSearch throughput on `threads` worker threads, each with its own
 * dictionary and its share of the documents (parsed before the clock starts): the physical
 * limit of any jieba-based indexer on this machine. MB/s counts NDJSON input bytes, as
 * `ruyi index` does.
 */
export async function jiebaCeiling(file: string, threads: number, maxBytes?: number): Promise<Ceiling> {
  const workers = Array.from(
    { length: threads },
    (_, index) =>
      new Worker(new URL('../jieba-ceiling-worker.mjs', import.meta.url), { workerData: { file, index, count: threads, maxBytes } }),
  );
  await Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))));
  const started = performance.now();
  const results = await Promise.all(
    workers.map((w) => {
      const done = new Promise<{ ms: number; bytes: number; tokens: number }>((resolve) => w.once('message', resolve));
      w.postMessage('go');
      return done;
    }),
  );
  const wallMs = performance.now() - started;
  await Promise.all(workers.map((w) => w.terminate()));
  const bytes = results.reduce((s, r) => s + r.bytes, 0);
  return { threads, mbPerSecond: bytes / 1e6 / (wallMs / 1000), tokens: results.reduce((s, r) => s + r.tokens, 0), bytes };
}
