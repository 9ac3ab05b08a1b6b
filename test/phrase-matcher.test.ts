import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { PositionLists } from '../src/store/postings-codec.js';
import { isPhrase, keyInBytes, matchesKey, PositionChain, phraseKey, phraseText, pointSpans } from '../src/search/proximity.js';
import { PHRASE_PIECES as PIECES } from './phrase-pieces.js';

// Phrases are compared in a stored text as it is, not normalized, by a small matcher
// (keyMatcher): a RegExp with Unicode classes cost V8 1-3 ms to compile, several times a
// query. It must answer as that RegExp did, kept here as the reference.

const SEPARATORS = '[^\\p{L}\\p{N}\\p{M}]';
const SPACED_CLASS = '[\\p{Script=Latin}\\p{Script=Greek}\\p{Script=Cyrillic}\\p{N}]';
const SPACED = /[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}\p{N}]/u;
const spaced = (c: string | undefined): boolean => c !== undefined && c.charCodeAt(0) < 0x3000 && SPACED.test(c);

function referencePattern(key: string): RegExp {
  const chars = [...key];
  let source = spaced(chars[0]) ? `(?<!${SPACED_CLASS})` : '';
  chars.forEach((c, i) => {
    if (c === ' ') return;
    if (i > 0) {
      const prev = chars[i - 1] as string;
      if (prev === ' ') source += `${SEPARATORS}+`;
      else if (!(spaced(prev) && spaced(c))) source += `${SEPARATORS}*`;
    }
    source += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  });
  if (spaced(chars[chars.length - 1])) source += `(?!${SPACED_CLASS})`;
  return new RegExp(source, 'iu');
}

const textArb = fc.array(fc.constantFrom(...PIECES), { maxLength: 30 }).map((xs) => xs.join(''));
const queryArb = fc
  .array(fc.constantFrom(...PIECES.filter((p) => p.trim() !== '' && !/^[\p{P}\p{S}_]+$/u.test(p))), { minLength: 1, maxLength: 4 })
  .chain((words) => fc.constantFrom(words.join(''), words.join(' '), words.join('，')));

test('the phrase matcher answers as the case-insensitive Unicode RegExp it replaces, on any text', () => {
  fc.assert(
    fc.property(textArb, queryArb, (text, query) => {
      const phrase = phraseText(query, [phraseKey(query)], null);
      if (phrase === null) return;
      const expected = referencePattern(phrase.key).test(text);
      assert.equal(matchesKey(text, phrase.matcher), expected, `${JSON.stringify(text)} ${JSON.stringify(phrase.key)}`);
    }),
    { numRuns: 20000, seed: 7 },
  );
});

test('the matcher over UTF-8 bytes answers as over the decoded text, and never finds what the text does not hold in a piece of it', () => {
  fc.assert(
    fc.property(textArb, queryArb, fc.nat(), (text, query, cut) => {
      const phrase = phraseText(query, [phraseKey(query)], null);
      if (phrase === null) return;
      const m = phrase.matcher;
      // A whole text: the same answer.
      assert.equal(keyInBytes(Buffer.from(text), m, true, true), matchesKey(text, m), JSON.stringify([text, phrase.key]));
      // Chunks cut at any byte, through a character too: a match seen in one is in the text.
      const bytes = Buffer.from(text);
      const at = cut % (bytes.length + 1);
      const pieces = [bytes.subarray(0, at), bytes.subarray(at)];
      pieces.forEach((piece, i) => {
        if (keyInBytes(piece, m, i === 0, i === 1)) assert.ok(matchesKey(text, m), JSON.stringify([text, phrase.key, at, i]));
      });
    }),
    { numRuns: 20000, seed: 11 },
  );
});

test('case, separators and word edges on real text', () => {
  const holds = (text: string, query: string): boolean => {
    const phrase = phraseText(query, [phraseKey(query)], null);
    assert.ok(phrase !== null);
    const found = matchesKey(text, phrase.matcher);
    assert.equal(keyInBytes(Buffer.from(text), phrase.matcher, true, true), found, `bytes of ${text}`);
    return found;
  };
  assert.equal(holds('作者：雷勇 <nsinit@263.net>', '雷勇 nsinit 263'), true);
  assert.equal(holds('打开 LibreOffice  Calc 的帮助', 'libreoffice calc'), true);
  assert.equal(holds('打开 LibreOfficeCalc 的帮助', 'libreoffice calc'), false);
  assert.equal(holds('在对话框，编辑器里', '对话框编辑器'), true);
  assert.equal(holds('xdialog editor', 'dialog editor'), false);
  assert.equal(holds('Δdialog editor', 'dialog editor'), false);
  assert.equal(holds('中dialog editor中', 'dialog editor'), true);
  assert.equal(holds('dialog editors', 'dialog editor'), false);
  assert.equal(holds('ДИАЛОГ редактор', 'диалог редактор'), true);
});

test('the in-place chain of word positions agrees with isPhrase over spans, for any positions and gaps', () => {
  const sorted = fc.uniqueArray(fc.nat(40), { maxLength: 12 }).map((xs) => Int32Array.from(xs.sort((a, b) => a - b)));
  fc.assert(
    fc.property(
      fc.array(fc.array(sorted, { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 3 }),
      fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 2 }),
      (docs, gaps) => {
        // docs[c][slot]: one PositionLists per slot, candidate c's positions in each.
        const lists = [0, 1, 2].map((slot) => {
          const l = new PositionLists().reset(Int32Array.from(docs, (_, c) => c));
          l.reserve(docs.reduce((n, d) => n + (d[slot] as Int32Array).length, 0));
          docs.forEach((d, c) => {
            const p = d[slot] as Int32Array;
            l.start[c] = l.used;
            l.count[c] = p.length;
            l.data.set(p, l.used);
            l.used += p.length;
          });
          return l;
        });
        const chain = new PositionChain();
        docs.forEach((d, c) => {
          const expected = isPhrase(d.map(pointSpans), gaps);
          assert.equal(chain.holds(lists, c, gaps), expected, JSON.stringify({ d: d.map((x) => [...x]), gaps }));
        });
      },
    ),
    { numRuns: 3000, seed: 3 },
  );
});
