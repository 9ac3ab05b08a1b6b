import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { shardsOfNode } from '../src/cluster/cluster-config.js';
import { ClusterIndex } from '../src/cluster/cluster-index.js';
import { isEngineError, QuerySyntaxError } from '../src/index.js';
import { startCluster } from './cluster-helpers.js';
import { sampleDocs, uniqueTitles } from './helpers.js';

const BIN = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
const docs = sampleDocs().slice(0, 200);
const QUERIES = [
  ...uniqueTitles(docs)
    .filter((_, i) => i % 10 === 0)
    .map((d) => d.title),
  '内存',
  '文件 目录',
  '"列出 目录"',
  '目录 OR 内存',
  'tag:man1 文件',
  '-文件',
  '明月',
];

function snapshot(index: ClusterIndex) {
  return QUERIES.map((q) => {
    const r = index.search(q, { limit: 20 });
    return { q, total: r.total, partial: r.partial, hits: r.hits.map((h) => [h.id, h.score]) };
  });
}

test('replicas = 2: kill -9 of any one node changes no result; a node that comes back is used again', async (t) => {
  const cluster = await startCluster(t, { nodes: 3, shards: 6, replicas: 2 });
  const index = await ClusterIndex.open(cluster.dir, { threads: 2 });
  t.after(() => index.close());
  await index.add(docs);
  await index.flush();
  const before = snapshot(index);
  assert.ok(before.every((r) => !r.partial && r.total > 0));
  for (let i = 0; i < 3; i++) {
    await cluster.kill(i);
    assert.deepEqual(snapshot(index), before, `node ${i} down`);
    await cluster.restart(i);
  }
  // Two nodes down: some shards have no replica left; the result says which.
  await cluster.kill(0);
  await cluster.kill(1);
  const lost = cluster.config.shards.filter((s) => s.replicas.every((r) => r !== cluster.config.nodes[2]?.address)).map((s) => s.name);
  const degraded = index.search('文件', { limit: 20 });
  assert.equal(degraded.partial, true);
  assert.deepEqual(degraded.missingShards.map((m) => m.shard).sort(), lost.sort());
  await cluster.restart();
  // Same instance, nothing else restarted: the nodes are used again.
  await new Promise((r) => setTimeout(r, 1100));
  assert.deepEqual(snapshot(index), before);
});

test("replicas = 1: a dead node's shards are missing and the result says so (partial, which shards), never a silent short list", async (t) => {
  const cluster = await startCluster(t, { nodes: 2, shards: 4, replicas: 1 });
  const index = await ClusterIndex.open(cluster.dir, { threads: 2 });
  t.after(() => index.close());
  await index.add(docs);
  await index.flush();
  const full = index.search('文件', { limit: 1000 });
  await cluster.kill(1);
  const dead = cluster.config.nodes[1]?.address as string;
  const r = index.search('文件', { limit: 1000 });
  assert.equal(r.partial, true);
  assert.deepEqual(
    r.missingShards.map((m) => m.shard),
    shardsOfNode(cluster.config, dead),
  );
  assert.match(r.missingShards[0]?.errors[0] ?? '', new RegExp(`node ${dead.replace(/\./g, '\\.')}`));
  assert.ok(r.total > 0 && r.total < full.total, `${r.total} of ${full.total}`);
  for (const h of r.hits) assert.ok(full.hits.some((f) => f.id === h.id));

  const cli = spawnSync(process.execPath, [BIN, 'search', '文件', '--db', cluster.dir, '--json'], { encoding: 'utf8' });
  assert.equal(cli.status, 0, cli.stderr);
  const out = JSON.parse(cli.stdout);
  assert.equal(out.partial, true);
  assert.deepEqual(
    out.missingShards.map((m: { shard: string }) => m.shard),
    shardsOfNode(cluster.config, dead),
  );
  const human = spawnSync(process.execPath, [BIN, 'search', '文件', '--db', cluster.dir], { encoding: 'utf8' });
  assert.match(human.stdout, /partial: shards s\d(, s\d)* missing/);

  await cluster.restart(1);
  await new Promise((res) => setTimeout(res, 1100));
  const back = index.search('文件', { limit: 1000 });
  assert.equal(back.partial, false);
  assert.equal(back.total, full.total);
});

