/** Batches never come near this many distinct terms; above it, a plain comparator sort is used. */
const PACKED_ID_BITS = 19;
const PACKED_ID_LIMIT = 2 ** PACKED_ID_BITS;

function byString(terms: readonly string[]) {
  return (a: number, b: number): number => {
    const ta = terms[a] as string;
    const tb = terms[b] as string;
    return ta < tb ? -1 : ta > tb ? 1 : 0;
  };
}

/**
 * Term ids ordered by their strings in JavaScript order (UTF-16 code units), the order
 * readers binary-search and merges walk. A comparator sort over tens of thousands of Han
 * strings costs ~1 µs a term; instead each term becomes one number, its first two code
 * units (each + 1, so a shorter string sorts first) above its id, the numbers are sorted
 * natively, and only runs that share those two code units are compared as strings.
 */
export function sortedTermIds(terms: readonly string[]): Uint32Array {
  const n = terms.length;
  const ids = new Uint32Array(n);
  if (n >= PACKED_ID_LIMIT) {
    for (let i = 0; i < n; i++) ids[i] = i;
    return ids.sort(byString(terms));
  }
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = terms[i] as string;
    const c0 = t.length > 0 ? t.charCodeAt(0) + 1 : 0;
    const c1 = t.length > 1 ? t.charCodeAt(1) + 1 : 0;
    keys[i] = (c0 * 2 ** 17 + c1) * PACKED_ID_LIMIT + i;
  }
  keys.sort();
  for (let i = 0; i < n; i++) ids[i] = (keys[i] as number) % PACKED_ID_LIMIT;
  const compare = byString(terms);
  let runStart = 0;
  for (let i = 1; i <= n; i++) {
    const samePrefix =
      i < n && Math.floor((keys[i] as number) / PACKED_ID_LIMIT) === Math.floor((keys[runStart] as number) / PACKED_ID_LIMIT);
    if (samePrefix) continue;
    if (i - runStart > 1) ids.subarray(runStart, i).sort(compare);
    runStart = i;
  }
  return ids;
}
