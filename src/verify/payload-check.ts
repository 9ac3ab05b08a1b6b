import { crc32c } from '../store/crc32c.js';
import { BLOCK_DOCS, type SegmentNorms } from '../store/postings-codec.js';
import { ByteReader } from '../store/varint.js';

/**
 * Called for every posting that decoded. Its tfTitle + tfBody positions are the first
 * entries of `positions`, a scratch array reused by the next posting (no allocation per posting).
 */
export type PostingVisitor = (doc: number, tfTitle: number, tfBody: number, positions: Int32Array) => void;

interface BlockEntry {
  lastDoc: number;
  docBytes: number;
  posBytes: number;
  maxTfTitle: number;
  maxTfBody: number;
  minTitleLen: number;
  minBodyLen: number;
  docCrc: number;
  posCrc: number;
}

function u32(buf: Uint8Array, at: number): number {
  return ((buf[at] as number) | ((buf[at + 1] as number) << 8) | ((buf[at + 2] as number) << 16) | ((buf[at + 3] as number) << 24)) >>> 0;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

/**
 * Walks one term's payload (layout in store/postings-codec.ts) defensively: every length is
 * checked against the bytes that remain before anything is allocated, so random bytes give
 * a message, never a throw or a huge allocation. Returns null when the payload is well
 * formed, else what is wrong with it (postings before the fault have been visited). A
 * multi-block payload's skip table is checked against its checksum and against the blocks:
 * each block's checksums, last docNum, byte lengths and score bounds (the maxima of its
 * frequencies exactly, the minima of its lengths against `norms` when given).
 */
export class PayloadWalker {
  private positions = new Int32Array(256);

  walk(payload: Uint8Array, segFirst: number, segLast: number, visit: PostingVisitor, norms?: SegmentNorms): string | null {
    const head = new ByteReader(payload);
    let n: number;
    try {
      n = head.uint();
    } catch {
      return 'payload header (count) is cut short';
    }
    if (n === 0) return 'payload holds no postings';
    if (n <= BLOCK_DOCS) {
      let docBytes: number;
      try {
        docBytes = head.uint();
      } catch {
        return 'payload header (count, postings bytes) is cut short';
      }
      const docsEnd = head.pos + docBytes;
      if (docsEnd > payload.length) return `postings section of ${docBytes} bytes runs past the payload's ${payload.length}`;
      const fault = this.walkBlock(
        payload,
        head.pos,
        docsEnd,
        docsEnd,
        payload.length,
        n,
        segFirst,
        0,
        segLast,
        visit,
        null,
        norms,
        segFirst,
      );
      return typeof fault === 'string' ? fault : null;
    }
    const blocks = Math.ceil(n / BLOCK_DOCS);
    // A skip entry takes at least 15 bytes (7 varints, two checksums).
    if (blocks * 15 > payload.length) return `payload claims ${n} postings (${blocks} blocks) in ${payload.length} bytes`;
    const entries: BlockEntry[] = [];
    let last = segFirst;
    try {
      for (let b = 0; b < blocks; b++) {
        last += head.uint();
        const e = {
          lastDoc: last,
          docBytes: head.uint(),
          posBytes: head.uint(),
          maxTfTitle: head.uint(),
          maxTfBody: head.uint(),
          minTitleLen: head.uint(),
          minBodyLen: head.uint(),
          docCrc: 0,
          posCrc: 0,
        };
        if (head.pos + 8 > payload.length) return 'skip table is cut short';
        e.docCrc = u32(payload, head.pos);
        e.posCrc = u32(payload, head.pos + 4);
        head.pos += 8;
        entries.push(e);
      }
    } catch {
      return 'skip table is cut short';
    }
    if (head.pos + 4 > payload.length) return 'skip table checksum is cut short';
    const stored = u32(payload, head.pos);
    const computed = crc32c(payload, 0, head.pos);
    if (stored !== computed) return `skip table: checksum mismatch: stored CRC32C ${hex(stored)}, the bytes give ${hex(computed)}`;
    let docAt = head.pos + 4;
    const docBytes = entries.reduce((sum, e) => sum + e.docBytes, 0);
    const posBytes = entries.reduce((sum, e) => sum + e.posBytes, 0);
    if (docAt + docBytes + posBytes !== payload.length) {
      return `skip table gives ${docBytes} doc and ${posBytes} position bytes, the payload holds ${payload.length - docAt}`;
    }
    let posAt = docAt + docBytes;
    let prev = segFirst;
    for (let b = 0; b < blocks; b++) {
      const e = entries[b] as BlockEntry;
      const docEnd = docAt + e.docBytes;
      const posEnd = posAt + e.posBytes;
      const docCrc = crc32c(payload, docAt, docEnd);
      if (docCrc !== e.docCrc) return `block ${b}: doc bytes fail their checksum (stored ${hex(e.docCrc)}, the bytes give ${hex(docCrc)})`;
      const posCrc = crc32c(payload, posAt, posEnd);
      if (posCrc !== e.posCrc)
        return `block ${b}: position bytes fail their checksum (stored ${hex(e.posCrc)}, the bytes give ${hex(posCrc)})`;
      const count = Math.min(BLOCK_DOCS, n - b * BLOCK_DOCS);
      const result = this.walkBlock(payload, docAt, docEnd, posAt, posEnd, count, prev, b * BLOCK_DOCS, segLast, visit, e, norms, segFirst);
      if (typeof result === 'string') return `block ${b}: ${result}`;
      prev = result;
      docAt = docEnd;
      posAt = posEnd;
    }
    return null;
  }

  /** One block's postings and positions; returns its last docNum, or what is wrong. */
  private walkBlock(
    payload: Uint8Array,
    docStart: number,
    docEnd: number,
    posStart: number,
    posEnd: number,
    count: number,
    prevDoc: number,
    firstIndex: number,
    segLast: number,
    visit: PostingVisitor,
    entry: BlockEntry | null,
    norms: SegmentNorms | undefined,
    segFirst: number,
  ): number | string {
    // Each posting takes at least two bytes (doc gap, packed frequencies).
    if (count * 2 > docEnd - docStart) return `payload claims ${count} postings in ${docEnd - docStart} bytes`;
    const r = new ByteReader(payload, docStart, docEnd);
    const pr = new ByteReader(payload, posStart, posEnd);
    let doc = prevDoc;
    let maxTfT = 0;
    let maxTfB = 0;
    let minTL = Number.POSITIVE_INFINITY;
    let minBL = Number.POSITIVE_INFINITY;
    for (let k = 0; k < count; k++) {
      const i = firstIndex + k;
      let tfTitle: number;
      let packed: number;
      try {
        const gap = r.uint();
        if (i > 0 && gap === 0) return `posting ${i}: docNum ${doc} repeats (postings must ascend)`;
        doc += gap;
        packed = r.uint();
        tfTitle = packed % 2 === 1 ? r.uint() : 0;
      } catch {
        return `posting ${i} of ${count} is cut short by the end of the postings section`;
      }
      if (doc > segLast) return `posting ${i}: docNum ${doc} is beyond the segment's last docNum ${segLast}`;
      if (packed % 2 === 1 && tfTitle === 0) return `posting ${i} (doc ${doc}): title flag set with a title frequency of 0`;
      const tfBody = Math.floor(packed / 2);
      maxTfT = Math.max(maxTfT, tfTitle);
      maxTfB = Math.max(maxTfB, tfBody);
      if (norms !== undefined) {
        if (tfTitle > 0) minTL = Math.min(minTL, norms.title[doc - segFirst] ?? 0);
        minBL = Math.min(minBL, norms.body[doc - segFirst] ?? 0);
      }
      const positions = tfTitle + tfBody;
      // A position takes at least one byte.
      if (positions > pr.end - pr.pos) return `posting ${i} (doc ${doc}): ${positions} positions claimed, ${pr.end - pr.pos} bytes left`;
      if (positions > this.positions.length) this.positions = new Int32Array(Math.max(positions, this.positions.length * 2));
      let prev = 0;
      try {
        for (let p = 0; p < positions; p++) {
          prev += pr.uint();
          this.positions[p] = prev;
        }
      } catch {
        return `posting ${i} (doc ${doc}): positions cut short by the end of the payload`;
      }
      visit(doc, tfTitle, tfBody, this.positions);
    }
    if (r.pos !== docEnd) return `postings section has ${docEnd - r.pos} bytes left after its ${count} postings`;
    if (pr.pos !== posEnd) return `${posEnd - pr.pos} bytes follow the last position`;
    if (entry !== null) {
      if (entry.lastDoc !== doc) return `skip entry says the last docNum is ${entry.lastDoc}, the block ends at ${doc}`;
      if (entry.maxTfTitle !== maxTfT || entry.maxTfBody !== maxTfB) {
        return `skip entry bounds the frequencies at title ${entry.maxTfTitle} / body ${entry.maxTfBody}, the block's are ${maxTfT} / ${maxTfB}: block-max scores would be wrong`;
      }
      if (norms !== undefined && (entry.minTitleLen > minTL || entry.minBodyLen > minBL)) {
        return `skip entry bounds the lengths at title ${entry.minTitleLen} / body ${entry.minBodyLen}, the block has ${minTL} / ${minBL}: block-max scores would be too low`;
      }
    }
    return doc;
  }
}
