/** Sets of docNums as ascending Int32Arrays: the boolean operators of a query, per shard. */

export const EMPTY: Int32Array = new Int32Array(0);

export function intersect(a: Int32Array, b: Int32Array): Int32Array {
  if (a.length === 0 || b.length === 0) return EMPTY;
  const [small, large] = a.length <= b.length ? [a, b] : [b, a];
  const out = new Int32Array(small.length);
  let k = 0;
  // Galloping would pay off on very skewed sizes; a linear merge is enough at shard scale.
  let j = 0;
  for (let i = 0; i < small.length; i++) {
    const v = small[i] as number;
    while (j < large.length && (large[j] as number) < v) j++;
    if (j === large.length) break;
    if (large[j] === v) out[k++] = v;
  }
  return out.subarray(0, k);
}

export function union(a: Int32Array, b: Int32Array): Int32Array {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out = new Int32Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] as number;
    const y = b[j] as number;
    if (x < y) {
      out[k++] = x;
      i++;
    } else if (y < x) {
      out[k++] = y;
      j++;
    } else {
      out[k++] = x;
      i++;
      j++;
    }
  }
  while (i < a.length) out[k++] = a[i++] as number;
  while (j < b.length) out[k++] = b[j++] as number;
  return out.subarray(0, k);
}

export function difference(a: Int32Array, b: Int32Array): Int32Array {
  if (a.length === 0 || b.length === 0) return a;
  const out = new Int32Array(a.length);
  let k = 0;
  let j = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i] as number;
    while (j < b.length && (b[j] as number) < v) j++;
    if (j < b.length && b[j] === v) continue;
    out[k++] = v;
  }
  return out.subarray(0, k);
}

/** The ascending, duplicate-free docNums of a posting list (segments partition docNums). */
export function fromSorted(docNums: Int32Array, length: number, keep?: (i: number) => boolean): Int32Array {
  const out = new Int32Array(length);
  let k = 0;
  for (let i = 0; i < length; i++) if (keep === undefined || keep(i)) out[k++] = docNums[i] as number;
  return out.subarray(0, k);
}
