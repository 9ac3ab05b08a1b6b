import type { Analyzer } from '../analysis/analyzer.js';

/** Estimated bytes of an entry besides its string's characters: Map slot, string header, the columns below. */
const ENTRY_BYTES = 96;
/** `extraCount` of an entry not yet met as a word, and of a stop word. */
const UNRESOLVED = -1;
const STOP = -2;

/** Two-character words of code units in [PAIR_BASE, PAIR_BASE + PAIR_SPAN) (Han, kana, CJK punctuation) get a small-integer key. */
const PAIR_BASE = 0x3000;
const PAIR_SPAN = 0x7000;

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
 * hash every new string jieba returns (~150 ns). One-character words index an array by their
 * code unit and two-character Han words a Map by a small integer made of their code units,
 * which needs no string hash; only longer words use the string Map. Columns are typed
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
  private readonly byChar = new Int32Array(0x10000).fill(-1);
  private readonly byPair = new Map<number, number>();
  private readonly byString = new Map<string, number>();
  private chars = 0;
  private readonly fresh: string[] = [];

  /** Estimated bytes held: ENTRY_BYTES and 2 bytes a character per entry, 4 per extra, the columns. */
  get bytes(): number {
    return this.count * ENTRY_BYTES + this.chars * 2 + (this.id.length * 4 + this.extras.length + this.byChar.length) * 4;
  }

  clear(): void {
    if (this.count === 0) return;
    this.count = 0;
    this.terms.length = 0;
    this.extrasUsed = 0;
    this.byChar.fill(-1);
    this.byPair.clear();
    this.byString.clear();
    this.chars = 0;
  }

  /** The entry of `term`, made if new. */
  entryOf(term: string): number {
    const length = term.length;
    if (length === 1) {
      const c = term.charCodeAt(0);
      const e = this.byChar[c] as number;
      if (e >= 0) return e;
      const added = this.add(term);
      this.byChar[c] = added;
      return added;
    }
    if (length === 2) {
      const c0 = term.charCodeAt(0) - PAIR_BASE;
      const c1 = term.charCodeAt(1) - PAIR_BASE;
      if (c0 >= 0 && c0 < PAIR_SPAN && c1 >= 0 && c1 < PAIR_SPAN) {
        const key = c0 * PAIR_SPAN + c1;
        const e = this.byPair.get(key);
        if (e !== undefined) return e;
        const added = this.add(term);
        this.byPair.set(key, added);
        return added;
      }
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
