import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Analyzer } from '../src/analysis/analyzer.js';
import {
  INITIALS_PREFIX,
  INITIALS_TERM_WEIGHT,
  initialsTerm,
  isPinyin,
  MAX_PINYIN_WORDS_PER_TOKEN,
  PINYIN_PREFIX,
  PINYIN_TERM_WEIGHT,
  PinyinReader,
  pinyinTerm,
} from '../src/analysis/pinyin.js';
import { TAG_PREFIX } from '../src/indexing/postings-buffer.js';
import { sampleDocs } from './helpers.js';

const plain = Analyzer.load();
const withPinyin = Analyzer.load({ pinyin: true });
const reader = new PinyinReader();

/** Every term the analyzer emits for `text`, with its position. */
function emitted(analyzer: Analyzer, text: string): { term: string; position: number }[] {
  const out: { term: string; position: number }[] = [];
  analyzer.analyze(text, 0, (term, position) => out.push({ term, position }));
  return out;
}

const show = (term: string): string => term.replace(PINYIN_PREFIX, 'P:').replace(INITIALS_PREFIX, 'I:');

test('isPinyin accepts toneless syllable strings and refuses the rest', () => {
  for (const yes of ['neicun', 'xian', 'zhongguo', 'nv', 'lve', 'zhuang', 'a', 'er', 'chuangxin']) assert.ok(isPinyin(yes), yes);
  for (const no of ['nc', 'grep', 'ng', 'm', '', 'neicun1', 'NeiCun', 'zhongguox', 'ü', 'v', 'iu']) assert.ok(!isPinyin(no), no);
});

test('property: a concatenation of readings of real words is pinyin', () => {
  const words = ['内存', '溢出', '重庆', '银行', '绿色', '女人', '中华人民共和国', '全文检索', '服务器'];
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 5 }), (ws) => {
      const full = ws.map((w) => (reader.read(w) as { full: string }).full.slice(PINYIN_PREFIX.length)).join('');
      return isPinyin(full);
    }),
  );
  // Any string: never throws, and the answer is false for anything outside a-z.
  fc.assert(fc.property(fc.string(), (s) => isPinyin(s) === false || /^[a-z]+$/.test(s)));
});

test('a word has one reading, polyphones read in context, non-Han words none', () => {
  assert.deepEqual(reader.read('内存'), { full: pinyinTerm('neicun'), initials: initialsTerm('nc') });
  assert.equal(reader.read('重庆')?.full, pinyinTerm('chongqing'));
  assert.equal(reader.read('银行')?.full, pinyinTerm('yinhang'));
  assert.equal(reader.read('女人')?.full, pinyinTerm('nvren'));
  assert.equal(reader.read('中华人民共和国')?.initials, initialsTerm('zhrmghg'));
  for (const none of ['内', 'c语言', 'node', '12', '']) assert.equal(reader.read(none), null, none);
});

test('pinyin terms live in namespaces no word or tag can take', () => {
  assert.notEqual(PINYIN_PREFIX, INITIALS_PREFIX);
  assert.notEqual(PINYIN_PREFIX, TAG_PREFIX);
  assert.notEqual(INITIALS_PREFIX, TAG_PREFIX);
  // Control characters are never word tokens, so nothing analyzed can start with them.
  for (const text of ['\u0002neicun', '\u0003nc', 'neicun nc']) {
    for (const { term } of emitted(withPinyin, text)) assert.ok(term.charCodeAt(0) >= 0x20, JSON.stringify(term));
  }
});

test('the index side adds full pinyin and initials at the word position, for words and sub-words', () => {
  const terms = emitted(withPinyin, '服务器发生了内存溢出').map((t) => `${show(t.term)}@${t.position}`);
  for (const expected of ['服务器@0', 'P:fuwuqi@0', 'I:fwq@0', '内存溢出@3', 'P:neicunyichu@3', 'I:ncyc@3', 'P:neicun@3', 'I:nc@3']) {
    assert.ok(terms.includes(expected), `${expected} in ${terms.join(' ')}`);
  }
  // Without the option, the same text gives exactly the base terms.
  const base = emitted(plain, '服务器发生了内存溢出');
  assert.deepEqual(
    emitted(withPinyin, '服务器发生了内存溢出').filter((t) => t.term.charCodeAt(0) >= 0x20),
    base,
  );
  // Single characters and Latin words get no pinyin.
  assert.deepEqual(
    emitted(withPinyin, '人 node').map((t) => t.term),
    ['人', 'node'],
  );
});

