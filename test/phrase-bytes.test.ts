import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { bodyHoldsPhrase, holdsPhrase, phraseText } from '../src/search/proximity.js';
import { PHRASE_PIECES as PIECES } from './phrase-pieces.js';

// A stored body is first searched for the phrase's literal UTF-8 bytes, with the word
// boundaries of spaced scripts checked on the bytes, and decoded only when that does not
// decide. The answer must be holdsPhrase's on the decoded text, for any text.

// With characters NFKC changes beyond the shared pieces' full-width ones (squared, enclosed,
// a ligature, a compatibility ideograph), and full-width punctuation, which it does not.
const BODY_PIECES = [...PIECES, '㎏', '①', 'ﬁ', '豈', '（', '）', '：', '“', '”', '…'];
const textArb = fc.array(fc.constantFrom(...BODY_PIECES), { maxLength: 40 }).map((xs) => xs.join(''));
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

test('a body stored in two chunks cut at any byte, through a character too: the answer of holdsPhrase on its text', () => {
  fc.assert(
    fc.property(textArb, phraseArb, fc.nat(), (text, query, cut) => {
      const phrase = phraseText(query, [query.toLowerCase()], null);
      if (phrase === null) return;
      const bytes = Buffer.from(text, 'utf8');
      const at = cut % (bytes.length + 1);
      const chunks = [bytes.subarray(0, at), bytes.subarray(at)];
      assert.equal(
        bodyHoldsPhrase((i) => chunks[i], phrase, at),
        holdsPhrase(text, phrase),
        `${JSON.stringify(text)} ${JSON.stringify(query)} cut ${at}`,
      );
    }),
    { numRuns: 6000 },
  );
});

/** Whether a body stored as these chunks (their UTF-8 bytes) holds the phrase `query`. */
function holdsInChunks(chunks: string[], query: string): boolean {
  const phrase = phraseText(query, [query], null);
  assert.ok(phrase !== null);
  const bytes = chunks.map((c) => Buffer.from(c, 'utf8'));
  return bodyHoldsPhrase((i) => bytes[i], phrase, (bytes[0] as Buffer).length);
}

test('a phrase found as bytes: Han, English words with their boundaries, and not inside a longer word', () => {
  const check = (body: string, query: string): boolean => holdsInChunks([body], query);
  assert.equal(check('在 Basic IDE 中打开对话框编辑器。', '对话框编辑器'), true);
  assert.equal(check('open the dialog editor now', 'dialog editor'), true);
  assert.equal(check('open the dialog editors now', 'dialog editor'), false);
  assert.equal(check('xdialog editor', 'dialog editor'), false);
  assert.equal(check('édialog editor', 'dialog editor'), false);
  assert.equal(check('对话框编辑前缀', '对话框编辑器'), false);
});

test('a body of many chunks: a word cut by where a chunk ends, or by where the text kept from the last one starts, is not a match', () => {
  const check = holdsInChunks;
  // "editor" ends the first chunk, "s" starts the next: "editors".
  assert.equal(check(['open the dialog editor', 's now'], 'dialog editor'), false);
  assert.equal(check(['open the dialog editor', ' now'], 'dialog editor'), true);
  // The text kept from the first chunk (its last 4,096 characters) starts at "dialog", after an x.
  const pad = '汉'.repeat(4096 - 'dialog editor'.length);
  assert.equal(check([`开头xdialog editor${pad}`, '尾'], 'dialog editor'), false);
  assert.equal(check([`开头 dialog editor${pad}`, '尾'], 'dialog editor'), true);
});
