import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { EngineError, isEngineError } from '../errors.js';
import type { DocInput } from '../types.js';
import { validateDoc } from '../validate.js';

/** A record that could not become a document, with its place in the input. */
export interface RejectedRecord {
  file: string;
  line: number;
  id: string | null;
  reason: string;
}

export type NdjsonItem = { doc: DocInput; line: number; bytes: number } | { rejected: RejectedRecord; bytes: number };

/**
 * Reads an NDJSON dump (`-` for stdin) one line at a time: memory does not depend on the
 * dump's size, and the consumer's pace (index.add's backpressure) paces the reading.
 * Blank lines are skipped; a line that is not a valid document is yielded as rejected.
 */
export async function* readNdjson(file: string): AsyncGenerator<NdjsonItem> {
  const input: Readable = file === '-' ? process.stdin : createReadStream(file);
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  const name = file === '-' ? '<stdin>' : file;
  let line = 0;
  try {
    for await (const text of lines) yield* parseLine(name, ++line, text);
  } catch (err) {
    if (err instanceof EngineError) throw err;
    throw new EngineError('E_INPUT', `cannot read ${name}${line > 0 ? ` after line ${line}` : ''}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

function* parseLine(name: string, line: number, text: string): Generator<NdjsonItem> {
  const bytes = Buffer.byteLength(text) + 1;
  if (text.trim() === '') return;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    yield { rejected: { file: name, line, id: null, reason: `invalid JSON: ${(err as Error).message}` }, bytes };
    return;
  }
  try {
    yield { doc: validateDoc(raw, `${name}:${line}`), line, bytes };
  } catch (err) {
    if (!isEngineError(err, 'E_INPUT')) throw err;
    const id = typeof (raw as { id?: unknown })?.id === 'string' ? ((raw as { id: string }).id as string) : null;
    yield { rejected: { file: name, line, id, reason: err.detail ?? err.message }, bytes };
  }
}
