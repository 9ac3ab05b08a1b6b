import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Analyzer, CHUNK_CHARS, MAX_TERM_CHARS } from '../src/analysis/analyzer.js';
import { textChunks } from '../src/analysis/chunks.js';
import { loadStopwords, loadUserDict } from '../src/analysis/dictionary.js';
import { hasHan, isWordToken, normalizeText } from '../src/analysis/normalize.js';

const analyzer = Analyzer.load();
const stopwords = loadStopwords();

type Term = { term: string; position: number };

const terms = (text: string): string[] => analyzer.analyzeQuery(text).map((t) => t.term);
const at = (text: string): string[] => analyzer.analyzeQuery(text).map((t) => `${t.term}@${t.position}`);

/** Runs analyze() and returns both what the sink saw and the next free position. */
function analyzeAll(text: string, first: number): { out: Term[]; next: number } {
  const out: Term[] = [];
  const next = analyzer.analyze(text, first, (term, position) => out.push({ term, position }));
  return { out, next };
}

const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

// A real paragraph (~100 chars), ending with a sentence mark.
const PARAGRAPH =
  '自然语言处理是人工智能领域中的一个重要方向，它研究能实现人与计算机之间用自然语言进行有效通信的各种理论和方法。' +
  '我们使用倒排索引和线程池实现全文搜索，避免内存泄漏。';

// ---------------------------------------------------------------- normalization and terms

test('full-width letters and digits and upper case fold to lowercase ASCII', () => {
  assert.deepEqual(terms('ＡＢＣ１２３'), ['abc123']);
  assert.deepEqual(at('ＨＥＬＬＯ Ｗｏｒｌｄ　２０２４年'), ['hello@0', 'world@1', '2024@2', '年@3']);
  assert.deepEqual(terms('GREP'), ['grep']);
  // Compatibility characters fold too.
  assert.deepEqual(terms('㎏ ﬁle Ⅻ ①'), ['kg', 'file', 'xii', '1']);
  assert.equal(normalizeText('ＡＢＣ１２３'), 'abc123');
});

test('English words, version numbers and symbols-in-words come out as jieba cuts them', () => {
  assert.deepEqual(at('Node.js v20.1 发布了'), ['node@0', 'js@1', 'v20.1@2', '发布@3']);
  assert.deepEqual(terms('HTTP/2 C++ C# 3.14'), ['http', '2', 'c++', 'c#', '3.14']);
});

test('stop words are dropped but keep their position', () => {
  // 的 sits at position 1: the words around it are two positions apart.
  assert.deepEqual(at('苹果的价格'), ['苹果@0', '价格@2']);
  assert.deepEqual(at('search the index'), ['search@0', 'index@2']);
  assert.deepEqual(at('The quick brown fox'), ['quick@1', 'brown@2', 'fox@3']);
  assert.deepEqual(at('下雨了，天气很冷'), ['下雨@0', '天气@2', '冷@4']);
  for (const w of ['的', '了', 'the']) {
    assert.ok(stopwords.has(w), w);
    assert.deepEqual(analyzeAll(w, 0), { out: [], next: 1 });
  }
  // The whole stop word list: nothing emitted, one position each.
  for (const w of stopwords) {
    const { out } = analyzeAll(w, 0);
    assert.ok(!out.some((t) => t.term === w), `stop word ${w} was emitted`);
  }
});

test('a long compound yields itself and its sub-words at one position', () => {
  const got = analyzer.analyzeQuery('中华人民共和国成立了');
  const zero = got.filter((t) => t.position === 0).map((t) => t.term);
  assert.equal(zero[0], '中华人民共和国');
  for (const sub of ['中华', '人民', '共和国']) assert.ok(zero.includes(sub), sub);
  assert.deepEqual(
    got.filter((t) => t.position !== 0),
    [{ term: '成立', position: 1 }],
  );
  // Same when the compound is the whole text (cached sub-words are the same).
  const alone = terms('中华人民共和国');
  assert.deepEqual(alone, zero);
  // A two-character word yields no sub-words.
  assert.deepEqual(terms('成立'), ['成立']);
});

test('punctuation and spaces yield nothing and take no position', () => {
  assert.deepEqual(analyzeAll('   ，。！？……——「」 ... --- !!! \n\t', 0), { out: [], next: 0 });
  assert.deepEqual(analyzeAll('', 5), { out: [], next: 5 });
  assert.deepEqual(at('你好，世界！ 再见。'), ['你好@0', '世界@1', '再见@2']);
  assert.deepEqual(at('你好 世界'), at('你好，，，   世界'));
});

