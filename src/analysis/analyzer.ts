import { Jieba } from '@node-rs/jieba';
import { dict as jiebaDict } from '@node-rs/jieba/dict.js';
import { textChunks } from './chunks.js';
import { loadStopwords, loadUserDict } from './dictionary.js';
import { hasHan, isWordToken, normalizeText } from './normalize.js';

/** Bump when the token stream for the same text changes: old indexes must be rebuilt. */
export const ANALYZER_VERSION = 1;

/** Longer runs (hashes, base64, minified code) are cut: nobody types them, they bloat terms. */
export const MAX_TERM_CHARS = 64;

/** Text is segmented in pieces of this many UTF-16 units, so no call returns a huge array. */
export const CHUNK_CHARS = 16_384;

/** Bound on cached sub-word expansions (about 100 bytes each). */
const SUBWORD_CACHE_ENTRIES = 20_000;

/** The first MAX_TERM_CHARS code units, one less if that would split a surrogate pair. */
function cutTerm(word: string): string {
  const last = word.charCodeAt(MAX_TERM_CHARS - 1);
  return word.slice(0, last >= 0xd800 && last <= 0xdbff ? MAX_TERM_CHARS - 1 : MAX_TERM_CHARS);
}

/** Receives every indexed term with its word position. */
export type TermSink = (term: string, position: number) => void;

/**
 * jieba search-mode analysis with positions. jieba's precise `cut` gives the word sequence;
 * each Han word longer than two characters also yields its dictionary sub-words (what
 * `cutForSearch` adds) at the same position, so "中华人民共和国" is found by "人民" and a
 * phrase "中华人民共和国 成立" still sees two adjacent positions. Stop words take a position
 * but are not indexed, so phrases across them still line up.
 */
export class Analyzer {
  private readonly subwords = new Map<string, string[]>();

  constructor(
    private readonly jieba: Jieba,
    private readonly stopwords: Set<string>,
  ) {}

  /** Loads jieba's dictionary plus dict/user.dict.txt (about 65 MB resident, ~0.2 s). */
  static load(): Analyzer {
    const jieba = Jieba.withDict(jiebaDict);
    jieba.loadDict(loadUserDict());
    return new Analyzer(jieba, loadStopwords());
  }

  /**
   * Feeds the terms of `text` to `sink`, positions starting at `firstPosition`; returns the
   * next free position (so fields and chunks continue one another).
   */
  analyze(text: string, firstPosition: number, sink: TermSink): number {
    let position = firstPosition;
    for (const chunk of textChunks(text, CHUNK_CHARS)) {
      const words = this.jieba.cut(normalizeText(chunk), true);
      this.expandNewLongWords(words);
      for (let word of words) {
        if (!isWordToken(word)) continue;
        if (word.length > MAX_TERM_CHARS) word = cutTerm(word);
        if (!this.stopwords.has(word)) {
          sink(word, position);
          if (word.length > 2 && hasHan(word)) {
            for (const sub of this.subwordsOf(word)) sink(sub, position);
          }
        }
        position++;
      }
    }
    return position;
  }

  /** The terms of a query, in order, each with its position (for phrase and proximity). */
  analyzeQuery(text: string): { term: string; position: number }[] {
    const out: { term: string; position: number }[] = [];
    this.analyze(text, 0, (term, position) => out.push({ term, position }));
    return out;
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
