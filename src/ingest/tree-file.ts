import { isUtf8 } from 'node:buffer';
import { lstat, readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { EngineError, isEngineError } from '../errors.js';
import type { DocInput } from '../types.js';
import { formatOfName } from './formats.js';
import { htmlTitle, htmlToText } from './html-text.js';
import { markdownToText, splitFrontMatter } from './markdown.js';
import { recordToDoc } from './record.js';
import type { TreeFile } from './tree-walk.js';
import type { IngestItem, InputFormat } from './types.js';
import { MiB } from './types.js';

const gunzipAsync = promisify(gunzip);

/** A txt file's first line is its title when it is at most this long (characters). */
const MAX_TXT_TITLE_CHARS = 200;

/** Reads one file of a tree (or a single .md/.html/.txt input) as a document or a rejection. */
export async function readTreeFile(file: TreeFile, maxDocBytes: number, signal?: AbortSignal): Promise<IngestItem> {
  const { shown, size } = file;
  const reject = (reason: string, id: string | null = file.id): IngestItem => ({
    rejected: { file: shown, line: 0, id, reason },
    bytes: size,
  });
  if (size > maxDocBytes)
    return reject(`file of ${(size / MiB).toFixed(1)} MiB is over maxDocBytes (${(maxDocBytes / MiB).toFixed(1)} MiB); not read`);
  let bytes: Buffer;
  try {
    bytes = await readFile(file.path, { signal });
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = await gunzipAsync(bytes, { maxOutputLength: maxDocBytes });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || (err instanceof RangeError && /larger than|maxOutputLength/i.test(err.message)))
      return reject(`decompressed file is over maxDocBytes (${(maxDocBytes / MiB).toFixed(1)} MiB)`);
    return reject(`cannot read: ${(err as Error).message}`);
  }
  return parseTreeFile(file, bytes);
}

/**
 * A file's bytes (decompressed) → a document or a rejection: invalid UTF-8 and NUL bytes
 * (binary files) are refused; Markdown, HTML and text become plain text.
 */
export function parseTreeFile(file: Omit<TreeFile, 'path'>, content: Buffer): IngestItem {
  const { shown, size } = file;
  const reject = (reason: string): IngestItem => ({ rejected: { file: shown, line: 0, id: file.id, reason }, bytes: size });
  let bytes = content;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
  if (!isUtf8(bytes)) return reject('invalid UTF-8');
  if (bytes.includes(0)) return reject('binary file (it holds NUL bytes)');
  try {
    const { doc, bodyUtf8 } = fileToDoc(file, bytes);
    return { doc, bodyUtf8, file: shown, line: 0, bytes: size };
  } catch (err) {
    if (!isEngineError(err, 'E_INPUT')) throw err;
    return reject(err.detail ?? err.message);
  }
}

/** Large txt bodies stay bytes; smaller ones and other formats become strings. */
const TXT_BYTES_AS_BUFFER = MiB;

function fileToDoc(file: Omit<TreeFile, 'path'>, bytes: Buffer): { doc: DocInput; bodyUtf8: Uint8Array | null } {
  const where = file.shown;
  const o = {};
  switch (file.format) {
    case 'markdown': {
      let parts: { data: Record<string, unknown>; content: string };
      try {
        parts = splitFrontMatter(bytes.toString('utf8'));
      } catch (err) {
        const reason = `invalid front matter: ${(err as Error).message.split('\n')[0]}`;
        throw new EngineError('E_INPUT', `${where}: ${reason}`, { detail: reason });
      }
      const { data, content } = parts;
      const given = (v: unknown): unknown => (v === '' || v === null ? undefined : v);
      const id = given(data.id) ?? given(data.slug) ?? file.id;
      const record: Record<string, unknown> = { ...data, id, body: markdownToText(content) };
      const title = record.title;
      if (title === undefined || title === null || title === '') record.title = firstHeading(content);
      return recordToDoc(record, where, o);
    }
    case 'html': {
      const html = bytes.toString('utf8');
      return recordToDoc({ id: file.id, title: htmlTitle(html), body: htmlToText(html) }, where, o);
    }
    default: {
      const head = bytes.subarray(0, 4096).toString('utf8');
      const first = head.split('\n').find((l) => l.trim() !== '') ?? '';
      const title = first.trim().length <= MAX_TXT_TITLE_CHARS ? first.trim() : '';
      const body = bytes.length > TXT_BYTES_AS_BUFFER ? bytes : bytes.toString('utf8');
      return recordToDoc({ id: file.id, title, body }, where, o, body instanceof Buffer ? body : null);
    }
  }
}

/** The first ATX heading's text, the title of a Markdown file without one in front matter. */
function firstHeading(md: string): string {
  const match = /^#{1,6}[ \t]+(.*)$/m.exec(md.slice(0, 64 * 1024));
  if (match === null) return '';
  // Closing hashes, trimmed by hand: /[ \t#]+$/ backtracks quadratically on a long run of them.
  const line = match[1] as string;
  let end = line.length;
  while (end > 0 && ' \t#'.includes(line[end - 1] as string)) end--;
  return markdownToText(line.slice(0, end)).trim();
}

/** A single .md/.html/.txt input: a tree of one file whose id is its name without extension. */
export async function singleTreeFile(path: string, format: InputFormat): Promise<TreeFile> {
  const info = await lstat(path);
  const kind = formatOfName(basename(path));
  const ext = kind?.ext ?? '';
  const name = basename(path);
  const id = ext === '' ? name : name.slice(0, name.length - ext.length);
  return { path, shown: path, id, format, size: info.isSymbolicLink() ? (await stat(path)).size : info.size };
}
