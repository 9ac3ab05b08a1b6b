/**
 * The bulk pipeline (NDJSON lines routed by the id read from their bytes, parsed and
 * validated in the workers) must build the same index as documents added one by one
 * through the library (parsed and validated on the main thread): the same stored documents,
 * and for every query the same ids, scores and positions behind them.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openIndex } from '../src/index.js';
import { SAMPLE_FILE, sampleDocs, tempDir, uniqueTitles } from './helpers.js';

const BIN = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));

test('ruyi index (lines parsed in the workers) and add() build indexes that answer alike', async (t) => {
  const dir = tempDir(t);
  const docs = sampleDocs();
  const bulk = spawnSync(BIN, ['index', SAMPLE_FILE, '--db', join(dir, 'bulk'), '--threads', '2', '--json'], { encoding: 'utf8' });
  assert.equal(bulk.status, 0, bulk.stderr);
  assert.equal(JSON.parse(bulk.stdout).docs, docs.length);

  const lib = await openIndex(join(dir, 'lib'), { threads: 1 });
  await lib.add(docs);
  await lib.optimize();
  await lib.close();

  const a = await openIndex(join(dir, 'bulk'), { create: false });
  const b = await openIndex(join(dir, 'lib'), { create: false });
  t.after(async () => {
    await a.close();
    await b.close();
  });
  assert.equal(a.stats().docs, b.stats().docs);
  for (const doc of docs) assert.deepEqual(a.get(doc.id), b.get(doc.id), doc.id);

  const queries = [
    ...uniqueTitles(docs)
      .slice(0, 60)
      .map((d) => d.title),
    '列出目录内容',
    '"文件 系统"',
    '内存 -beego',
    '明月 OR 天下',
    'tag:manpages-zh 文件',
    '目录*',
  ];
  for (const q of queries) {
    const ra = a.search(q, { limit: 20 });
    const rb = b.search(q, { limit: 20 });
    assert.equal(ra.total, rb.total, q);
    assert.deepEqual(
      ra.hits.map((h) => [h.id, h.score.toFixed(9)]),
      rb.hits.map((h) => [h.id, h.score.toFixed(9)]),
      q,
    );
  }
});
