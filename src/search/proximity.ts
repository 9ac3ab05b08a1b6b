/**
 * Phrase and proximity over word positions. A query slot occupies a span of document
 * positions: one position for a word (or its prefix expansion), several when the document
 * has the word cut into its sub-words (内存溢出 as 内存 / 溢出). Sub-words share their word's
 * position (中华人民共和国, 人民 and 共和国 all stand at one position), so consecutive query
 * words may stand at the same position as well as `delta` apart: a gap of 0..delta is adjacent.
 * Positions are a necessary condition for a phrase, not a sufficient one (a sub-word's position
 * is its word's; a stop word is not indexed): holdsPhrase compares the text itself.
 */

import { normalizeText } from '../analysis/normalize.js';
import { BODY_CHUNK_BYTES } from '../store/body-store.js';
import type { PositionLists } from '../store/postings-codec.js';

/** Where one slot occurs in one document: spans sorted by start. */
export interface Spans {
  start: Int32Array;
  end: Int32Array;
}

/** Words this far apart (or closer) count as near one another. */
export const NEAR_WORDS = 8;
/** Score factors: each adjacent pair of query words, each near pair, and the whole phrase in order. */
export const ADJACENT_BOOST = 1;
export const NEAR_BOOST = 0.25;
export const PHRASE_BOOST = 1;

export const NO_SPANS: Spans = { start: new Int32Array(0), end: new Int32Array(0) };

/** Single positions as spans. */
export function pointSpans(positions: Int32Array): Spans {
  return { start: positions, end: positions };
}

function sortedEnds(a: Spans): Int32Array {
  return a.end.length < 2 ? a.end : Int32Array.from(a.end).sort();
}

/** The spans of b that start 0..maxGap after some span of a ends. */
function continuations(aEnds: Int32Array, b: Spans, maxGap: number): Spans {
  const start: number[] = [];
  const end: number[] = [];
  let i = 0;
  for (let j = 0; j < b.start.length; j++) {
    const s = b.start[j] as number;
    while (i + 1 < aEnds.length && (aEnds[i + 1] as number) <= s) i++;
    const e = aEnds[i];
    if (e !== undefined && e <= s && s - e <= maxGap) {
      start.push(s);
      end.push(b.end[j] as number);
    }
  }
  return { start: Int32Array.from(start), end: Int32Array.from(end) };
}

function follows(a: Spans, b: Spans, maxGap: number): boolean {
  return continuations(sortedEnds(a), b, maxGap).start.length > 0;
}

function near(a: Spans, b: Spans, distance: number): boolean {
  const ends = sortedEnds(a);
  const starts = b.start;
  let i = 0;
  let j = 0;
  while (i < ends.length && j < starts.length) {
    const p = ends[i] as number;
    const q = starts[j] as number;
    if (Math.abs(p - q) <= distance) return true;
    if (p < q) i++;
    else j++;
  }
  return false;
}

/** Whether the slots occur in order as a phrase: slot i+1 starts 0..deltas[i] positions after slot i ends. */
export function isPhrase(spans: readonly Spans[], deltas: readonly number[]): boolean {
  let reach = spans[0] ?? NO_SPANS;
  for (let i = 1; i < spans.length && reach.start.length > 0; i++) {
    reach = continuations(sortedEnds(reach), spans[i] as Spans, deltas[i - 1] as number);
  }
  return reach.start.length > 0;
}

/**
 * isPhrase for slots of one word each, over the words' decoded positions (one PositionLists
 * per word, candidate `c` of each): the positions of each slot reachable from the first,
 * 0..delta after one of the previous slot's, kept in two scratch arrays reused across
 * candidates instead of a new span object per step.
 */
export class PositionChain {
  private a = new Int32Array(64);
  private b = new Int32Array(64);

