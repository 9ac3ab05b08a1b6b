import { Readable } from 'node:stream';
import { type CsvError, type Info, parse } from 'csv-parse';
import { EngineError, isEngineError } from '../errors.js';
import type { DocInput } from '../types.js';
import { oversizeReason, rejectRecord } from './json-record.js';
import { type RecordOptions, recordId, recordToDoc } from './record.js';
import type { RejectedRecord } from './types.js';
import { Utf8Checker } from './utf8-check.js';

export type CsvItem =
  | { doc: DocInput; bodyUtf8: Uint8Array | null; line: number; bytes: number }
  | { rejected: RejectedRecord; bytes: number };

export interface CsvOptions extends RecordOptions {
  /** Records longer than this (characters) are rejected. */
  maxRecordBytes: number;
  /** Field separator; by default guessed from the header line (tab, comma or semicolon). */
  delimiter?: string;
}

/** The separator the header line uses most: tab, semicolon or comma. */
export function guessDelimiter(head: Buffer): string {
  const end = head.indexOf(0x0a);
  const header = head.subarray(0, end < 0 ? head.length : end).toString('utf8');
  const count = (c: string): number => header.split(c).length - 1;
  const candidates = ['\t', ';', ','];
  let best = ',';
  let most = 0;
  for (const c of candidates) {
    const n = count(c);
    if (n > most) {
      most = n;
      best = c;
    }
  }
  return best;
}

function countCrlf(value: string): number {
  let n = 0;
  for (let i = value.indexOf('\r\n'); i >= 0; i = value.indexOf('\r\n', i + 2)) n++;
  return n;
}

/**
 * Reads a CSV dump with a header row (csv-parse, streaming). Quoted fields may span lines;
 * each record reports the line where it starts. A malformed record (wrong column count,
 * unclosed quote, over maxRecordBytes) is rejected with its line and the rest is read on.
 * All values are strings, so ids are kept as written ("007" stays "007").
 */
export async function* parseCsv(chunks: AsyncIterable<Buffer>, name: string, head: Buffer, o: CsvOptions): AsyncGenerator<CsvItem> {
  // Skips are emitted while a chunk is parsed, before the records of that chunk are read:
  // they are held and yielded in line order between the records.
  const skipped: { line: number; offset: number; reason: string }[] = [];
  // The parser reports the line where a record ends; it starts after the previous one's end
  // and the empty lines skipped since.
  let lastEnd = 1; // the header
  let lastEmpty = 0;
  // csv-parse counts a CRLF inside a quoted cell as two lines: taken off, record by record.
  let overcount = 0;
  const startOf = (info: { lines: number; empty_lines: number }, record?: Record<string, string>): number => {
    if (record !== undefined) for (const value of Object.values(record)) overcount += countCrlf(value);
    const end = info.lines - overcount;
    const start = Math.min(end, lastEnd + 1 + (info.empty_lines - lastEmpty));
    lastEnd = end;
    lastEmpty = info.empty_lines;
    return start;
  };
  const parser = parse({
    columns: true,
    bom: true,
    info: true,
    delimiter: o.delimiter ?? guessDelimiter(head),
    skip_empty_lines: true,
    skip_records_with_error: true,
    max_record_size: o.maxRecordBytes,
    // Called in parse order, like the skips: the place to count lines.
    on_record: (r: { record: Record<string, string>; info: Info }) => ({ ...r, line: startOf(r.info, r.record) }),
  });
  parser.on('skip', (err: CsvError & { lines?: number; bytes?: number; empty_lines?: number }) => {
    const reason =
      err.code === 'CSV_MAX_RECORD_SIZE' ? oversizeReason(o.maxRecordBytes + 1, o.maxRecordBytes) : `invalid CSV: ${err.message}`;
    const line = startOf({ lines: err.lines ?? lastEnd + overcount + 1, empty_lines: err.empty_lines ?? lastEmpty });
    skipped.push({ line, offset: err.bytes ?? 0, reason });
  });
  let consumed = 0;
  /** The bytes from the previous record's end to `offset`. */
  const share = (offset: number): number => {
    const bytes = Math.max(0, offset - consumed);
    consumed = Math.max(consumed, offset);
    return bytes;
  };
  function* skipsBefore(line: number): Generator<CsvItem> {
    while (skipped.length > 0 && (skipped[0] as { line: number }).line < line) {
      const s = skipped.shift() as (typeof skipped)[number];
      yield { ...rejectRecord(name, s.line, s.reason), bytes: share(s.offset) };
    }
  }
  const records = parser as AsyncIterable<{ record: Record<string, string>; info: Info; line: number }>;
  const utf8 = new Utf8Checker();
  const source = Readable.from(utf8.pass(chunks), { objectMode: false });
  source.on('error', (err) => parser.destroy(err));
  source.pipe(parser);
  const idField = o.fields?.id ?? 'id';
  const bodyField = o.fields?.body ?? 'body';
  let checkedHeader = false;
  try {
    for await (const { record, info, line } of records) {
      if (!checkedHeader) {
        checkedHeader = true;
        const columns = Object.keys(record);
        for (const [what, field] of [
          ['id', idField],
          ['body', bodyField],
        ] as const) {
          if (!columns.includes(field)) {
            const flag = what === 'id' ? '--id-field' : '--body-field';
            throw new EngineError(
              'E_INPUT',
              `${name}: the CSV header has no "${field}" column (columns: ${columns.join(', ')}); map one with ${flag}`,
            );
          }
        }
      }
      yield* skipsBefore(line);
      const from = consumed;
      const bytes = share(info.bytes);
      const where = `${name}:${line}`;
      // csv-parse decodes invalid UTF-8 to U+FFFD; the checker knows which bytes were invalid.
      if (utf8.invalidIn(from, info.bytes)) {
        yield { ...rejectRecord(name, line, 'invalid UTF-8', recordId(record, o.fields)), bytes };
        continue;
      }
      try {
        const { doc, bodyUtf8 } = recordToDoc(record, where, o);
        yield { doc, bodyUtf8, line, bytes };
      } catch (err) {
        if (!isEngineError(err, 'E_INPUT')) throw err;
        yield { ...rejectRecord(name, line, err.detail ?? err.message, recordId(record, o.fields)), bytes };
      }
    }
    yield* skipsBefore(Number.POSITIVE_INFINITY);
  } finally {
    source.destroy();
    parser.destroy();
  }
}
