// The naive pass for bench:memory: what a quick in-memory engine does. Every document is
// read whole, cut whole by jieba (cutForSearch), and kept with its postings in a Map, as
// riot keeps its whole index and documents in RAM. Prints a JSON line with its figures.
import { readFileSync } from 'node:fs';
import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict.js';

const started = performance.now();
const jieba = Jieba.withDict(dict);
const index = new Map();
const docs = [];
for (const line of readFileSync(process.argv[2], 'utf8').split('\n')) {
  if (line.trim() === '') continue;
  const doc = JSON.parse(line);
  docs.push(doc);
  const n = docs.length - 1;
  for (const term of jieba.cutForSearch(`${doc.title ?? ''}\n${doc.body}`, true)) {
    const postings = index.get(term);
    if (postings === undefined) index.set(term, [n]);
    else postings.push(n);
  }
}
console.log(
  JSON.stringify({
    docs: docs.length,
    terms: index.size,
    seconds: (performance.now() - started) / 1000,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  }),
);