  holds(lists: readonly PositionLists[], c: number, deltas: readonly number[]): boolean {
    let reach = (lists[0] as PositionLists).of(c);
    for (let i = 1; i < lists.length && reach.length > 0; i++) {
      const next = (lists[i] as PositionLists).of(c);
      const delta = deltas[i - 1] as number;
      if (i % 2 === 1) {
        if (this.a.length < next.length) this.a = new Int32Array(next.length * 2);
      } else if (this.b.length < next.length) this.b = new Int32Array(next.length * 2);
      const out = i % 2 === 1 ? this.a : this.b;
      let n = 0;
      let j = 0;
      for (let m = 0; m < next.length; m++) {
        const q = next[m] as number;
        // The last reachable position at or before q (reach ascends).
        while (j + 1 < reach.length && (reach[j + 1] as number) <= q) j++;
        const r = reach[j] as number;
        if (r <= q && q - r <= delta) out[n++] = q;
      }
      reach = out.subarray(0, n);
    }
    return reach.length > 0;
  }
}

/**
 * The proximity factor of a document (>= 1): 1 + ADJACENT_BOOST x (share of consecutive
 * query words that stand adjacent) + NEAR_BOOST x (share that stand within NEAR_WORDS)
 * + PHRASE_BOOST when the whole query occurs as a phrase.
 */
export function proximityFactor(spans: readonly Spans[], deltas: readonly number[]): number {
  let pairs = 0;
  let adjacent = 0;
  let close = 0;
  for (let i = 0; i + 1 < spans.length; i++) {
    pairs++;
    const a = spans[i] as Spans;
    const b = spans[i + 1] as Spans;
    if (a.start.length === 0 || b.start.length === 0) continue;
    if (follows(a, b, deltas[i] as number)) adjacent++;
    else if (near(a, b, NEAR_WORDS)) close++;
  }
  if (pairs === 0) return 1;
  let factor = 1 + (ADJACENT_BOOST * adjacent) / pairs + (NEAR_BOOST * close) / pairs;
  if (adjacent === pairs) factor += isPhrase(spans, deltas) ? PHRASE_BOOST : PHRASE_BOOST / 2;
  return factor;
}

/**
 * The spans of a slot in one document from its terms' positions: the word's own positions,
 * its prefix expansions', and runs of its sub-words in order, each 0..1 after the previous.
 */
export function slotSpans(main: Int32Array, expansions: readonly Int32Array[], subs: readonly Int32Array[]): Spans {
  const start: number[] = [];
  const end: number[] = [];
  for (const p of main) {
    start.push(p);
    end.push(p);
  }
  for (const positions of expansions) {
    for (const p of positions) {
      start.push(p);
      end.push(p);
    }
  }
  if (subs.length > 0) {
    let runs: Spans = pointSpans(subs[0] as Int32Array);
    for (let i = 1; i < subs.length && runs.start.length > 0; i++) {
      const next = continuations(sortedEnds(runs), pointSpans(subs[i] as Int32Array), 1);
      // Keep each run's start: map every continuation back to the run it extends.
      const starts: number[] = [];
      for (const s of next.start) {
        let best = -1;
        for (let k = 0; k < runs.start.length; k++) {
          const e = runs.end[k] as number;
          if (e <= s && s - e <= 1) best = runs.start[k] as number;
        }
        starts.push(best);
      }
      runs = { start: Int32Array.from(starts), end: next.end };
    }
    for (let k = 0; k < runs.start.length; k++) {
      start.push(runs.start[k] as number);
      end.push(runs.end[k] as number);
    }
  }
  if (start.length === 0) return NO_SPANS;
  const order = start
    .map((_, i) => i)
    .sort((x, y) => (start[x] as number) - (start[y] as number) || (end[x] as number) - (end[y] as number));
  return { start: Int32Array.from(order, (i) => start[i] as number), end: Int32Array.from(order, (i) => end[i] as number) };
}

