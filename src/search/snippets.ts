import type { Analyzer } from '../analysis/analyzer.js';
import { normalizeText } from '../analysis/normalize.js';
import { readBodyChunk } from '../store/body-store.js';
import type { ShardDbs } from '../store/shard-store.js';

/**
 * Reads chunk `i` of one stored body (UTF-8, 1 MiB chunks, see store/body-store.ts), or
 * undefined past the last. Snippets read chunks in order and stop at a bound.
 */
export type BodyChunkReader = (i: number) => Uint8Array | undefined;

/** The reader of document `docNum`'s body in a shard. */
export function bodyChunkReader(dbs: ShardDbs, docNum: number): BodyChunkReader {
  return (i) => readBodyChunk(dbs, docNum, i);
}

export interface SnippetOptions {
  /** Put around each highlighted word. Default `['<mark>', '</mark>']`; not escaped. */
  markers?: readonly [string, string];
  /** How many fragments at most (1-10, default 2): the best ones, shown in text order. */
  fragments?: number;
  /** About how many characters a fragment holds (20-2000, default 120). */
  fragmentChars?: number;
  /** Between fragments and where a fragment does not reach the body's start or end. Default '…'. */
  ellipsis?: string;
  /** Escape &, <, >, " and ' in the text (default true: the result is HTML). */
  escapeHtml?: boolean;
  /**
   * How many characters of the body are searched for the terms, default 262144 (256 K):
   * a longer article is read only up to there (one 1 MiB chunk or less), never whole.
   */
  maxScanChars?: number;
  /**
   * When no query word occurs literally in the scanned text (pinyin terms, NFKC-changed
   * text), or the index converts traditional text and the body has some, the first this
   * many characters (default 8192) are analyzed with the analyzer, which is much slower
   * than a literal search.
   */
  maxAnalyzeChars?: number;
}

export interface Snippet {
  /** The fragments, escaped (unless escapeHtml is false), highlights wrapped in the markers. */
  text: string;
  /** The same text unescaped and without markers. */
  plain: string;
  /** Highlighted ranges of `plain`, [start, end) in UTF-16 units, in order, not overlapping. */
  highlights: [number, number][];
  /** Where the fragments are in the body, [start, end) in UTF-16 units of the decoded body. */
  fragments: [number, number][];
  /** True when the body was longer than maxScanChars and only its beginning was searched. */
  truncated: boolean;
}

const DEFAULTS = {
  markers: ['<mark>', '</mark>'] as const,
  fragments: 2,
  fragmentChars: 120,
  ellipsis: '…',
  escapeHtml: true,
  maxScanChars: 256 * 1024,
  maxAnalyzeChars: 8 * 1024,
};

/** A literal search stops counting a word after this many occurrences: enough to place fragments. */
const MAX_OCCURRENCES_PER_TERM = 512;
/** Where a fragment may start: after one of these, if one is near. */
const SENTENCE_END = /[。！？；\n.!?;]/;