test('hostile input: 2,000 junk queries reach SphinxQL only as bound values: no throw (E_QUERY_SYNTAX only in strict syntax), no SphinxQL error', async (t) => {
  const cluster = await startCluster(t, { nodes: 1, shards: 2, replicas: 1 });
  const index = await ClusterIndex.open(cluster.dir, { threads: 1 });
  t.after(() => index.close());
  await index.add(docs.slice(0, 60));
  await index.flush();
  const pieces = [
    "'",
    '"',
    '\\',
    '`',
    ';',
    '--',
    '/*',
    '*/',
    '@title',
    '@body',
    '@(title,body)',
    '@!title',
    '@*',
    "') OR 1=1 --",
    '|',
    '!',
    '~',
    '/3',
    '^',
    '$',
    '=',
    '<<',
    'NEAR/2',
    'MAYBE',
    'SENTENCE',
    'PARAGRAPH',
    'ZONE:(h1)',
    '(',
    ')',
    '-',
    '*',
    '?',
    '%',
    '\u0000',
    '\n',
    'OR',
    'AND',
    'NOT',
    'tag:',
    'title:',
    'date:',
    'date:2019',
    '内存',
    '溢出',
    'c++',
    'node.js',
    '３Ｄ',
    '😀',
    '的',
    ' ',
    'SELECT * FROM s0',
    'x'.repeat(50),
  ];
  const junk = fc.sample(
    fc.oneof(
      {
        weight: 3,
        arbitrary: fc
          .tuple(fc.array(fc.constantFrom(...pieces), { minLength: 1, maxLength: 12 }), fc.constantFrom('', ' '))
          .map(([a, sep]) => a.join(sep)),
      },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
    ),
    { numRuns: 2000, seed: 15 },
  );
  assert.equal(junk.length, 2000);
  let answered = 0;
  let readPlain = 0;
  let strictErrors = 0;
  for (const q of [...junk, ...pieces]) {
    for (const syntax of ['query', 'plain'] as const) {
      try {
        const r = index.search(q, { syntax, limit: 5 });
        assert.equal(r.partial, false, q);
        answered++;
        if (syntax === 'query' && r.syntax === 'plain') readPlain++;
      } catch (err) {
        assert.fail(`${JSON.stringify(q)} (${syntax}) threw ${isEngineError(err) ? err.code : ''} ${(err as Error).message}`);
      }
    }
    // Only strict syntax refuses, with ruyi's own error, before anything reaches SphinxQL.
    try {
      index.search(q, { syntax: 'strict', limit: 5 });
    } catch (err) {
      if (err instanceof QuerySyntaxError) strictErrors++;
      else assert.fail(`${JSON.stringify(q)} (strict) threw ${isEngineError(err) ? err.code : ''} ${(err as Error).message}`);
    }
  }
  // What the cluster cannot express (a date with a time inside OR) is searched as plain words too, and refused only in strict syntax.
  const dateInOr = 'NOT $ SENTENCE date:2019-05-01T10:00:00Z OR xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx ^ *';
  assert.equal(index.search(dateInOr, { limit: 5 }).syntax, 'plain');
  assert.throws(() => index.search(dateInOr, { syntax: 'strict', limit: 5 }), QuerySyntaxError);
  // A search box never fails: junk that is not valid query syntax is searched as plain words.
  assert.equal(answered, 2 * (junk.length + pieces.length));
  assert.ok(readPlain > 0 && strictErrors === readPlain, `${readPlain} read as plain words, ${strictErrors} refused in strict syntax`);
  // The documents are all still there: nothing was dropped or changed by a query.
  assert.equal(index.stats().docs, 60);
});
