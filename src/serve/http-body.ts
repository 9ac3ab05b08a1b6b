import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, createWriteStream, fsyncSync, openSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse';
import { splitJsonValues } from '../ingest/json-stream.js';
import { ApiError } from './errors.js';

/** The three document formats and the content types that name them. */
export type DocFormat = 'json' | 'ndjson' | 'csv';

export function mediaType(req: IncomingMessage): string | null {
  const raw = req.headers['content-type'];
  if (raw === undefined || raw.trim() === '') return null;
  return (raw.split(';')[0] as string).trim().toLowerCase();
}

export function documentFormat(req: IncomingMessage): DocFormat {
  const type = mediaType(req);
  if (type === 'application/json') return 'json';
  if (type === 'application/x-ndjson' || type === 'application/ndjson') return 'ndjson';
  if (type === 'text/csv') return 'csv';
  throw new ApiError(
    'invalid_content_type',
    type === null
      ? 'A Content-Type header is required. Accepted values for the Content-Type header are: `application/json`, `application/x-ndjson`, `text/csv`'
      : `The Content-Type \`${type}\` is invalid. Accepted values for the Content-Type header are: \`application/json\`, \`application/x-ndjson\`, \`text/csv\``,
  );
}

/**
 * The request body as chunks, bounded: over `limit` bytes it stops reading and throws
 * payload_too_large (the server then answers 413 and drops the connection instead of
 * draining it); no byte for `idleMs` throws request_timeout (a client that stalls mid-body).
 */
export async function* bodyChunks(req: IncomingMessage, limit: number, idleMs: number): AsyncGenerator<Buffer> {
  let total = 0;
  let timer: NodeJS.Timeout | undefined;
  let onIdle: (err: ApiError) => void = () => {};
  const idle = new Promise<never>((_, reject) => {
    onIdle = reject;
  });
  idle.catch(() => {});
  // Re-armed after every chunk, from this loop: a 'data' listener would switch the stream's mode under the iterator.
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => onIdle(new ApiError('request_timeout', `No request body data for ${idleMs} ms.`)), idleMs);
  };
  const iterator = req[Symbol.asyncIterator]();
  try {
    for (;;) {
      arm();
      const next = (await Promise.race([iterator.next(), idle])) as IteratorResult<Buffer>;
      if (next.done) return;
      total += next.value.length;
      if (total > limit) throw tooLarge(limit);
      yield next.value;
    }
  } finally {
    clearTimeout(timer);
  }
}

export function tooLarge(limit: number): ApiError {
  return new ApiError(
    'payload_too_large',
    `The provided payload reached the size limit. The maximum accepted payload size is ${formatBytes(limit)}.`,
  );
}

function formatBytes(n: number): string {
  return n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(n % 2 ** 20 === 0 ? 0 : 2)} MiB` : `${n} B`;
}

/** A JSON body (search, settings...), parsed whole: these are small and bounded by `limit`. */
export async function readJsonBody(req: IncomingMessage, limit: number, idleMs: number): Promise<unknown> {
  const type = mediaType(req);
  const parts: Buffer[] = [];
  for await (const chunk of bodyChunks(req, limit, idleMs)) parts.push(chunk);
  const text = Buffer.concat(parts).toString('utf8');
  if (text.trim() === '') {
    if (type !== null && type !== 'application/json') throw contentTypeError(type);
    throw new ApiError('missing_payload', 'A json payload is missing.');
  }
  if (type !== 'application/json') throw contentTypeError(type);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ApiError('malformed_payload', `The json payload provided is malformed. \`${(err as Error).message}\`.`);
  }
}

function contentTypeError(type: string | null): ApiError {
  return new ApiError(
    'invalid_content_type',
    type === null
      ? 'A Content-Type header is required. Accepted value for the Content-Type header is: `application/json`'
      : `The Content-Type \`${type}\` is invalid. Accepted value for the Content-Type header is: \`application/json\``,
  );
}

function malformed(format: DocFormat, detail: string): ApiError {
  const name = format === 'json' ? 'json' : format === 'ndjson' ? 'ndjson' : 'csv';
  return new ApiError('malformed_payload', `The ${name} payload provided is malformed. ${detail}`);
}

function asDocument(value: unknown, format: DocFormat, where: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw malformed(format, `${where}: a document must be a JSON object.`);
  return value as Record<string, unknown>;
}

async function* jsonDocuments(chunks: AsyncIterable<Buffer>, limit: number): AsyncGenerator<Record<string, unknown>> {
  for await (const item of splitJsonValues(chunks, limit)) {
    if ('structure' in item) throw malformed('json', `line ${item.line}: ${item.structure}`);
    if (item.raw === null) throw malformed('json', `line ${item.line}: ${item.problem ?? 'element too large'}`);
    let value: unknown;
    try {
      value = JSON.parse(item.raw.toString('utf8'));
    } catch (err) {
      throw malformed('json', `line ${item.line}: ${(err as Error).message}`);
    }
    yield asDocument(value, 'json', `line ${item.line}`);
  }
}