/**
 * A phrase's text as a document's text must hold it, see holdsPhrase. `literal` is the
 * normalized text (a fast first test); `key` the same with only letters and digits kept
 * (see phraseKey). `converts`, in a `traditional` index, says whether analysis would convert a
 * document's text: converted text is not compared (its positions decided).
 */
export interface PhraseText {
  literal: string;
  key: string;
  /**
   * Strings that any text holding the phrase holds literally once normalized (its words, or
   * the pieces of the sub-words that tile one), longest first: a text without one of them is
   * rejected at once, and only the text around the rarest is compared.
   */
  pieces: string[];
  /** The key as it is matched in text as it is (see keyMatcher): no copy, no normalization. */
  matcher: KeyMatcher;
  /**
   * The literal form's UTF-8 bytes: a body's stored bytes are searched for them natively
   * before any is decoded (see literalInBytes). null when the literal is empty.
   */
  literalBytes: Buffer | null;
  converts: ((text: string) => boolean) | null;
}

/** Letters and digits of scripts that separate words with spaces (English, numbers, …). */
const SPACED = /[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}\p{N}]/u;
const NOT_WORD = /[^\p{L}\p{N}\p{M}]+/gu;

function spaced(c: string | undefined): boolean {
  if (c === undefined) return false;
  const code = c.charCodeAt(0);
  if ((code >= 0x61 && code <= 0x7a) || (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a)) return true;
  return code >= 0x80 && code < 0x3000 && SPACED.test(c);
}

/**
 * The form in which phrases are compared: normalized (NFKC, lower case), letters and digits
 * kept; a run of anything else becomes one space between two letters or digits of a spaced
 * script (`dialog, editor` → `dialog editor`) and nothing elsewhere (`对话框，编辑器` →
 * 对话框编辑器): the words, in order, as the analyzer sees them, with the stop words.
 */
export function phraseKey(text: string): string {
  return keyOfNormalized(normalizeText(text));
}

function keyOfNormalized(normalized: string): string {
  return normalized.replace(NOT_WORD, (run: string, at: number, all: string) =>
    spaced(all[at - 1]) && spaced(all[at + run.length]) ? ' ' : '',
  );
}

/** The phrase's text for holdsPhrase (see PhraseText); null if it holds no letter or digit. */
export function phraseText(text: string, pieces: string[], converts: ((text: string) => boolean) | null): PhraseText | null {
  const key = phraseKey(text);
  if (key === '' || pieces.length === 0) return null;
  const literal = normalizeText(text).trim();
  const bytes = literal === '' ? null : Buffer.from(literal, 'utf8');
  return { literal, key, pieces, matcher: keyMatcher(key), literalBytes: bytes, converts };
}

/** How a character of a key joins the one before it in the text (see keyMatcher). */
const ADJACENT = 0;
/** Any run of separators, or none (around Han: `对话框，编辑器`). */
const ANY_SEPARATORS = 1;
/** At least one separator (between two words of a spaced script). */
const SOME_SEPARATORS = 2;

/**
 * What phraseKey maps onto a key, matched in text that is not normalized: the key's
 * characters (letters and digits, lower case) in either case, separators (anything but a
 * letter, digit or mark) allowed between characters where phraseKey drops them, required
 * where it keeps a space, and a spaced-script word not cut at either end. A small matcher,
 * not a RegExp: a pattern with Unicode classes cost V8 1-3 ms to compile, several times per
 * query (once per string representation and tier), more than reading the phrase's bodies.
 */
export interface KeyMatcher {
  /** The key's characters without its spaces, as code points, and their upper case (one code point, or the same). */
  chars: number[];
  upper: number[];
  /** How each character joins the one before it (ADJACENT for the first). */
  join: Uint8Array;
  /** Whether the first or last character is of a spaced script: then the word must not go on past it. */
  edgeStart: boolean;
  edgeEnd: boolean;
  /** The first character's UTF-8 bytes, and its upper case's if another (see keyInBytes). */
  firstBytes: Buffer[];
}

