import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { EngineError } from '../errors.js';

/** Read size of input files: big enough for throughput, small next to the memory budget. */
export const READ_CHUNK_BYTES = 256 * 1024;

/** An opened input: its decompressed bytes as chunks, with the first one available to sniff. */
export interface OpenedInput {
  /** The input as named in reports: the path, or `<stdin>` for `-`. */
  name: string;
  gzip: boolean;
  /** The first decompressed chunk (empty for an empty input); also the first of `chunks`. */
  head: Buffer;
  chunks: AsyncGenerator<Buffer>;
  /** Bytes read from the disk (or stdin) so far: compressed bytes for gzip. */
  diskBytes(): number;
  /** Closes the input when `chunks` is not read to its end (a generator never started has no finally). */
  close(): Promise<void>;
}

export function inputName(file: string): string {
  return file === '-' ? '<stdin>' : file;
}

export function isAbort(err: unknown): boolean {
  return (err as { name?: string } | null)?.name === 'AbortError';
}

/** Errors that stop reading an input become E_INPUT naming it; an abort stays an abort. */
export function inputError(name: string, err: unknown, where = ''): unknown {
  if (err instanceof EngineError || isAbort(err)) return err;
  const e = err as NodeJS.ErrnoException;
  const gzip = e.code === 'Z_BUF_ERROR' || e.code === 'Z_DATA_ERROR' || /unexpected end of file/i.test(e.message ?? '');
  const what = gzip ? `truncated or corrupt gzip (${e.message})` : (e.message ?? String(err));
  return new EngineError('E_INPUT', `cannot read ${name}${where}: ${what}`, { cause: err });
}

/**
 * Opens a file (or `-` for stdin) as a stream of bytes, gunzipping it when it starts with
 * the gzip magic bytes (1f 8b), whatever its name. Reading is pulled by the consumer, so
 * the indexer's backpressure paces the disk; the `signal` destroys the file stream.
 */
export async function openInput(file: string, signal?: AbortSignal): Promise<OpenedInput> {
  const name = inputName(file);
  const raw: Readable = file === '-' ? process.stdin : createReadStream(file, { highWaterMark: READ_CHUNK_BYTES, signal });
  let disk = 0;
  const rawChunks = raw[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let first: IteratorResult<Buffer>;
  try {
    first = await rawChunks.next();
  } catch (err) {
    throw inputError(name, err);
  }
  const firstChunk = first.done ? Buffer.alloc(0) : first.value;
  async function* counted(): AsyncGenerator<Buffer> {
    try {
      if (firstChunk.length > 0) {
        disk += firstChunk.length;
        yield firstChunk;
      }
      for (;;) {
        const next = await rawChunks.next();
        if (next.done) return;
        disk += next.value.length;
        yield next.value;
      }
    } finally {
      await rawChunks.return?.();
    }
  }
  const gzip = firstChunk.length >= 2 && firstChunk[0] === 0x1f && firstChunk[1] === 0x8b;
  let plain: AsyncIterator<Buffer>;
  if (gzip) {
    const source = Readable.from(counted(), { objectMode: false });
    const gunzip = createGunzip();
    source.on('error', (err) => gunzip.destroy(err));
    source.pipe(gunzip);
    plain = gunzip[Symbol.asyncIterator]();
    // Ending early (an abort, a consumer's break) must close the file too.
    gunzip.on('close', () => source.destroy());
  } else {
    plain = counted();
  }
  let head: IteratorResult<Buffer>;
  try {
    head = await plain.next();
  } catch (err) {
    if (file !== '-') raw.destroy();
    throw inputError(name, err);
  }
  let headChunk = head.done ? Buffer.alloc(0) : head.value;
  // A UTF-8 byte order mark (Excel's CSV exports) is not part of the first record.
  if (headChunk[0] === 0xef && headChunk[1] === 0xbb && headChunk[2] === 0xbf) headChunk = headChunk.subarray(3);
  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      if (head.done) return;
      yield headChunk;
      for (;;) {
        const next = await plain.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      await plain.return?.();
    }
  }
  const close = async (): Promise<void> => {
    await plain.return?.();
    if (file !== '-') raw.destroy();
  };
  return { name, gzip, head: headChunk, chunks: chunks(), diskBytes: () => disk, close };
}
