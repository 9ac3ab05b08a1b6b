import type { Analyzer } from '../analysis/analyzer.js';

/** Estimated bytes of an entry besides its string's characters: Map slot, string header, the columns below. */
const ENTRY_BYTES = 96;
/** `extraCount` of an entry not yet met as a word, and of a stop word. */
const UNRESOLVED = -1;
const STOP = -2;

/**
 * Short words get a numeric key made of their code units, so that finding them needs no
 * string hash: up to 3 code units of [HAN_BASE, HAN_BASE + HAN_SPAN) (Han, kana, CJK
 * punctuation: each + 1, so no digit is 0), or 2 to 7 ASCII code units. Keys stay below 2^53.
 */
const HAN_BASE = 0x3000 - 1;
const HAN_SPAN = 0x7000 + 1;
const MAX_ASCII_KEY_CHARS = 7;

/** The numeric key of a short word (see above), or 0 if it has none. */
function codeKey(term: string): number {
  const length = term.length;
  const c0 = term.charCodeAt(0);
  if (c0 < 0x80) {
    if (length > MAX_ASCII_KEY_CHARS || c0 === 0) return 0;
    let key = c0;
    for (let i = 1; i < length; i++) {
      const c = term.charCodeAt(i);
      if (c >= 0x80 || c === 0) return 0;
      key = key * 128 + c;
    }
    // Odd keys for ASCII, even for Han: the two never meet.
    return key * 2 + 1;
  }
  if (length > 3) return 0;
  let key = 0;
  for (let i = 0; i < length; i++) {
    const c = term.charCodeAt(i) - HAN_BASE;
    if (c <= 0 || c >= HAN_SPAN) return 0;
    key = key * HAN_SPAN + c;
  }
  return key * 2;
}

/**
 * Open addressing from positive integer keys (below 2^53) to entry numbers: one probe into
 * two typed arrays where a Map walks a bucket chain. Load at most one half.
 */
class CodeKeyMap {
  private keys = new Float64Array(1 << 12);
  private values = new Int32Array(1 << 12);
  private mask = (1 << 12) - 1;
  size = 0;

  private slot(key: number): number {
    const h = Math.imul((key >>> 0) ^ Math.imul((key / 4294967296) >>> 0, 0x9e3779b1), 0x85ebca6b);
    return (h ^ (h >>> 15)) & this.mask;
  }

  /** The entry of `key`, or -1. */
  get(key: number): number {
    const keys = this.keys;
    let i = this.slot(key);
    for (;;) {
      const k = keys[i] as number;
      if (k === key) return this.values[i] as number;
      if (k === 0) return -1;
      i = (i + 1) & this.mask;
    }
  }

  set(key: number, value: number): void {
    if ((this.size + 1) * 2 > this.keys.length) this.rehash(this.keys.length * 2);
    const keys = this.keys;
    let i = this.slot(key);
    while (keys[i] !== 0) i = (i + 1) & this.mask;
    keys[i] = key;
    this.values[i] = value;
    this.size++;
  }

  clear(): void {
    this.keys.fill(0);
    this.size = 0;
  }

  get bytes(): number {
    return this.keys.length * 12;
  }

  private rehash(capacity: number): void {
    const oldKeys = this.keys;
    const oldValues = this.values;
    this.keys = new Float64Array(capacity);
    this.values = new Int32Array(capacity);
    this.mask = capacity - 1;
    this.size = 0;
    for (let i = 0; i < oldKeys.length; i++) {
      const k = oldKeys[i] as number;
      if (k !== 0) this.set(k, oldValues[i] as number);
    }
  }
}

function grownInt32(a: Int32Array, size: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(size);
  b.set(a);
  return b;
}

/**
 * The distinct words and terms a postings buffer has met, each an entry number, with what a
 * word is indexed as at its position besides itself (its sub-words and readings, asked of
 * the analyzer once, when the word is first met) and a per-buffer term id column.
 *
 * Finding a word's entry is the per-token cost of indexing: a string-keyed Map lookup has to
 * hash every new string jieba returns (~150 ns). Short words (Han words of up to three
 * characters, ASCII words of up to seven: most tokens) are found by a number made of their
 * code units in an open-addressing table instead (see codeKey); only longer words use the
 * string Map. Columns are typed
 * arrays, so the table is a few objects whatever its size, not one per term for the GC.
 */