test('a term longer than MAX_TERM_CHARS is cut to that length', () => {
  assert.deepEqual(terms('a'.repeat(MAX_TERM_CHARS * 3)), ['a'.repeat(MAX_TERM_CHARS)]);
  assert.deepEqual(terms('a'.repeat(MAX_TERM_CHARS)), ['a'.repeat(MAX_TERM_CHARS)]);
  const hex = '0123456789abcdef'.repeat(8);
  assert.deepEqual(at(`sha ${hex} 值`), ['sha@0', `${hex.slice(0, MAX_TERM_CHARS)}@1`, '值@2']);
});

test('user dictionary words are kept whole', () => {
  const entries = loadUserDict()
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split(' ')[0] as string);
  assert.ok(entries.length > 100);
  for (const w of ['倒排索引', '线程池', '停用词', '条件随机场', '内存泄漏']) {
    assert.ok(entries.includes(w), `${w} is in user.dict.txt`);
    const alone = analyzer.analyzeQuery(w);
    assert.deepEqual(alone[0], { term: w, position: 0 });
    assert.ok(alone.every((t) => t.position === 0));
    // In a sentence too.
    const inSentence = analyzer.analyzeQuery(`我们讨论${w}的问题`);
    assert.ok(
      inSentence.some((t) => t.term === w),
      JSON.stringify(inSentence),
    );
  }
  assert.deepEqual(at('倒排索引 线程池'), ['倒排索引@0', '倒排@0', '索引@0', '线程池@1', '线程@1']);
  // Every entry of the file is one word under cut: its first term is itself, all at one position.
  for (const w of entries) {
    const got = analyzer.analyzeQuery(w);
    assert.equal(got[0]?.term, normalizeText(w), w);
    assert.ok(
      got.every((t) => t.position === 0),
      w,
    );
  }
});

test('analyze() returns the next position; fields continue one another', () => {
  const single = analyzeAll(PARAGRAPH, 0);
  assert.ok(single.out.length > 20);
  const title = analyzeAll('全文搜索引擎', 0);
  const body = analyzeAll(PARAGRAPH, title.next);
  assert.equal(body.next, title.next + single.next);
  assert.deepEqual(
    body.out,
    single.out.map((t) => ({ term: t.term, position: t.position + title.next })),
  );
});

test('text longer than CHUNK_CHARS: positions continue across chunks', () => {
  const single = analyzeAll(PARAGRAPH, 0);
  for (const sep of ['\n', '']) {
    const copies = Math.ceil((CHUNK_CHARS * 1.3) / (PARAGRAPH.length + sep.length));
    const text = Array(copies).fill(PARAGRAPH).join(sep);
    assert.ok(text.length > CHUNK_CHARS);
    assert.ok([...textChunks(text, CHUNK_CHARS)].length >= 2);

    const first = 1000;
    const long = analyzeAll(text, first);
    // The paragraphs end with a sentence mark, so chunks are cut between paragraphs and the long
    // text analyzes exactly as the paragraphs one after the other.
    assert.equal(long.next, first + copies * single.next);
    const expected: Term[] = [];
    for (let i = 0; i < copies; i++) {
      for (const t of single.out) expected.push({ term: t.term, position: first + i * single.next + t.position });
    }
    assert.deepEqual(long.out, expected);
    for (let i = 1; i < long.out.length; i++) {
      assert.ok((long.out[i] as Term).position >= (long.out[i - 1] as Term).position);
    }
  }
});

test('chunk boundaries do not change positions for text without sentence marks', () => {
  // No boundary mark at all: chunks are cut hard, possibly inside a word. The position count is
  // still the sum over chunks, and positions never go back.
  const text = '人工智能'.repeat(Math.ceil((CHUNK_CHARS * 1.5) / 4));
  const { out, next } = analyzeAll(text, 0);
  let expectedNext = 0;
  for (const chunk of textChunks(text, CHUNK_CHARS)) expectedNext = analyzer.analyze(chunk, expectedNext, () => {});
  assert.equal(next, expectedNext);
  const positions = new Set(out.map((t) => t.position));
  for (let i = 1; i < out.length; i++) assert.ok((out[i] as Term).position >= (out[i - 1] as Term).position);
  // Each word here is 人工智能 (not a stop word), so every position carries a term.
  assert.equal(positions.size, next);
});

