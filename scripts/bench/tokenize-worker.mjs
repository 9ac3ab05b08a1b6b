// A tokenizing worker for the peers' multi-threaded runs (scripts/bench/peer-index.mjs): it gets
// a batch of raw NDJSON lines, parses them and returns each document with its jieba tokens
// (the same tokenizer as every peer, ./tokenizer.mjs) joined by spaces. The main thread only
// reads lines and writes to the engine, so N of these are what "N threads" means for a peer.
// Plain JavaScript: a worker thread started from tsx does not get tsx's loader on Node 20.
import { parentPort } from 'node:worker_threads';
import { loadTokenizer } from './tokenizer.mjs';

const tokenize = loadTokenizer();
parentPort.on('message', (lines) => {
  const docs = [];
  for (const line of lines) {
    const d = JSON.parse(line);
    const title = d.title ?? '';
    docs.push({ id: d.id, title, body: d.body, titleTokens: tokenize(title).join(' '), bodyTokens: tokenize(d.body).join(' ') });
  }
  parentPort.postMessage(docs);
});
parentPort.postMessage('ready');