test('queryTerms: Latin words get pinyin or initials alternatives in the same slot, with weights', () => {
  const q = (text: string) => withPinyin.queryTerms(text).map((t) => `${t.kind}:${show(t.term)}@${t.position}/${t.weight}`);
  assert.deepEqual(q('neicun'), ['word:neicun@0/1', `pinyin:P:neicun@0/${PINYIN_TERM_WEIGHT}`]);
  assert.deepEqual(q('NC'), ['word:nc@0/1', `initials:I:nc@0/${INITIALS_TERM_WEIGHT}`]);
  assert.deepEqual(q('neicun 溢出'), ['word:neicun@0/1', 'word:溢出@1/1', `pinyin:P:neicun@0/${PINYIN_TERM_WEIGHT}`]);
  // Chinese words never get homophone alternatives; long non-pinyin words no initials.
  assert.deepEqual(q('内存'), ['word:内存@0/1']);
  assert.deepEqual(q('kubernetes'), ['word:kubernetes@0/1']);
  // Off for an index without pinyin, unless asked.
  assert.deepEqual(
    plain.queryTerms('neicun').map((t) => t.kind),
    ['word'],
  );
  assert.deepEqual(
    plain.queryTerms('neicun', { pinyin: true }).map((t) => t.kind),
    ['word', 'pinyin'],
  );
  assert.ok(PINYIN_TERM_WEIGHT < 1 && INITIALS_TERM_WEIGHT < PINYIN_TERM_WEIGHT);
});

test('property: queryTerms never throws; words come first; alternatives share a word slot', () => {
  fc.assert(
    fc.property(
      fc.oneof(fc.string(), fc.stringMatching(/^[a-z ]{0,20}$/), fc.constantFrom('内存 nc', 'neicun yichu', '記憶體')),
      (text) => {
        const terms = withPinyin.queryTerms(text);
        const words = terms.filter((t) => t.kind === 'word');
        assert.deepEqual(terms.slice(0, words.length), words);
        const slots = new Set(words.map((t) => t.position));
        for (const t of terms.slice(words.length)) assert.ok(slots.has(t.position));
      },
    ),
    { numRuns: 200 },
  );
});

test('long document: extra terms per token are bounded and grow linearly with the text', () => {
  const docs = sampleDocs();
  // ~120 KB of real text, the size of the riot article that cost 2.7 GB.
  let article = '';
  for (const d of docs) {
    if (Buffer.byteLength(article) > 120_000) break;
    article += `${d.title}\n${typeof d.body === 'string' ? d.body : ''}\n`;
  }
  assert.ok(Buffer.byteLength(article) > 100_000);
  const count = (a: Analyzer, text: string): { tokens: number; extra: number } => {
    let tokens = 0;
    let extra = 0;
    a.analyze(text, 0, (term) => {
      if (term.charCodeAt(0) < 0x20) extra++;
      else tokens++;
    });
    return { tokens, extra };
  };
  const once = count(withPinyin, article);
  const twice = count(withPinyin, article + article);
  assert.ok(once.extra <= once.tokens * 2 * MAX_PINYIN_WORDS_PER_TOKEN, `${once.extra} extra for ${once.tokens}`);
  // Linear: twice the text, twice the terms (a few percent for chunk boundaries).
  const ratio = (twice.tokens + twice.extra) / (once.tokens + once.extra);
  assert.ok(ratio > 1.95 && ratio < 2.05, `ratio ${ratio}`);
  // And far from the bound in practice: about one extra term pair per Han word.
  assert.ok(once.extra < once.tokens * 2, `${once.extra} extra for ${once.tokens}`);
});

test('a word with many sub-words gets at most MAX_PINYIN_WORDS_PER_TOKEN readings', () => {
  // A long dictionary word with many sub-words.
  const terms = emitted(withPinyin, '中华人民共和国中央人民政府');
  const byPosition = new Map<number, number>();
  for (const t of terms) if (t.term.startsWith(PINYIN_PREFIX)) byPosition.set(t.position, (byPosition.get(t.position) ?? 0) + 1);
  for (const [, n] of byPosition) assert.ok(n <= MAX_PINYIN_WORDS_PER_TOKEN);
  assert.ok(byPosition.size > 0);
});
