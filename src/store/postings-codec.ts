import { EngineError } from '../errors.js';
import { crc32c } from './crc32c.js';
import { ByteReader, ByteWriter } from './varint.js';

/**
 * The postings of one term in one segment (format 3), in blocks of BLOCK_DOCS documents.
 *
 * Up to BLOCK_DOCS postings (most terms) are one block, with no skip data:
 *
 *   n, docBytes,
 *   n x (docGap, tfBody << 1 | hasTitle, [tfTitle]),   docGap from segment.first, then gaps
 *   n x (tfTitle + tfBody) positions,                   per posting: first absolute, then gaps
 *
 * More postings are ceil(n / BLOCK_DOCS) blocks, found through a skip table:
 *
 *   n,
 *   per block: lastDoc gap (from the previous block's last docNum, or segment.first),
 *              docBytes, posBytes, max tfTitle, max tfBody, min title length, min body length,
 *              CRC32C of its doc bytes (4), CRC32C of its position bytes (4)
 *   CRC32C of all the above (4)
 *   the blocks' doc bytes back to back      (a block's first docGap is from the previous block's last docNum)
 *   the blocks' position bytes back to back
 *
 * So a reader jumps to the block that may hold a docNum, decodes and checks only that one,
 * and reads the positions of a document without scanning those of the blocks before it. The
 * maxima and minima bound the best BM25F score any posting of the block can have (block-max).
 * A one-block payload sits inside a sealed ~4 KB segment block or large-term value, whose
 * checksum covers it; a multi-block payload checks itself block by block, so a query that
 * needs three blocks of a long list never reads or checksums the rest.
 *
 * Most postings are body-only, so the title frequency costs a bit, not a byte. Field
 * lengths live once per document in the segment's norms (SegmentNorms), not per posting.
 */

/** Documents per block of a posting list (as Lucene and tantivy). */
export const BLOCK_DOCS = 128;
/** Bytes of a skip entry's two checksums, and of the skip table's. */
const CRC_BYTES = 4;

function readU32(buf: Uint8Array, at: number): number {
  return ((buf[at] as number) | ((buf[at + 1] as number) << 8) | ((buf[at + 2] as number) << 16) | ((buf[at + 3] as number) << 24)) >>> 0;
}

function writeU32(out: ByteWriter, value: number): void {
  out.bytes(Uint8Array.of(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24));
}

function corrupt(what: string, stored: number, computed: number): EngineError {
  return new EngineError(
    'E_CORRUPT',
    `${what}: checksum mismatch: stored CRC32C 0x${stored.toString(16).padStart(8, '0')}, the bytes give 0x${computed.toString(16).padStart(8, '0')}`,
  );
}

/**
 * The skip table of a multi-block payload, decoded into reused typed arrays. For a
 * one-block payload, `blocks` is 1 and the arrays describe that block (its last docNum
 * reads as 2^31 - 1 and its bounds as -1: unknown without decoding it).
 */
export class SkipTable {
  n = 0;
  blocks = 0;
  /** Last docNum of each block. */
  lastDoc = new Int32Array(16);
  /** Where each block's doc bytes and position bytes start in the payload, and end (entry blocks). */
  docStart = new Int32Array(17);
  posStart = new Int32Array(17);
  maxTfTitle = new Int32Array(16);
  maxTfBody = new Int32Array(16);
  /**
   * The shortest title among the block's postings whose title holds the word (0 if none
   * does; indexes written before 2026-12 took it over all postings: a lower, still valid bound).
   */
  minTitleLen = new Int32Array(16);
  minBodyLen = new Int32Array(16);
  docCrc = new Uint32Array(16);
  posCrc = new Uint32Array(16);
  /** Whether each block's checksums are still to be checked (multi-block payloads only). */
  docUnchecked = new Uint8Array(16);
  posUnchecked = new Uint8Array(16);

  private fit(blocks: number): void {
    if (this.lastDoc.length >= blocks) return;
    const size = Math.max(blocks, this.lastDoc.length * 2);
    this.lastDoc = new Int32Array(size);
    this.docStart = new Int32Array(size + 1);
    this.posStart = new Int32Array(size + 1);
    this.maxTfTitle = new Int32Array(size);
    this.maxTfBody = new Int32Array(size);
    this.minTitleLen = new Int32Array(size);
    this.minBodyLen = new Int32Array(size);
    this.docCrc = new Uint32Array(size);
    this.posCrc = new Uint32Array(size);
    this.docUnchecked = new Uint8Array(size);
    this.posUnchecked = new Uint8Array(size);
  }

