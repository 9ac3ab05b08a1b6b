import { ByteReader, ByteWriter } from './varint.js';

/**
 * The postings of one term in one segment:
 *
 *   n, postingsBytes,
 *   n x (docGap, tfBody << 1 | hasTitle, [tfTitle]),   docGap from segment.first, then gaps
 *   n x (tfTitle + tfBody) positions,                   first absolute, then gaps
 *
 * Most postings are body-only, so the title frequency costs a bit, not a byte. Field
 * lengths live once per document in the segment's norms (SegmentNorms), not per posting.
 * Positions come last so that a query without phrases stops reading at postingsBytes.
 */

/** Growable typed columns of decoded postings, reused across queries. */
export class PostingColumns {
  length = 0;
  docNums: Int32Array<ArrayBuffer> = new Int32Array(256);
  tfTitle: Int32Array<ArrayBuffer> = new Int32Array(256);
  tfBody: Int32Array<ArrayBuffer> = new Int32Array(256);
  titleLen: Int32Array<ArrayBuffer> = new Int32Array(256);
  bodyLen: Int32Array<ArrayBuffer> = new Int32Array(256);

  clear(): this {
    this.length = 0;
    return this;
  }

  ensure(extra: number): void {
    const need = this.length + extra;
    if (need <= this.docNums.length) return;
    let size = this.docNums.length * 2;
    while (size < need) size *= 2;
    const grow = (a: Int32Array): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(size);
      b.set(a.subarray(0, this.length));
      return b;
    };
    this.docNums = grow(this.docNums);
    this.tfTitle = grow(this.tfTitle);
    this.tfBody = grow(this.tfBody);
    this.titleLen = grow(this.titleLen);
    this.bodyLen = grow(this.bodyLen);
  }
}

/** Title and body lengths (word positions) of every docNum a segment covers, from first. */
export interface SegmentNorms {
  title: Uint16Array;
  body: Uint32Array;
}

/** Postings of one term being encoded: typed columns with an explicit count, reused across terms. */
export interface EncodeColumns {
  count: number;
  docNums: Int32Array;
  tfTitle: Int32Array;
  tfBody: Int32Array;
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
    const tfTitle = cols.tfTitle[i] as number;
    scratch.uint((cols.tfBody[i] as number) * 2 + (tfTitle > 0 ? 1 : 0));
    if (tfTitle > 0) scratch.uint(tfTitle);
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

/**
 * Appends the postings of a payload to `cols`, skipping docNums in `dead`, with each
 * document's lengths from the segment's norms. Returns how many it kept.
 */
export function decodePostings(
  payload: Uint8Array,
  segFirst: number,
  norms: SegmentNorms,
  dead: ReadonlySet<number> | null,
  cols: PostingColumns,
): number {
  const r = new ByteReader(payload);
  const n = r.uint();
  r.uint(); // postingsBytes: positions are not needed here
  cols.ensure(n);
  const { docNums, tfTitle, tfBody, titleLen, bodyLen } = cols;
  let at = cols.length;
  let doc = segFirst;
  for (let i = 0; i < n; i++) {
    doc += r.uint();
    const packed = r.uint();
    const tfT = packed & 1 ? r.uint() : 0;
    if (dead?.has(doc)) continue;
    docNums[at] = doc;
    tfTitle[at] = tfT;
    tfBody[at] = packed >>> 1;
    titleLen[at] = norms.title[doc - segFirst] as number;
    bodyLen[at] = norms.body[doc - segFirst] as number;
    at++;
  }
  const kept = at - cols.length;
  cols.length = at;
  return kept;
}

/** Postings with their positions, as plain arrays: for merging spilled runs. */
export interface FullPostings {
  docNums: number[];
  tfTitle: number[];
  tfBody: number[];
  /** Each posting's positions back to back. */
  positions: number[];
}

/**
 * Appends a payload's postings with positions to `into`. When its first document is the
 * last one already there (a document cut in two by a spill), the two postings are joined.
 */
export function appendFullPostings(payload: Uint8Array, segFirst: number, into: FullPostings): void {
  const head = new ByteReader(payload);
  const n = head.uint();
  const postingsBytes = head.uint();
  const r = new ByteReader(payload, head.pos, head.pos + postingsBytes);
  const pr = new ByteReader(payload, head.pos + postingsBytes);
  let doc = segFirst;
  for (let i = 0; i < n; i++) {
    doc += r.uint();
    const packed = r.uint();
    const tfT = packed & 1 ? r.uint() : 0;
    const tfB = packed >>> 1;
    let prev = 0;
    for (let k = tfT + tfB; k > 0; k--) {
      prev += pr.uint();
      into.positions.push(prev);
    }
    const last = into.docNums.length - 1;
    if (last >= 0 && into.docNums[last] === doc) {
      into.tfTitle[last] = (into.tfTitle[last] as number) + tfT;
      into.tfBody[last] = (into.tfBody[last] as number) + tfB;
    } else {
      into.docNums.push(doc);
      into.tfTitle.push(tfT);
      into.tfBody.push(tfB);
    }
  }
}

/**
 * Builds one term's payload (format above) a posting at a time, with no intermediate
 * columns: give a document's position gaps with gap(), then its posting with posting().
 * Gives the same bytes as encodePayload.
 */
export class PayloadBuilder {
  protected readonly postings = new ByteWriter();
  protected readonly positions = new ByteWriter();
  protected count = 0;
  protected prevDoc = 0;

