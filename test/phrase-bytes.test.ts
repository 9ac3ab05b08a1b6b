import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { bodyHoldsPhrase, holdsPhrase, phraseText } from '../src/search/proximity.js';
import { PHRASE_PIECES as PIECES } from './phrase-pieces.js';

// A stored body is first searched for the phrase's literal UTF-8 bytes, with the word
// boundaries of spaced scripts checked on the bytes, and decoded only when that does not
// decide. The answer must be holdsPhrase's on the decoded text, for any text.

const textArb = fc.array(fc.constantFrom(...PIECES), { maxLength: 40 }).map((xs) => xs.join(''));
const phraseArb = fc
  .array(fc.constantFrom(...PIECES.filter((p) => p.trim() !== '')), { minLength: 1, maxLength: 3 })
  .map((xs) => xs.join(''));

test('searching a body as bytes answers as holdsPhrase on its text', () => {
  fc.assert(
    fc.property(textArb, phraseArb, fc.constantFrom('', ' ', 'a', 'é'), (text, query, around) => {
      const phrase = phraseText(query, [query.toLowerCase()], null);
      if (phrase === null) return;
      const body = `${around}${text}${around}`;
      const bytes = Buffer.from(body, 'utf8');
      const read = (i: number) => (i === 0 ? bytes : undefined);
      assert.equal(bodyHoldsPhrase(read, phrase), holdsPhrase(body, phrase), `${JSON.stringify(body)} ${JSON.stringify(query)}`);
    }),
    { numRuns: 6000 },
  );
});

test('a phrase found as bytes: Han, English words with their boundaries, and not inside a longer word', () => {
  const check = (body: string, query: string): boolean => {
    const phrase = phraseText(query, [query], null);
    assert.ok(phrase !== null);
    const bytes = Buffer.from(body, 'utf8');
    return bodyHoldsPhrase((i) => (i === 0 ? bytes : undefined), phrase);
  };
  assert.equal(check('在 Basic IDE 中打开对话框编辑器。', '对话框编辑器'), true);
  assert.equal(check('open the dialog editor now', 'dialog editor'), true);
  assert.equal(check('open the dialog editors now', 'dialog editor'), false);
  assert.equal(check('xdialog editor', 'dialog editor'), false);
  assert.equal(check('édialog editor', 'dialog editor'), false);
  assert.equal(check('对话框编辑前缀', '对话框编辑器'), false);
});