  /** Reads the header of `payload`; a multi-block header is checked against its checksum. */
  read(payload: Uint8Array, segFirst: number): this {
    const r = new ByteReader(payload);
    const n = r.uint();
    this.n = n;
    if (n <= BLOCK_DOCS) {
      this.fit(1);
      this.blocks = n === 0 ? 0 : 1;
      const docBytes = r.uint();
      this.docStart[0] = r.pos;
      this.docStart[1] = r.pos + docBytes;
      this.posStart[0] = r.pos + docBytes;
      this.posStart[1] = payload.length;
      // Unknown without decoding: as high as a docNum goes, so blockOf finds block 0 for any.
      this.lastDoc[0] = 0x7fffffff;
      this.maxTfTitle[0] = -1;
      this.maxTfBody[0] = -1;
      this.minTitleLen[0] = -1;
      this.minBodyLen[0] = -1;
      this.docUnchecked[0] = 0;
      this.posUnchecked[0] = 0;
      return this;
    }
    const blocks = Math.ceil(n / BLOCK_DOCS);
    // A skip entry takes at least 15 bytes: a count beyond that is damage, not a reason to allocate.
    if (blocks * 15 > payload.length) throw new EngineError('E_CORRUPT', `skip table: ${n} postings cannot fit in ${payload.length} bytes`);
    this.fit(blocks);
    this.blocks = blocks;
    try {
      this.readEntries(payload, r, segFirst);
    } catch (err) {
      if (err instanceof RangeError) throw new EngineError('E_CORRUPT', `skip table does not decode: ${err.message}`);
      throw err;
    }
    this.docUnchecked.fill(1, 0, blocks);
    this.posUnchecked.fill(1, 0, blocks);
    return this;
  }

  private readEntries(payload: Uint8Array, r: ByteReader, segFirst: number): void {
    const blocks = this.blocks;
    let last = segFirst;
    let docBytes = 0;
    let posBytes = 0;
    for (let b = 0; b < blocks; b++) {
      last += r.uint();
      this.lastDoc[b] = last;
      this.docStart[b + 1] = docBytes += r.uint();
      this.posStart[b + 1] = posBytes += r.uint();
      this.maxTfTitle[b] = r.uint();
      this.maxTfBody[b] = r.uint();
      this.minTitleLen[b] = r.uint();
      this.minBodyLen[b] = r.uint();
      if (r.pos + 2 * CRC_BYTES > payload.length) throw new RangeError('skip table runs past the end of its payload');
      this.docCrc[b] = readU32(payload, r.pos);
      this.posCrc[b] = readU32(payload, r.pos + CRC_BYTES);
      r.pos += 2 * CRC_BYTES;
    }
    if (r.pos + CRC_BYTES > payload.length) throw new RangeError('skip table runs past the end of its payload');
    const stored = readU32(payload, r.pos);
    const computed = crc32c(payload, 0, r.pos);
    if (stored !== computed) throw corrupt('skip table', stored, computed);
    const docsAt = r.pos + CRC_BYTES;
    const posAt = docsAt + docBytes;
    if (posAt + posBytes !== payload.length) throw new RangeError('block lengths do not add up to the payload');
    this.docStart[0] = 0;
    this.posStart[0] = 0;
    for (let b = 0; b <= blocks; b++) {
      this.docStart[b] = (this.docStart[b] as number) + docsAt;
      this.posStart[b] = (this.posStart[b] as number) + posAt;
    }
  }

  /** Checks block b's doc bytes (once per read of the table). */
  checkDocs(payload: Uint8Array, b: number): void {
    if (this.docUnchecked[b] === 0) return;
    const computed = crc32c(payload, this.docStart[b] as number, this.docStart[b + 1] as number);
    if (computed !== this.docCrc[b]) throw corrupt(`postings block ${b} of ${this.blocks}`, this.docCrc[b] as number, computed);
    this.docUnchecked[b] = 0;
  }

  /** Checks block b's position bytes (once per read of the table). */
  checkPositions(payload: Uint8Array, b: number): void {
    if (this.posUnchecked[b] === 0) return;
    const computed = crc32c(payload, this.posStart[b] as number, this.posStart[b + 1] as number);
    if (computed !== this.posCrc[b]) throw corrupt(`positions block ${b} of ${this.blocks}`, this.posCrc[b] as number, computed);
    this.posUnchecked[b] = 0;
  }

  /** The first docNum block b may hold: one after the previous block's last. */
  firstDocBound(b: number, segFirst: number): number {
    return b === 0 ? segFirst : (this.lastDoc[b - 1] as number) + 1;
  }

