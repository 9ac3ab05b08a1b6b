import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { encodeTerm, isPlainTerm, SPHINX_MAX_WORD_CHARS } from '../src/cluster/term-codec.js';
import { ClusterIndex, type Doc, openIndex } from '../src/index.js';
import { cliClusterDir, startCluster } from './cluster-helpers.js';
import { SAMPLE_FILE, sampleDocs, tempDir, uniqueTitles } from './helpers.js';

const BIN = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));

function ruyi(...args: string[]) {
  const started = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - started };
}

test('encodeTerm: one Sphinx keyword of at most 42 table characters for any term, distinct terms stay distinct', () => {
  const KEYWORD = new RegExp(`^[0-9a-z_\\u3400-\\u4dbf\\u4e00-\\u9fff]{1,${SPHINX_MAX_WORD_CHARS}}$`);
  fc.assert(
    fc.property(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 }),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 80 }),
      (a, b) => {
        const ea = encodeTerm(a);
        assert.match(ea, KEYWORD);
        assert.match(encodeTerm(b), KEYWORD);
        if (a !== b) assert.notEqual(ea, encodeTerm(b));
        // A plain term is itself; anything else starts with the escape, which no plain term holds.
        assert.equal(ea === a, isPlainTerm(a));
        if (!isPlainTerm(a)) assert.ok(ea.startsWith('_') && ea.length >= 3);
      },
    ),
    { numRuns: 3000 },
  );
  for (const t of ['c++', 'node.js', '３ｄ', '🚀', '記憶體', '\u0002neicun', 'x'.repeat(43), '内存']) assert.match(encodeTerm(t), KEYWORD);
});

test('cluster init/up/status/down start and stop real searchd; an unreachable cluster fails in one line naming the node', async (t) => {
  const dir = cliClusterDir(t);
  const init = ruyi('cluster', 'init', dir, '--nodes', '2', '--shards', '3', '--replicas', '2', '--json');
  assert.equal(init.code, 0, init.stderr);
  const config = JSON.parse(readFileSync(join(dir, 'cluster.json'), 'utf8'));
  assert.deepEqual(JSON.parse(init.stdout), config);
  assert.equal(config.engine, 'sphinxql');
  assert.equal(config.shards.length, 3);
  for (const s of config.shards) assert.equal(new Set(s.replicas).size, 2, 'replicas of a shard on distinct nodes');
  assert.match(readFileSync(join(dir, 'nodes', 'n0', 'searchd.conf'), 'utf8'), /index s0[\s\S]*type = rt[\s\S]*mysql41/);

  // Nothing is running yet: a search names a node and fails within 5 s, no stack.
  const down = ruyi('search', '内存', '--db', dir);
  assert.equal(down.code, 3, down.stderr);
  assert.ok(down.ms < 5000, `${down.ms} ms`);
  assert.equal(down.stderr.trim().split('\n').length, 1, down.stderr);
  assert.match(down.stderr, /^ruyi: node 127\.0\.0\.1:\d+/);
  assert.equal(ruyi('cluster', 'status', dir).code, 3);

  const up = ruyi('cluster', 'up', dir, '--json');
  assert.equal(up.code, 0, up.stderr);
  const nodes = JSON.parse(up.stdout).nodes;
  assert.equal(nodes.length, 2);
  for (const n of nodes) assert.ok(n.up && Number.isInteger(n.pid), JSON.stringify(n));
  const status = ruyi('cluster', 'status', dir, '--json');
  assert.equal(status.code, 0, status.stderr);
  assert.deepEqual(
    JSON.parse(status.stdout).nodes.map((n: { pid: number }) => n.pid),
    nodes.map((n: { pid: number }) => n.pid),
  );

  const indexed = ruyi('index', SAMPLE_FILE, '--db', dir, '--threads', '2', '--json');
  assert.equal(indexed.code, 0, indexed.stderr);
  assert.equal(JSON.parse(indexed.stdout).docs, 350);
  const found = ruyi('search', '列出目录内容', '--db', dir, '--json', '--limit', '3');
  assert.equal(found.code, 0, found.stderr);
  const result = JSON.parse(found.stdout);
  assert.deepEqual(Object.keys(result), ['total', 'totalExact', 'tookMs', 'partial', 'relaxed', 'syntax', 'wallMs', 'openMs', 'hits']);
  assert.deepEqual(Object.keys(result.hits[0]), ['id', 'score', 'title', 'tags', 'date']);
  assert.equal(result.hits[0].id, 'manpages-zh:man1/ls.1');
  // A search box never fails: a malformed query is searched as plain words, as on a local index...
  const plain = ruyi('search', '内存 (溢出', '--db', dir, '--json');
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(JSON.parse(plain.stdout).syntax, 'plain');
  // ...and is an error only when asked for.
  const bad = ruyi('search', '内存 (溢出', '--db', dir, '--json', '--strict-syntax');
  assert.equal(bad.code, 4);
  assert.equal(JSON.parse(bad.stdout).error.code, 'E_QUERY_SYNTAX');
  const removed = ruyi('remove', 'manpages-zh:man1/ls.1', 'no-such-id', '--db', dir, '--json');
  assert.equal(removed.code, 0, removed.stderr);
  assert.deepEqual(JSON.parse(removed.stdout), { removed: 1, missing: 1, failed: [] });

  // Without --update, ruyi index rebuilds: what the input does not hold is removed afterwards.
  const some = join(dir, 'some.ndjson');
  writeFileSync(
    some,
    `${sampleDocs()
      .slice(0, 40)
      .map((d) => JSON.stringify(d))
      .join('\n')}\n`,
  );
  const rebuilt = ruyi('index', some, '--db', dir, '--json');
  assert.equal(rebuilt.code, 0, rebuilt.stderr);
  assert.deepEqual(
    [JSON.parse(rebuilt.stdout).mode, JSON.parse(rebuilt.stdout).docs, JSON.parse(rebuilt.stdout).removed],
    [
      'rebuild',
      40,
      349 -
        40 +
        (sampleDocs()
          .slice(0, 40)
          .some((d) => d.id === 'manpages-zh:man1/ls.1')
          ? 1
          : 0),
    ],
  );
  const opened = await ClusterIndex.open(dir);
  assert.equal(opened.stats().docs, 40);
  await opened.close();

  const stopped = ruyi('cluster', 'down', dir, '--json');
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.ok(JSON.parse(stopped.stdout).nodes.every((n: { up: boolean; pid: null }) => !n.up && n.pid === null));
});

