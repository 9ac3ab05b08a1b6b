import type { Readable } from 'node:stream';

/**
 * Splits a byte stream into lines (LF or CRLF) as Buffers, never as strings: a 50 MB line
 * stays 50 MB of bytes, off the JavaScript heap, instead of a 100 MB UTF-16 string.
 */
export async function* byteLines(input: Readable): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  for await (const chunk of input as AsyncIterable<Buffer>) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      parts.push(chunk.subarray(start, nl));
      yield joinLine(parts);
      parts = [];
      start = nl + 1;
    }
    if (start < chunk.length) parts.push(chunk.subarray(start));
  }
  if (parts.length > 0) yield joinLine(parts);
}

function joinLine(parts: Buffer[]): Buffer {
  let line = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
  return line;
}