interface Occurrence {
  start: number;
  end: number;
  term: number;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

function isNamespaced(term: string): boolean {
  return term.charCodeAt(0) < 0x20;
}

/** The body's first `maxChars` characters, reading chunks only until then. */
function readPrefix(read: BodyChunkReader, maxChars: number): { text: string; truncated: boolean } {
  const decoder = new TextDecoder();
  let text = '';
  // A UTF-8 character is at most 3 bytes per UTF-16 unit: this many bytes hold maxChars.
  let bytesLeft = maxChars * 3 + 4;
  for (let i = 0; bytesLeft > 0; i++) {
    const chunk = read(i);
    if (chunk === undefined) return { text: text + decoder.decode(), truncated: false };
    const part = chunk.byteLength > bytesLeft ? chunk.subarray(0, bytesLeft) : chunk;
    text += decoder.decode(part, { stream: true });
    bytesLeft -= part.byteLength;
    if (text.length > maxChars) break;
    if (part !== chunk) break;
  }
  let end = Math.min(text.length, maxChars);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  // Known complete only if the next chunk is absent; a cut body says so.
  return { text: text.slice(0, end), truncated: true };
}

/**
 * Literal occurrences of the word terms in `text`: in its normalized form if that keeps
 * offsets, else (an ellipsis … becomes ..., a ligature two letters) in its lower-cased
 * form, which misses only full-width and compatibility forms; null if neither keeps them.
 */
function literalOccurrences(text: string, terms: readonly string[]): Occurrence[] | null {
  let normalized = normalizeText(text);
  if (normalized.length !== text.length) normalized = text.toLowerCase();
  if (normalized.length !== text.length) return null;
  const out: Occurrence[] = [];
  terms.forEach((term, index) => {
    if (term === '' || isNamespaced(term)) return;
    let from = 0;
    for (let n = 0; n < MAX_OCCURRENCES_PER_TERM; n++) {
      const at = normalized.indexOf(term, from);
      if (at < 0) break;
      out.push({ start: at, end: at + term.length, term: index });
      from = at + term.length;
    }
  });
  return out.sort((a, b) => a.start - b.start || b.end - a.end);
}

/** Occurrences found by analyzing the text's beginning: pinyin, converted variants. */
function analyzedOccurrences(text: string, terms: readonly string[], analyzer: Analyzer, maxChars: number): Occurrence[] {
  const index = new Map(terms.map((t, i) => [t, i]));
  const out: Occurrence[] = [];
  let end = Math.min(text.length, maxChars);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  analyzer.analyzeSpans(text.slice(0, end), (term, start, stop) => {
    const i = index.get(term);
    if (i !== undefined) out.push({ start, end: stop, term: i });
  });
  return out.sort((a, b) => a.start - b.start || b.end - a.end);
}

/**
 * The best window start: the one whose [start, start + size) holds the most distinct terms,
 * then the most occurrences; ties go to the earlier. A sweep over the sorted occurrences.
 */
function bestWindow(occ: readonly Occurrence[], size: number, taken: readonly [number, number][]): Occurrence | null {
  const free = occ.filter((o) => !taken.some(([s, e]) => o.start < e && o.end > s));
  let best: Occurrence | null = null;
  let bestScore = -1;
  const counts = new Map<number, number>();
  let hi = 0;
  for (let lo = 0; lo < free.length; lo++) {
    const first = free[lo] as Occurrence;
    while (hi < free.length && (free[hi] as Occurrence).end <= first.start + size) {
      const t = (free[hi] as Occurrence).term;
      counts.set(t, (counts.get(t) ?? 0) + 1);
      hi++;
    }
    const score = counts.size * 1000 + Math.min(hi - lo, 999);
    if (score > bestScore) {
      bestScore = score;
      best = first;
    }
    const t = first.term;
    const c = (counts.get(t) ?? 1) - 1;
    if (c === 0) counts.delete(t);
    else counts.set(t, c);
  }
  return best;
}

/** Moves an offset off the second half of a surrogate pair. */
function onCharBoundary(text: string, at: number): number {
  const c = text.charCodeAt(at);
  return at > 0 && c >= 0xdc00 && c <= 0xdfff ? at - 1 : at;
}

/** A fragment of about `size` characters around a match starting at `matchStart`. */
function placeFragment(text: string, matchStart: number, size: number): [number, number] {
  // Start at a sentence boundary within a third of the fragment before the match, else a
  // few characters before it, so the match has some context.
  const floor = Math.max(0, matchStart - Math.floor(size / 3));
  let start = Math.max(0, matchStart - Math.floor(size / 8));
  for (let i = matchStart - 1; i >= floor; i--) {
    if (SENTENCE_END.test(text[i] as string)) {
      start = i + 1;
      break;
    }
    if (i === 0) start = 0;
  }
  while (start < matchStart && /\s/.test(text[start] as string)) start++;
  start = onCharBoundary(text, start);
  const end = onCharBoundary(text, Math.min(text.length, start + size));
  return [start, end];
}

/**
 * The best fragment(s) of a document's body for `terms`, with the matched words
 * highlighted.
 *
 * `terms` are the terms the query looked up (Analyzer.queryTerms(...).map(t => t.term),
 * pinyin terms included). The body is read chunk by chunk only up to `maxScanChars`; the
 * word terms are found there by a literal search (normalized text, so `Node` is found for
 * `node`), and the windows holding the most distinct terms become the fragments. Only if
 * no word occurs literally (pinyin, traditional text) is the beginning analyzed. Each
 * fragment is then analyzed with the index's analyzer, and exactly the words whose terms
 * are in `terms` are highlighted: 内存 in 内存溢出 (a sub-word), 記憶體 for 内存 in a
 * `traditional` index, never a substring that is not a word (存溢). Fragments never cut a
 * surrogate pair; everything but the markers is HTML-escaped.
 */
export function makeSnippet(read: BodyChunkReader, terms: readonly string[], analyzer: Analyzer, options: SnippetOptions = {}): Snippet {
  const o = { ...DEFAULTS, ...options };
  const fragments = Math.max(1, Math.min(10, Math.floor(o.fragments)));
  const size = Math.max(20, Math.min(2000, Math.floor(o.fragmentChars)));
  const { text, truncated } = readPrefix(read, Math.max(size, o.maxScanChars));
  const wanted = new Set(terms);

  let occ = literalOccurrences(text, terms);
  // Traditional text holds the query's words only after conversion: analyze it too.
  if (occ === null || occ.length === 0) occ = analyzedOccurrences(text, terms, analyzer, o.maxAnalyzeChars);
  else if (analyzer.converts(text.slice(0, o.maxAnalyzeChars))) {
    const merged = occ.concat(analyzedOccurrences(text, terms, analyzer, o.maxAnalyzeChars));
    occ = merged.sort((a, b) => a.start - b.start || b.end - a.end);
  }
  const ranges: [number, number][] = [];
  for (let k = 0; k < fragments; k++) {
    const at = bestWindow(occ, size, ranges);
    if (at === null) break;
    const range = placeFragment(text, at.start, size);
    if (ranges.some(([s, e]) => range[0] < e && range[1] > s)) {
      // Overlaps a chosen fragment: take the occurrence's own window instead, if free.
      const own: [number, number] = [onCharBoundary(text, at.start), onCharBoundary(text, Math.min(text.length, at.start + size))];
      if (ranges.some(([s, e]) => own[0] < e && own[1] > s)) break;
      ranges.push(own);
    } else ranges.push(range);
  }
  if (ranges.length === 0) ranges.push([0, onCharBoundary(text, Math.min(text.length, size))]);
  ranges.sort((a, b) => a[0] - b[0]);

  const out = new SnippetText(o.markers, o.escapeHtml ? escapeHtml : (t: string) => t);
  for (const [start, end] of ranges) {
    if (start > 0) out.ellipsis(o.ellipsis);
    const fragment = text.slice(start, end);
    const marks: [number, number][] = [];
    analyzer.analyzeSpans(fragment, (term, s, e) => {
      if (wanted.has(term) && e > s) marks.push([s, e]);
    });
    out.fragment(fragment, marks);
    if (end < text.length || truncated) out.ellipsis(o.ellipsis);
  }
  return { text: out.html, plain: out.plain, highlights: out.highlights, fragments: ranges, truncated };
}

/** Builds the snippet's HTML and plain text side by side. */
class SnippetText {
  html = '';
  plain = '';
  readonly highlights: [number, number][] = [];

