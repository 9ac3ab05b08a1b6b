/**
 * Unsigned LEB128 varints over a growable byte buffer: postings are small integers (doc
 * deltas, term frequencies, lengths, position deltas), mostly one byte each.
 */
/** Copies up to this many bytes are done by a loop (see ByteWriter.range). */
const SMALL_COPY_BYTES = 64;

export class ByteWriter {
  buf: Buffer;
  length = 0;

  constructor(initialBytes = 4096) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialBytes));
  }

  private grow(extra: number): void {
    let size = this.buf.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  /**
   * A string as its UTF-8 byte length then its bytes. Terms are short, and encoding them
   * here is several times cheaper than two native calls (byteLength, write) per term.
   */
  string(value: string): void {
    if (value.length > 256) {
      const byteLength = Buffer.byteLength(value, 'utf8');
      this.uint(byteLength);
      if (this.length + byteLength > this.buf.length) this.grow(byteLength);
      this.length += this.buf.write(value, this.length, 'utf8');
      return;
    }
    // Reserve the worst case: a one-byte length prefix is patched, or the bytes shifted.
    if (this.length + value.length * 3 + 2 > this.buf.length) this.grow(value.length * 3 + 2);
    const buf = this.buf;
    const lengthAt = this.length;
    let at = lengthAt + 2;
    for (let i = 0; i < value.length; i++) {
      let c = value.charCodeAt(i);
      if (c < 0x80) buf[at++] = c;
      else if (c < 0x800) {
        buf[at++] = 0xc0 | (c >> 6);
        buf[at++] = 0x80 | (c & 0x3f);
      } else {
        if (c >= 0xd800 && c <= 0xdbff && i + 1 < value.length) {
          const d = value.charCodeAt(i + 1);
          if (d >= 0xdc00 && d <= 0xdfff) {
            c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
            i++;
            buf[at++] = 0xf0 | (c >> 18);
            buf[at++] = 0x80 | ((c >> 12) & 0x3f);
            buf[at++] = 0x80 | ((c >> 6) & 0x3f);
            buf[at++] = 0x80 | (c & 0x3f);
            continue;
          }
        }
        if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd; // lone surrogate, as TextEncoder does
        buf[at++] = 0xe0 | (c >> 12);
        buf[at++] = 0x80 | ((c >> 6) & 0x3f);
        buf[at++] = 0x80 | (c & 0x3f);
      }
    }
    const byteLength = at - lengthAt - 2;
    if (byteLength < 0x80) {
      buf[lengthAt] = byteLength;
      buf.copyWithin(lengthAt + 1, lengthAt + 2, at);
      this.length = at - 1;
    } else {
      buf[lengthAt] = (byteLength & 0x7f) | 0x80;
      buf[lengthAt + 1] = byteLength >> 7;
      this.length = at;
    }
  }

  /** Appends another writer's bytes. */
  append(other: ByteWriter): void {
    this.range(other.buf, 0, other.length);
  }

  /**
   * Appends src[start, end). Postings are mostly a few bytes, and for those a loop is several
   * times cheaper than Buffer#copy or a subarray and set (argument checks, a view object).
   */
  range(src: Uint8Array, start: number, end: number): void {
    const count = end - start;
    if (this.length + count > this.buf.length) this.grow(count);
    const at = this.length;
    if (count <= SMALL_COPY_BYTES) {
      const buf = this.buf;
      for (let i = 0; i < count; i++) buf[at + i] = src[start + i] as number;
    } else this.buf.set(src.subarray(start, end), at);
    this.length = at + count;
  }

  uint(value: number): void {
    if (this.length + 8 > this.buf.length) this.grow(8);
    let v = value;
    // Values above 2^31 cannot use bit operators; doc numbers and lengths stay far below 2^35.
    while (v >= 0x80) {
      this.buf[this.length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.length++] = v;
  }

  bytes(data: Uint8Array): void {
    this.range(data, 0, data.length);
  }

  reset(): void {
    this.length = 0;
  }

  /** A copy of the written bytes, safe to keep after the writer is reused. */
  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.length));
  }
}

export class ByteReader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  uint(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      const byte = this.buf[this.pos++];
      if (byte === undefined || this.pos > this.end) throw new RangeError('varint runs past the end of its block');
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 0x80;
    }
  }

  bytes(count: number): Uint8Array {
    if (this.pos + count > this.end) throw new RangeError('byte run past the end of its block');
    const out = this.buf.subarray(this.pos, this.pos + count);
    this.pos += count;
    return out;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }
}
