import { createRequire } from 'node:module';
import type { Jieba } from '@node-rs/jieba';
import { type AnalysisOptions, analysisFingerprint, DEFAULT_ANALYSIS, resolveAnalysis } from './analysis-options.js';
import { textChunks } from './chunks.js';
import { loadJiebaDict, loadStopwords, loadUserDict } from './dictionary.js';
import { hasHan, isWordToken, normalizeText } from './normalize.js';
import {
  INITIALS_TERM_WEIGHT,
  initialsTerm,
  isPinyin,
  MAX_PINYIN_WORDS_PER_TOKEN,
  PINYIN_TERM_WEIGHT,
  PinyinReader,
  pinyinTerm,
} from './pinyin.js';
import { mapText } from './text-map.js';
import { SimplifiedConverter } from './variants.js';

/** Bump when the token stream for the same text changes: old indexes must be rebuilt. */
export const ANALYZER_VERSION = 1;

/** Longer runs (hashes, base64, minified code) are cut: nobody types them, they bloat terms. */
export const MAX_TERM_CHARS = 64;

/** Text is segmented in pieces of this many UTF-16 units, so no call returns a huge array. */
export const CHUNK_CHARS = 16_384;

/** Bound on cached sub-word expansions (about 100 bytes each). */
const SUBWORD_CACHE_ENTRIES = 20_000;

/** Letters that start a pinyin syllable: initials never contain i, u or v. */
const INITIALS = /^[a-hj-tw-z]+$/;
const LATIN_WORD = /^[a-z]+$/;
/** Initials queries longer than this are not tried (an 8-letter English word is rarely 8 initials). */
const MAX_INITIALS_QUERY_CHARS = 6;

const NO_WORDS: readonly string[] = [];

/** The first MAX_TERM_CHARS code units, one less if that would split a surrogate pair. */
function cutTerm(word: string): string {
  const last = word.charCodeAt(MAX_TERM_CHARS - 1);
  return word.slice(0, last >= 0xd800 && last <= 0xdbff ? MAX_TERM_CHARS - 1 : MAX_TERM_CHARS);
}

/** Receives every indexed term with its word position. */
export type TermSink = (term: string, position: number) => void;

/** Receives every indexed term with the range [start, end) of the analyzed text it came from, in UTF-16 units. */
export type SpanSink = (term: string, start: number, end: number) => void;

export type QueryTermKind = 'word' | 'pinyin' | 'initials';

/** A term to look up for a query, see Analyzer.queryTerms. */
export interface QueryTerm {
  term: string;
  /** Query slot: terms with the same position are alternatives for one typed word. */
  position: number;
  kind: QueryTermKind;
  /** Multiplier of the term's score: 1 for a word, PINYIN_TERM_WEIGHT, INITIALS_TERM_WEIGHT. */
  weight: number;
}

/**
 * jieba search-mode analysis with positions. jieba's precise `cut` gives the word sequence;
 * each Han word longer than two characters also yields its dictionary sub-words (what
 * `cutForSearch` adds) at the same position, so "中华人民共和国" is found by "人民" and a
 * phrase "中华人民共和国 成立" still sees two adjacent positions. Stop words take a position
 * but are not indexed, so phrases across them still line up.
 *
 * Per-index options (AnalysisOptions): `traditional` converts traditional runs to simplified
 * before segmentation (variants.ts); `pinyin` adds, at a Han word's position, its full
 * pinyin and initials terms in their own namespaces (pinyin.ts), for the word and at most
 * MAX_PINYIN_WORDS_PER_TOKEN - 1 of its sub-words: at most 16 extra terms per token.
 */
export class Analyzer {
  private readonly subwords = new Map<string, string[]>();
  private readonly converter: SimplifiedConverter | null;
  private readonly readings: PinyinReader | null;

  constructor(
    private readonly jieba: Jieba,
    private readonly stopwords: Set<string>,
    readonly options: AnalysisOptions = DEFAULT_ANALYSIS,
  ) {
    this.converter = options.traditional ? SimplifiedConverter.load() : null;
    this.readings = options.pinyin ? new PinyinReader() : null;
  }

  /**
   * Loads jieba's dictionary plus dict/user.dict.txt (about 65 MB resident, ~0.2 s), and the
   * options' dictionaries: pinyin-pro (~15 MB, ~0.1 s), OpenCC traditional → simplified (~3 MB, ~0.1 s).
   */
  static load(options?: Partial<AnalysisOptions>): Analyzer {
    // Required here, not imported: the native addon costs ~10 MB of RSS, and a process that
    // only indexes never segments on its main thread.
    const { Jieba: JiebaClass } = createRequire(import.meta.url)('@node-rs/jieba') as typeof import('@node-rs/jieba');
    const jieba = JiebaClass.withDict(loadJiebaDict());
    jieba.loadDict(loadUserDict());
    return new Analyzer(jieba, loadStopwords(), resolveAnalysis(options));
  }