function keyMatcher(key: string): KeyMatcher {
  const chars: number[] = [];
  const upper: number[] = [];
  const join: number[] = [];
  let prev: string | undefined;
  for (const c of key) {
    if (c === ' ') {
      prev = c;
      continue;
    }
    join.push(prev === undefined ? ADJACENT : prev === ' ' ? SOME_SEPARATORS : spaced(prev) && spaced(c) ? ADJACENT : ANY_SEPARATORS);
    const cp = c.codePointAt(0) as number;
    const up = [...c.toUpperCase()];
    chars.push(cp);
    upper.push(up.length === 1 ? ((up[0] as string).codePointAt(0) as number) : cp);
    prev = c;
  }
  const cs = [...key.replaceAll(' ', '')];
  const firsts = chars.length === 0 ? [] : [...new Set([chars[0] as number, upper[0] as number])];
  return {
    chars,
    upper,
    join: Uint8Array.from(join),
    edgeStart: spaced(cs[0]),
    edgeEnd: spaced(cs[cs.length - 1]),
    firstBytes: firsts.map((cp) => Buffer.from(String.fromCodePoint(cp), 'utf8')),
  };
}

const LETTER_DIGIT_MARK = /[\p{L}\p{N}\p{M}]/u;

function isSeparator(cp: number): boolean {
  if (cp < 0x80) return !((cp >= 0x30 && cp <= 0x39) || ((cp | 0x20) >= 0x61 && (cp | 0x20) <= 0x7a));
  if (cp >= 0x4e00 && cp <= 0x9fff) return false;
  return !LETTER_DIGIT_MARK.test(String.fromCodePoint(cp));
}

/** A letter of the Latin, Greek or Cyrillic script, or a digit: what a spaced word is made of. */
function isSpacedChar(cp: number): boolean {
  if (cp < 0x80) return (cp >= 0x30 && cp <= 0x39) || ((cp | 0x20) >= 0x61 && (cp | 0x20) <= 0x7a);
  if (cp >= 0x4e00 && cp <= 0x9fff) return false;
  // SPACED over every code point (spaced() stops at U+3000, as phraseKey does; keyPattern's class did not).
  return SPACED.test(String.fromCodePoint(cp));
}

/** Whether text's code point `cp` is the key's character k in either case. */
function sameLetter(cp: number, m: KeyMatcher, k: number): boolean {
  const want = m.chars[k] as number;
  if (cp === want || cp === m.upper[k]) return true;
  if (cp < 0x80) return false;
  const lower = [...String.fromCodePoint(cp).toLowerCase()];
  return lower.length === 1 && (lower[0] as string).codePointAt(0) === want;
}

/** The code point that ends just before code unit `at` (a surrogate pair whole). */
function codePointBefore(text: string, at: number): number {
  const c = text.charCodeAt(at - 1);
  return c >= 0xdc00 && c <= 0xdfff && at >= 2 ? (text.codePointAt(at - 2) as number) : c;
}

/**
 * Whether the key matches text from code unit `at`, where its first character stands. A
 * piece of a longer text does not start or end it (`startsText`, `endsText` false): a
 * spaced word at its edge may go on past it, and is not matched there.
 */
function matchAt(text: string, at: number, m: KeyMatcher, startsText: boolean, endsText: boolean): boolean {
  if (m.edgeStart && (at > 0 ? isSpacedChar(codePointBefore(text, at)) : !startsText)) return false;
  let i = at;
  for (let k = 0; k < m.chars.length; k++) {
    const join = m.join[k] as number;
    if (join !== ADJACENT) {
      let skipped = 0;
      for (let cp = text.codePointAt(i); cp !== undefined && isSeparator(cp); cp = text.codePointAt(i)) {
        i += cp > 0xffff ? 2 : 1;
        skipped++;
      }
      if (join === SOME_SEPARATORS && skipped === 0) return false;
    }
    const cp = text.codePointAt(i);
    if (cp === undefined || !sameLetter(cp, m, k)) return false;
    i += cp > 0xffff ? 2 : 1;
  }
  if (!m.edgeEnd) return true;
  const next = text.codePointAt(i);
  return next === undefined ? endsText : !isSpacedChar(next);
}

