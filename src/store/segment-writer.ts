import { SEAL_BYTES, sealAt, sealed } from './crc32c.js';
import type { SegmentNorms } from './postings-codec.js';
import { SegmentKey } from './shard-store.js';
import { ByteWriter } from './varint.js';

/** Blocks are filled to about this many bytes: small enough that a lookup copies little. */
export const BLOCK_TARGET_BYTES = 4096;
/** A term whose payload is larger gets a key of its own instead of a place in a block. */
export const LARGE_TERM_BYTES = 1024;

/** A varint `count`, then `a`'s and `b`'s bytes and their CRC32C, as one new Buffer of exactly that size: one copy. */
function concatBuffer(count: number, a: ByteWriter, b: ByteWriter | null): Buffer {
  let prefix = 1;
  for (let v = count; v >= 0x80; v = Math.floor(v / 0x80)) prefix++;
  const end = prefix + a.length + (b?.length ?? 0);
  const out = Buffer.allocUnsafe(end + SEAL_BYTES);
  let at = 0;
  let v = count;
  while (v >= 0x80) {
    out[at++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  out[at++] = v;
  a.buf.copy(out, at, 0, a.length);
  if (b !== null) b.buf.copy(out, at + a.length, 0, b.length);
  sealAt(out, end);
  return out;
}

export type PutFn = (key: (string | number)[], value: Buffer) => void;

/** Where a segment's writing stands after its last complete block: enough to carry on in another opening. */
export interface SegmentWriterState {
  blocks: number;
  bytes: number;
  terms: number;
  lastTerm: string | null;
  /** The block index so far: the first term of every block written (ByteWriter strings). */
  index: Uint8Array;
}

/**
 * Writes one segment's terms, given in ascending (JavaScript string) order, as a few large
 * LMDB values: blocks of ~4 KB holding many small terms, plus one key per large term. A
 * key per term would cost one LMDB put per distinct term per batch, which measured here at
 * ~300-600k puts/s is slower than jieba produces terms; blocks make puts a rounding error.
 *
 * Block layout: nTerms, nTerms x (termBytes, term UTF-8, payloadBytes or 0 when large),
 * then the payloads back to back, then the CRC32C of all that. Every other value (large
 * term, block index, norms) also ends with its CRC32C.
 */
export class SegmentWriter {
  private readonly head = new ByteWriter();
  private readonly body = new ByteWriter(BLOCK_TARGET_BYTES * 2);
  private readonly index = new ByteWriter();
  private termsInBlock = 0;
  private blocks = 0;
  private lastTerm: string | null = null;
  /** Encoded postings bytes written so far. */
  bytes = 0;
  terms = 0;

  constructor(
    private readonly segId: number,
    private readonly put: PutFn,
    resume?: SegmentWriterState,
  ) {
    if (resume === undefined) return;
    this.blocks = resume.blocks;
    this.bytes = resume.bytes;
    this.terms = resume.terms;
    this.lastTerm = resume.lastTerm;
    this.index.bytes(resume.index);
  }

  /**
   * Ends the open block (a short one is as valid as a full one: readers find blocks through
   * the block index) and returns where the writing stands, for a writer in a later opening
   * to resume from. Blocks written so far must be committed with the state it returns.
   */
  endStep(): SegmentWriterState {
    this.flushBlock();
    return { blocks: this.blocks, bytes: this.bytes, terms: this.terms, lastTerm: this.lastTerm, index: this.index.toBuffer() };
  }

  addTerm(term: string, payload: ByteWriter): void {
    if (this.lastTerm !== null && !(term > this.lastTerm)) {
      throw new Error(`segment terms out of order: ${JSON.stringify(term)} after ${JSON.stringify(this.lastTerm)}`);
    }
    this.lastTerm = term;
    if (this.termsInBlock === 0) this.index.string(term);
    this.head.string(term);
    if (payload.length > LARGE_TERM_BYTES) {
      this.head.uint(0);
      this.put([this.segId, SegmentKey.LargeTerm, term], sealed(payload.buf.subarray(0, payload.length)));
    } else {
      this.head.uint(payload.length);
      this.body.append(payload);
    }
    this.termsInBlock++;
    this.terms++;
    this.bytes += payload.length;
    if (this.head.length + this.body.length >= BLOCK_TARGET_BYTES) this.flushBlock();
  }

  private flushBlock(): void {
    if (this.termsInBlock === 0) return;
    this.put([this.segId, SegmentKey.Block, this.blocks], concatBuffer(this.termsInBlock, this.head, this.body));
    this.blocks++;
    this.termsInBlock = 0;
    this.head.reset();
    this.body.reset();
  }

  /** Writes the last block, the block index and the norms; returns the number of blocks. */
  finish(norms: SegmentNorms): number {
    this.flushBlock();
    this.put(
      [this.segId, SegmentKey.TitleNorms],
      sealed(new Uint8Array(norms.title.buffer, norms.title.byteOffset, norms.title.byteLength)),
    );
    this.put([this.segId, SegmentKey.BodyNorms], sealed(new Uint8Array(norms.body.buffer, norms.body.byteOffset, norms.body.byteLength)));
    this.put([this.segId, SegmentKey.BlockIndex], concatBuffer(this.blocks, this.index, null));
    return this.blocks;
  }
}