  /** The block that holds `doc` if any posting does (the first whose last docNum is >= doc), or `blocks`. */
  blockOf(doc: number, from = 0): number {
    let lo = from;
    let hi = this.blocks;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.lastDoc[mid] as number) < doc) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

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

/** Encodes one term's postings (format above) into `out`; `scratch` is unused (kept for callers). */
export function encodePayload(out: ByteWriter, _scratch: ByteWriter, segFirst: number, cols: EncodeColumns, norms?: SegmentNorms): void {
  const builder = new PayloadBuilder();
  builder.start(segFirst, norms);
  let p = 0;
  for (let i = 0; i < cols.count; i++) {
    const count = (cols.tfTitle[i] as number) + (cols.tfBody[i] as number);
    let prev = 0;
    for (let k = 0; k < count; k++) {
      const pos = cols.positions[p++] as number;
      builder.gap(pos - prev);
      prev = pos;
    }
    builder.posting(cols.docNums[i] as number, cols.tfTitle[i] as number, cols.tfBody[i] as number);
  }
  // No posting: a count of 0 and no bytes (segments never hold one; tests and tools may).
  if (!builder.finish(out)) {
    out.uint(0);
    out.uint(0);
  }
}

/**
 * Decodes the doc section of block b (docs, frequencies) into the given arrays from `at`;
 * returns the number of postings in it. `prevDoc` is the docNum its first gap starts from.
 */
function decodeBlockDocs(
  payload: Uint8Array,
  start: number,
  end: number,
  count: number,
  prevDoc: number,
  docs: Int32Array,
  tfT: Int32Array,
  tfB: Int32Array,
  at: number,
): void {
  const r = new ByteReader(payload, start, end);
  let doc = prevDoc;
  for (let i = 0; i < count; i++) {
    doc += r.uint();
    const packed = r.uint();
    docs[at + i] = doc;
    tfT[at + i] = packed & 1 ? r.uint() : 0;
    tfB[at + i] = packed >>> 1;
  }
  if (r.pos !== end) throw new RangeError('a postings block does not end where its skip entry says');
}

/** Postings of block b of a payload of n postings. */
function blockCount(n: number, b: number): number {
  return Math.min(BLOCK_DOCS, n - b * BLOCK_DOCS);
}

/** Per-call scratch of the decoders below (one block), shared: the engine reads on one thread. */
const scratchSkip = new SkipTable();
const scratchDocs = new Int32Array(BLOCK_DOCS);
const scratchTfT = new Int32Array(BLOCK_DOCS);
const scratchTfB = new Int32Array(BLOCK_DOCS);

/** Checks and decodes block b of a payload (its skip table read) into the scratch arrays; returns its postings. */
/** Decodes block `b` of a payload (its CRC checked first) into `docs`, `tfT` and `tfB`; returns its posting count. */
export function decodeBlockInto(
  payload: Uint8Array,
  skip: SkipTable,
  b: number,
  segFirst: number,
  docs: Int32Array,
  tfT: Int32Array,
  tfB: Int32Array,
): number {
  skip.checkDocs(payload, b);
  const count = blockCount(skip.n, b);
  const prev = b === 0 ? segFirst : (skip.lastDoc[b - 1] as number);
  decodeBlockDocs(payload, skip.docStart[b] as number, skip.docStart[b + 1] as number, count, prev, docs, tfT, tfB, 0);
  return count;
}

