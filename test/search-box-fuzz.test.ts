import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { type Doc, isEngineError, openIndex, QuerySyntaxError, type RuyiIndex, type SearchResult } from '../src/index.js';
import { MAX_QUERY_CHARS, MAX_QUERY_CLAUSES } from '../src/search/query-parser.js';
import { DocStore } from '../src/serve/doc-store.js';
import type { IndexRecord } from '../src/serve/registry.js';
import { searchIndex } from '../src/serve/search-exec.js';
import { DEFAULT_SETTINGS } from '../src/serve/settings.js';
import { sampleDocs, tempDir } from './helpers.js';

// A search box is fed by readers: whatever they type or paste gets a result (issue 12).

async function sampleIndex(t: Parameters<typeof tempDir>[0]): Promise<{ index: RuyiIndex; docs: Doc[] }> {
  const docs = sampleDocs();
  const index = await openIndex(tempDir(t), { threads: 1, shards: 2 });
  t.after(() => index.close());
  await index.add(docs);
  await index.flush();
  return { index, docs };
}

/** Sentences of the sample's bodies: what a reader pastes. */
function sentences(docs: readonly Doc[], count: number): { id: string; text: string }[] {
  const out: { id: string; text: string }[] = [];
  for (let i = 0; out.length < count && i < docs.length; i += 3) {
    const doc = docs[i] as Doc;
    const s = String(doc.body)
      .split(/[。！？\n]/u)
      .map((x) => x.trim())
      .find((x) => x.length >= 12 && x.length <= 60 && /\p{Script=Han}{4}/u.test(x));
    if (s !== undefined) out.push({ id: doc.id, text: s });
  }
  return out;
}

function checkResult(r: SearchResult, query: string): void {
  assert.ok(Array.isArray(r.hits), query);
  assert.ok(Number.isInteger(r.total) && r.total >= r.hits.length, query);
  assert.ok(r.syntax === 'query' || r.syntax === 'plain', query);
  if (r.syntaxError !== undefined) {
    assert.ok(Number.isInteger(r.syntaxError.position) && r.syntaxError.position >= 0, query);
    assert.ok(r.syntaxError.position <= query.length, query);
    assert.ok(r.syntaxError.message.length > 0, query);
  }
}

test('10,000 random strings through search() with the defaults: never an exception, always a result', async (t) => {
  const { index, docs } = await sampleIndex(t);
  const words = [...new Set(docs.flatMap((d) => (d.title ?? '').split(/[\s\-—()（）]+/u)).filter((w) => /\p{Script=Han}{2}/u.test(w)))]
    .slice(0, 60)
    .map((w) => w.slice(0, 6));
  const piece = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...words) },
    {
      weight: 6,
      arbitrary: fc.constantFrom(
        ...[' ', ' ', '  ', '"', '"', '(', ')', '-', '--', '*', ':', 'AND ', 'OR ', 'NOT ', ' AND', ' OR', ' NOT'],
        ...['tag:', 'title:', 'date:', 'date:>=', 'date:2019..', 'foo:', 'http://x.cn/a', '\u3000', '（', '）', '＂', '－', 'ＯＲ', '：'],
        ...['\u0000', '\u0001', '\u0007', '\t', '\n', '\r', '\u001b[31m', '\u007f', '\u200b', '\ufeff', '\ud800', '\udfff', '😀', '内存溢*'],
      ),
    },
    { weight: 2, arbitrary: fc.string({ maxLength: 4 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 3 }) },
  );
  const query = fc.array(piece, { maxLength: 24 }).map((parts) => parts.join(''));
  // Operators at the start, as in a pasted sentence that begins with "AND".
  const leading = fc.tuple(fc.constantFrom('AND ', 'OR ', 'NOT ', '-', '"', ')', '('), query).map(([op, q]) => op + q);

  const samples = [...fc.sample(fc.oneof(query, leading), { numRuns: 9_997, seed: 12 })];
  samples.push('x'.repeat(100_000), `${'内存溢出 '.repeat(20_000)}"`, `${'(a OR '.repeat(40)}b`);
  assert.equal(samples.length, 10_000);

  let plain = 0;
  let plainWithHits = 0;
  let compared = 0;
  for (const [i, q] of samples.entries()) {
    let r: SearchResult;
    try {
      r = index.search(q, { limit: 5 });
    } catch (err) {
      assert.fail(`search(${JSON.stringify(q.slice(0, 80))}) threw ${String(err)}`);
    }
    checkResult(r, q);
    if (r.syntax === 'plain') {
      plain++;
      if (r.total > 0) plainWithHits++;
      assert.ok(r.syntaxError !== undefined, `read as plain words without saying why: ${JSON.stringify(q.slice(0, 80))}`);
    }
    // Every 10th (and the long ones): the default reading is the strict parse when there is
    // one, else exactly the plain reading, with the parser's error position.
    if (i % 10 === 0 || q.length > MAX_QUERY_CHARS) {
      compared++;
      let strict: SearchResult | null = null;
      let error: QuerySyntaxError | null = null;
      try {
        strict = index.search(q, { limit: 5, syntax: 'strict' });
      } catch (err) {
        assert.ok(err instanceof QuerySyntaxError, String(err));
        error = err;
      }
      if (strict !== null) {
        assert.equal(r.syntax, 'query', q);
        assert.equal(r.syntaxError, undefined, q);
        assert.deepEqual(
          r.hits.map((h) => h.id),
          strict.hits.map((h) => h.id),
          q,
        );
      } else {
        assert.equal(r.syntax, 'plain', q);
        assert.equal(r.syntaxError?.position, error?.position, q);
        const asPlain = index.search(q, { limit: 5, syntax: 'plain' });
        assert.equal(r.total, asPlain.total, q);
        assert.deepEqual(
          r.hits.map((h) => h.id),
          asPlain.hits.map((h) => h.id),
          q,
        );
      }
    }
  }
  // The generator does reach the fallback, and the fallback finds documents.
  assert.ok(plain > 1_000, `only ${plain} of 10,000 were not valid syntax`);
  assert.ok(plainWithHits > plain / 4, `${plainWithHits} of ${plain} plain readings found something`);
  assert.ok(compared >= 1_000);
});

