import type { DocInput } from '../types.js';
import { LARGE_RECORD_BYTES, oversizeReason, parseJsonRecord, rejectRecord } from './json-record.js';
import { boundedLineGroups } from './lines.js';
import type { RecordOptions } from './record.js';
import type { RejectedRecord } from './types.js';

export { LARGE_RECORD_BYTES as LARGE_LINE_BYTES } from './json-record.js';
export type { RejectedRecord } from './types.js';

/** One line's outcome; `bytes` is the line's raw size with its line ending. */
export type NdjsonItem =
  | { doc: DocInput; bodyUtf8: Uint8Array | null; line: number; bytes: number }
  | { rejected: RejectedRecord; bytes: number };

/** Lines passed on unparsed (parseNdjsonRaw), a read chunk's worth; `bytes` covers them all. */
export type NdjsonRawItem = { raws: { raw: Buffer; line: number }[]; file: string; bytes: number };

export interface NdjsonOptions extends RecordOptions {
  /** Lines longer than this (bytes) are skipped unread and rejected. Default: unbounded. */
  maxRecordBytes?: number;
}

function isBlank(line: Buffer): boolean {
  for (const c of line) if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) return false;
  return true;
}

/**
 * Parses NDJSON from a byte stream one line at a time: memory does not depend on the dump's
 * size, and the consumer's pace (index.add's backpressure) paces the reading. Lines are read
 * as bytes; a huge line's body is decoded in place to UTF-8 bytes and never held as a string
 * (see splitLargeBody). Blank lines are skipped (their bytes count toward the next line); a
 * line that is not a valid document is yielded as rejected.
 */
export function parseNdjson(chunks: AsyncIterable<Buffer>, name: string, o: NdjsonOptions = {}): AsyncGenerator<NdjsonItem> {
  return parseLines(chunks, name, o, false) as AsyncGenerator<NdjsonItem>;
}

/** parseNdjson, except that non-blank lines up to LARGE_RECORD_BYTES are yielded unparsed (`raw`). */
export function parseNdjsonRaw(
  chunks: AsyncIterable<Buffer>,
  name: string,
  o: NdjsonOptions = {},
): AsyncGenerator<NdjsonItem | NdjsonRawItem> {
  return parseLines(chunks, name, o, true);
}

async function* parseLines(
  chunks: AsyncIterable<Buffer>,
  name: string,
  o: NdjsonOptions,
  passRaw: boolean,
): AsyncGenerator<NdjsonItem | NdjsonRawItem> {
  const max = o.maxRecordBytes ?? Number.POSITIVE_INFINITY;
  let line = 0;
  let pending = 0;
  for await (const group of boundedLineGroups(chunks, max)) {
    let raws: { raw: Buffer; line: number }[] = [];
    for (const { line: raw, size } of group) {
      line++;
      pending += size;
      if (passRaw && raw !== null && raw.length <= LARGE_RECORD_BYTES) {
        if (!isBlank(raw)) raws.push({ raw, line });
        continue;
      }
      // A line parsed here keeps its place: the raw lines before it go first.
      if (raws.length > 0) {
        yield { raws, file: name, bytes: 0 };
        raws = [];
      }
      const parsed = raw === null ? rejectRecord(name, line, oversizeReason(size, max)) : parseJsonRecord(raw, name, line, o);
      if (parsed === null) continue;
      const bytes = pending;
      pending = 0;
      yield 'rejected' in parsed ? { rejected: parsed.rejected, bytes } : { doc: parsed.doc, bodyUtf8: parsed.bodyUtf8, line, bytes };
    }
    if (raws.length > 0) {
      const bytes = pending;
      pending = 0;
      yield { raws, file: name, bytes };
    }
  }
}

/**
 * Reads an NDJSON file (`-` for stdin); see parseNdjson. Kept for the first CLI, with its
 * rules: lines are not bounded in length and numeric ids are refused (readInputs takes them).
 */
export async function* readNdjson(file: string, o: NdjsonOptions = {}): AsyncGenerator<NdjsonItem> {
  const { readInputs } = await import('./read-inputs.js');
  const options = {
    numericIds: false,
    ...o,
    maxRecordBytes: o.maxRecordBytes ?? Number.POSITIVE_INFINITY,
    format: 'ndjson' as const,
  };
  for await (const item of readInputs([file], options)) {
    if ('rejected' in item) yield item;
    else yield { doc: item.doc, bodyUtf8: item.bodyUtf8, line: item.line, bytes: item.bytes };
  }
}