/** Whether `text` holds the key (see KeyMatcher): tried at each place its first character stands, in either case. */
export function matchesKey(text: string, m: KeyMatcher, startsText = true, endsText = true): boolean {
  const first = m.chars[0];
  const firstUpper = m.upper[0];
  if (first === undefined || firstUpper === undefined) return false;
  for (const cp of firstUpper === first ? [first] : [first, firstUpper]) {
    const c = String.fromCodePoint(cp);
    for (let at = text.indexOf(c); at >= 0; at = text.indexOf(c, at + 1)) if (matchAt(text, at, m, startsText, endsText)) return true;
  }
  return false;
}

/** Where keyInBytes cannot see: past a chunk's end, or in a character cut by its start. */
const UNSEEN = -1;

/** Bytes of the UTF-8 character whose lead byte is `lead`. */
function utf8Length(lead: number): number {
  return lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
}

/** The code point whose UTF-8 encoding starts at byte `at` (a lead byte), or UNSEEN if the bytes end first. */
function codePointAtByte(buf: Uint8Array, at: number): number {
  if (at >= buf.length) return UNSEEN;
  const lead = buf[at] as number;
  if (lead < 0x80) return lead;
  const length = utf8Length(lead);
  if (at + length > buf.length) return UNSEEN;
  let cp = lead & (0xff >> (length + 1));
  for (let k = 1; k < length; k++) cp = (cp << 6) | ((buf[at + k] as number) & 0x3f);
  return cp;
}

/** Whether the key matches the UTF-8 bytes `buf` from byte `at`: matchAt, over bytes. */
function matchAtByte(buf: Uint8Array, at: number, m: KeyMatcher, startsText: boolean, endsText: boolean): boolean {
  if (m.edgeStart && at > 0) {
    let lead = at - 1;
    while (lead > 0 && ((buf[lead] as number) & 0xc0) === 0x80) lead--;
    if (((buf[lead] as number) & 0xc0) === 0x80) return false;
    if (isSpacedChar(codePointAtByte(buf, lead))) return false;
  } else if (m.edgeStart && !startsText) return false;
  let i = at;
  for (let k = 0; k < m.chars.length; k++) {
    const join = m.join[k] as number;
    if (join !== ADJACENT) {
      let skipped = 0;
      for (let cp = codePointAtByte(buf, i); cp !== UNSEEN && isSeparator(cp); cp = codePointAtByte(buf, i)) {
        i += utf8Length(buf[i] as number);
        skipped++;
      }
      if (join === SOME_SEPARATORS && skipped === 0) return false;
    }
    const cp = codePointAtByte(buf, i);
    if (cp === UNSEEN || !sameLetter(cp, m, k)) return false;
    i += utf8Length(buf[i] as number);
  }
  if (!m.edgeEnd) return true;
  const next = codePointAtByte(buf, i);
  return next === UNSEEN ? endsText : !isSpacedChar(next);
}

/**
 * Whether the UTF-8 bytes of a chunk of text hold the key where matchesKey would find it in
 * the decoded text, without decoding it (most of a phrase's time went to decoding bodies
 * that positions had already found the phrase in). A match that needs a character beyond
 * the chunk (before its start unless `startsText`, past its end unless `endsText`) is not
 * seen here; with both, the answer is matchesKey's on the decoded bytes.
 */
