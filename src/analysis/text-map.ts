import { normalizeText } from './normalize.js';
import type { SimplifiedConverter } from './variants.js';

/** Analyzed text and, per UTF-16 unit of it, the range of the original text it came from. */
export interface MappedText {
  text: string;
  /** The original range [start, end) of the analyzed range [from, to). */
  range(from: number, to: number): [number, number];
}

/** A code point with its combining marks, or marks with no base: NFKC never reorders across these. */
const CLUSTER = /\P{M}\p{M}*|\p{M}+/uy;
const MARK = /\p{M}/u;

function isMark(text: string, at: number): boolean {
  const c = text.charCodeAt(at);
  return c >= 0x300 && MARK.test(String.fromCodePoint(text.codePointAt(at) as number));
}

/**
 * Normalizes `text` as the analyzer does (NFKC, lower case, then traditional → simplified
 * when a converter is given), keeping for every unit of the result the range of `text` it
 * came from, so a highlight can be put on the original characters.
 *
 * When NFKC keeps the length (nearly all text: full-width letters fold one to one), the
 * mapping is the identity; otherwise each cluster is normalized alone.
 */
export function mapText(text: string, converter: SimplifiedConverter | null): MappedText {
  let normalized = normalizeText(text);
  let startOf: Int32Array;
  let endOf: Int32Array;
  if (normalized.length === text.length) {
    startOf = new Int32Array(text.length);
    endOf = new Int32Array(text.length);
    for (let i = 0; i < text.length; i++) {
      startOf[i] = i;
      endOf[i] = i + 1;
    }
  } else {
    const parts: string[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    let i = 0;
    while (i < text.length) {
      const code = text.charCodeAt(i);
      // Fast paths: ASCII and common Han characters are their own NFKC form.
      if (code < 0x80 || (code >= 0x4e00 && code <= 0x9fff && !isMark(text, i + 1))) {
        parts.push(code >= 0x41 && code <= 0x5a ? String.fromCharCode(code + 32) : (text[i] as string));
        starts.push(i);
        ends.push(i + 1);
        i++;
        continue;
      }
      CLUSTER.lastIndex = i;
      const m = CLUSTER.exec(text);
      const cluster = m?.index === i ? m[0] : (text[i] as string);
      const piece = normalizeText(cluster);
      const to = i + cluster.length;
      const same = piece.length === cluster.length;
      parts.push(piece);
      for (let k = 0; k < piece.length; k++) {
        starts.push(same ? i + k : i);
        ends.push(same ? i + k + 1 : to);
      }
      i = to;
    }
    normalized = parts.join('');
    startOf = Int32Array.from(starts);
    endOf = Int32Array.from(ends);
  }
  if (converter?.hasTraditional(normalized)) {
    const parts: string[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    converter.convertPieces(normalized, (piece, from, to) => {
      parts.push(piece);
      const same = piece.length === to - from;
      for (let k = 0; k < piece.length; k++) {
        starts.push(startOf[same ? from + k : from] as number);
        ends.push(endOf[same ? from + k : to - 1] as number);
      }
    });
    normalized = parts.join('');
    startOf = Int32Array.from(starts);
    endOf = Int32Array.from(ends);
  }
  const s = startOf;
  const e = endOf;
  const isHigh = (i: number): boolean => {
    const c = text.charCodeAt(i);
    return c >= 0xd800 && c <= 0xdbff;
  };
  return {
    text: normalized,
    range: (from, to) => {
      if (to <= from) {
        const at = s[from] ?? text.length;
        return [at, at];
      }
      let start = s[from] as number;
      let end = e[to - 1] as number;
      // Whole characters only: never half of a surrogate pair.
      const c = text.charCodeAt(start);
      if (start > 0 && c >= 0xdc00 && c <= 0xdfff && isHigh(start - 1)) start--;
      if (end < text.length && isHigh(end - 1)) end++;
      return [start, end];
    },
  };
}