test('pasted sentences starting with AND, with a stray quote or parenthesis find their document; strict still throws', async (t) => {
  const { index, docs } = await sampleIndex(t);
  const pasted = sentences(docs, 40);
  assert.ok(pasted.length >= 30);
  let found = 0;
  for (const [i, { id, text }] of pasted.entries()) {
    const q = [`AND ${text}`, `${text} "`, `(${text}`, `${text} OR`][i % 4] as string;
    assert.throws(
      () => index.search(q, { syntax: 'strict' }),
      (e) => e instanceof QuerySyntaxError && isEngineError(e, 'E_QUERY_SYNTAX'),
    );
    const r = index.search(q, { limit: 10 });
    assert.equal(r.syntax, 'plain', q);
    assert.ok(r.syntaxError !== undefined && r.syntaxError.position >= 0 && r.syntaxError.position <= q.length, q);
    if (r.hits.some((h) => h.id === id)) found++;
  }
  assert.ok(found >= pasted.length * 0.9, `${found} of ${pasted.length} pasted sentences found their document`);

  // The error says where and what, as the strict parser does.
  const r = index.search('列出 目录 "内容');
  assert.equal(r.syntax, 'plain');
  assert.deepEqual(r.syntaxError, { position: 6, message: 'this quote is never closed' });
  assert.ok(r.total > 0);
  // Valid syntax is the query language, with no error.
  const q = index.search('"列出目录" -内存');
  assert.equal(q.syntax, 'query');
  assert.equal(q.syntaxError, undefined);
  // A StructuredQuery is read as built.
  assert.equal(index.search({ must: ['列出'] }).syntax, 'query');
});

test('over the limits: the first 4,096 characters and 64 words are searched, and the result says so', async (t) => {
  const { index } = await sampleIndex(t);
  const long = `列出目录内容 ${'无关 '.repeat(3_000)}`;
  for (const syntax of ['query', 'plain'] as const) {
    const r = index.search(long, { syntax });
    assert.equal(r.syntax, 'plain');
    assert.ok(r.syntaxError !== undefined);
    assert.ok(r.total > 0, syntax);
  }
  const many = Array.from({ length: MAX_QUERY_CLAUSES + 10 }, (_, i) => `词${i}`).join(' ');
  const r = index.search(`列出 ${many}`, { syntax: 'plain' });
  assert.match(r.syntaxError?.message ?? '', /more than 64 words; the first 64 were searched/);
  // The 65th word, 词63, is the first one left out.
  assert.equal(r.syntaxError?.position, '列出 '.length + many.indexOf(`词${MAX_QUERY_CLAUSES - 1} `));
  // A lone high surrogate at the cut is not split.
  const surrogate = `${'a'.repeat(MAX_QUERY_CHARS - 1)}😀${'b'.repeat(10)}`;
  assert.equal(index.search(surrogate, { syntax: 'plain' }).syntaxError?.position, MAX_QUERY_CHARS - 1);
  assert.throws(
    () => index.search('x'.repeat(100_000), { syntax: 'strict' }),
    (e) => e instanceof QuerySyntaxError && e.position === MAX_QUERY_CHARS,
  );
});

test("ruyi serve: Meilisearch's q is never a 4xx for its syntax or its word count (plain words, and with synonyms)", async (t) => {
  const { index, docs } = await sampleIndex(t);
  const store = new DocStore(join(tempDir(t), 'docs'));
  t.after(() => store.close());
  const record: IndexRecord = { uid: 'a', primaryKey: 'id', createdAt: '', updatedAt: '', settings: { ...DEFAULT_SETTINGS } };
  const withSynonyms: IndexRecord = { ...record, settings: { ...DEFAULT_SETTINGS, synonyms: { 列出: ['显示'], 目录: ['文件夹'] } } };
  const opened = { ruyi: index, docs: store };
  const sentence = (sentences(docs, 1)[0] as { text: string }).text;
  const queries = [
    `AND ${sentence}`,
    '列出 目录 "内容',
    `列出 ${Array.from({ length: 100 }, (_, i) => `词${i}`).join(' ')}`,
    '列出 (目录',
    'foo:bar 列出 OR',
    `${'列出 目录 '.repeat(60)}"`,
  ];
  for (const q of queries) {
    for (const rec of [record, withSynonyms]) {
      const out = searchIndex('a', rec, opened, { q });
      assert.ok(typeof out.estimatedTotalHits === 'number', q);
      if (!q.includes('词')) assert.ok((out.estimatedTotalHits as number) > 0, `${q.slice(0, 40)}: nothing found`);
    }
  }
});
