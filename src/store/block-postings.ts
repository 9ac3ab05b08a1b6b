import { BLOCK_DOCS, decodeBlockInto, type PostingColumns, type SegmentNorms, SkipTable } from './postings-codec.js';
import { ByteReader } from './varint.js';

/**
 * Block-at-a-time reads of a term's payload (format 3, see postings-codec.ts) for a query
 * that already knows which documents can match: only the blocks whose docNum range may
 * hold one of them are checked and decoded, the others are skipped through the skip table
 * without reading a byte of them. Read-only: the format is the codec's.
 */

/** Past every docNum (docNums are int32). */
const NO_DOC = 0x7fffffff;

/** Scratch of one block, shared: the engine reads on one thread. */
const skip = new SkipTable();
const blockDocs = new Int32Array(BLOCK_DOCS);
const blockTfT = new Int32Array(BLOCK_DOCS);
const blockTfB = new Int32Array(BLOCK_DOCS);

/** The first index in [from, to) of `sorted` whose value is >= `value` (or `to`). */
export function lowerBound(sorted: Int32Array, value: number, from = 0, to = sorted.length): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The number of postings of a payload (live or not), from its first varint: no decoding. */
export function payloadCount(payload: Uint8Array): number {
  return new ByteReader(payload).uint();
}

/**
 * Appends to `cols` the postings of `payload` for the docNums of `within` (ascending, all
 * live), with their field lengths from `norms`. A block is decoded only if it may hold one
 * of `within` or one of `dead` (ascending docNums of removed documents): the dead ones it
 * holds are counted, so that the term's live document frequency is exact without decoding
 * the rest. Returns that frequency in this segment.
 */
export function decodePostingsWithin(
  payload: Uint8Array,
  segFirst: number,
  norms: SegmentNorms,
  within: Int32Array,
  dead: Int32Array,
  cols: PostingColumns,
): number {
  skip.read(payload, segFirst);
  const n = skip.n;
  let deadFound = 0;
  let w = lowerBound(within, segFirst);
  let d = lowerBound(dead, segFirst);
  let b = 0;
  while (b < skip.blocks) {
    const target = Math.min(w < within.length ? (within[w] as number) : NO_DOC, d < dead.length ? (dead[d] as number) : NO_DOC);
    if (target === NO_DOC) break;
    b = skip.blockOf(target, b);
    if (b >= skip.blocks) break;
    const count = decodeBlockInto(payload, skip, b, segFirst, blockDocs, blockTfT, blockTfB);
    const last = blockDocs[count - 1] as number;
    cols.ensure(count);
    const { docNums, tfTitle, tfBody, titleLen, bodyLen } = cols;
    let at = cols.length;
    for (let i = 0; w < within.length && (within[w] as number) <= last; w++) {
      const doc = within[w] as number;
      while (i < count && (blockDocs[i] as number) < doc) i++;
      if (i === count || blockDocs[i] !== doc) continue;
      docNums[at] = doc;
      tfTitle[at] = blockTfT[i] as number;
      tfBody[at] = blockTfB[i] as number;
      titleLen[at] = norms.title[doc - segFirst] as number;
      bodyLen[at] = norms.body[doc - segFirst] as number;
      at++;
    }
    cols.length = at;
    for (let i = 0; d < dead.length && (dead[d] as number) <= last; d++) {
      const doc = dead[d] as number;
      while (i < count && (blockDocs[i] as number) < doc) i++;
      if (i < count && blockDocs[i] === doc) deadFound++;
    }
    b++;
  }
  return n - deadFound;
}
