import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { mulberry32 } from '../scripts/prng.js';
import { Analyzer } from '../src/analysis/analyzer.js';
import { type Doc, openIndex, type RuyiIndex, type SearchOptions } from '../src/index.js';
import { evaluation } from '../src/search/query-postings.js';
import { sampleDocs, tempDir } from './helpers.js';

// A query decodes its rarest word whole and every other word only in the 128-document blocks
// that may hold one of the rare word's documents (query-postings.ts). Compared here with
// decoding every word whole, on random indexes of real Chinese sentences: several shards and
// segments, common words with several blocks per segment, removed and replaced documents,
// and random queries of every shape. The answers must be identical: ids, scores, order, total.

/** Sentences of the shipped sample (man pages, fortunes, poetry) with Han characters. */
function sentences(): string[] {
  const out = new Set<string>();
  for (const d of sampleDocs()) {
    for (const s of String(d.body).split(/[。！？；\n]/)) {
      const t = s.trim();
      if (t.length >= 6 && t.length <= 60 && /\p{Script=Han}{2}/u.test(t)) out.add(t);
    }
  }
  return [...out];
}

const SENTENCES = sentences();
const analyzer = Analyzer.load();
/** Words of the sentences, the most frequent first: a few are in most documents. */
const WORDS = (() => {
  const counts = new Map<string, number>();
  for (const s of SENTENCES.slice(0, 400)) {
    for (const t of analyzer.queryTerms(s))
      if (t.kind === 'word' && /\p{Script=Han}/u.test(t.term)) counts.set(t.term, (counts.get(t.term) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]).map(([w]) => w);
})();
const TAGS = ['linux', '诗词', 'fortune'];
/** A few sentences are in most documents, so their words have several 128-document blocks per segment. */
const HOT = SENTENCES.slice(0, 10);
/** Words of the hot sentences: lists of several blocks in every segment. */
const HOT_WORDS = [...new Set(HOT.flatMap((s) => analyzer.queryTerms(s).flatMap((t) => (t.kind === 'word' ? [t.term] : []))))];

function makeDoc(rand: () => number, id: string): Doc {
  const pick = <T>(xs: readonly T[], skew = 1): T => xs[Math.floor(rand() ** skew * xs.length)] as T;
  const body: string[] = [];
  for (let i = 2 + Math.floor(rand() * 3); i > 0; i--) body.push(pick(HOT));
  for (let i = Math.floor(rand() * 6); i > 0; i--) body.push(pick(SENTENCES, 1.5));
  // Some words again: term frequencies above 1.
  for (let i = Math.floor(rand() * 4); i > 0; i--) body.push(pick(WORDS, 3));
  // Titles of one word are few: most blocks of a common word then cannot hold an exact title, and are skipped by score.
  const titleWords = rand() < 0.03 ? 1 : 2 + Math.floor(rand() * 3);
  const title = rand() < 0.2 ? pick(SENTENCES, 2) : Array.from({ length: titleWords }, () => pick(WORDS, 3)).join('');
  return {
    id,
    title,
    body: body.join('。'),
    tags: rand() < 0.5 ? [pick(TAGS)] : [],
    date: rand() < 0.9 ? `20${10 + Math.floor(rand() * 15)}-0${1 + Math.floor(rand() * 9)}-1${Math.floor(rand() * 9)}` : undefined,
  };
}

/** An index of `docs` documents added in two commits (segments), then some removed and some replaced. */
async function randomIndex(t: Parameters<typeof tempDir>[0], seed: number, docs: number): Promise<RuyiIndex> {
  const rand = mulberry32(seed);
  const index = await openIndex(tempDir(t), { threads: 1, shards: 2 });
  t.after(() => index.close());
  const half = Math.ceil(docs / 2);
  for (let batch = 0; batch < 2; batch++) {
    await index.add(Array.from({ length: half }, (_, i) => makeDoc(rand, `d${batch * half + i}`)));
    await index.flush();
  }
  const removed = Array.from({ length: docs / 20 }, () => `d${Math.floor(rand() * docs)}`);
  await index.remove([...new Set(removed)]);
  await index.add(Array.from({ length: docs / 20 }, () => makeDoc(rand, `d${Math.floor(rand() * docs)}`)));
  await index.flush();
  return index;
}

const word = (skew: number) => fc.nat({ max: 10_000 }).map((n) => WORDS[Math.floor((n / 10_001) ** skew * WORDS.length)] as string);
const fragment = fc
  .tuple(fc.nat({ max: SENTENCES.length - 1 }), fc.nat({ max: 30 }), fc.integer({ min: 2, max: 9 }))
  .map(([s, at, len]) => {
    const text = SENTENCES[s] as string;
    const from = at % Math.max(1, text.length - 1);
    return text.slice(from, from + len).replace(/["()]/g, '');
  });
/** Queries of every shape: words (common and rare), OR, NOT, phrases, prefixes, fields, groups. */
const queryArb = fc.oneof(
  fc.array(word(2), { minLength: 1, maxLength: 3 }).map((ws) => ws.join(' ')),
  fc.constantFrom(...HOT_WORDS),
  fc.tuple(fc.constantFrom(...HOT_WORDS), word(1)).map(([a, b]) => `${a} ${b}`),
  fc.tuple(word(3), word(1)).map(([a, b]) => `${a} ${b}`),
  fc.tuple(word(2), word(2)).map(([a, b]) => `${a} OR ${b}`),
  fc.tuple(word(2), word(2), word(3)).map(([a, b, c]) => `(${a} OR ${b}) ${c}`),
  fc.tuple(word(2), word(2)).map(([a, b]) => `${a} -${b}`),
  fragment.map((f) => `"${f}"`),
  fc.tuple(fragment, word(3)).map(([f, w]) => `"${f}" ${w}`),
  fragment,
  word(2).map((w) => `${w.slice(0, Math.max(1, w.length - 1))}*`),
  fc.tuple(word(2), fc.constantFrom(...TAGS)).map(([w, tag]) => `${w} tag:${tag}`),
  fc.tuple(word(2), word(2)).map(([a, b]) => `title:${a} ${b}`),
  fc.tuple(word(3), word(3)).map(([a, b]) => `${a} ${b} date:2015..2020`),
  fc.tuple(word(2), fc.constantFrom('龘', '的', '在', '器')).map(([w, c]) => `${w} ${c}`),
);
const optionsArb = fc.record(
  {
    limit: fc.integer({ min: 1, max: 20 }),
    offset: fc.integer({ min: 0, max: 5 }),
    sort: fc.constantFrom<SearchOptions['sort']>('score', 'score', 'score', 'date'),
    countOnly: fc.boolean(),
    titleWeight: fc.constantFrom(3, 3, 3, 0, 1),
  },
  { requiredKeys: ['limit', 'offset'] },
);

function both(index: RuyiIndex, query: string, options: SearchOptions) {
  const run = (whole: boolean) => {
    evaluation.decodeWhole = whole;
    try {
      const { tookMs: _, ...result } = index.search(query, { ...options, timeoutMs: 60_000 });
      return result;
    } finally {
      evaluation.decodeWhole = false;
    }
  };
  return { fast: run(false), whole: run(true) };
}

test('decoding only the blocks that can match gives exactly what decoding every posting gives', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 30 }), async (seed) => {
      const index = await randomIndex(t, seed, 3000);
      let compared = 0;
      fc.assert(
        fc.property(queryArb, optionsArb, (query, options) => {
          const { fast, whole } = both(index, query, options);
          assert.deepEqual(fast, whole, `${query} ${JSON.stringify(options)}`);
          if (whole.total > 0) compared++;
        }),
        { numRuns: 300, seed },
      );
      // Most queries match something: the comparison is not of empty results.
      assert.ok(compared > 150, `only ${compared} of 300 queries matched`);
    }),
    { numRuns: 3 },
  );
});

