/*
 * Highlighting and cropping for `_formatted`. ruyi's snippets cover the body only, and
 * Meilisearch highlights any attribute, so this works on the stored JSON's strings: the
 * query's words (whitespace-separated tokens and, inside them, the words Intl.Segmenter's
 * Chinese dictionary finds) are looked up literally and case-insensitively; crop lengths
 * count words the same way. A pinyin or traditional match is found but not highlighted.
 */

const segmenter = new Intl.Segmenter('zh', { granularity: 'word' });

/** The words to highlight for a query, longest first (so 内存溢出 wins over 内存). */
export function highlightTerms(q: string): string[] {
  const terms = new Set<string>();
  for (const raw of q.toLowerCase().split(/\s+/)) {
    const token = raw.replace(/^[-"']+|["']+$/g, '');
    if (token === '' || token === 'or') continue;
    terms.add(token);
    for (const s of segmenter.segment(token)) if (s.isWordLike && s.segment.trim() !== '') terms.add(s.segment);
  }
  return [...terms].sort((a, b) => b.length - a.length);
}

/** Where the terms occur in `text`: sorted, non-overlapping [start, end) ranges of UTF-16 units. */
export function matchRanges(text: string, terms: readonly string[]): [number, number][] {
  if (terms.length === 0 || text === '') return [];
  const lower = text.toLowerCase();
  // toLowerCase can change the length (İ); then offsets would not line up: match as is.
  const hay = lower.length === text.length ? lower : text;
  const covered = new Uint8Array(text.length);
  for (const term of terms) {
    for (let at = hay.indexOf(term); at !== -1; at = hay.indexOf(term, at + term.length)) covered.fill(1, at, at + term.length);
  }
  const ranges: [number, number][] = [];
  for (let i = 0; i < covered.length; i++) {
    if (covered[i] === 0) continue;
    const start = i;
    while (i < covered.length && covered[i] === 1) i++;
    ranges.push([start, i]);
  }
  return ranges;
}

export function highlight(text: string, ranges: readonly [number, number][], pre: string, post: string): string {
  let out = '';
  let last = 0;
  for (const [s, e] of ranges) {
    out += text.slice(last, s) + pre + text.slice(s, e) + post;
    last = e;
  }
  return out + text.slice(last);
}

/**
 * A window of about `cropLength` words around the first match (or from the start), with
 * `marker` where text was cut; returns the window's offsets so highlights can follow it.
 */
export function cropWindow(text: string, ranges: readonly [number, number][], cropLength: number): { start: number; end: number } {
  const segments = [...segmenter.segment(text)];
  const words = segments.filter((s) => s.isWordLike);
  if (words.length <= cropLength) return { start: 0, end: text.length };
  const firstMatch = ranges[0]?.[0] ?? 0;
  let centre = words.findIndex((w) => w.index + w.segment.length > firstMatch);
  if (centre === -1) centre = 0;
  // The match sits a little into the window, as Meilisearch places it: context before and after.
  let from = ranges.length === 0 ? 0 : Math.max(0, centre - Math.floor((cropLength - 1) / 2));
  from = Math.min(from, words.length - cropLength);
  const first = words[from] as Intl.SegmentData;
  const lastWord = words[from + cropLength - 1] as Intl.SegmentData;
  return {
    start: from === 0 ? 0 : first.index,
    end: from + cropLength >= words.length ? text.length : lastWord.index + lastWord.segment.length,
  };
}

export interface FormatOptions {
  terms: readonly string[];
  pre: string;
  post: string;
  highlight: boolean;
  crop: number | null;
  cropMarker: string;
}

/** One string attribute of `_formatted`, with its match positions (for showMatchesPosition). */
export function formatString(text: string, o: FormatOptions): { text: string; matches: { start: number; length: number }[] } {
  const ranges = matchRanges(text, o.terms);
  const matches = ranges.map(([s, e]) => ({ start: s, length: e - s }));
  let start = 0;
  let end = text.length;
  if (o.crop !== null) ({ start, end } = cropWindow(text, ranges, o.crop));
  const inside = ranges.filter(([s, e]) => s >= start && e <= end).map(([s, e]): [number, number] => [s - start, e - start]);
  const body = text.slice(start, end);
  let out = o.highlight ? highlight(body, inside, o.pre, o.post) : body;
  if (start > 0) out = o.cropMarker + out;
  if (end < text.length) out += o.cropMarker;
  return { text: out, matches };
}
