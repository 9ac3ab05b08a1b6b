import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type Doc, openIndex, type RuyiIndex, type SearchResult } from '../src/index.js';
import { sampleDocs, tempDir } from './helpers.js';

// A phrase's text is compared only for the candidates that can be ranked onto the page
// (ShardEvaluator's deferred checks): the hits must be exactly those of checking every
// candidate first, and the total says when it is not exact.

/** Sentences of the sample articles, to give the documents real and varied text around the phrase. */
function sentences(): string[] {
  const out: string[] = [];
  for (const d of sampleDocs()) for (const s of String(d.body).split(/[。！？\n]/u)) if (s.length >= 8 && s.length <= 60) out.push(s);
  return out;
}

/**
 * 70 documents that hold 打开的窗口, and 40 whose positions let the phrase through although
 * their text lacks it (打开新窗口, 打开窗口: the stop word 的 is not indexed, so any word or
 * none may stand at its position). Many of the false ones are short and titled with the
 * words, so that they score high.
 */
function corpus(): { docs: Doc[]; holding: Set<string> } {
  const s = sentences();
  const docs: Doc[] = [];
  const holding = new Set<string>();
  for (let i = 0; i < 70; i++) {
    const filler = Array.from({ length: 1 + (i % 7) }, (_, k) => s[(i * 7 + k) % s.length]).join('。');
    const body = i % 2 === 0 ? `${filler}。点击按钮打开的窗口会显示文件列表。` : `打开的窗口。${filler}`;
    docs.push({ id: `has-${i}`, title: i % 5 === 0 ? '打开的窗口' : `文件 ${i}`, body });
    holding.add(`has-${i}`);
  }
  for (let i = 0; i < 40; i++) {
    const filler = i % 3 === 0 ? '' : `${s[(i * 11) % s.length]}。`;
    docs.push({
      id: `other-${i}`,
      title: i % 2 === 0 ? '打开 窗口' : `列表 ${i}`,
      body: `${filler}点击按钮打开${i % 4 < 2 ? '新' : ''}窗口。`,
    });
  }
  return { docs, holding };
}

async function build(t: Parameters<typeof tempDir>[0], docs: Doc[]): Promise<RuyiIndex> {
  const index = await openIndex(tempDir(t), { threads: 1, shards: 2 });
  t.after(() => index.close());
  await index.add(docs);
  await index.flush();
  return index;
}

const page = (r: SearchResult) => r.hits.map((h) => [h.id, h.score]);

test('a common phrase: the same hits as checking every candidate, a total that says it is not exact', async (t) => {
  const { docs, holding } = corpus();
  const index = await build(t, docs);
  const exact = index.search('"打开的窗口"', { exactTotal: true, limit: 1000 });
  assert.equal(exact.total, 70);
  assert.equal(exact.totalExact, true);
  assert.deepEqual(exact.hits.map((h) => h.id).sort(), [...holding].sort());
  assert.equal(index.search('"打开的窗口"', { countOnly: true }).total, 70);

  const lazy = index.search('"打开的窗口"');
  assert.equal(lazy.totalExact, false, 'more candidates than the window: not all checked');
  assert.ok(lazy.total >= 70 && lazy.total <= 110, `total ${lazy.total}`);
  for (const offset of [0, 10, 40, 60, 65]) {
    const a = index.search('"打开的窗口"', { offset, limit: 10 });
    const b = index.search('"打开的窗口"', { offset, limit: 10, exactTotal: true });
    assert.deepEqual(page(a), page(b), `page at ${offset}`);
    for (const h of a.hits) assert.ok(holding.has(h.id), `${h.id} does not hold the phrase`);
  }
  // A page reaching past the candidates checks them all: the total is exact again.
  const all = index.search('"打开的窗口"', { limit: 200 });
  assert.equal(all.total, 70);
  assert.equal(all.totalExact, true);
});

test('a phrase under OR or excluded is checked at once; plain words never defer', async (t) => {
  const { docs } = corpus();
  const index = await build(t, docs);
  const or = index.search('"打开的窗口" OR 不存在的词语', { limit: 5 });
  assert.equal(or.total, 70);
  assert.equal(or.totalExact, true);
  const not = index.search('窗口 -"打开的窗口"', { limit: 5, exactTotal: true });
  const notLazy = index.search('窗口 -"打开的窗口"', { limit: 5 });
  assert.equal(notLazy.total, not.total);
  assert.equal(notLazy.totalExact, true);
  assert.deepEqual(page(notLazy), page(not));
  assert.equal(index.search('打开 窗口').totalExact, true);
});

test('property: for any subset of documents, page and phrase, the hits equal those of checking every candidate', async (t) => {
  const { docs } = corpus();
  const index = await build(t, docs);
  const phrases = ['"打开的窗口"', '"按钮打开的窗口"', '"打开的窗口" 文件', '"的窗口"', 'title:"打开的窗口"'];
  await fc.assert(
    fc.asyncProperty(
      fc.subarray(docs, { minLength: 1 }),
      fc.constantFrom(...phrases),
      fc.nat(80),
      fc.integer({ min: 1, max: 30 }),
      async (subset, query, offset, limit) => {
        await index.remove(docs.map((d) => d.id));
        await index.add(subset);
        await index.flush();
        const a = index.search(query, { offset, limit });
        const b = index.search(query, { offset, limit, exactTotal: true });
        assert.deepEqual(page(a), page(b));
        assert.ok(a.total >= b.total);
        if (a.totalExact) assert.equal(a.total, b.total);
      },
    ),
    { numRuns: 25, seed: 12 },
  );
});

test('ties at the page: candidates equal to the page last are checked when resolved, failing ones left out', async (t) => {
  // 70 that hold the phrase and 40 that positions let through, all with the same score (the
  // stop words 的 and 了 each take one position). The failing ones come last (the window
  // fills with the first, which pass) but sort first by id: a page of ties resolved by id
  // would show them if they were not checked.
  const docs: Doc[] = [];
  for (let i = 0; i < 70; i++) docs.push({ id: `b-has-${String(i).padStart(2, '0')}`, title: '窗口', body: '点击按钮打开的窗口。' });
  for (let i = 0; i < 40; i++) docs.push({ id: `a-other-${String(i).padStart(2, '0')}`, title: '窗口', body: '点击按钮打开了窗口。' });
  const index = await build(t, docs);
  const all = index.search('"打开的窗口"', { exactTotal: true, limit: 100 });
  assert.equal(all.total, 70);
  assert.equal(new Set(all.hits.map((h) => h.score)).size, 1, 'the matches tie');
  // "的窗口" is one word (窗口) and a text check: no proximity rescoring raises the window
  // above the candidates outside it, so the page's last ties with them.
  for (const query of ['"打开的窗口"', '"的窗口"']) {
    for (const offset of [0, 10, 40, 60, 65]) {
      const a = index.search(query, { offset, limit: 10 });
      const b = index.search(query, { offset, limit: 10, exactTotal: true });
      assert.deepEqual(page(a), page(b), `${query} page at ${offset}`);
      for (const h of a.hits) assert.ok(h.id.startsWith('b-has-'), `${query}: ${h.id} does not hold the phrase`);
      assert.ok(a.total >= 70 && a.total <= 110, `total ${a.total}`);
    }
  }
});
