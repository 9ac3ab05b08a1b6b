import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { RuyiIndex } from '../src/engine.js';
import { type Doc, isEngineError, openIndex } from '../src/index.js';
import { sampleDocs, tempDir, uniqueTitles } from './helpers.js';

const docs = sampleDocs();

async function sampleIndex(dir: string, options: { shards?: number; threads?: number; batchBytes?: number } = {}) {
  const index = await openIndex(dir, { threads: 2, ...options });
  await index.add(docs);
  const report = await index.flush();
  assert.equal(report.failedCount, 0);
  return index;
}

test('indexes the sample and finds documents by Chinese words, titles and mixed queries', async (t) => {
  const index = await sampleIndex(tempDir(t));
  t.after(() => index.close());
  assert.equal(index.stats().docs, docs.length);

  const ls = index.search('列出目录内容');
  assert.equal(ls.hits[0]?.id, 'manpages-zh:man1/ls.1');

  const mixed = index.search('grep 匹配模式');
  assert.ok(
    mixed.hits.slice(0, 3).some((h) => h.id === 'manpages-zh:man1/grep.1'),
    JSON.stringify(mixed.hits),
  );

  // Full-width letters and upper case are folded: ＧＲＥＰ finds grep.
  const wide = index.search('ＧＲＥＰ');
  assert.ok(wide.hits.some((h) => h.id === 'manpages-zh:man1/grep.1'));

  // A word inside a long compound (search mode) is found.
  const doc = index.get('manpages-zh:man1/ls.1');
  assert.equal(doc?.title, 'ls - 列出目录内容');
  assert.ok(doc?.body.includes('ls'));
  assert.deepEqual(doc?.tags, ['manpages-zh', 'man1']);
});

test('a document searched by its exact title ranks first', async (t) => {
  const index = await sampleIndex(tempDir(t));
  t.after(() => index.close());
  const known = uniqueTitles(docs);
  let first = 0;
  // Titles are text, not queries: "write -在一个文件描述符上执行写操作" would exclude its second half.
  for (const { id, title } of known) if (index.search(title, { limit: 1, syntax: 'plain' }).hits[0]?.id === id) first++;
  assert.equal(first, known.length, `${first} of ${known.length} titles ranked their document first`);
});

test('replacing a document removes its old words; removing it removes it', async (t) => {
  const index = await openIndex(tempDir(t), { threads: 1, shards: 2 });
  t.after(() => index.close());
  await index.add(docs.slice(0, 50));
  await index.add({ id: 'post-1', title: '内存溢出排查', body: '服务器在凌晨发生内存溢出，进程被杀死。' });
  await index.flush();
  assert.equal(index.search('内存溢出').hits[0]?.id, 'post-1');

  await index.add({ id: 'post-1', title: '数据库备份', body: '每天凌晨三点备份数据库到对象存储。' });
  const replaced = await index.flush();
  assert.equal(replaced.replaced, 1);
  assert.equal(
    index.search('内存溢出').hits.find((h) => h.id === 'post-1'),
    undefined,
  );
  assert.equal(
    index.search('溢出', { limit: 1000 }).hits.find((h) => h.id === 'post-1'),
    undefined,
  );
  assert.equal(index.search('数据库备份').hits[0]?.id, 'post-1');
  assert.equal(index.get('post-1')?.title, '数据库备份');
  assert.equal(index.stats().docs, 51);

  await index.remove('post-1');
  const removed = await index.flush();
  assert.equal(removed.removed, 1);
  assert.equal(index.has('post-1'), false);
  assert.equal(index.get('post-1'), undefined);
  assert.equal(
    index.search('数据库备份').hits.find((h) => h.id === 'post-1'),
    undefined,
  );
  assert.equal(index.stats().docs, 50);

  await index.remove('never-there');
  assert.equal((await index.flush()).missing, 1);
});

test('the same id twice in one batch: the last one wins', async (t) => {
  const index = await openIndex(tempDir(t), { threads: 1, shards: 1 });
  t.after(() => index.close());
  await index.add([
    { id: 'a', title: '第一版', body: '旧的内容讲的是苹果' },
    { id: 'a', title: '第二版', body: '新的内容讲的是香蕉' },
  ]);
  await index.flush();
  assert.equal(index.search('苹果').total, 0);
  assert.equal(index.search('香蕉').hits[0]?.id, 'a');
  assert.equal(index.stats().docs, 1);
});