function decodeScratchBlock(payload: Uint8Array, skip: SkipTable, b: number, segFirst: number): number {
  return decodeBlockInto(payload, skip, b, segFirst, scratchDocs, scratchTfT, scratchTfB);
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
  const skip = scratchSkip.read(payload, segFirst);
  const n = skip.n;
  cols.ensure(n);
  const { docNums, tfTitle, tfBody, titleLen, bodyLen } = cols;
  let at = cols.length;
  for (let b = 0; b < skip.blocks; b++) {
    const count = decodeScratchBlock(payload, skip, b, segFirst);
    for (let i = 0; i < count; i++) {
      const doc = scratchDocs[i] as number;
      if (dead?.has(doc)) continue;
      docNums[at] = doc;
      tfTitle[at] = scratchTfT[i] as number;
      tfBody[at] = scratchTfB[i] as number;
      titleLen[at] = norms.title[doc - segFirst] as number;
      bodyLen[at] = norms.body[doc - segFirst] as number;
      at++;
    }
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
 * The spill-run format (never in a segment): one block's layout whatever the count, n,
 * docBytes, postings, positions. Runs are merged into segments by PostingsBuffer.
 */
export class RunPayloadBuilder {
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

  get bytes(): number {
    return this.postings.buf.length + this.positions.buf.length;
  }

  gap(delta: number): void {
    this.positions.uint(delta);
  }

  posting(doc: number, tfTitle: number, tfBody: number): void {
    this.postings.uint(doc - this.prevDoc);
    this.prevDoc = doc;
    this.postings.uint(tfBody * 2 + (tfTitle > 0 ? 1 : 0));
    if (tfTitle > 0) this.postings.uint(tfTitle);
    this.count++;
  }

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
 * Appends a spill run's payload (RunPayloadBuilder) with positions to `into`. When its
 * first document is the last one already there (a document cut in two by a spill), the
 * two postings are joined.
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

const NO_NORMS: SegmentNorms = { title: new Uint16Array(0), body: new Uint32Array(0) };

/**
 * Builds one term's payload (format above) a posting at a time, with no intermediate
 * columns: give a document's position gaps with gap() (or its position bytes with
 * positionBytes()), then its posting with posting(). start() takes the segment's norms for
 * the blocks' minimum lengths (without them the minimum is 0, a weaker but valid bound).
 */
export class PayloadBuilder {
  /** All blocks' doc bytes, and all blocks' position bytes. */
  private readonly docs = new ByteWriter();
  private readonly positions = new ByteWriter();
  /** The skip table being built (entries of finished blocks). */
  private readonly skip = new ByteWriter(256);
  private count = 0;
  private prevDoc = 0;
  private segFirst = 0;
  private norms: SegmentNorms = NO_NORMS;
  // The open block: where its bytes start, and its bounds.
  private blockDocsAt = 0;
  private blockPosAt = 0;
  private blockStartDoc = 0;
  private maxTfT = 0;
  private maxTfB = 0;
  private minTL = 0;
  private minBL = 0;

  start(segFirst: number, norms: SegmentNorms = NO_NORMS): void {
    this.docs.reset();
    this.positions.reset();
    this.skip.reset();
    this.count = 0;
    this.prevDoc = segFirst;
    this.segFirst = segFirst;
    this.norms = norms;
    this.openBlock();
  }

  private openBlock(): void {
    this.blockDocsAt = this.docs.length;
    this.blockPosAt = this.positions.length;
    this.blockStartDoc = this.prevDoc;
    this.maxTfT = 0;
    this.maxTfB = 0;
    this.minTL = 0x7fffffff;
    this.minBL = 0x7fffffff;
  }

  /** Bytes of its buffers (they grow to the largest payload built). */
  get bytes(): number {
    return this.docs.buf.length + this.positions.buf.length + this.skip.buf.length;
  }

  /** A position of the next posting: its gap from the previous one of the same document (from 0 for the first). */
  gap(delta: number): void {
    this.positions.uint(delta);
  }

  /** The next posting's positions as encoded bytes (gaps, the first from 0): src[from, to). */
  positionBytes(src: Uint8Array, from: number, to: number): void {
    this.positions.range(src, from, to);
  }

  /** The next posting, docNums ascending; its positions were given with gap(). */
  posting(doc: number, tfTitle: number, tfBody: number): void {
    this.docs.uint(doc - this.prevDoc);
    this.prevDoc = doc;
    this.docs.uint(tfBody * 2 + (tfTitle > 0 ? 1 : 0));
    if (tfTitle > 0) this.docs.uint(tfTitle);
    if (tfTitle > this.maxTfT) this.maxTfT = tfTitle;
    if (tfBody > this.maxTfB) this.maxTfB = tfBody;
    const i = doc - this.segFirst;
    const tl = i < this.norms.title.length ? (this.norms.title[i] as number) : 0;
    const bl = i < this.norms.body.length ? (this.norms.body[i] as number) : 0;
    // Over the titles that hold the word only: the others add nothing to its title score, and
    // a block-max reader flags a block as holding an exact title from it (term-top.ts).
    if (tfTitle > 0 && tl < this.minTL) this.minTL = tl;
    if (bl < this.minBL) this.minBL = bl;
    this.count++;
    if (this.count % BLOCK_DOCS === 0) this.closeBlock();
  }

  private closeBlock(): void {
    const skip = this.skip;
    skip.uint(this.prevDoc - this.blockStartDoc);
    skip.uint(this.docs.length - this.blockDocsAt);
    skip.uint(this.positions.length - this.blockPosAt);
    skip.uint(this.maxTfT);
    skip.uint(this.maxTfB);
    skip.uint(this.maxTfT === 0 ? 0 : this.minTL);
    skip.uint(this.minBL);
    writeU32(skip, crc32c(this.docs.buf, this.blockDocsAt, this.docs.length));
    writeU32(skip, crc32c(this.positions.buf, this.blockPosAt, this.positions.length));
    this.openBlock();
  }

  /** The payload, or null when there is no posting. */
  finish(out: ByteWriter): boolean {
    if (this.count === 0) return false;
    if (this.count <= BLOCK_DOCS) {
      out.uint(this.count);
      out.uint(this.docs.length);
      out.append(this.docs);
      out.append(this.positions);
      return true;
    }
    if (this.count % BLOCK_DOCS !== 0) this.closeBlock();
    const headAt = out.length;
    out.uint(this.count);
    out.append(this.skip);
    writeU32(out, crc32c(out.buf, headAt, out.length));
    out.append(this.docs);
    out.append(this.positions);
    return true;
  }
}

/**
 * Re-encodes payloads for a merged segment: rebases doc gaps on the new segment's first
 * docNum, drops dead documents, re-blocks, and copies each kept posting's position bytes
 * untouched. start() takes the new segment's first docNum and norms; the previous docNum
 * carries across the payloads of one term.
 */
export class PayloadMerger extends PayloadBuilder {
  private readonly skipTable = new SkipTable();
  private readonly blockDocs = new Int32Array(BLOCK_DOCS);
  private readonly blockTfT = new Int32Array(BLOCK_DOCS);
  private readonly blockTfB = new Int32Array(BLOCK_DOCS);

  /** Appends one source segment's payload; `dead` docNums are dropped. */
  append(payload: Uint8Array, srcSegFirst: number, dead: ReadonlySet<number> | null): void {
    const skip = this.skipTable.read(payload, srcSegFirst);
    let prev = srcSegFirst;
    for (let b = 0; b < skip.blocks; b++) {
      skip.checkDocs(payload, b);
      skip.checkPositions(payload, b);
      const count = blockCount(skip.n, b);
      const { blockDocs, blockTfT, blockTfB } = this;
      decodeBlockDocs(payload, skip.docStart[b] as number, skip.docStart[b + 1] as number, count, prev, blockDocs, blockTfT, blockTfB, 0);
      let p = skip.posStart[b] as number;
      const end = skip.posStart[b + 1] as number;
      for (let i = 0; i < count; i++) {
        const tfT = blockTfT[i] as number;
        const tfB = blockTfB[i] as number;
        const from = p;
        let k = tfT + tfB;
        for (; k > 0 && p < end; p++) if ((payload[p] as number) < 0x80) k--;
        if (k > 0) throw new RangeError('positions run past the end of their block');
        const doc = blockDocs[i] as number;
        if (dead?.has(doc)) continue;
        this.positionBytes(payload, from, p);
        this.posting(doc, tfT, tfB);
      }
      if (p !== end) throw new RangeError('positions do not end where their block says');
      prev = blockDocs[count - 1] as number;
    }
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

/** Bytes of a payload's positions: what decoding positions may have to scan. */
export function positionsBytes(payload: Uint8Array): number {
  const skip = scratchSkip.read(payload, 0);
  return (skip.posStart[skip.blocks] as number) - (skip.posStart[0] as number);
}

/**
 * Decodes the positions of the wanted docNums of one payload into `out`. Only the blocks
 * that may hold a wanted docNum are read (found through the skip table), and inside one,
 * the position bytes of other documents are skipped without decoding (a varint ends at each
 * byte under 0x80). Title positions come first: a position below the document's title
 * length is in the title.
 */
export function decodePositions(payload: Uint8Array, segFirst: number, out: PositionLists): void {
  const wanted = out.wanted;
  let w = 0;
  while (w < wanted.length && (wanted[w] as number) < segFirst) w++;
  if (w === wanted.length) return;
  const skip = scratchSkip.read(payload, segFirst);
  let b = skip.blockOf(wanted[w] as number);
  while (b < skip.blocks && w < wanted.length) {
    skip.checkPositions(payload, b);
    const count = decodeScratchBlock(payload, skip, b, segFirst);
    const pr = new ByteReader(payload, skip.posStart[b] as number, skip.posStart[b + 1] as number);
    const end = pr.end;
    for (let i = 0; i < count && w < wanted.length; i++) {
      const doc = scratchDocs[i] as number;
      const tf = (scratchTfT[i] as number) + (scratchTfB[i] as number);
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
        let k = tf;
        for (; k > 0 && p < end; p++) if ((payload[p] as number) < 0x80) k--;
        if (k > 0) throw new RangeError('positions run past the end of their block');
        pr.pos = p;
      }
    }
    if (w === wanted.length) break;
    // The next block that may hold the next wanted docNum.
    b = skip.blockOf(wanted[w] as number, b + 1);
  }
}