export function keyInBytes(buf: Buffer, m: KeyMatcher, startsText: boolean, endsText: boolean): boolean {
  for (const first of m.firstBytes) {
    for (let at = buf.indexOf(first); at >= 0; at = buf.indexOf(first, at + 1)) {
      if (matchAtByte(buf, at, m, startsText, endsText)) return true;
    }
  }
  return false;
}

/**
 * Whether UTF-8 bytes may hold a character of NFKC_SENSITIVE: their three- and four-byte
 * forms, a few more (a superset: those send the text to the decoded check, which tests the class).
 */
function mayNormalize(buf: Buffer): boolean {
  for (let at = buf.indexOf(0xe2); at >= 0; at = buf.indexOf(0xe2, at + 1)) {
    const b1 = buf[at + 1] as number;
    // U+2100-214F, U+2460-24FF, U+2E80-2FDF (and their neighbours).
    if (b1 === 0x84 || b1 === 0x85 || (b1 >= 0x91 && b1 <= 0x93) || b1 >= 0xba) return true;
  }
  for (let at = buf.indexOf(0xe3); at >= 0; at = buf.indexOf(0xe3, at + 1)) {
    const b1 = buf[at + 1] as number;
    if (b1 >= 0x88 && b1 <= 0x8f) return true; // U+3200-33FF
  }
  for (let at = buf.indexOf(0xef); at >= 0; at = buf.indexOf(0xef, at + 1)) {
    const b1 = buf[at + 1] as number;
    const b2 = buf[at + 2] as number;
    // U+F900-FB4F; full-width digits and letters (not the punctuation around them: ，（）：); half-width forms.
    if (b1 >= 0xa4 && b1 <= 0xad) return true;
    if (b1 === 0xbc && ((b2 >= 0x90 && b2 <= 0x99) || (b2 >= 0xa1 && b2 <= 0xba))) return true;
    if (b1 === 0xbd && ((b2 >= 0x81 && b2 <= 0x9a) || b2 >= 0xa6)) return true;
    if (b1 === 0xbe || b1 === 0xbf) return true;
  }
  for (let at = buf.indexOf(0xf0); at >= 0; at = buf.indexOf(0xf0, at + 1)) {
    if (buf[at + 1] === 0xaf && (buf[at + 2] as number) >= 0xa0) return true; // U+2F800-2FBFF
  }
  return false;
}

/**
 * Characters whose NFKC form is a letter or digit other than themselves, which can make or
 * break a match: full-width letters and digits, half-width katakana and hangul, CJK radicals
 * and compatibility ideographs (and their supplement), enclosed and squared forms,
 * letter-like symbols, ligatures. Full-width punctuation (，：（）) is not among them: it is a
 * separator before and after NFKC. A text with none is compared as it is.
 */
const NFKC_SENSITIVE =
  /[\u2100-\u214f\u2460-\u24ff\u2e80-\u2fdf\u3200-\u33ff\uf900-\ufaff\ufb00-\ufb4f\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uff66-\uffdc\ud87e]/;

/** Occurrences counted to pick the rarest piece as the anchor: past this many, any will do. */
const ANCHOR_COUNT_CAP = 16;

/** Characters NFKC turns into Han ones: CJK radicals, compatibility ideographs (and their supplement's high surrogate). */
const HAN_COMPAT = /[\u2e80-\u2fdf\uf900-\ufaff\ud87e]/;
const ONLY_HAN = /^[\u4e00-\u9fff]+$/;

/**
 * Whether `raw` (not normalized) surely lacks one of the pieces: a piece of plain Han
 * characters that it does not hold, and nothing in it that normalizing would turn into Han.
 */
function surelyLacks(raw: string, pieces: readonly string[]): boolean {
  const missing = pieces.some((piece) => ONLY_HAN.test(piece) && !raw.includes(piece));
  return missing && !HAN_COMPAT.test(raw);
}