test('openIndex(DIR) on a cluster: add, search, get, has, remove, stats as on a local index; known items found the same', async (t) => {
  const cluster = await startCluster(t, { nodes: 2, shards: 4, replicas: 1 });
  const docs = sampleDocs();
  const index = await openIndex(cluster.dir, { threads: 2 });
  t.after(() => index.close());
  assert.ok((index as unknown) instanceof ClusterIndex);
  assert.equal(await index.add(docs), 350);
  const report = await index.flush();
  assert.equal(report.added, 350);
  assert.equal(index.stats().docs, 350);

  const local = await openIndex(join(tempDir(t), 'local'), { threads: 2 });
  t.after(() => local.close());
  await local.add(docs);
  await local.flush();

  const known = uniqueTitles(docs).filter((_, i) => i % 7 === 0);
  let same = 0;
  for (const { id, title } of known) {
    const c = index.search(title, { limit: 10 });
    const l = local.search(title, { limit: 10 });
    assert.equal(c.partial, false);
    if (c.hits[0]?.id === id && l.hits[0]?.id === id) same++;
  }
  assert.ok(same >= known.length * 0.9, `${same} of ${known.length} known items first on both`);

  // The query language: phrases, exclusions, OR, tags, dates, prefixes, sorting, paging.
  const q = (query: string, o = {}) =>
    index
      .search(query, { limit: 1000, ...o })
      .hits.map((h) => h.id)
      .sort();
  const lq = (query: string, o = {}) =>
    local
      .search(query, { limit: 1000, ...o })
      .hits.map((h) => h.id)
      .sort();
  for (const query of [
    '"列出 目录"',
    '目录 -文件',
    '目录 OR 内存',
    'tag:man8 文件',
    '文件 date:2000..2001',
    '文件 -date:<2000',
    '-文件',
    '内存溢*',
  ]) {
    assert.deepEqual(q(query), lq(query), query);
  }
  const byDate = index.search('文件', { sort: 'date', limit: 5 }).hits.map((h) => h.date);
  assert.deepEqual(
    byDate,
    local.search('文件', { sort: 'date', limit: 5 }).hits.map((h) => h.date),
  );
  const page = index.search('文件', { offset: 3, limit: 3 });
  assert.deepEqual(
    page.hits.map((h) => h.id),
    index
      .search('文件', { limit: 6 })
      .hits.slice(3)
      .map((h) => h.id),
  );
  assert.equal(page.total, local.search('文件').total);
  assert.equal(index.search('文件', { countOnly: true }).hits.length, 0);

  // Snippets: ruyi's makeSnippet over the stored body, as for a local index.
  const withSnippets = index.search('列出目录内容', { limit: 3, snippets: true }).hits;
  assert.ok(withSnippets.length > 0 && withSnippets.every((h) => h.snippet?.includes('<mark>')), JSON.stringify(withSnippets));
  assert.equal(withSnippets[0]?.snippet, local.search('列出目录内容', { limit: 1, snippets: true }).hits[0]?.snippet);

  const doc = docs[5] as Doc;
  assert.deepEqual(index.get(doc.id), local.get(doc.id));
  assert.equal(index.has(doc.id), true);
  assert.equal(await index.remove([doc.id]), 1);
  const removed = await index.flush();
  assert.equal(removed.removed, 1);
  assert.equal(index.has(doc.id), false);
  assert.equal(index.get(doc.id), undefined);
  assert.equal(index.stats().docs, 349);
});

