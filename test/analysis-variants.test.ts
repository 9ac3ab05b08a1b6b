import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { analysisFingerprint } from '../src/analysis/analysis-options.js';
import { Analyzer } from '../src/analysis/analyzer.js';
import { mapText } from '../src/analysis/text-map.js';
import { SimplifiedConverter } from '../src/analysis/variants.js';
import { sampleDocs } from './helpers.js';

const converter = SimplifiedConverter.load();
const trad = Analyzer.load({ traditional: true });
const plain = Analyzer.load();

const words = (a: Analyzer, text: string): string[] => a.analyzeQuery(text).map((t) => t.term);

test('traditional runs become simplified, with Taiwan and Hong Kong vocabulary', () => {
  const cases: [string, string][] = [
    ['記憶體', '内存'],
    ['內存', '内存'],
    ['軟體', '软件'],
    ['資料庫', '数据库'],
    ['網路', '网络'],
    ['後來頭髮', '后来头发'],
    ['記憶體不足時，請關閉程式。', '内存不足时，请关闭程序。'],
  ];
  for (const [from, to] of cases) assert.equal(converter.convert(from), to, from);
});

test('simplified text is left alone, even where Taiwan words would change its meaning', () => {
  // Blind tw→cn conversion turns these into 文档, 进程, 创建, 串行 (26% of the dev corpus changed).
  for (const text of ['文件和程序', '建立序列', '乾隆皇帝', '什么', '著名的皇后', '使用者']) assert.equal(converter.convert(text), text);
  // The sample is simplified (man pages) and classical text: count what changes.
  let changed = 0;
  let docs = 0;
  for (const d of sampleDocs()) {
    if (typeof d.body !== 'string' || !d.id.startsWith('man')) continue;
    docs++;
    if (converter.convert(d.body) !== d.body) changed++;
  }
  assert.ok(docs > 100);
  assert.ok(changed <= docs * 0.02, `${changed} of ${docs} simplified man pages changed`);
});

test('documents and queries in either script give the same terms', () => {
  assert.deepEqual(words(trad, '記憶體'), ['内存']);
  assert.deepEqual(words(trad, '內存'), ['内存']);
  assert.deepEqual(words(trad, '内存'), ['内存']);
  assert.deepEqual(words(trad, '資料庫的記憶體'), words(trad, '数据库的内存'));
  // Without the option nothing is converted.
  assert.notDeepEqual(words(plain, '記憶體'), ['内存']);
});

test('fingerprints differ per option, and are "base" with none', () => {
  assert.equal(analysisFingerprint({ pinyin: false, traditional: false }), 'base');
  const all = new Set(
    [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ].map(([pinyin, traditional]) => analysisFingerprint({ pinyin: pinyin as boolean, traditional: traditional as boolean })),
  );
  assert.equal(all.size, 4);
  assert.notEqual(trad.fingerprint, plain.fingerprint);
});

test('mapText maps analyzed ranges back to the original characters', () => {
  const text = 'ＡＢＣ 記憶體 ﬁle 内存😀';
  const m = mapText(text, converter);
  assert.equal(m.text, 'abc 内存 file 内存😀');
  const range = (part: string): string => {
    const at = m.text.indexOf(part);
    const [s, e] = m.range(at, at + part.length);
    return text.slice(s, e);
  };
  assert.equal(range('abc'), 'ＡＢＣ');
  assert.equal(range('内存'), '記憶體');
  assert.equal(range('file'), 'ﬁle');
  assert.equal(range('😀'), '😀');
});

test('property: mapped ranges are inside the text, ordered, and never split a surrogate pair', () => {
  const pieces = ['記憶體', '內存', '内存', 'ＡＢ', 'ﬁ', 'é', 'e\u0301', '😀', ' ', '。', 'abc', '乾隆'];
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 3 })), { maxLength: 20 }), (parts) => {
      const text = parts.join('');
      const m = mapText(text, converter);
      let last = 0;
      for (let i = 0; i < m.text.length; i++) {
        const [s, e] = m.range(i, i + 1);
        assert.ok(s >= 0 && e <= text.length && s < e, `range ${s}-${e} of ${text.length}`);
        assert.ok(s >= last || s >= 0);
        last = s;
        const low = text.charCodeAt(s);
        assert.ok(!(low >= 0xdc00 && low <= 0xdfff && s > 0 && text.charCodeAt(s - 1) >= 0xd800 && text.charCodeAt(s - 1) <= 0xdbff));
      }
    }),
    { numRuns: 300 },
  );
});

test('analyzeSpans gives the same terms as analyze, with ranges of the original text', () => {
  const text = '當伺服器的記憶體不足時，Node.js 會發生內存溢出。';
  const spans: string[] = [];
  trad.analyzeSpans(text, (term, s, e) => spans.push(`${term}=${text.slice(s, e)}`));
  const terms = words(trad, text);
  assert.deepEqual(
    spans.map((s) => s.split('=')[0]),
    terms,
  );
  for (const expected of ['内存=記憶體', '内存溢出=內存溢出', '内存=內存', '溢出=溢出', 'node=Node'])
    assert.ok(spans.includes(expected), `${expected} in ${spans.join(' ')}`);
});
