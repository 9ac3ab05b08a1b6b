/**
 * Phrase and proximity over word positions. Sub-words share their word's position (中华人民共和国,
 * 人民 and 共和国 all stand at one position), so consecutive query words may stand at the same
 * document position as well as `delta` apart: `gap` 0..delta counts as adjacent.
 */

/** Words this far apart (or closer) count as near one another. */
export const NEAR_WORDS = 8;
/** Score factors: each adjacent pair of query words, each near pair, and the whole phrase in order. */
export const ADJACENT_BOOST = 1;
export const NEAR_BOOST = 0.25;
export const PHRASE_BOOST = 1;

/** True when some q in b has p <= q <= p + maxGap for some p in a (both ascending). */
function follows(a: Int32Array, b: Int32Array, maxGap: number): boolean {
  let j = 0;
  for (let i = 0; i < a.length; i++) {
    const p = a[i] as number;
    while (j < b.length && (b[j] as number) < p) j++;
    if (j === b.length) return false;
    if ((b[j] as number) <= p + maxGap) return true;
  }
  return false;
}

/** The positions of b that follow some position of a within maxGap. */
function continuations(a: Int32Array, b: Int32Array, maxGap: number): Int32Array {
  const out = new Int32Array(b.length);
  let k = 0;
  let i = 0;
  for (let j = 0; j < b.length; j++) {
    const q = b[j] as number;
    // Advance to the last p <= q.
    while (i + 1 < a.length && (a[i + 1] as number) <= q) i++;
    const p = a[i] as number;
    if (a.length > 0 && p <= q && q - p <= maxGap) out[k++] = q;
  }
  return out.subarray(0, k);
}

function near(a: Int32Array, b: Int32Array, distance: number): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const p = a[i] as number;
    const q = b[j] as number;
    if (Math.abs(p - q) <= distance) return true;
    if (p < q) i++;
    else j++;
  }
  return false;
}

/**
 * Whether the slots occur in order as a phrase: slot i+1 at 0..deltas[i] positions after slot i.
 * `positions[i]` are slot i's positions in the document, ascending.
 */
export function isPhrase(positions: readonly Int32Array[], deltas: readonly number[]): boolean {
  let reach = positions[0] ?? new Int32Array(0);
  for (let i = 1; i < positions.length && reach.length > 0; i++) {
    reach = continuations(reach, positions[i] as Int32Array, deltas[i - 1] as number);
  }
  return reach.length > 0;
}

/**
 * The proximity factor of a document (>= 1): 1 + ADJACENT_BOOST x (share of consecutive
 * query words that stand adjacent) + NEAR_BOOST x (share that stand within NEAR_WORDS)
 * + PHRASE_BOOST when the whole query occurs as a phrase. Pairs with a `skipped` slot (its
 * positions were not read) are left out of the shares; the phrase then needs the rest adjacent.
 */
export function proximityFactor(positions: readonly Int32Array[], deltas: readonly number[], skipped?: readonly boolean[]): number {
  let pairs = 0;
  let adjacent = 0;
  let close = 0;
  for (let i = 0; i + 1 < positions.length; i++) {
    if (skipped?.[i] || skipped?.[i + 1]) continue;
    pairs++;
    const a = positions[i] as Int32Array;
    const b = positions[i + 1] as Int32Array;
    if (a.length === 0 || b.length === 0) continue;
    if (follows(a, b, deltas[i] as number)) adjacent++;
    else if (near(a, b, NEAR_WORDS)) close++;
  }
  if (pairs === 0) return 1;
  let factor = 1 + (ADJACENT_BOOST * adjacent) / pairs + (NEAR_BOOST * close) / pairs;
  if (adjacent === pairs && (skipped === undefined || !skipped.includes(true)) && isPhrase(positions, deltas)) factor += PHRASE_BOOST;
  else if (adjacent === pairs) factor += PHRASE_BOOST / 2;
  return factor;
}