  constructor(
    private readonly markers: readonly [string, string],
    private readonly escapeText: (text: string) => string,
  ) {}

  /** Between fragments once, not twice. */
  ellipsis(mark: string): void {
    if (this.plain.endsWith(mark)) return;
    this.text(mark);
  }

  private text(t: string): void {
    this.html += this.escapeText(t);
    this.plain += t;
  }

  /** A fragment with its marks ([start, end) in it); overlapping marks (a word and its sub-word) merge. */
  fragment(fragment: string, marks: [number, number][]): void {
    const [open, close] = this.markers;
    marks.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
    let cursor = 0;
    for (const [s, e] of marks) {
      if (s < cursor) {
        const last = this.highlights[this.highlights.length - 1];
        if (e > cursor && last !== undefined) {
          // Reopen the last mark: nothing was written after its closing marker.
          this.html = this.html.slice(0, this.html.length - close.length);
          this.text(fragment.slice(cursor, e));
          this.html += close;
          last[1] = this.plain.length;
          cursor = e;
        }
        continue;
      }
      this.text(fragment.slice(cursor, s));
      const from = this.plain.length;
      this.html += open;
      this.text(fragment.slice(s, e));
      this.html += close;
      this.highlights.push([from, this.plain.length]);
      cursor = e;
    }
    this.text(fragment.slice(cursor));
  }
}