test('a common word in a known-item query is read in a few blocks, and its scores and totals do not change', async (t) => {
  const index = await randomIndex(t, 12_345, 3000);
  // The most common word with a rare one: the shape of a known-item title query.
  const common = WORDS[0] as string;
  for (const rare of WORDS.slice(200, 240)) {
    const { fast, whole } = both(index, `${common} ${rare}`, { limit: 10 });
    assert.deepEqual(fast, whole, `${common} ${rare}`);
  }
  // One word: block-max reads the blocks whose best possible score can reach the best 50.
  for (const w of HOT_WORDS) {
    const { fast, whole } = both(index, w, { limit: 10 });
    assert.deepEqual(fast, whole, w);
  }
  const { whole } = both(index, common, { limit: 10, countOnly: true });
  assert.ok(whole.total > 2 * 128, `${common} is in ${whole.total} documents: more than one block per segment`);
});

test('block-max skips the blocks of a common word whose best possible score cannot reach the best 50, and loses none of them', async (t) => {
  // One word in every document, once in a long body; often in a few short ones: their blocks
  // hold the best 50, and the others' bounds (max frequency 1 or 2, long bodies) fall below them.
  const target = HOT_WORDS.find((w) => w.length >= 2) as string;
  const rand = mulberry32(99);
  const index = await openIndex(tempDir(t), { threads: 1, shards: 2 });
  t.after(() => index.close());
  const others = WORDS.filter((w) => !w.includes(target) && !target.includes(w));
  const docs: Doc[] = Array.from({ length: 4000 }, (_, i) => {
    const strong = rand() < 0.03;
    const filler = Array.from({ length: strong ? 1 : 3 + Math.floor(rand() * 8) }, () => SENTENCES[Math.floor(rand() * SENTENCES.length)]);
    const repeats = strong ? Array.from({ length: 2 + Math.floor(rand() * 8) }, () => target) : [target];
    return {
      id: `s${i}`,
      title: Array.from({ length: 2 + Math.floor(rand() * 2) }, () => others[Math.floor(rand() * 200)]).join(''),
      body: [...repeats, ...filler].join('。'),
    };
  });
  await index.add(docs);
  await index.flush();
  for (const query of [target, `${target} ${others[0]}`, `${target} OR ${others[3]}`]) {
    for (const limit of [1, 10, 60]) {
      const { fast, whole } = both(index, query, { limit });
      assert.deepEqual(fast, whole, `${query} limit ${limit}`);
    }
  }
});