test('reopening gives identical results without rebuilding anything', async (t) => {
  const dir = tempDir(t);
  const queries = ['内存', '文件 权限', '明月', 'tcp 连接', '正则表达式', 'ssh'];
  const index = await sampleIndex(dir, { shards: 3 });
  const before = queries.map((q) => index.search(q, { limit: 20 }));
  await index.close();
  const again = await openIndex(dir, { threads: 1 });
  t.after(() => again.close());
  const after = queries.map((q) => again.search(q, { limit: 20 }));
  for (let i = 0; i < queries.length; i++) {
    assert.equal(after[i]?.total, before[i]?.total);
    assert.deepEqual(after[i]?.hits, before[i]?.hits);
  }
  assert.equal(again.stats().docs, docs.length);
});

test('1 shard vs 4 shards, 1 thread vs 2 threads: the same ids and scores', async (t) => {
  const queries = ['内存', '文件 权限', '明月 故乡', 'tcp 连接', 'grep 正则表达式', '春风', '网络 接口 配置', 'ls - 列出目录内容'];
  const layouts = [
    { shards: 1, threads: 1 },
    { shards: 4, threads: 2 },
    { shards: 4, threads: 1, batchBytes: 16 * 1024 },
  ];
  const results: string[][] = [];
  for (const layout of layouts) {
    const index = await sampleIndex(tempDir(t), layout);
    results.push(queries.map((q) => JSON.stringify(index.search(q, { limit: 30 })).replace(/"tookMs":[\d.e-]+/, '')));
    await index.close();
  }
  assert.deepEqual(results[1], results[0]);
  assert.deepEqual(results[2], results[0]);
});

test('tags filter results to documents with every given tag', async (t) => {
  const index = await sampleIndex(tempDir(t));
  t.after(() => index.close());
  const all = index.search('月', { limit: 1000 });
  const poems = index.search('月', { tags: ['chinese-poetry'], limit: 1000 });
  assert.ok(poems.total > 0 && poems.total < all.total);
  for (const h of poems.hits) assert.ok(h.tags.includes('chinese-poetry'), h.id);
  const none = index.search('月', { tags: ['chinese-poetry', 'man1'] });
  assert.equal(none.total, 0);
  // Tags alone list the tagged documents.
  const man1 = index.search('', { tags: ['MAN1'], limit: 1000 });
  assert.equal(man1.total, docs.filter((d) => d.tags?.includes('man1')).length);
});

test('paging: offset and limit slice one ranking, total is exact', async (t) => {
  const index = await sampleIndex(tempDir(t));
  t.after(() => index.close());
  const full = index.search('文件', { limit: 40 });
  const page2 = index.search('文件', { limit: 10, offset: 10 });
  assert.equal(page2.total, full.total);
  assert.deepEqual(page2.hits, full.hits.slice(10, 20));
  assert.throws(
    () => index.search('文件', { limit: 5000 }),
    (e) => isEngineError(e, 'E_CONFIG'),
  );
});

test('many small batches are merged and stay exact', async (t) => {
  const dir = tempDir(t);
  const index = await openIndex(dir, { threads: 1, shards: 1 });
  t.after(() => index.close());
  const subset = docs.slice(0, 40);
  for (const doc of subset) {
    await index.add(doc);
    await index.flush();
  }
  // Replace half of them, one flush each, so deleted postings sit in merged segments.
  for (const doc of subset.slice(0, 20)) {
    await index.add({ ...doc, body: `${doc.body}\n补充：蝴蝶效应` });
    await index.flush();
  }
  const stats = index.stats();
  assert.equal(stats.docs, 40);
  assert.ok((stats.shardSegments[0] ?? 99) < 20, `segments: ${stats.shardSegments}`);
  assert.equal(index.search('蝴蝶效应', { limit: 100 }).total, 20);

  const fresh = await openIndex(tempDir(t), { threads: 1, shards: 1 });
  await fresh.add(subset.slice(20));
  await fresh.add(subset.slice(0, 20).map((d) => ({ ...d, body: `${d.body}\n补充：蝴蝶效应` })));
  await fresh.flush();
  for (const q of ['蝴蝶效应', '文件', '内存', '月']) {
    assert.deepEqual(
      index.search(q, { limit: 50 }).hits.map((h) => [h.id, h.score]),
      fresh.search(q, { limit: 50 }).hits.map((h) => [h.id, h.score]),
      q,
    );
  }
  await index.optimize();
  assert.equal(index.stats().shardSegments[0], 1);
  assert.equal(index.search('蝴蝶效应', { limit: 100 }).total, 20);
  await fresh.close();
});

