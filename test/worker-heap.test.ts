import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openIndex } from '../src/index.js';
import { WORKER_HEAP_LIMIT_MB } from '../src/memory-plan.js';
import { sampleDocs, tempDir } from './helpers.js';

const MiB = 1024 * 1024;

/*
 * This test process is a host app as users run one: plain node, no heap flags. The CLI's
 * --max-old-space-size=64 is process-wide and overrides the workers' own limits, so the
 * budgets were measured with 64 MB worker heaps; a host app once gave its workers the 12 MB
 * a share of the plan named, and V8 then collected all the time (71 s instead of 1.9 s
 * for the dev corpus).
 */
test('in a host app the workers get the heap limit the budgets were measured with, and their heap stays within its share', async (t) => {
  const dir = tempDir(t);
  const docs = sampleDocs();
  // Real text, and one long article among it: the heap holds a batch's strings and a long
  // document's analysis, never the dump.
  const long = docs.filter((d) => d.body.length > 2000).map((d) => d.body).join('\n\n').slice(0, 600_000);
  const index = await openIndex(dir, { create: true, threads: 2, preloadAnalyzer: false });
  t.after(() => index.close());
  await index.add(docs);
  await index.add({ id: 'long', title: '一篇很长的文章', body: long });
  const report = await index.flush();
  assert.equal(report.added, docs.length + 1);
  const heap = report.workerHeap;
  assert.ok(heap !== undefined, 'the workers report their heap');
  const plan = index.stats().memory;
  assert.ok(heap.limitBytes >= WORKER_HEAP_LIMIT_MB * MiB, `limit ${heap.limitBytes / MiB} MB`);
  // V8 collects well before its limit when the heap stays this far below it.
  assert.ok(heap.committedBytes <= heap.limitBytes / 2, `committed ${heap.committedBytes / MiB} MB`);
  // The isolate with its modules (~12 MB, counted in WORKER_BASE_BYTES) plus the plan's share.
  assert.ok(heap.usedBytes <= 12 * MiB + plan.workerWorkBytes, `used ${heap.usedBytes / MiB} MB of ${plan.workerWorkBytes / MiB} MB`);
  assert.equal(index.search('一篇很长的文章').hits[0]?.id, 'long');
});
