import { ByteReader } from '../store/varint.js';

/**
 * Called for every posting that decoded. Its tfTitle + tfBody positions are the first
 * entries of `positions`, a scratch array reused by the next posting (no allocation per posting).
 */
export type PostingVisitor = (doc: number, tfTitle: number, tfBody: number, positions: Int32Array) => void;

/**
 * Walks one term's payload (layout in store/postings-codec.ts) defensively: every length is
 * checked against the bytes that remain before anything is allocated, so random bytes give
 * a message, never a throw or a huge allocation. Returns null when the payload is well
 * formed, else what is wrong with it (postings before the fault have been visited).
 */
export class PayloadWalker {
  private positions = new Int32Array(256);

  walk(payload: Uint8Array, segFirst: number, segLast: number, visit: PostingVisitor): string | null {
    const head = new ByteReader(payload);
    let n: number;
    let postingsBytes: number;
    try {
      n = head.uint();
      postingsBytes = head.uint();
    } catch {
      return 'payload header (count, postings bytes) is cut short';
    }
    if (n === 0) return 'payload holds no postings';
    const postingsEnd = head.pos + postingsBytes;
    if (postingsEnd > payload.length) return `postings section of ${postingsBytes} bytes runs past the payload's ${payload.length}`;
    // Each posting takes at least two bytes (doc gap, packed frequencies).
    if (n * 2 > postingsBytes) return `payload claims ${n} postings in ${postingsBytes} bytes`;
    const r = new ByteReader(payload, head.pos, postingsEnd);
    const pr = new ByteReader(payload, postingsEnd);
    let doc = segFirst;
    for (let i = 0; i < n; i++) {
      let tfTitle: number;
      let packed: number;
      try {
        const gap = r.uint();
        if (i > 0 && gap === 0) return `posting ${i}: docNum ${doc} repeats (postings must ascend)`;
        doc += gap;
        packed = r.uint();
        tfTitle = packed % 2 === 1 ? r.uint() : 0;
      } catch {
        return `posting ${i} of ${n} is cut short by the end of the postings section`;
      }
      if (doc > segLast) return `posting ${i}: docNum ${doc} is beyond the segment's last docNum ${segLast}`;
      if (packed % 2 === 1 && tfTitle === 0) return `posting ${i} (doc ${doc}): title flag set with a title frequency of 0`;
      const tfBody = Math.floor(packed / 2);
      const count = tfTitle + tfBody;
      // A position takes at least one byte.
      if (count > pr.end - pr.pos) return `posting ${i} (doc ${doc}): ${count} positions claimed, ${pr.end - pr.pos} bytes left`;
      if (count > this.positions.length) this.positions = new Int32Array(Math.max(count, this.positions.length * 2));
      let prev = 0;
      try {
        for (let k = 0; k < count; k++) {
          prev += pr.uint();
          this.positions[k] = prev;
        }
      } catch {
        return `posting ${i} (doc ${doc}): positions cut short by the end of the payload`;
      }
      visit(doc, tfTitle, tfBody, this.positions);
    }
    if (r.pos !== postingsEnd) return `postings section has ${postingsEnd - r.pos} bytes left after its ${n} postings`;
    if (pr.pos !== payload.length) return `${payload.length - pr.pos} bytes follow the last position`;
    return null;
  }
}
