import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { openIndex } from '../src/index.js';
import { sampleDocs, tempDir } from './helpers.js';

/*
 * Ranking must not depend on how a shard's postings are split into segments: a bulk load ends
 * with one segment a shard, a server's uploads with several, and the same documents must rank
 * the same. Proximity once skipped a word whose positions took more than 8 KB in a segment,
 * so one large segment ranked common words differently from several small ones.
 */
test('the same documents rank the same in several segments and in one, with common words too', async (t) => {
  const dir = tempDir(t);
  const docs = sampleDocs();
  const many = join(dir, 'many');
  const index = await openIndex(many, { create: true, shards: 1, threads: 1, preloadAnalyzer: false });
  // Twelve copies of the sample (8 MB), flushed apart: common words' positions grow past
  // what any one flush holds.
  for (let copy = 0; copy < 12; copy++) {
    await index.add(docs.map((d) => ({ ...d, id: `${copy}:${d.id}` })));
    await index.flush();
  }
  const segments = index.stats().shardSegments[0] as number;
  await index.close();
  assert.ok(segments > 1, `${segments} segment`);
  const one = join(dir, 'one');
  cpSync(many, one, { recursive: true });
  const merged = await openIndex(one, { create: false, threads: 1 });
  await merged.optimize();
  assert.deepEqual(merged.stats().shardSegments, [1]);
  const split = await openIndex(many, { create: false, threads: 1 });
  t.after(async () => {
    await merged.close();
    await split.close();
  });
  for (const q of ['文件 目录', '显示 文件 内容', '用户 程序', '命令 选项', '输出 文件', '不 知道']) {
    const a = split.search(q, { limit: 20 });
    const b = merged.search(q, { limit: 20 });
    assert.ok(a.total > 20, q);
    assert.equal(a.total, b.total, q);
    assert.deepEqual(
      b.hits.map((h) => [h.id, h.score.toFixed(9)]),
      a.hits.map((h) => [h.id, h.score.toFixed(9)]),
      q,
    );
  }
});