  start(segFirst: number): void {
    this.postings.reset();
    this.positions.reset();
    this.count = 0;
    this.prevDoc = segFirst;
  }

  /** Bytes of its buffers (they grow to the largest payload built). */
  get bytes(): number {
    return this.postings.buf.length + this.positions.buf.length;
  }

  /** A position of the next posting: its gap from the previous one of the same document (from 0 for the first). */
  gap(delta: number): void {
    this.positions.uint(delta);
  }

  /** The next posting, docNums ascending; its positions were given with gap(). */
  posting(doc: number, tfTitle: number, tfBody: number): void {
    this.postings.uint(doc - this.prevDoc);
    this.prevDoc = doc;
    this.postings.uint(tfBody * 2 + (tfTitle > 0 ? 1 : 0));
    if (tfTitle > 0) this.postings.uint(tfTitle);
    this.count++;
  }

  /** The payload, or null when there is no posting. */
  finish(out: ByteWriter): boolean {
    if (this.count === 0) return false;
    out.uint(this.count);
    out.uint(this.postings.length);
    out.append(this.postings);
    out.append(this.positions);
    return true;
  }
}

/**
 * Re-encodes a payload for a merged segment: rebases doc deltas on the new segment's first
 * docNum, drops dead documents, and copies each kept posting's position bytes untouched.
 * start() takes the new segment's first docNum; the previous docNum carries across the
 * payloads of one term.
 */
export class PayloadMerger extends PayloadBuilder {
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
      const packed = r.uint();
      const tfT = packed & 1 ? r.uint() : 0;
      const from = pr.pos;
      for (let k = tfT + (packed >>> 1); k > 0; k--) pr.uint();
      if (dead.has(doc)) continue;
      this.postings.uint(doc - this.prevDoc);
      this.prevDoc = doc;
      this.postings.uint(packed);
      if (packed & 1) this.postings.uint(tfT);
      this.positions.range(payload, from, pr.pos);
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
      if (r.uint() & 1) r.uint();
    }
    this.postings.uint(firstDoc - this.prevDoc);
    this.postings.range(payload, afterFirstGap, end);
    this.positions.range(payload, end, payload.length);
    this.prevDoc = doc;
    this.count += n;
  }
}

/**
 * Positions of some documents of one term, for phrase checks and proximity: the wanted
 * docNums (ascending) and, for each, where its positions start in `data` and how many.
 */
export class PositionLists {
  wanted: Int32Array = new Int32Array(0);
  start: Int32Array<ArrayBuffer> = new Int32Array(64);
  count: Int32Array<ArrayBuffer> = new Int32Array(64);
  data: Int32Array<ArrayBuffer> = new Int32Array(256);
  used = 0;

  /** Starts over for a new sorted list of wanted docNums; every count is 0 until decoded. */
  reset(wanted: Int32Array): this {
    this.wanted = wanted;
    if (this.start.length < wanted.length) {
      this.start = new Int32Array(wanted.length);
      this.count = new Int32Array(wanted.length);
    } else this.count.fill(0, 0, wanted.length);
    this.used = 0;
    return this;
  }

  reserve(extra: number): void {
    if (this.used + extra <= this.data.length) return;
    let size = this.data.length * 2;
    while (size < this.used + extra) size *= 2;
    const next = new Int32Array(size);
    next.set(this.data.subarray(0, this.used));
    this.data = next;
  }

  /** The positions of wanted[k], ascending (a view, valid until the next reset). */
  of(k: number): Int32Array {
    const s = this.start[k] as number;
    return this.data.subarray(s, s + (this.count[k] as number));
  }
}

/** Bytes of a payload's positions section: what decoding positions may have to scan. */
export function positionsBytes(payload: Uint8Array): number {
  const r = new ByteReader(payload);
  r.uint();
  const postingsBytes = r.uint();
  return payload.length - r.pos - postingsBytes;
}

/**
 * Decodes the positions of the wanted docNums of one payload into `out`, skipping the
 * others' position bytes without decoding them (a varint ends at each byte under 0x80).
 * Title positions come first: a position below the document's title length is in the title.
 */
export function decodePositions(payload: Uint8Array, segFirst: number, out: PositionLists): void {
  const wanted = out.wanted;
  let w = 0;
  while (w < wanted.length && (wanted[w] as number) < segFirst) w++;
  if (w === wanted.length) return;
  const r = new ByteReader(payload);
  const n = r.uint();
  const postingsBytes = r.uint();
  const pr = new ByteReader(payload, r.pos + postingsBytes);
  const buf = payload;
  let doc = segFirst;
  for (let i = 0; i < n && w < wanted.length; i++) {
    doc += r.uint();
    const packed = r.uint();
    const tf = (packed & 1 ? r.uint() : 0) + (packed >>> 1);
    while (w < wanted.length && (wanted[w] as number) < doc) w++;
    if (w < wanted.length && wanted[w] === doc) {
      out.reserve(tf);
      out.start[w] = out.used;
      out.count[w] = tf;
      let pos = 0;
      for (let k = 0; k < tf; k++) {
        pos += pr.uint();
        out.data[out.used++] = pos;
      }
      w++;
    } else {
      let p = pr.pos;
      const end = buf.length;
      for (let k = tf; k > 0 && p < end; p++) if ((buf[p] as number) < 0x80) k--;
      if (p > end || (p === end && i + 1 < n)) throw new RangeError('positions run past the end of their payload');
      pr.pos = p;
    }
  }
}