// ---------------------------------------------------------------- textChunks

const hanChar = fc.integer({ min: 0x4e00, max: 0x9fff }).map((c) => String.fromCharCode(c));
const astral = fc.constantFrom('😀', '👍🏽', '𠀀', '𝐀', '🇨🇳');
const chunkUnit = fc.oneof(
  { weight: 5, arbitrary: hanChar },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.constantFrom('\n', '。', '，', ' ', '.', '！', '？', '；') },
  { weight: 2, arbitrary: astral },
);
// Small strings (fast-check's default size) and long ones that need several chunks.
const chunkText = fc.oneof(fc.string({ unit: chunkUnit, maxLength: 400 }), fc.string({ unit: chunkUnit, maxLength: 400, size: 'large' }));

function isLow(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
function isHigh(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** Collects at most `limit` chunks, so a generator that never ends fails instead of hanging. */
function collectChunks(text: string, max: number, limit = text.length + 2): string[] {
  const out: string[] = [];
  for (const chunk of textChunks(text, max)) {
    out.push(chunk);
    if (out.length > limit) break;
  }
  return out;
}

test('textChunks: chunks concatenate to the text, are non-empty, bounded, never split a pair', () => {
  fc.assert(
    fc.property(chunkText, fc.integer({ min: 2, max: 80 }), (text, max) => {
      const chunks = collectChunks(text, max);
      assert.ok(chunks.length <= text.length, 'too many chunks');
      assert.equal(chunks.join(''), text);
      for (const c of chunks) {
        assert.ok(c.length > 0, 'empty chunk');
        assert.ok(c.length <= max, `chunk of ${c.length} > ${max}`);
        assert.ok(!isLow(c.charCodeAt(0)), 'chunk starts with a low surrogate');
        assert.ok(!isHigh(c.charCodeAt(c.length - 1)), 'chunk ends with a high surrogate');
        assert.ok(c.isWellFormed());
      }
      if (text.length <= max) assert.deepEqual(chunks, text === '' ? [] : [text]);
    }),
    { numRuns: 1000 },
  );
});

test('textChunks: concatenation holds for ill-formed text too', () => {
  const lone = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
  const unit = fc.oneof(chunkUnit, lone);
  fc.assert(
    fc.property(fc.string({ unit, maxLength: 200, size: 'large' }), fc.integer({ min: 2, max: 40 }), (text, max) => {
      const chunks = collectChunks(text, max);
      assert.equal(chunks.join(''), text);
      for (const c of chunks) assert.ok(c.length > 0 && c.length <= max);
    }),
    { numRuns: 500 },
  );
});

test('textChunks: max = 1 on BMP text gives one chunk per character', () => {
  fc.assert(
    fc.property(fc.string({ unit: fc.oneof(hanChar, fc.constantFrom('a', '\n', '。')), maxLength: 50 }), (text) => {
      assert.deepEqual(collectChunks(text, 1), [...text]);
    }),
  );
});

test('textChunks prefers a paragraph or sentence boundary near the end of a chunk', () => {
  const text = `${'甲'.repeat(85)}。${'乙'.repeat(10)}\n${'丙'.repeat(50)}`;
  // max 100: the window [0,100) holds '\n' at 96 (within the last quarter), preferred to '。' at 85.
  assert.deepEqual(
    collectChunks(text, 100).map((c) => c.length),
    [97, 50],
  );
  // No boundary in the last quarter: a hard cut.
  const hard = `${'甲'.repeat(10)}。${'乙'.repeat(200)}`;
  assert.deepEqual(
    collectChunks(hard, 100).map((c) => c.length),
    [100, 100, 11],
  );
  // A hard cut that would fall between the halves of a surrogate pair moves back by one.
  const pair = `${'a'.repeat(99)}😀${'b'.repeat(10)}`;
  assert.deepEqual(
    collectChunks(pair, 100).map((c) => c.length),
    [99, 12],
  );
});

// Regression: with maxChars = 1 the surrogate-pair rule once moved the cut back to the chunk
// start, yielding empty chunks forever.
test('textChunks with max = 1 and a surrogate pair terminates', () => {
  const chunks = collectChunks('a😀b', 1, 10);
  assert.ok(chunks.every((c) => c.length > 0));
  assert.equal(chunks.join(''), 'a😀b');
});

// ---------------------------------------------------------------- normalizeText, token predicates

test('normalizeText is idempotent', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (s) => {
      const n = normalizeText(s);
      assert.equal(normalizeText(n), n);
    }),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (s) => {
      const n = normalizeText(s);
      assert.equal(normalizeText(n), n);
    }),
    { numRuns: 1000 },
  );
});

