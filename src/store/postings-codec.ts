import { ByteReader, ByteWriter } from './varint.js';

/**
 * The postings of one term in one segment:
 *
 *   n, postingsBytes,
 *   n x (docDelta, tfTitle, tfBody, titleLen, bodyLen),   docDelta from segment.first, then gaps
 *   n x (tfTitle + tfBody) positions,                      first absolute, then gaps
 *
 * Lengths travel with every posting so that scoring never looks a document up; positions
 * come last so that a query without phrases stops reading at postingsBytes.
 */
export interface PostingColumns {
  docNums: number[];
  tfTitle: number[];
  tfBody: number[];
  titleLen: number[];
  bodyLen: number[];
}

export function emptyColumns(): PostingColumns {
  return { docNums: [], tfTitle: [], tfBody: [], titleLen: [], bodyLen: [] };
}

/** Postings of one term being encoded: typed columns with an explicit count, reused across terms. */
export interface EncodeColumns {
  count: number;
  docNums: Int32Array;
  tfTitle: Int32Array;
  tfBody: Int32Array;
  titleLen: Int32Array;
  bodyLen: Int32Array;
  /** Each posting's positions back to back. */
  positions: Int32Array;
}

/** Encodes one term's postings (format above) into `out`; `scratch` is a reusable buffer. */
export function encodePayload(out: ByteWriter, scratch: ByteWriter, segFirst: number, cols: EncodeColumns): void {
  scratch.reset();
  const n = cols.count;
  let prevDoc = segFirst;
  for (let i = 0; i < n; i++) {
    const doc = cols.docNums[i] as number;
    scratch.uint(doc - prevDoc);
    prevDoc = doc;
    scratch.uint(cols.tfTitle[i] as number);
    scratch.uint(cols.tfBody[i] as number);
    scratch.uint(cols.titleLen[i] as number);
    scratch.uint(cols.bodyLen[i] as number);
  }
  out.uint(n);
  out.uint(scratch.length);
  out.append(scratch);
  let p = 0;
  for (let i = 0; i < n; i++) {
    const count = (cols.tfTitle[i] as number) + (cols.tfBody[i] as number);
    let prev = 0;
    for (let k = 0; k < count; k++) {
      const pos = cols.positions[p++] as number;
      out.uint(pos - prev);
      prev = pos;
    }
  }
}

/** Appends the postings of a payload to `cols`, skipping docNums in `dead`. Returns how many it kept. */
export function decodePostings(
  payload: Uint8Array,
  segFirst: number,
  dead: ReadonlySet<number> | null,
  cols: PostingColumns,
): number {
  const r = new ByteReader(payload);
  const n = r.uint();
  r.uint(); // postingsBytes: positions are not needed here
  let doc = segFirst;
  let kept = 0;
  for (let i = 0; i < n; i++) {
    doc += r.uint();
    const tfT = r.uint();
    const tfB = r.uint();
    const tl = r.uint();
    const bl = r.uint();
    if (dead?.has(doc)) continue;
    cols.docNums.push(doc);
    cols.tfTitle.push(tfT);
    cols.tfBody.push(tfB);
    cols.titleLen.push(tl);
    cols.bodyLen.push(bl);
    kept++;
  }
  return kept;
}

/**
 * Re-encodes a payload for a merged segment: rebases doc deltas on the new segment's first
 * docNum, drops dead documents, and copies each kept posting's position bytes untouched.
 * `state` carries the previous docNum across the payloads of one term.
 */
export class PayloadMerger {
  private readonly postings = new ByteWriter();
  private readonly positions = new ByteWriter();
  private count = 0;
  private prevDoc = 0;

  start(newSegFirst: number): void {
    this.postings.reset();
    this.positions.reset();
    this.count = 0;
    this.prevDoc = newSegFirst;
  }

  /**
   * Appends one source segment's payload. `dead` is null when the source holds no deleted
   * document: then only the first doc gap changes and the rest is copied as bytes.
   */
  append(payload: Uint8Array, srcSegFirst: number, dead: ReadonlySet<number> | null): void {
    const head = new ByteReader(payload);
    const n = head.uint();
    const postingsBytes = head.uint();
    if (dead === null) {
      this.appendVerbatim(payload, head.pos, n, postingsBytes, srcSegFirst);
      return;
    }
    const r = new ByteReader(payload, head.pos, head.pos + postingsBytes);
    const pr = new ByteReader(payload, head.pos + postingsBytes);
    let doc = srcSegFirst;
    for (let i = 0; i < n; i++) {
      doc += r.uint();
      const tfT = r.uint();
      const tfB = r.uint();
      const tl = r.uint();
      const bl = r.uint();
      const from = pr.pos;
      for (let k = tfT + tfB; k > 0; k--) pr.uint();
      if (dead.has(doc)) continue;
      this.postings.uint(doc - this.prevDoc);
      this.prevDoc = doc;
      this.postings.uint(tfT);
      this.postings.uint(tfB);
      this.postings.uint(tl);
      this.postings.uint(bl);
      this.positions.bytes(payload.subarray(from, pr.pos));
      this.count++;
    }
  }

  private appendVerbatim(payload: Uint8Array, start: number, n: number, postingsBytes: number, srcSegFirst: number): void {
    if (n === 0) return;
    const end = start + postingsBytes;
    const r = new ByteReader(payload, start, end);
    const firstDoc = srcSegFirst + r.uint();
    const afterFirstGap = r.pos;
    // Walk the gaps only to learn the last docNum, which the next source's first gap needs.
    let doc = firstDoc;
    for (let i = 0; i < n; i++) {
      if (i > 0) doc += r.uint();
      r.uint();
      r.uint();
      r.uint();
      r.uint();
    }
    this.postings.uint(firstDoc - this.prevDoc);
    this.postings.bytes(payload.subarray(afterFirstGap, end));
    this.positions.bytes(payload.subarray(end));
    this.prevDoc = doc;
    this.count += n;
  }

  /** The merged payload, or null when every posting was dead. */
  finish(out: ByteWriter): boolean {
    if (this.count === 0) return false;
    out.uint(this.count);
    out.uint(this.postings.length);
    out.append(this.postings);
    out.append(this.positions);
    return true;
  }
}
