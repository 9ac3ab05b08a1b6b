import { stat } from 'node:fs/promises';
import { EngineError } from '../errors.js';
import { formatOfName } from './formats.js';
import { parseJsonStream } from './json-stream.js';
import { parseNdjson, parseNdjsonRaw } from './ndjson.js';
import { inputError, inputName, openInput } from './open-input.js';
import type { RecordOptions } from './record.js';
import { walkTree } from './tree-walk.js';
import { DEFAULT_INPUT_MAX_DOC_BYTES, type IngestItem, type InputFormat, type InputOptions, type RawIngestItem } from './types.js';

const FORMATS: readonly InputFormat[] = ['ndjson', 'json', 'csv', 'markdown', 'html', 'txt'];
/** What a directory holds when no format is given. */
const TREE_FORMATS: readonly InputFormat[] = ['markdown', 'html', 'txt'];
const isTreeFormat = (f: InputFormat): boolean => TREE_FORMATS.includes(f);

// csv-parse, html-to-text and gray-matter cost ~0.3 s to load: only when an input needs them.
const treeFiles = () => import('./tree-file.js');
const csvParser = async () => (await import('./csv.js')).parseCsv;

interface Resolved extends RecordOptions {
  format: InputFormat | null;
  rawNdjson: boolean;
  maxDocBytes: number;
  maxRecordBytes: number;
  signal: AbortSignal | undefined;
}

