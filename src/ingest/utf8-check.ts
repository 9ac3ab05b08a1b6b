import { isUtf8 } from 'node:buffer';

/** A run of bytes that are not valid UTF-8, as offsets in the stream [start, end). */
export interface InvalidRange {
  start: number;
  end: number;
}

/** How many bytes a sequence led by `b` has (0: not a lead byte). */
function sequenceLength(b: number): number {
  if (b < 0x80) return 1;
  if (b >= 0xc2 && b <= 0xdf) return 2;
  if (b >= 0xe0 && b <= 0xef) return 3;
  if (b >= 0xf0 && b <= 0xf4) return 4;
  return 0;
}

/** Where the trailing incomplete sequence of `b` starts (b.length if none). */
function incompleteTail(b: Buffer): number {
  for (let back = 1; back <= 3 && back <= b.length; back++) {
    const i = b.length - back;
    const c = b[i] as number;
    if ((c & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const need = sequenceLength(c);
    return need > back ? i : b.length;
  }
  return b.length;
}

/** The invalid ranges of a buffer known not to be valid UTF-8 (the rare, slow path). */
function findInvalid(b: Buffer, base: number, out: InvalidRange[]): void {
  let i = 0;
  while (i < b.length) {
    const need = sequenceLength(b[i] as number);
    const end = i + need;
    if (need > 0 && end <= b.length && isUtf8(b.subarray(i, end))) {
      i = end;
      continue;
    }
    const last = out[out.length - 1];
    if (last !== undefined && last.end === base + i) last.end++;
    else out.push({ start: base + i, end: base + i + 1 });
    i++;
  }
}

/**
 * Passes a byte stream through unchanged and records where it is not valid UTF-8, so that a
 * parser which decodes with U+FFFD replacement (csv-parse) can still refuse exactly the
 * records that held invalid bytes, and not those that hold a real U+FFFD. Valid chunks
 * cost one native isUtf8 call; `ranges` only grows with the invalid runs not yet consumed.
 */
export class Utf8Checker {
  readonly ranges: InvalidRange[] = [];
  private carry: Buffer = Buffer.alloc(0);
  private offset = 0; // stream offset of `carry`'s first byte

  async *pass(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of chunks) {
      const joined = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
      const cut = incompleteTail(joined);
      const whole = joined.subarray(0, cut);
      if (!isUtf8(whole)) findInvalid(whole, this.offset, this.ranges);
      this.offset += cut;
      this.carry = Buffer.from(joined.subarray(cut));
      yield chunk;
    }
    if (this.carry.length > 0) findInvalid(this.carry, this.offset, this.ranges);
  }

  /** True when [start, end) holds an invalid byte; forgets the ranges before `start`. */
  invalidIn(start: number, end: number): boolean {
    while (this.ranges.length > 0 && (this.ranges[0] as InvalidRange).end <= start) this.ranges.shift();
    const first = this.ranges[0];
    return first !== undefined && first.start < end;
  }
}
