import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Analyzer } from '../src/analysis/analyzer.js';
import { isWordToken } from '../src/analysis/normalize.js';

test('isWordToken of one code unit: a-z and 0-9 in ASCII, else a letter or a digit (asked twice: cached)', () => {
  const letterOrDigit = /[\p{L}\p{N}]/u;
  for (let c = 0; c < 0x10000; c++) {
    const token = String.fromCharCode(c);
    const expected = c < 0x80 ? /[a-z0-9]/.test(token) : letterOrDigit.test(token);
    assert.equal(isWordToken(token), expected, `U+${c.toString(16)}`);
    assert.equal(isWordToken(token), expected, `U+${c.toString(16)} again`);
  }
});

test('wordChunks and indexTermsOf give what analyze emits, position by position', () => {
  const analyzer = Analyzer.load({ pinyin: true });
  const text = '中华人民共和国成立了。The quick brown fox 跳过 v20.1 的 c++ 内存溢出，服务器　ＡＢＣ';
  const expected: string[] = [];
  analyzer.analyze(text, 0, (term, position) => expected.push(`${term}@${position}`));
  const actual: string[] = [];
  let position = 0;
  for (const words of analyzer.wordChunks(text)) {
    analyzer.prepareWords(words);
    for (const word of words) {
      for (const term of analyzer.indexTermsOf(word) ?? []) actual.push(`${term}@${position}`);
      position++;
    }
  }
  assert.deepEqual(actual, expected);
});