function resolveOptions(o: InputOptions): Resolved {
  const format = o.format ?? 'auto';
  if (format !== 'auto' && !FORMATS.includes(format)) {
    throw new EngineError('E_CONFIG', `format must be auto or one of ${FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
  }
  const maxDocBytes = o.maxDocBytes ?? DEFAULT_INPUT_MAX_DOC_BYTES;
  const maxRecordBytes = o.maxRecordBytes ?? 2 * maxDocBytes;
  for (const [name, v] of [
    ['maxDocBytes', maxDocBytes],
    ['maxRecordBytes', maxRecordBytes],
  ] as const) {
    if (!(v > 0)) throw new EngineError('E_CONFIG', `${name} must be a positive number of bytes, got ${v}`);
  }
  for (const [key, value] of Object.entries(o.fields ?? {})) {
    if (value !== undefined && (typeof value !== 'string' || value === '')) {
      throw new EngineError('E_CONFIG', `fields.${key} must be a non-empty field name, got ${JSON.stringify(value)}`);
    }
  }
  return {
    format: format === 'auto' ? null : format,
    fields: o.fields,
    html: o.html,
    numericIds: o.numericIds,
    rawNdjson: false,
    maxDocBytes,
    maxRecordBytes,
    signal: o.signal,
  };
}

/**
 * Reads every input in order as one stream of documents and rejected records: NDJSON
 * (`-` is stdin), JSON (an array, or top-level objects), CSV with a header row, and
 * directory trees of Markdown, HTML and text files; gzip anywhere. Reading is pulled by
 * the consumer, one record at a time, so memory does not grow with the inputs and the
 * indexer's backpressure paces the disk. Throws EngineError E_INPUT naming the input when
 * one cannot be read at all (missing, unknown format, truncated gzip, CSV without an id
 * column), after yielding the records read before; an abort throws an AbortError.
 */
export function readInputs(inputs: readonly string[], options: InputOptions = {}): AsyncGenerator<IngestItem> {
  return readAll(inputs, resolveOptions(options), false) as AsyncGenerator<IngestItem>;
}

/**
 * readInputs, except that NDJSON lines up to 1 MiB are yielded as their bytes, unparsed
 * (`{ raw }` items), for a consumer that parses them elsewhere: the CLI hands them to the
 * workers. Other formats, and longer lines, come parsed as from readInputs.
 */
export function readInputsRaw(inputs: readonly string[], options: InputOptions = {}): AsyncGenerator<IngestItem | RawIngestItem> {
  return readAll(inputs, resolveOptions(options), true);
}

async function* readAll(inputs: readonly string[], o: Resolved, raw: boolean): AsyncGenerator<IngestItem | RawIngestItem> {
  o.rawNdjson = raw;
  if (o.html) o.stripHtml = (await import('./html-text.js')).htmlToText;
  for (const input of inputs) {
    o.signal?.throwIfAborted();
    if (input === '-') {
      yield* readStream(input, o.format, o);
      continue;
    }
    let isDirectory: boolean;
    try {
      isDirectory = (await stat(input)).isDirectory();
    } catch (err) {
      throw inputError(input, err);
    }
    if (isDirectory) {
      yield* readTree(input, o);
      continue;
    }
    const format = o.format ?? formatOfName(input)?.format ?? null;
    if (format !== null && isTreeFormat(format)) {
      const { readTreeFile, singleTreeFile } = await treeFiles();
      yield await readTreeFile(await singleTreeFile(input, format), o.maxDocBytes, o.signal);
      continue;
    }
    yield* readStream(input, format, o);
  }
}

async function* readTree(root: string, o: Resolved): AsyncGenerator<IngestItem | RawIngestItem> {
  const formats = o.format === null ? TREE_FORMATS : [o.format];
  try {
    for await (const file of walkTree(root, formats, o.signal)) {
      o.signal?.throwIfAborted();
      if ('outside' in file) {
        yield { rejected: { file: file.shown, line: 0, id: null, reason: `${file.outside}; not followed` }, bytes: 0 };
      } else if (isTreeFormat(file.format)) {
        yield await (await treeFiles()).readTreeFile(file, o.maxDocBytes, o.signal);
      } else {
        yield* readStream(file.path, file.format, o);
      }
    }
  } catch (err) {
    throw inputError(root, err);
  }
}

/** The format of a stream from its first bytes: `[` is a JSON array, `{` NDJSON. */
function sniffFormat(head: Buffer): InputFormat | null {
  for (const c of head) {
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
    if (c === 0x5b) return 'json';
    if (c === 0x7b) return 'ndjson';
    return null;
  }
  return null;
}

async function* readStream(file: string, given: InputFormat | null, o: Resolved): AsyncGenerator<IngestItem | RawIngestItem> {
  const input = await openInput(file, o.signal);
  const name = inputName(file);
  const format = given ?? sniffFormat(input.head);
  if (format === null || isTreeFormat(format)) {
    await input.close();
    if (input.head.length === 0) return; // an empty input of unknown format holds no records
    const why = format === null ? 'cannot tell its format from its name or first byte' : `${format} is read from files, not from a stream`;
    throw new EngineError('E_INPUT', `cannot read ${name}: ${why}; use --format ndjson, json or csv`);
  }
  const records =
    format === 'csv'
      ? (await csvParser())(input.chunks, name, input.head, o)
      : format === 'json'
        ? parseJsonStream(input.chunks, name, o)
        : o.rawNdjson
          ? parseNdjsonRaw(input.chunks, name, o)
          : parseNdjson(input.chunks, name, o);
  // For gzip, the share of each record is the compressed bytes read since the last one.
  let reported = 0;
  let line = 0;
  try {
    for await (const item of records) {
      o.signal?.throwIfAborted();
      let bytes = item.bytes;
      if (input.gzip) {
        bytes = input.diskBytes() - reported;
        reported += bytes;
      }
      if ('rejected' in item) {
        line = item.rejected.line;
        yield { rejected: item.rejected, bytes };
      } else if ('raws' in item) {
        line = item.raws[item.raws.length - 1]?.line ?? line;
        yield { raws: item.raws, file: name, bytes };
      } else {
        line = item.line;
        yield { doc: item.doc, bodyUtf8: item.bodyUtf8, file: name, line, bytes };
      }
    }
  } catch (err) {
    throw inputError(name, err, line > 0 ? ` after line ${line}` : '');
  } finally {
    await input.close();
  }
}

/**
 * Bytes on disk of all inputs (compressed bytes for gzip), to show progress against the
 * sum of the items' `bytes`; null when unknown (stdin). A tree counts the files it reads.
 */
export async function inputSize(inputs: readonly string[], options: InputOptions = {}): Promise<number | null> {
  const o = resolveOptions(options);
  let total = 0;
  for (const input of inputs) {
    if (input === '-') return null;
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(input);
    } catch (err) {
      throw inputError(input, err);
    }
    if (!info.isDirectory()) {
      total += info.size;
      continue;
    }
    try {
      for await (const file of walkTree(input, o.format === null ? TREE_FORMATS : [o.format], o.signal)) {
        if (!('outside' in file)) total += file.size;
      }
    } catch (err) {
      throw inputError(input, err);
    }
  }
  return total;
}