test('isWordToken and hasHan agree with their regex definitions on normalized tokens', () => {
  const token = fc
    .string({ unit: fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), hanChar), minLength: 1, maxLength: 4 })
    .map(normalizeText)
    .filter((s) => s.length > 0);
  fc.assert(
    fc.property(token, (s) => {
      assert.equal(isWordToken(s), LETTER_OR_DIGIT.test(s), JSON.stringify(s));
      assert.equal(hasHan(s), /\p{Script=Han}/u.test(s), JSON.stringify(s));
    }),
    { numRuns: 3000 },
  );
  assert.equal(isWordToken('，'), false);
  assert.equal(isWordToken('--'), false);
  assert.equal(isWordToken('é'), true);
  assert.equal(hasHan('abc中'), true);
  assert.equal(hasHan('abc'), false);
});

// ---------------------------------------------------------------- analyzeQuery on arbitrary input

function checkTerms(text: string): void {
  const { out, next } = analyzeAll(text, 0);
  let prev = 0;
  for (const { term, position } of out) {
    assert.ok(term.length > 0, 'empty term');
    assert.ok(term.length <= MAX_TERM_CHARS, `term of ${term.length} units`);
    assert.ok(LETTER_OR_DIGIT.test(term), `term without letter or digit: ${JSON.stringify(term)}`);
    assert.equal(normalizeText(term), term);
    assert.ok(!stopwords.has(term), `stop word ${term}`);
    assert.ok(Number.isInteger(position) && position >= prev && position < next, 'position order');
    prev = position;
  }
}

test('analyzeQuery never throws and emits only clean terms (arbitrary strings)', () => {
  const mixed = fc.string({
    unit: fc.oneof(
      chunkUnit,
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
      fc.constantFrom('Ａ', 'Ｚ', '１', 'ß', 'İ', 'ﬁ', '㎏'),
    ),
    maxLength: 300,
    size: 'large',
  });
  const binary = fc.string({ unit: 'binary', maxLength: 300 });
  const binaryLong = fc.string({ unit: 'binary', maxLength: 300, size: 'large' });
  const graphemes = fc.string({ unit: 'grapheme', maxLength: 200, size: 'large' });
  for (const arb of [binary, binaryLong, graphemes, mixed]) {
    fc.assert(fc.property(arb, checkTerms), { numRuns: 300 });
  }
  // Lone surrogates in the input: no throw, terms still non-empty and normalized.
  const lone = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
  fc.assert(
    fc.property(fc.string({ unit: fc.oneof(chunkUnit, lone), maxLength: 200, size: 'large' }), (text) => {
      for (const t of analyzer.analyzeQuery(text)) {
        assert.ok(t.term.length > 0 && t.term.length <= MAX_TERM_CHARS);
        assert.equal(normalizeText(t.term), t.term);
      }
    }),
    { numRuns: 300 },
  );
});

test('analyzeQuery on long runs of Han and ASCII: terms are bounded and well formed', () => {
  fc.assert(
    fc.property(fc.string({ unit: fc.oneof(hanChar, fc.constantFrom('a', 'b', '1', '.')), minLength: 60, maxLength: 400 }), (text) => {
      checkTerms(text);
      for (const t of analyzer.analyzeQuery(text)) assert.ok(t.term.isWellFormed());
    }),
    { numRuns: 200 },
  );
});

// Regression: the MAX_TERM_CHARS cut once split a surrogate pair, leaving a lone high surrogate
// (two different words then had the same UTF-8 bytes, and a merge threw "out of order").
test('a cut long term is still well formed', () => {
  const text = `㐀${'𠀀'.repeat(40)}`;
  assert.ok(text.isWellFormed());
  for (const t of analyzer.analyzeQuery(text)) assert.ok(t.term.isWellFormed(), JSON.stringify(t.term));
});