  /** ANALYZER_VERSION and the options' fingerprint: equal fingerprints give equal terms. */
  get fingerprint(): string {
    return `${ANALYZER_VERSION}/${analysisFingerprint(this.options)}`;
  }

  /** Whether analysis would convert some of `text` (a `traditional` index and traditional characters). */
  converts(text: string): boolean {
    return this.converter?.hasTraditional(text) ?? false;
  }

  /** Normalized text, converted to simplified when the index has `traditional`. */
  private prepare(chunk: string): string {
    const normalized = normalizeText(chunk);
    return this.converter === null ? normalized : this.converter.convert(normalized);
  }

  /**
   * Feeds the terms of `text` to `sink`, positions starting at `firstPosition`; returns the
   * next free position (so fields and chunks continue one another).
   */
  analyze(text: string, firstPosition: number, sink: TermSink): number {
    return this.run(text, firstPosition, sink, this.readings);
  }

  private run(text: string, firstPosition: number, sink: TermSink, readings: PinyinReader | null): number {
    let position = firstPosition;
    for (const words of this.wordChunks(text)) {
      this.expandNewLongWords(words);
      for (const word of words) {
        if (!this.stopwords.has(word)) {
          sink(word, position);
          const subs = word.length > 2 && hasHan(word) ? this.subwordsOf(word) : NO_WORDS;
          for (const sub of subs) sink(sub, position);
          if (readings !== null) this.emitReadings(readings, word, subs, (term) => sink(term, position));
        }
        position++;
      }
    }
    return position;
  }

  /**
   * The words of `text`, a chunk (CHUNK_CHARS) at a time, as jieba's precise cut of its
   * normalized form gives them: tokens without a letter or digit dropped, longer ones cut to
   * MAX_TERM_CHARS, stop words kept. Each word takes one position; see indexTermsOf for the
   * terms it is indexed as. The array is jieba's own, compacted in place.
   */
  *wordChunks(text: string): Generator<string[]> {
    for (const chunk of textChunks(text, CHUNK_CHARS)) {
      const words = this.jieba.cut(this.prepare(chunk), true);
      let kept = 0;
      for (let i = 0; i < words.length; i++) {
        let word = words[i] as string;
        if (!isWordToken(word)) continue;
        if (word.length > MAX_TERM_CHARS) word = cutTerm(word);
        words[kept++] = word;
      }
      words.length = kept;
      yield words;
    }
  }

  /**
   * Caches the sub-words of those of `words` that need them, with one jieba call: call it
   * with a chunk's new words before indexTermsOf, which otherwise calls jieba once a word.
   */
  prepareWords(words: readonly string[]): void {
    this.expandNewLongWords(words);
  }

  /**
   * The terms a word of wordChunks is indexed as, all at its position, in analyze()'s order:
   * the word, its sub-words, then (with `pinyin`) the readings; null for a stop word. A pure
   * function of the word, for callers that keep it per distinct word.
   */
  indexTermsOf(word: string): string[] | null {
    if (this.stopwords.has(word)) return null;
    const subs = word.length > 2 && hasHan(word) ? this.subwordsOf(word) : NO_WORDS;
    const terms = [word, ...subs];
    if (this.readings !== null) this.emitReadings(this.readings, word, subs, (term) => terms.push(term));
    return terms;
  }

  /** The pinyin and initials terms of a word and its first sub-words (bounded, see MAX_PINYIN_WORDS_PER_TOKEN). */
  private emitReadings(readings: PinyinReader, word: string, subs: readonly string[], emit: (term: string, of: string) => void): void {
    const count = Math.min(subs.length + 1, MAX_PINYIN_WORDS_PER_TOKEN);
    for (let i = 0; i < count; i++) {
      const w = i === 0 ? word : (subs[i - 1] as string);
      const reading = readings.read(w);
      if (reading !== null) {
        emit(reading.full, w);
        emit(reading.initials, w);
      }
    }
  }

  /**
   * The word terms of a query, in order, each with its position (for phrase and proximity).
   * Never pinyin terms: a Chinese query matches Chinese words, not their homophones. See
   * queryTerms for the pinyin alternatives of Latin words.
   */
  analyzeQuery(text: string): { term: string; position: number }[] {
    const out: { term: string; position: number }[] = [];
    this.run(text, 0, (term, position) => out.push({ term, position }), null);
    return out;
  }

