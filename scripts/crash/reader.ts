import { existsSync, writeSync } from 'node:fs';
import { openIndex } from '../../src/index.js';
import { docId, makeDoc, POOL, versionOf } from './plan.js';

/**
 * A searching process for the concurrency test: searches and reads documents of the crash
 * plan continuously until <stop-file> exists, and checks that every document it sees is
 * whole (its body is the one written for the version its title names). Prints one JSON
 * line: { queries, hits, checked, errors: [first 10] }.
 * usage: reader.ts <db> <stop-file>
 */
const [db, stopFile] = process.argv.slice(2) as [string, string];
while (!existsSync(`${db}/CURRENT`)) await new Promise((r) => setTimeout(r, 20));
const index = await openIndex(db, { create: false, threads: 1 });
let queries = 0;
let hits = 0;
let checked = 0;
const errors: string[] = [];
let i = 0;
while (!existsSync(stopFile)) {
  try {
    const id = docId(i++ % POOL);
    const result = index.search(`文章${id}`, { limit: 5 });
    queries++;
    hits += result.hits.length;
    for (const hit of result.hits) {
      const doc = index.get(hit.id);
      if (doc === undefined || hit.id.startsWith('pad-')) continue; // removed since the search: fine
      const version = versionOf(doc.title ?? '');
      if (version === null || doc.body !== makeDoc(hit.id, version).body)
        errors.push(`${hit.id}: half-written document (title ${doc.title})`);
      checked++;
    }
    index.stats();
  } catch (err) {
    errors.push((err as Error).message);
  }
  if (i % 50 === 0) await new Promise((r) => setImmediate(r));
}
await index.close();
writeSync(1, `${JSON.stringify({ queries, hits, checked, errors: errors.slice(0, 10), errorCount: errors.length })}\n`);
