import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { EngineError, isEngineError } from '../errors.js';
import type { DocInput } from '../types.js';
import { validateDoc } from '../validate.js';
import { splitLargeBody } from './large-json.js';
import { byteLines } from './lines.js';

/** Lines longer than this are parsed without turning the body into a JavaScript string. */
export const LARGE_LINE_BYTES = 1024 * 1024;

/** A record that could not become a document, with its place in the input. */
export interface RejectedRecord {
  file: string;
  line: number;
  id: string | null;
  reason: string;
}

export type NdjsonItem =
  | { doc: DocInput; bodyUtf8: Uint8Array | null; line: number; bytes: number }
  | { rejected: RejectedRecord; bytes: number };

/**
 * Reads an NDJSON dump (`-` for stdin) one line at a time: memory does not depend on the
 * dump's size, and the consumer's pace (index.add's backpressure) paces the reading. Lines
 * are read as bytes; a huge line's body is decoded in place to UTF-8 bytes and never held
 * as a string (see splitLargeBody). Blank lines are skipped; a line that is not a valid
 * document is yielded as rejected.
 */
export async function* readNdjson(file: string): AsyncGenerator<NdjsonItem> {
  const input: Readable = file === '-' ? process.stdin : createReadStream(file, { highWaterMark: 256 * 1024 });
  const name = file === '-' ? '<stdin>' : file;
  let line = 0;
  try {
    for await (const bytes of byteLines(input)) {
      const item = parseLine(name, ++line, bytes);
      if (item !== null) yield item;
    }
  } catch (err) {
    if (err instanceof EngineError) throw err;
    throw new EngineError('E_INPUT', `cannot read ${name}${line > 0 ? ` after line ${line}` : ''}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

function parseLine(name: string, line: number, raw: Buffer): NdjsonItem | null {
  const bytes = raw.length + 1;
  let value: unknown;
  let largeBody: Buffer | null = null;
  if (raw.length > LARGE_LINE_BYTES) {
    const split = splitLargeBody(raw);
    if (split === null) {
      // Parsed as a string it would cost several times its size on the heap.
      const reason = `a line of ${(raw.length / 2 ** 20).toFixed(1)} MiB must be a JSON object with its text in a string "body"`;
      return { rejected: { file: name, line, id: null, reason }, bytes };
    }
    value = split.rest;
    largeBody = split.body;
  }
  if (largeBody === null) {
    const text = raw.toString('utf8');
    if (text.trim() === '') return null;
    try {
      value = JSON.parse(text);
    } catch (err) {
      return { rejected: { file: name, line, id: null, reason: `invalid JSON: ${(err as Error).message}` }, bytes };
    }
  }
  try {
    if (largeBody !== null && typeof value === 'object' && value !== null) (value as { body: unknown }).body = largeBody;
    const { doc, bodyUtf8 } = validateDoc(value, `${name}:${line}`);
    return { doc, bodyUtf8, line, bytes };
  } catch (err) {
    if (!isEngineError(err, 'E_INPUT')) throw err;
    const id = typeof (value as { id?: unknown })?.id === 'string' ? ((value as { id: string }).id as string) : null;
    return { rejected: { file: name, line, id, reason: err.detail ?? err.message }, bytes };
  }
}
