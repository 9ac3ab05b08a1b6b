import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { ByteReader, ByteWriter } from '../store/varint.js';

/** Run files are written and read through buffers of this size. */
const IO_BYTES = 256 * 1024;

const utf8 = new TextDecoder();

/**
 * A sorted run of (term, payload) records spilled to a temporary file when a batch's
 * postings outgrow their memory bound (a huge document): the external-sort step of
 * Lucene's indexing chain. Record: termBytes, term UTF-8, payloadBytes, payload.
 */
export class RunWriter {
  private readonly fd: number;
  private readonly out = new ByteWriter(IO_BYTES + 1024);

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }

  add(term: string, payload: ByteWriter): void {
    this.out.string(term);
    this.out.uint(payload.length);
    this.out.append(payload);
    if (this.out.length >= IO_BYTES) this.drain();
  }

  private drain(): void {
    writeSync(this.fd, this.out.buf, 0, this.out.length);
    this.out.reset();
  }

  close(): void {
    this.drain();
    closeSync(this.fd);
  }
}

/** Reads a run back in order, holding one buffer (and at most one record) in memory. */
export class RunReader {
  private readonly fd: number;
  private buf = Buffer.allocUnsafe(IO_BYTES);
  private start = 0;
  private end = 0;
  private eof = false;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
  }

  /** Makes at least `count` unread bytes available, unless the file ends first. */
  private fill(count: number): boolean {
    if (this.end - this.start >= count) return true;
    if (this.eof) return false;
    if (count > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(count, this.buf.length * 2));
      this.buf.copy(bigger, 0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
      this.buf = bigger;
    } else if (this.start > 0) {
      this.buf.copy(this.buf, 0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    }
    while (this.end - this.start < count && !this.eof) {
      const read = readSync(this.fd, this.buf, this.end, this.buf.length - this.end, null);
      if (read === 0) this.eof = true;
      this.end += read;
    }
    return this.end - this.start >= count;
  }

  private uint(): number {
    // A varint is at most 8 bytes here; near the end of the file fewer are available.
    this.fill(8);
    const r = new ByteReader(this.buf, this.start, this.end);
    const value = r.uint();
    this.start = r.pos;
    return value;
  }

  /** The next record, or null at the end. The payload is valid until the next call. */
  next(): { term: string; payload: Uint8Array } | null {
    if (!this.fill(1)) return null;
    const termBytes = this.uint();
    this.fill(termBytes);
    const term = utf8.decode(this.buf.subarray(this.start, this.start + termBytes));
    this.start += termBytes;
    const payloadBytes = this.uint();
    if (!this.fill(payloadBytes)) throw new Error(`run ${this.path} is truncated`);
    const payload = this.buf.subarray(this.start, this.start + payloadBytes);
    this.start += payloadBytes;
    return { term, payload };
  }

  close(remove = true): void {
    closeSync(this.fd);
    if (remove) unlinkSync(this.path);
  }
}
