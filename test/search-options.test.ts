import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { type Doc, isEngineError, openIndex, QuerySyntaxError } from '../src/index.js';
import { tempDir } from './helpers.js';

const posts = readFileSync(new URL('./fixtures/search/docs.ndjson', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as Doc);

async function fixtureIndex(t: Parameters<typeof tempDir>[0]) {
  const index = await openIndex(tempDir(t), { threads: 1, shards: 4 });
  t.after(() => index.close());
  await index.add(posts);
  await index.flush();
  return index;
}

test('limit and offset page through one ranking; total is exact; countOnly counts the same', async (t) => {
  const index = await fixtureIndex(t);
  for (const query of ['内存', '内存 溢出', 'tag:运维 OR 分词', '-内存', '溢*']) {
    const all = index.search(query, { limit: 100 });
    assert.ok(all.total > 2, query);
    assert.equal(all.hits.length, all.total);
    const paged = [0, 2, 4, 6, 8, 10, 12, 14].flatMap((offset) => index.search(query, { limit: 2, offset }).hits.map((h) => h.id));
    assert.deepEqual(
      paged,
      all.hits.map((h) => h.id),
      query,
    );
    assert.equal(index.search(query, { limit: 1, offset: 3 }).total, all.total);
    const count = index.search(query, { countOnly: true });
    assert.equal(count.total, all.total);
    assert.deepEqual(count.hits, []);
  }
  assert.equal(index.search('内存', { limit: 0 }).hits.length, 0);
});

test('timeoutMs: an expired budget returns what was found so far, flagged partial', async (t) => {
  const index = await fixtureIndex(t);
  const full = index.search('内存 OR 日志 OR go', { limit: 100 });
  const cut = index.search('内存 OR 日志 OR go', { limit: 100, timeoutMs: 0 });
  assert.equal(full.partial, false);
  assert.equal(cut.partial, true);
  assert.ok(cut.total < full.total, `${cut.total} of ${full.total}`);
  const ids = new Set(full.hits.map((h) => h.id));
  for (const h of cut.hits) assert.ok(ids.has(h.id));
  // A generous budget changes nothing.
  assert.deepEqual(index.search('内存 OR 日志 OR go', { limit: 100, timeoutMs: 60_000 }).hits, full.hits);
});

test('a custom scorer ranks by what it returns; it sees id, score, title, tags and date', async (t) => {
  const index = await fixtureIndex(t);
  const seen: string[] = [];
  const byDate = index.search('内存', {
    limit: 100,
    scorer: (hit) => {
      seen.push(hit.id);
      assert.ok(hit.score > 0 && typeof hit.title === 'string' && Array.isArray(hit.tags));
      return typeof hit.date === 'string' ? Date.parse(hit.date) : 0;
    },
  });
  assert.equal(seen.length, byDate.total);
  assert.deepEqual(
    byDate.hits.map((h) => h.id),
    index.search('内存', { sort: 'date', limit: 100 }).hits.map((h) => h.id),
  );
  assert.throws(
    () => index.search('内存', { scorer: () => Number.NaN }),
    (e) => isEngineError(e, 'E_CONFIG') && /finite number/.test(e.message),
  );
});

test('recency: with a half-life, newer documents gain; without a date, one gains nothing', async (t) => {
  const index = await fixtureIndex(t);
  const now = Date.UTC(2023, 4, 1);
  const plain = index.search('内存 溢出', { limit: 10 }).hits;
  const recent = index.search('内存 溢出', { limit: 10, recency: { halfLifeDays: 365, weight: 1, now } }).hits;
  const k8s = (hits: typeof plain) => hits.findIndex((h) => h.id === 'k8s-oom');
  assert.ok(k8s(recent) < k8s(plain), 'the 2023 post moves up');
  assert.equal(recent[0]?.id, 'k8s-oom');
  // weight 0: the factor is 1 for everyone.
  const neutral = index.search('内存 溢出', { limit: 10, recency: { halfLifeDays: 30, weight: 0, now } }).hits;
  assert.deepEqual(neutral.map((h) => h.id).sort(), plain.map((h) => h.id).sort());
});

test('search as you type: every prefix of a title finds it with prefix: true', async (t) => {
  const index = await fixtureIndex(t);
  const typed = '内存数据库';
  for (let n = 3; n <= typed.length; n++) {
    const hits = index.search(typed.slice(0, n), { prefix: true, limit: 5 }).hits.map((h) => h.id);
    assert.ok(hits.includes('redis-persist'), `${typed.slice(0, n)}: ${hits.join(' ')}`);
  }
  assert.equal(index.search('Node.js 全文检', { prefix: true }).hits[0]?.id, 'node-search');
});

test('with syntax: strict, query errors reach the caller as E_QUERY_SYNTAX with a position; bad options as E_CONFIG', async (t) => {
  const index = await fixtureIndex(t);
  const strict = { syntax: 'strict' } as const;
  assert.throws(
    () => index.search('内存 "溢出', strict),
    (e) => e instanceof QuerySyntaxError && e.code === 'E_QUERY_SYNTAX' && e.position === 3,
  );
  assert.throws(
    () => index.search('x'.repeat(100_000), strict),
    (e) => e instanceof QuerySyntaxError && e.position === 4096,
  );
  assert.throws(
    () => index.search(42 as unknown as string),
    (e) => isEngineError(e, 'E_QUERY_SYNTAX'),
  );
  for (const bad of [
    { sort: 'title' },
    { timeoutMs: -1 },
    { boosts: { title: -1 } },
    { recency: { halfLifeDays: 0 } },
    { syntax: 'regex' },
  ]) {
    assert.throws(
      () => index.search('内存', bad as never),
      (e) => isEngineError(e, 'E_CONFIG'),
      JSON.stringify(bad),
    );
  }
  // The defaults never fail on a string: the same text is searched as plain words.
  const read = index.search('内存 "溢出');
  assert.equal(read.syntax, 'plain');
  assert.deepEqual(read.syntaxError, { position: 3, message: 'this quote is never closed' });
  assert.ok(read.total > 0);
  assert.equal(index.search('内存 "溢出 (', { syntax: 'plain' }).partial, false);
});

test('fuzz: search() with syntax: strict returns a result or throws E_QUERY_SYNTAX, nothing else', async (t) => {
  const index = await fixtureIndex(t);
  const unit = fc.constantFrom(...'()"-*: 　（）＂ORANDNOT内存溢出分词go运维tagtitledate>=2019.'.split(''));
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit, maxLength: 40 }), fc.string({ maxLength: 40 })), fc.boolean(), (query, prefix) => {
      try {
        const r = index.search(query, { prefix, limit: 5, syntax: 'strict' });
        assert.ok(r.total >= r.hits.length);
      } catch (err) {
        assert.ok(isEngineError(err, 'E_QUERY_SYNTAX'), String(err));
      }
    }),
    { numRuns: 400 },
  );
});

test('date filters and sorts follow replaced and removed documents', async (t) => {
  const index = await fixtureIndex(t);
  assert.deepEqual(index.search('date:2024').hits, []);
  await index.add({
    id: 'go-oom',
    title: '一次 Go 服务内存溢出的排查（修订）',
    body: '修订版：内存溢出的原因是通道阻塞。',
    tags: ['go'],
    date: '2024-02-02',
  });
  await index.flush();
  assert.deepEqual(
    index.search('date:2024').hits.map((h) => h.id),
    ['go-oom'],
  );
  assert.deepEqual(index.search('date:2019-05').hits, []);
  assert.equal(index.search('内存', { sort: 'date' }).hits[0]?.id, 'go-oom');
  await index.remove('go-oom');
  await index.flush();
  assert.deepEqual(index.search('date:2024').hits, []);
  assert.ok(!index.search('-内存', { limit: 100 }).hits.some((h) => h.id === 'go-oom'));
  assert.equal(index.search('-静夜思', { countOnly: true }).total, posts.length - 2);
});