async function* ndjsonDocuments(chunks: AsyncIterable<Buffer>, maxDocBytes: number): AsyncGenerator<Record<string, unknown>> {
  let rest = Buffer.alloc(0);
  let line = 0;
  const parseLine = (raw: Buffer): Record<string, unknown> | null => {
    line++;
    if (raw.length > maxDocBytes) throw malformed('ndjson', `line ${line}: a document is over ${maxDocBytes} bytes.`);
    const text = raw.toString('utf8').trim();
    if (text === '') return null;
    try {
      return asDocument(JSON.parse(text), 'ndjson', `line ${line}`);
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw malformed('ndjson', `line ${line}: ${(err as Error).message}`);
    }
  };
  for await (const chunk of chunks) {
    let buf = rest.length === 0 ? chunk : Buffer.concat([rest, chunk]);
    for (let nl = buf.indexOf(0x0a); nl !== -1; nl = buf.indexOf(0x0a)) {
      const doc = parseLine(buf.subarray(0, nl));
      buf = buf.subarray(nl + 1);
      if (doc !== null) yield doc;
    }
    rest = Buffer.from(buf);
    if (rest.length > maxDocBytes) throw malformed('ndjson', `line ${line + 1}: a document is over ${maxDocBytes} bytes.`);
  }
  const last = parseLine(rest);
  if (last !== null) yield last;
}

/** CSV as Meilisearch reads it: a header row, `name:number` / `name:boolean` typed columns, empty cells null. */
async function* csvDocuments(chunks: AsyncIterable<Buffer>, maxDocBytes: number): AsyncGenerator<Record<string, unknown>> {
  const parser = parseCsv({ bom: true, relax_column_count: false, skip_empty_lines: true, max_record_size: maxDocBytes });
  const feed = (async () => {
    try {
      for await (const chunk of chunks) if (!parser.write(chunk)) await once(parser, 'drain');
      parser.end();
    } catch (err) {
      parser.destroy(err as Error);
    }
  })();
  let header: { name: string; type: string }[] | null = null;
  try {
    for await (const row of parser as AsyncIterable<string[]>) {
      if (header === null) {
        header = row.map((cell) => {
          const at = cell.lastIndexOf(':');
          const type = at > 0 ? cell.slice(at + 1) : '';
          return ['number', 'boolean', 'string'].includes(type) ? { name: cell.slice(0, at), type } : { name: cell, type: 'string' };
        });
        continue;
      }
      const doc: Record<string, unknown> = {};
      header.forEach(({ name, type }, i) => {
        const cell = row[i] ?? '';
        if (cell === '') doc[name] = null;
        else if (type === 'number') {
          const n = Number(cell);
          if (!Number.isFinite(n)) throw malformed('csv', `\`${cell}\` is not a number (column ${name}).`);
          doc[name] = n;
        } else if (type === 'boolean') {
          if (cell !== 'true' && cell !== 'false') throw malformed('csv', `\`${cell}\` is not a boolean (column ${name}).`);
          doc[name] = cell === 'true';
        } else doc[name] = cell;
      });
      yield doc;
    }
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw malformed('csv', (err as Error).message);
  }
  await feed;
}

/**
 * The documents of an upload, one at a time. One document is parsed whole, so each is
 * bounded by `maxDocBytes` (the bin runs with a 64 MB V8 heap, and a document is held as
 * its JSON, its parsed value and its text for ruyi at once).
 */
export function parseDocuments(
  format: DocFormat,
  chunks: AsyncIterable<Buffer>,
  maxDocBytes: number,
): AsyncGenerator<Record<string, unknown>> {
  if (format === 'json') return jsonDocuments(chunks, maxDocBytes);
  if (format === 'ndjson') return ndjsonDocuments(chunks, maxDocBytes);
  return csvDocuments(chunks, maxDocBytes);
}

/**
 * Parses an upload while it arrives and writes it to the spool as one JSON document per
 * line, with the socket's backpressure: memory holds a chunk and a document, whatever the
 * upload's size. The file is fsynced before the task that names it is logged, so an
 * acknowledged upload survives a crash and its task runs after the restart.
 */
export async function spoolDocuments(
  docs: AsyncIterable<Record<string, unknown>>,
  spoolDir: string,
): Promise<{ file: string; count: number }> {
  const file = `${randomUUID()}.ndjson`;
  const path = join(spoolDir, file);
  const out = createWriteStream(path);
  // A write error (disk full) is rethrown below; one after destroy() (an aborted upload) is moot.
  let writeError: Error | null = null;
  out.on('error', (err) => {
    writeError ??= err;
  });
  let count = 0;
  try {
    for await (const doc of docs) {
      count++;
      if (writeError !== null) throw writeError;
      if (!out.write(`${JSON.stringify(doc)}\n`)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    const fd = openSync(path, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    out.destroy();
    rmSync(path, { force: true });
    throw err;
  }
  return { file, count };
}