/** The piece with the fewest occurrences in `normalized`; null if one of them is missing. */
function rarestPiece(normalized: string, pieces: readonly string[]): string | null {
  let best: string | null = null;
  let bestCount = Number.POSITIVE_INFINITY;
  for (const piece of pieces) {
    let count = 0;
    for (let at = normalized.indexOf(piece); at >= 0 && count < ANCHOR_COUNT_CAP; at = normalized.indexOf(piece, at + piece.length))
      count++;
    if (count === 0) return null;
    if (count < bestCount) {
      best = piece;
      bestCount = count;
    }
  }
  return best;
}

/** Whether `needle` occurs in `hay` without cutting a spaced-script word at either end (see matchAt for the edges). */
function occursAsWords(hay: string, needle: string, startsText = true, endsText = true): boolean {
  const checkStart = spaced(needle[0]);
  const checkEnd = spaced(needle[needle.length - 1]);
  for (let at = hay.indexOf(needle); at >= 0; at = hay.indexOf(needle, at + 1)) {
    if (checkStart && (at > 0 ? spaced(hay[at - 1]) : !startsText)) continue;
    const end = at + needle.length;
    if (checkEnd && (end < hay.length ? spaced(hay[end]) : !endsText)) continue;
    return true;
  }
  return false;
}

/**
 * Whether `text` (a title, or a piece of a body) holds the phrase: its literal form as is
 * (the usual case, no copy made), else its key in the text's key. Also true for text that a
 * `traditional` index converts, which is left to positions. A piece of a body that does not
 * start or end it (`startsText`, `endsText` false) holds no match that needs to see past it.
 */
export function holdsPhrase(text: string, phrase: PhraseText, startsText = true, endsText = true): boolean {
  if (phrase.literal !== '' && occursAsWords(text, phrase.literal, startsText, endsText)) return true;
  // A match in the text as it is is one (NFKC keeps those letters, and separators stay separators).
  if (matchesKey(text, phrase.matcher, startsText, endsText)) return true;
  if (!NFKC_SENSITIVE.test(text)) return phrase.converts?.(text) ?? false;
  // Most candidates that positions let through lack a stop word or a piece outright.
  if (surelyLacks(text, phrase.pieces)) return phrase.converts?.(text) ?? false;
  // Han pieces in a text where nothing normalizes into Han are found as they are: only the
  // windows around them are normalized, not a whole long body.
  const asIs = phrase.pieces.every((piece) => ONLY_HAN.test(piece)) && !HAN_COMPAT.test(text);
  const hay = asIs ? text : normalizeText(text);
  const anchor = rarestPiece(hay, phrase.pieces);
  if (anchor === null) return phrase.converts?.(text) ?? false;
  const reach = phrase.literal.length * 4 + 64;
  let covered = -1;
  for (let at = hay.indexOf(anchor); at >= 0; at = hay.indexOf(anchor, at + 1)) {
    // An anchor well inside the window just compared: the phrase around it was in that window.
    if (at + anchor.length + reach / 2 <= covered) continue;
    let start = Math.max(0, at - reach);
    let end = Math.min(hay.length, at + anchor.length + reach);
    // Whole words at the window's edges, so that the word boundaries checked are real ones.
    while (start > 0 && spaced(hay[start - 1])) start--;
    while (end < hay.length && spaced(hay[end])) end++;
    covered = end;
    const window = hay.slice(start, end);
    const windowKey = asIs ? phraseKey(window) : keyOfNormalized(window);
    if (occursAsWords(windowKey, phrase.key, startsText || start > 0, endsText || end < hay.length)) return true;
  }
  return phrase.converts?.(text) ?? false;
}

/** Characters of a body piece kept to be read again with the next: a phrase across two pieces is found. */
const PHRASE_OVERLAP_CHARS = 4096;

/** The character whose UTF-8 encoding starts at `at` (a lead byte), as a string. */
function charAt(buf: Buffer, at: number): string {
  const lead = buf[at] as number;
  if (lead < 0x80) return String.fromCharCode(lead);
  const length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
  return buf.toString('utf8', at, Math.min(buf.length, at + length));
}

