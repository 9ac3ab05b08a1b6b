/**
 * Splits a byte stream into lines (LF or CRLF) as Buffers, never as strings: a 50 MB line
 * stays 50 MB of bytes, off the JavaScript heap, instead of a 100 MB UTF-16 string.
 */
export async function* byteLines(input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  for await (const { line } of boundedLines(input, Number.POSITIVE_INFINITY)) yield line ?? Buffer.alloc(0);
}

/** A line of a stream: `line` is null when it was longer than the bound and was not kept. */
export interface BoundedLine {
  line: Buffer | null;
  /** Raw bytes of the line with its line ending (also when it was not kept). */
  size: number;
}

/**
 * Like byteLines, but a line longer than `maxBytes` is counted and dropped as it streams
 * by instead of being held: memory stays bounded whatever the longest line is.
 */
export async function* boundedLines(input: AsyncIterable<Buffer>, maxBytes: number): AsyncGenerator<BoundedLine> {
  for await (const group of boundedLineGroups(input, maxBytes)) yield* group;
}

/**
 * boundedLines, a read chunk's lines at a time: one step of the async iteration per chunk
 * (256 KB) instead of per line, whose promises and result objects cost more than the rest of
 * what a bulk index's main thread does with a line.
 */
export async function* boundedLineGroups(input: AsyncIterable<Buffer>, maxBytes: number): AsyncGenerator<BoundedLine[]> {
  let parts: Buffer[] = [];
  let size = 0;
  let dropped = false;
  const add = (part: Buffer): void => {
    size += part.length;
    if (dropped) return;
    if (size > maxBytes) {
      dropped = true;
      parts = [];
    } else parts.push(part);
  };
  const take = (ending: number): BoundedLine => {
    const line = dropped ? null : joinLine(parts);
    const result = { line, size: size + ending };
    parts = [];
    size = 0;
    dropped = false;
    return result;
  };
  for await (const chunk of input) {
    const group: BoundedLine[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      add(chunk.subarray(start, nl));
      group.push(take(1));
      start = nl + 1;
    }
    if (start < chunk.length) add(chunk.subarray(start));
    if (group.length > 0) yield group;
  }
  if (size > 0 || parts.length > 0) yield [take(0)];
}

function joinLine(parts: Buffer[]): Buffer {
  let line = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
  return line;
}