test('invalid documents are refused with the place named; earlier ones are kept', async (t) => {
  const index = await openIndex(tempDir(t), { threads: 1, shards: 2 });
  t.after(() => index.close());
  const batch: unknown[] = [docs[0], docs[1], { id: 'bad', title: '无正文' }, docs[2]];
  await assert.rejects(
    index.add(batch as Doc[]),
    (e) => isEngineError(e, 'E_INPUT') && /document 2 \(id "bad"\): missing body/.test(e.message),
  );
  await assert.rejects(index.add({ id: 42, body: '数字编号' } as unknown as Doc), /id must be a string/);
  await index.flush();
  assert.equal(index.stats().docs, 2);
  assert.ok(index.has(docs[1]?.id as string));
});

test('a worker that dies mid-batch costs only the document that killed it', async (t) => {
  const dir = tempDir(t);
  const victim = docs[7]?.id as string;
  const index = await RuyiIndex.open(dir, { threads: 1, shards: 1, crashOnIdForTests: victim });
  t.after(() => index.close());
  await index.add(docs.slice(0, 30));
  const report = await index.flush();
  assert.equal(report.failedCount, 1);
  assert.equal(report.failed[0]?.id, victim);
  assert.equal(index.stats().docs, 29);
  assert.equal(index.has(victim), false);
  assert.ok(index.has(docs[8]?.id as string));
});

test('the index metadata is checked: shard count, foreign directories', async (t) => {
  const dir = tempDir(t);
  const index = await openIndex(dir, { shards: 2, threads: 1 });
  await index.close();
  await assert.rejects(openIndex(dir, { shards: 3 }), (e) => isEngineError(e, 'E_META_MISMATCH') && /rebuild it/.test(e.message));
  const reopened = await openIndex(dir, { threads: 1 });
  assert.equal(reopened.meta.shards, 2);
  await reopened.close();

  const foreign = join(tempDir(t), 'photos');
  mkdirSync(foreign);
  writeFileSync(join(foreign, 'cat.jpg'), 'not an index');
  await assert.rejects(openIndex(foreign), (e) => isEngineError(e, 'E_META_MISMATCH') && /not a ruyi index/.test(e.message));
  await assert.rejects(openIndex(join(tempDir(t), 'missing'), { create: false }), (e) => isEngineError(e, 'E_CONFIG'));
  await assert.rejects(openIndex(tempDir(t), { threads: 0 }), (e) => isEngineError(e, 'E_CONFIG') && /threads/.test(e.message));
});

test('a closed index refuses work, and close is idempotent', async (t) => {
  const index = await openIndex(tempDir(t), { threads: 1 });
  await index.close();
  await index.close();
  assert.throws(
    () => index.search('内存'),
    (e) => isEngineError(e, 'E_CLOSED'),
  );
  await assert.rejects(index.add(docs[0] as Doc), (e) => isEngineError(e, 'E_CLOSED'));
});

test('deferMerges leaves segments for optimize() and gives the same results', async (t) => {
  const queries = ['内存', '文件 权限', '明月', 'grep 正则表达式'];
  const merged = await sampleIndex(tempDir(t), { shards: 2, threads: 1, batchBytes: 8 * 1024 });
  const deferred = await openIndex(tempDir(t), { shards: 2, threads: 1, batchBytes: 8 * 1024, deferMerges: true });
  t.after(async () => {
    await merged.close();
    await deferred.close();
  });
  await deferred.add(docs);
  await deferred.flush();
  const segments = deferred.stats().shardSegments;
  assert.ok(
    segments.every((n) => n > 8),
    `unmerged segments: ${segments}`,
  );
  const hits = (i: typeof merged, q: string) => i.search(q, { limit: 20 }).hits.map((h) => [h.id, h.score]);
  for (const q of queries) assert.deepEqual(hits(deferred, q), hits(merged, q), q);
  await deferred.optimize();
  assert.deepEqual(deferred.stats().shardSegments, [1, 1]);
  for (const q of queries) assert.deepEqual(hits(deferred, q), hits(merged, q), q);
});