  /**
   * The terms to look up for a query typed into a search box.
   *
   * Contract:
   * - The word terms of `analyzeQuery(text)` come first, in order, `kind: 'word'`, weight 1.
   *   With the `traditional` option the query is converted like the documents (記憶體 → 内存).
   * - With `pinyin` (default: this index's option), each word term made only of the letters
   *   a-z is also looked up as pinyin, at the same position (one query slot, alternatives):
   *   `kind: 'pinyin'` (weight PINYIN_TERM_WEIGHT) when the word splits into pinyin
   *   syllables (`neicun`), else `kind: 'initials'` (weight INITIALS_TERM_WEIGHT) when it
   *   is 2-6 letters that can all start a syllable (`nc`). A slot matches a document if any
   *   of its alternatives does; count the slot once for coverage, and multiply a pinyin or
   *   initials term's score by its weight so it ranks below a real word match.
   * - Pinyin matches whole indexed words: `neicun` finds 内存 (and 内存溢出, whose
   *   sub-word 内存 is indexed), `neicunyichu` finds only a document with the one word
   *   内存溢出, not 内存 followed by 溢出; `nei cun` (two syllables apart) finds nothing.
   * - Chinese query words get no pinyin alternatives (no homophone matches).
   */
  queryTerms(text: string, options: { pinyin?: boolean } = {}): QueryTerm[] {
    const words = this.analyzeQuery(text);
    const out: QueryTerm[] = words.map(({ term, position }) => ({ term, position, kind: 'word', weight: 1 }));
    if (!(options.pinyin ?? this.options.pinyin)) return out;
    for (const { term, position } of words) {
      if (!LATIN_WORD.test(term)) continue;
      if (isPinyin(term)) out.push({ term: pinyinTerm(term), position, kind: 'pinyin', weight: PINYIN_TERM_WEIGHT });
      else if (term.length >= 2 && term.length <= MAX_INITIALS_QUERY_CHARS && INITIALS.test(term)) {
        out.push({ term: initialsTerm(term), position, kind: 'initials', weight: INITIALS_TERM_WEIGHT });
      }
    }
    return out;
  }

  /**
   * Feeds every term of `text` with where it came from in `text` (UTF-16 offsets into the
   * original, before normalization and conversion): a word's whole range, a sub-word's
   * range inside it, a pinyin term the range of its word. For highlighting a short
   * fragment: it builds offset maps, so it is slower than analyze() per character.
   */
  analyzeSpans(text: string, sink: SpanSink): void {
    const mapped = mapText(text, this.converter);
    let base = 0;
    for (const chunk of textChunks(mapped.text, CHUNK_CHARS)) {
      const words = this.jieba.cut(chunk, true);
      this.expandNewLongWords(words);
      let cursor = 0;
      for (const raw of words) {
        // jieba's words cover the text in order; if one ever did not, find it.
        const at = chunk.startsWith(raw, cursor) ? cursor : chunk.indexOf(raw, cursor);
        if (at < 0) continue;
        cursor = at + raw.length;
        if (!isWordToken(raw)) continue;
        const word = raw.length > MAX_TERM_CHARS ? cutTerm(raw) : raw;
        if (this.stopwords.has(word)) continue;
        const start = base + at;
        const spanOf = (part: string): [number, number] => {
          const k = part === word ? 0 : word.indexOf(part);
          return k < 0 ? mapped.range(start, start + word.length) : mapped.range(start + k, start + k + part.length);
        };
        sink(word, ...spanOf(word));
        const subs = word.length > 2 && hasHan(word) ? this.subwordsOf(word) : NO_WORDS;
        for (const sub of subs) sink(sub, ...spanOf(sub));
        if (this.readings !== null) this.emitReadings(this.readings, word, subs, (term, of) => sink(term, ...spanOf(of)));
      }
      base += chunk.length;
    }
  }

  private subwordsOf(word: string): string[] {
    return this.subwords.get(word) ?? this.expand([word])[0] ?? [];
  }

  /**
   * Caches the sub-words of a chunk's long Han words not seen before, with one cutForSearch
   * call over all of them joined by newlines: a call per word costs ~5 µs of overhead, and
   * poetry and names bring thousands of distinct long words.
   */
  private expandNewLongWords(words: readonly string[]): void {
    const fresh = new Set<string>();
    for (const w of words) if (w.length > 2 && !this.subwords.has(w) && hasHan(w)) fresh.add(w);
    if (fresh.size > 0) this.expand([...fresh]);
  }

  private expand(words: readonly string[]): string[][] {
    if (this.subwords.size + words.length > SUBWORD_CACHE_ENTRIES) this.subwords.clear();
    const groups: string[][] = [[]];
    for (const token of this.jieba.cutForSearch(words.join('\n'), true)) {
      if (token === '\n') groups.push([]);
      else (groups[groups.length - 1] as string[]).push(token);
    }
    // Each word's group is its sub-words then itself; if jieba ever split differently, fall back.
    if (groups.length !== words.length) return words.map((w) => this.expandOne(w));
    return words.map((word, i) => {
      const subs = (groups[i] as string[]).filter((s) => s !== word && isWordToken(s) && !this.stopwords.has(s));
      this.subwords.set(word, subs);
      return subs;
    });
  }

  private expandOne(word: string): string[] {
    const subs = this.jieba.cutForSearch(word, true).filter((s) => s !== word && isWordToken(s) && !this.stopwords.has(s));
    this.subwords.set(word, subs);
    return subs;
  }
}