export class TermTable {
  /** Number of entries; entry numbers are 0..count-1. */
  count = 0;
  /** Entry -> term. */
  readonly terms: string[] = [];
  /** Columns for the buffer: the entry's term id, valid while epoch[e] is the buffer's epoch. */
  id = new Int32Array(1024);
  epoch = new Int32Array(1024);
  /** Entry -> where its extras start in `extras`, and how many; negative until resolved (-1) or for a stop word (-2). */
  extraStart = new Int32Array(1024);
  extraCount = new Int32Array(1024);
  extras = new Int32Array(4096);
  private extrasUsed = 0;
  private readonly byCode = new CodeKeyMap();
  private readonly byString = new Map<string, number>();
  private chars = 0;
  private readonly fresh: string[] = [];

  /** Estimated bytes held: ENTRY_BYTES and 2 bytes a character per entry, 4 per extra, the columns. */
  get bytes(): number {
    return this.count * ENTRY_BYTES + this.chars * 2 + (this.id.length * 4 + this.extras.length) * 4 + this.byCode.bytes;
  }

  clear(): void {
    if (this.count === 0) return;
    this.count = 0;
    this.terms.length = 0;
    this.extrasUsed = 0;
    this.byCode.clear();
    this.byString.clear();
    this.chars = 0;
  }

  /** The entry of `term`, made if new. */
  entryOf(term: string): number {
    const key = codeKey(term);
    if (key !== 0) {
      const e = this.byCode.get(key);
      if (e >= 0) return e;
      const added = this.add(term);
      this.byCode.set(key, added);
      return added;
    }
    const e = this.byString.get(term);
    if (e !== undefined) return e;
    const added = this.add(term);
    this.byString.set(term, added);
    return added;
  }

  /**
   * Writes the entries of a chunk of words (Analyzer.wordChunks) into `out`, and resolves
   * those met as a word for the first time: one analyzer call for all their sub-words.
   */
  lookupWords(analyzer: Analyzer, words: readonly string[], out: Int32Array): void {
    const fresh = this.fresh;
    for (let i = 0; i < words.length; i++) {
      const word = words[i] as string;
      const e = this.entryOf(word);
      if (this.extraCount[e] === UNRESOLVED) fresh.push(word);
      out[i] = e;
    }
    if (fresh.length === 0) return;
    analyzer.prepareWords(fresh);
    for (const word of fresh) {
      const e = this.entryOf(word);
      if (this.extraCount[e] !== UNRESOLVED) continue;
      const terms = analyzer.indexTermsOf(word);
      if (terms === null) {
        this.extraCount[e] = STOP;
        continue;
      }
      // Entries of the extras first (they may grow the columns), then their run.
      const count = terms.length - 1;
      if (this.extrasUsed + count > this.extras.length)
        this.extras = grownInt32(this.extras, Math.max(this.extras.length * 2, this.extrasUsed + count));
      const start = this.extrasUsed;
      for (let k = 0; k < count; k++) this.extras[start + k] = this.entryOf(terms[k + 1] as string);
      this.extrasUsed = start + count;
      this.extraStart[e] = start;
      this.extraCount[e] = count;
    }
    fresh.length = 0;
  }

  private add(term: string): number {
    const e = this.count;
    if (e === this.id.length) {
      const size = e * 2;
      this.id = grownInt32(this.id, size);
      this.epoch = grownInt32(this.epoch, size);
      this.extraStart = grownInt32(this.extraStart, size);
      this.extraCount = grownInt32(this.extraCount, size);
    }
    this.terms.push(term);
    this.epoch[e] = -1;
    this.extraCount[e] = UNRESOLVED;
    this.chars += term.length;
    this.count = e + 1;
    return e;
  }
}
