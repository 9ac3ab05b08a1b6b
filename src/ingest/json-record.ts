import { isUtf8 } from 'node:buffer';
import { isEngineError } from '../errors.js';
import type { DocInput } from '../types.js';
import { splitLargeBody } from './large-json.js';
import { type RecordOptions, recordId, recordToDoc } from './record.js';
import { MiB, type RejectedRecord } from './types.js';

/** Records longer than this are parsed without turning the body into a JavaScript string. */
export const LARGE_RECORD_BYTES = 1024 * 1024;

export type ParsedRecord = { doc: DocInput; bodyUtf8: Uint8Array | null } | { rejected: RejectedRecord };

const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;

export function rejectRecord(file: string, line: number, reason: string, id: string | null = null): { rejected: RejectedRecord } {
  return { rejected: { file, line, id, reason } };
}

export function oversizeReason(size: number, maxRecordBytes: number): string {
  return `record of ${mib(size)} is over the ${mib(maxRecordBytes)} record limit (twice the largest document: --max-doc-bytes, or what --max-memory can hold); it was skipped unread`;
}

/**
 * One JSON record (an NDJSON line or a JSON array element) as bytes → a document or a
 * rejection. Invalid UTF-8 is refused rather than silently replaced. A huge record's body
 * is decoded in place to UTF-8 bytes and never held as a string (see splitLargeBody).
 * Returns null for a blank record.
 */
export function parseJsonRecord(raw: Buffer, file: string, line: number, o: RecordOptions): ParsedRecord | null {
  const bytes = raw;
  if (!isUtf8(bytes)) return rejectRecord(file, line, 'invalid UTF-8');
  const where = `${file}:${line}`;
  let value: unknown;
  let largeBody: Buffer | null = null;
  if (bytes.length > LARGE_RECORD_BYTES) {
    const split = splitLargeBody(bytes, o.fields?.body ?? 'body');
    if (split === null) {
      // Parsed as a string it would cost several times its size on the heap.
      const reason = `a record of ${mib(bytes.length)} must be a JSON object with its text in a string "${o.fields?.body ?? 'body'}"`;
      return rejectRecord(file, line, reason);
    }
    value = split.rest;
    largeBody = split.body;
  } else {
    const text = bytes.toString('utf8');
    if (text.trim() === '') return null;
    try {
      value = JSON.parse(text);
    } catch (err) {
      return rejectRecord(file, line, `invalid JSON: ${(err as Error).message}`);
    }
  }
  try {
    return recordToDoc(value, where, o, largeBody);
  } catch (err) {
    if (!isEngineError(err, 'E_INPUT')) throw err;
    return rejectRecord(file, line, err.detail ?? err.message, recordId(value, o.fields));
  }
}