test('terms Sphinx cannot hold stay one keyword: C++, node.js, ３Ｄ, traditional text; stored text (NUL, quotes, emoji) comes back exactly', async (t) => {
  const cluster = await startCluster(t, { nodes: 1, shards: 2, replicas: 1 });
  const index = await openIndex(cluster.dir, { threads: 1 });
  t.after(() => index.close());
  const odd = 'NUL\u0000 \\ \' " \u001a 😀 \u2028 end';
  const docs: Doc[] = [
    { id: 'cpp', title: 'C++ 模板', body: '用 C++ 写的程序' },
    { id: 'c', title: 'C 语言', body: '用 C 写的程序' },
    { id: 'node', title: 'node.js 入门', body: 'node.js 的事件循环' },
    { id: '3d', title: '３Ｄ 打印', body: '全角的 ３Ｄ 打印机' },
    { id: 'emoji', title: '火箭', body: '发射 🚀 成功' },
    { id: 'trad', title: '記憶體 管理', body: '記憶體 不足的時候' },
    { id: 'odd', title: 'odd', body: odd, tags: ['标签 一', 'C#'], fields: { n: 1, s: odd } },
  ];
  await index.add(docs);
  await index.flush();
  const ids = (q: string) =>
    index
      .search(q, { limit: 10 })
      .hits.map((h) => h.id)
      .sort();
  assert.deepEqual(ids('c++'), ['cpp']);
  assert.deepEqual(ids('C++'), ['cpp']);
  assert.deepEqual(ids('node.js'), ['node']);
  assert.deepEqual(ids('3d'), ['3d']);
  // ruyi indexes no token without a letter or digit (local indexes alike): the emoji is stored, not searchable.
  assert.deepEqual(ids('🚀'), []);
  assert.deepEqual(ids('发射'), ['emoji']);
  assert.deepEqual(ids('記憶體'), ['trad']);
  assert.deepEqual(ids('tag:"标签 一"'), ['odd']);
  assert.deepEqual(ids('tag:c#'), ['odd']);
  assert.deepEqual(index.get('odd'), { id: 'odd', title: 'odd', body: odd, tags: ['标签 一', 'C#'], fields: { n: 1, s: odd } });
});

test('ruyi index on a cluster refuses a document larger than a Sphinx string attribute holds, naming it', async (t) => {
  const cluster = await startCluster(t, { nodes: 1, shards: 1, replicas: 1 });
  const file = join(cluster.dir, 'big.ndjson');
  writeFileSync(
    file,
    `${JSON.stringify({ id: 'big', title: 'x', body: '长'.repeat(800_000) })}\n${JSON.stringify({ id: 'ok', body: '短文' })}\n`,
  );
  const r = ruyi('index', file, '--db', cluster.dir, '--json');
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.docs, 1);
  assert.equal(report.failed, 1);
  assert.match(report.errors[0].reason, /2097152 bytes/);
});

test('a pinyin cluster finds 内存 by neicun and nc, as a local pinyin index does', async (t) => {
  const cluster = await startCluster(t, { nodes: 1, shards: 1, replicas: 1, pinyin: true });
  const index = await openIndex(cluster.dir, { threads: 1 });
  t.after(() => index.close());
  await index.add([
    { id: 'mem', title: '内存溢出', body: '服务器的内存不够了' },
    { id: 'srv', title: '服务器', body: '机房里的服务器' },
  ]);
  await index.flush();
  const ids = (q: string) =>
    index
      .search(q)
      .hits.map((h) => h.id)
      .sort();
  assert.deepEqual(ids('neicun'), ['mem']);
  assert.deepEqual(ids('nc'), ['mem']);
  assert.deepEqual(ids('fuwuqi'), ['mem', 'srv']);
});