/**
 * Whether `buf` (UTF-8, a whole chunk of a body) holds the phrase's literal form where
 * occursAsWords would find it: not cutting a spaced-script word at either end. A neighbour
 * that lies beyond the chunk cannot be seen: such an occurrence is left to the decoded text.
 * UTF-8 is self-synchronizing, so the literal's bytes found are the literal in the text.
 */
function literalInBytes(buf: Buffer, phrase: PhraseText, startsText: boolean, endsText: boolean): boolean {
  const needle = phrase.literalBytes;
  if (needle === null) return false;
  const checkStart = spaced(phrase.literal[0]);
  const checkEnd = spaced(phrase.literal[phrase.literal.length - 1]);
  for (let at = buf.indexOf(needle); at >= 0; at = buf.indexOf(needle, at + 1)) {
    if (checkStart) {
      if (at === 0) {
        if (!startsText) continue;
      } else {
        let lead = at - 1;
        while (lead > 0 && ((buf[lead] as number) & 0xc0) === 0x80) lead--;
        // A character cut by the chunk's start, or a letter of a spaced script: not seen as a boundary.
        if (((buf[lead] as number) & 0xc0) === 0x80 || spaced(charAt(buf, lead))) continue;
      }
    }
    if (checkEnd) {
      const end = at + needle.length;
      // Past the chunk, or a character it cuts: seen only where the chunk ends the text.
      const seen = end < buf.length && end + utf8Length(buf[end] as number) <= buf.length;
      if (seen ? spaced(charAt(buf, end)) : !endsText || end < buf.length) continue;
    }
    return true;
  }
  return false;
}

/** Whether bytes of the text hold the phrase as they are: its literal form, or its key (see keyInBytes for the edges). */
function phraseInBytes(buf: Buffer, phrase: PhraseText, startsText: boolean, endsText: boolean): boolean {
  return literalInBytes(buf, phrase, startsText, endsText) || keyInBytes(buf, phrase.matcher, startsText, endsText);
}

function bytesOf(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
}

/**
 * holdsPhrase over a body stored in chunks (`read(i)`, undefined past the last), stopping at
 * the first match. Every chunk but the last holds `chunkBytes` (as the body store writes them
 * and verify checks), so a shorter one is known to be the last without reading the next.
 */
export function bodyHoldsPhrase(
  read: (chunk: number) => Uint8Array | undefined,
  phrase: PhraseText,
  chunkBytes = BODY_CHUNK_BYTES,
): boolean {
  const decoder = new TextDecoder();
  let tail = '';
  // Whether the kept tail is the text from its start (it was not cut).
  let tailStarts = true;
  let chunk = read(0);
  for (let i = 0; chunk !== undefined; i++) {
    const bytes = bytesOf(chunk);
    const next = bytes.length < chunkBytes ? undefined : read(i + 1);
    const last = next === undefined;
    // UTF-8 is self-synchronizing: the phrase's bytes found in a chunk are the phrase in its text.
    if (phraseInBytes(bytes, phrase, i === 0, last)) return true;
    // The whole body: its bytes answer as holdsPhrase on its text would (a candidate that
    // fails, as one whose positions matched a sub-word does, is not decoded), unless
    // normalizing or converting it could make a match.
    if (i === 0 && last && phrase.converts === null && !mayNormalize(bytes)) return false;
    // A cut tail does not start the text, nor does a chunk before the last end it.
    const text = tail + decoder.decode(chunk, { stream: !last });
    if (holdsPhrase(text, phrase, tailStarts, last)) return true;
    const keep = Math.max(PHRASE_OVERLAP_CHARS, phrase.literal.length * 4);
    tailStarts &&= text.length <= keep;
    tail = tailStarts ? text : text.slice(text.length - keep);
    chunk = next;
  }
  return false;
}
