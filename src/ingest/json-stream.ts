import type { DocInput } from '../types.js';
import { oversizeReason, parseJsonRecord, rejectRecord } from './json-record.js';
import type { RecordOptions } from './record.js';
import type { RejectedRecord } from './types.js';

export type JsonItem =
  | { doc: DocInput; bodyUtf8: Uint8Array | null; line: number; bytes: number }
  | { rejected: RejectedRecord; bytes: number };

export interface JsonStreamOptions extends RecordOptions {
  /** Elements longer than this (raw bytes) are skipped unread and rejected. */
  maxRecordBytes: number;
}

/** A top-level value cut out of the stream: its bytes (null if over the bound) and place. */
interface Element {
  raw: Buffer | null;
  line: number;
  size: number;
  /** Set when the element was cut short: the reason replaces parsing. */
  problem: string | null;
}

const Mode = {
  Top: 0, // between top-level values
  Array: 1, // inside the top-level array, before an element
  After: 2, // inside the top-level array, after an element
  Value: 3, // inside a value (object, array, string or scalar)
} as const;
type Mode = (typeof Mode)[keyof typeof Mode];

const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
/** Bytes that end a scalar (number, true, null, or garbage). */
const endsScalar = (c: number): boolean => isSpace(c) || c === 0x2c || c === 0x5d || c === 0x7d || c === 0x5b || c === 0x7b || c === 0x22;

/**
 * Cuts a JSON text into its records without parsing it whole: the elements of a top-level
 * array, or each top-level value (a single object, or concatenated/pretty-printed objects).
 * It only tracks strings and bracket depth, so each element is then parsed on its own: a
 * broken element is rejected alone, a missing comma costs nothing, and a 50 MB element is
 * one Buffer (bounded by maxRecordBytes), never a string. Lines are counted on the way, so
 * each element reports the line where it starts.
 */
export async function* splitJsonValues(
  chunks: AsyncIterable<Buffer>,
  maxRecordBytes: number,
): AsyncGenerator<Element | { structure: string; line: number }> {
  let mode = Mode.Top as Mode;
  let line = 1;
  let depth = 0; // inside a Value: open brackets
  let inString = false;
  let escaped = false;
  let scalar = false;
  let parts: Buffer[] = [];
  let size = 0;
  let dropped = false;
  let startLine = 0;
  let inArray = false; // the Value is an element of the top-level array
  for await (const chunk of chunks) {
    let start = -1; // where the current Value began in this chunk
    const keep = (end: number): void => {
      const from = Math.max(start, 0);
      const piece = chunk.subarray(from, end);
      size += piece.length;
      if (dropped) return;
      if (size > maxRecordBytes) {
        dropped = true;
        parts = [];
      } else if (piece.length > 0) parts.push(piece);
    };
    const finish = (end: number): Element => {
      keep(end);
      const raw = dropped ? null : parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
      const element = { raw, line: startLine, size, problem: null };
      parts = [];
      size = 0;
      dropped = false;
      start = -1;
      mode = inArray ? Mode.After : Mode.Top;
      return element;
    };
    if (mode === Mode.Value) start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i] as number;
      if (c === 0x0a) line++;
      switch (mode) {
        case Mode.Value: {
          if (inString) {
            if (escaped) escaped = false;
            else if (c === 0x5c) escaped = true;
            else if (c === 0x22) {
              inString = false;
              if (depth === 0) yield finish(i + 1); // a top-level string
            }
          } else if (scalar) {
            if (endsScalar(c)) {
              yield finish(i);
              i--; // the byte belongs to what follows the scalar
              if (c === 0x0a) line--;
            }
          } else if (c === 0x22) inString = true;
          else if (c === 0x7b || c === 0x5b) depth++;
          else if (c === 0x7d || c === 0x5d) {
            depth--;
            if (depth === 0) yield finish(i + 1);
          }
          break;
        }
        case Mode.After:
          if (isSpace(c)) break;
          if (c === 0x2c) mode = Mode.Array;
          else if (c === 0x5d) {
            mode = Mode.Top;
            inArray = false;
          } else {
            yield { structure: `expected "," or "]" after an element, got ${JSON.stringify(String.fromCharCode(c))}`, line };
            mode = Mode.Array; // read on as if the comma were there
            i--;
            if (c === 0x0a) line--;
          }
          break;
        case Mode.Array:
        case Mode.Top: {
          if (isSpace(c)) break;
          if (mode === Mode.Top && c === 0x2c) break; // commas between top-level values are tolerated
          if (mode === Mode.Array && c === 0x5d) {
            mode = Mode.Top; // `[]`, or a trailing comma: nothing more
            inArray = false;
            break;
          }
          if (mode === Mode.Array && c === 0x2c) {
            yield { structure: 'an empty element (",,")', line };
            break;
          }
          if (mode === Mode.Top && c === 0x5b && !inArray) {
            mode = Mode.Array;
            inArray = true;
            break;
          }
          // A value starts.
          start = i;
          startLine = line;
          depth = 0;
          inString = false;
          escaped = false;
          scalar = false;
          mode = Mode.Value;
          if (c === 0x7b || c === 0x5b) depth = 1;
          else if (c === 0x22) inString = true;
          else if (c === 0x7d || c === 0x5d) {
            yield finish(i + 1); // a stray closing bracket: one byte of garbage
          } else scalar = true;
          break;
        }
      }
    }
    if (mode === Mode.Value) keep(chunk.length);
  }
  if (mode === Mode.Value) {
    if (scalar) {
      const raw = dropped ? null : parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
      yield { raw, line: startLine, size, problem: null };
    } else yield { raw: null, line: startLine, size, problem: 'unexpected end of input inside this element (unclosed string or bracket)' };
  } else if (inArray) yield { structure: 'unexpected end of input: the array has no closing "]"', line };
}

/** Reads the records of a JSON text (see splitJsonValues) as documents or rejections. */
export async function* parseJsonStream(chunks: AsyncIterable<Buffer>, name: string, o: JsonStreamOptions): AsyncGenerator<JsonItem> {
  for await (const part of splitJsonValues(chunks, o.maxRecordBytes)) {
    if ('structure' in part) {
      yield { ...rejectRecord(name, part.line, `invalid JSON: ${part.structure}`), bytes: 0 };
      continue;
    }
    const { raw, line, size, problem } = part;
    const parsed =
      problem !== null
        ? rejectRecord(name, line, `invalid JSON: ${problem}`)
        : raw === null
          ? rejectRecord(name, line, oversizeReason(size, o.maxRecordBytes))
          : parseJsonRecord(raw, name, line, o);
    if (parsed === null) continue;
    yield 'rejected' in parsed
      ? { rejected: parsed.rejected, bytes: size }
      : { doc: parsed.doc, bodyUtf8: parsed.bodyUtf8, line, bytes: size };
  }
}
