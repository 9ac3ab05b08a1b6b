// The physical limit: @node-rs/jieba cutForSearch alone, one dictionary per thread, over
// this thread's share of the documents (read and parsed before the clock starts). With
// `maxBytes`, only the documents in the file's first maxBytes count (a prefix of the same text).
// Plain JavaScript: a worker thread started from tsx does not get tsx's loader on Node 20.
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict.js';

const { file, index, count, maxBytes } = workerData;
const jieba = Jieba.withDict(dict);
const texts = [];
let bytes = 0;
let seen = 0;
for (const [i, line] of readFileSync(file, 'utf8').split('\n').entries()) {
  seen += Buffer.byteLength(line) + 1;
  if (maxBytes !== undefined && seen > maxBytes) break;
  if (line.trim() === '' || i % count !== index) continue;
  const d = JSON.parse(line);
  texts.push(`${d.title ?? ''}\n${d.body}`);
  bytes += Buffer.byteLength(line) + 1;
}
parentPort.postMessage({ ready: true });
parentPort.once('message', () => {
  const started = performance.now();
  let tokens = 0;
  for (const t of texts) tokens += jieba.cutForSearch(t, true).length;
  parentPort.postMessage({ ms: performance.now() - started, bytes, tokens });
});
