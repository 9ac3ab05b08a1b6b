import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Analyzer } from '../src/analysis/analyzer.js';
import { PostingsBuffer } from '../src/indexing/postings-buffer.js';
import { TermTable } from '../src/indexing/term-table.js';
import { SegmentWriter } from '../src/store/segment-writer.js';

// Code units that exercise every key path: ASCII (with NUL and control characters), the
// Han range and its edges, and what lies outside it (Latin-1, Hangul, surrogates).
const unit = fc.oneof(
  fc.integer({ min: 0, max: 0x7f }),
  fc.integer({ min: 0x2ff0, max: 0x3010 }),
  fc.integer({ min: 0x4e00, max: 0x4e20 }),
  fc.integer({ min: 0x9ff0, max: 0xa010 }),
  fc.constantFrom(0x80, 0xe9, 0xac00, 0xd800, 0xdc00, 0xffff),
);
const term = fc.array(unit, { minLength: 0, maxLength: 9 }).map((codes) => String.fromCharCode(...codes));

test('term table: one entry per distinct string, whatever the key path', () => {
  fc.assert(
    fc.property(fc.array(term, { maxLength: 200 }), (terms) => {
      const table = new TermTable();
      const seen = new Map<string, number>();
      for (const t of terms) {
        const e = table.entryOf(t);
        const before = seen.get(t);
        if (before === undefined) {
          assert.equal(e, seen.size, `new entry for ${JSON.stringify(t)}`);
          seen.set(t, e);
        } else assert.equal(e, before, `same entry for ${JSON.stringify(t)}`);
        assert.equal(table.terms[e], t);
      }
      assert.equal(table.count, seen.size);
    }),
    { numRuns: 500 },
  );
});

test('term table: entries survive growth and start over after clear', () => {
  const table = new TermTable();
  const words: string[] = [];
  for (let i = 0; i < 20_000; i++) words.push(i % 3 === 0 ? String.fromCharCode(0x4e00 + (i % 5000), 0x4e00 + (i >> 4)) : `w${i}`);
  const first = words.map((w) => table.entryOf(w));
  assert.deepEqual(
    words.map((w) => table.entryOf(w)),
    first,
  );
  table.clear();
  assert.equal(table.count, 0);
  assert.equal(table.entryOf('内存'), 0);
  assert.equal(table.entryOf('内存'), 0);
});

test('postings buffer: memoryBytes grows with what it holds and is cheap to read', () => {
  const analyzer = Analyzer.load();
  const buffer = new PostingsBuffer();
  buffer.reset(null);
  let before = buffer.memoryBytes;
  assert.ok(before > 0);
  const body = '自然语言处理是人工智能领域中的一个重要方向，它研究能实现人与计算机之间用自然语言进行有效通信的各种理论和方法。'.repeat(
    3000,
  );
  for (let i = 0; i < 10; i++) {
    buffer.addDocument(analyzer, `标题 ${i} word${i}`, `${body} unique${i}`, ['tag']);
    const now = buffer.memoryBytes;
    assert.ok(now >= before, `${now} >= ${before}`);
    before = now;
  }
  // 12 bytes a buffered token at least.
  assert.ok(before >= buffer.tokens * 12, `${before} bytes for ${buffer.tokens} tokens`);
  const started = performance.now();
  for (let i = 0; i < 100_000; i++) buffer.memoryBytes;
  assert.ok(performance.now() - started < 200);
  const writer = new SegmentWriter(0, () => {});
  buffer.writeSegment(writer, 0);
  writer.finish(buffer.norms());
});
