/**
 * Fuzzes the input parsers (NDJSON, JSON, CSV, Markdown, HTML) with fast-check: any bytes,
 * cut into chunks anywhere, must give documents or rejected records, never a crash, a
 * hang or an error other than EngineError E_INPUT; valid dumps must come back whole.
 *
 *   node --import tsx scripts/fuzz-inputs.ts [runs per property, default 2000] [seed]
 *
 * Seven properties × 2000 runs = 14,000 cases by default; test/ingest-fuzz.test.ts runs
 * the same properties with fewer.
 */
import { isUtf8 } from 'node:buffer';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { isEngineError } from '../src/errors.js';
import { parseCsv } from '../src/ingest/csv.js';
import { parseJsonStream } from '../src/ingest/json-stream.js';
import { parseNdjson } from '../src/ingest/ndjson.js';
import { parseTreeFile } from '../src/ingest/tree-file.js';
import type { IngestItem } from '../src/ingest/types.js';
import { Utf8Checker } from '../src/ingest/utf8-check.js';

/** A case slower than this is reported as a hang (inputs are at most a few KB). */
export const HANG_MS = 5000;

const MAX_RECORD_BYTES = 4096;

/** The bytes cut into 1 to 8 chunks at arbitrary points, as a stream would deliver them. */
async function* chunked(bytes: Buffer, cuts: number[]): AsyncGenerator<Buffer> {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  for (const p of points) {
    if (p > from) yield bytes.subarray(from, p);
    from = Math.max(from, p);
  }
  if (from < bytes.length) yield bytes.subarray(from);
}

type Item = { doc: { id: string }; line: number } | { rejected: { line: number; reason: string } };

/** Drains a parser; an error must be EngineError E_INPUT. */
async function drain(items: AsyncIterable<Item | IngestItem>): Promise<{ items: Item[]; error: unknown }> {
  const out: Item[] = [];
  try {
    for await (const item of items) out.push(item as Item);
    return { items: out, error: null };
  } catch (err) {
    if (!isEngineError(err, 'E_INPUT')) throw err;
    return { items: out, error: err };
  }
}

function checkItems(items: Item[]): void {
  for (const item of items) {
    if ('rejected' in item) {
      if (typeof item.rejected.reason !== 'string' || item.rejected.reason === '') throw new Error('a rejection without a reason');
      if (!Number.isInteger(item.rejected.line) || item.rejected.line < 0) throw new Error(`bad line ${item.rejected.line}`);
    } else if (typeof item.doc.id !== 'string' || item.doc.id === '') throw new Error('a document without an id');
  }
}

/** Bytes that look like the formats often enough to reach deep into the parsers. */
const tokens = (extra: string[]) =>
  fc
    .array(
      fc.oneof(
        {
          weight: 4,
          arbitrary: fc.constantFrom(
            '{',
            '}',
            '[',
            ']',
            '"',
            ',',
            ':',
            '\\',
            '\n',
            '\r\n',
            ' ',
            'id',
            'body',
            'title',
            'tags',
            '1',
            '-',
            ...extra,
          ),
        },
        { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
        { weight: 1, arbitrary: fc.constantFrom('\\u00', '\\ud800', '\u0000', '中文', '😀', '\ufeff') },
      ),
      { maxLength: 200 },
    )
    .map((parts) => Buffer.from(parts.join('')));
const rawBytes = fc.oneof(
  fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)),
  tokens([]),
);
const cuts = fc.array(fc.nat(), { maxLength: 8 });

const text = fc.string({
  unit: fc.oneof(
    fc.constantFrom('中', '文', '检', '索', '😀', 'a', ' ', '"', ',', '\n', '\r\n', '\\', '|', ';'),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 40,
});
const docArb = fc.record({
  id: fc.oneof(
    text.filter((s) => /\S/.test(s) && ![...s].some((c) => c < ' ' || c === '\u007f') && Buffer.byteLength(s) <= 512),
    fc.integer(),
  ),
  title: text,
  body: text.filter((s) => s.trim() !== ''),
  tags: fc.array(
    text.filter((s) => !/[,;|]/.test(s) && s.trim() === s && s !== ''),
    { maxLength: 3 },
  ),
});

export interface Property {
  name: string;
  property: fc.IAsyncPropertyWithHooks<never> | fc.IAsyncProperty<never>;
}

function prop<T extends unknown[]>(
  name: string,
  arbs: { [K in keyof T]: fc.Arbitrary<T[K]> },
  check: (...args: T) => Promise<void>,
): Property {
  const property = fc.asyncProperty(...(arbs as unknown as [fc.Arbitrary<unknown>]), async (...args: unknown[]) => {
    const started = performance.now();
    await check(...(args as T));
    const ms = performance.now() - started;
    if (ms > HANG_MS) throw new Error(`took ${Math.round(ms)} ms`);
  });
  return { name, property: property as unknown as Property['property'] };
}

export const PROPERTIES: Property[] = [
  prop('NDJSON: any bytes, any chunking', [rawBytes, cuts], async (bytes: Buffer, at: number[]) => {
    const { items, error } = await drain(parseNdjson(chunked(bytes, at), 'fuzz.ndjson', { maxRecordBytes: MAX_RECORD_BYTES }));
    if (error) throw new Error(`NDJSON threw ${String(error)}`);
    checkItems(items);
  }),
  prop('JSON: any bytes, any chunking', [rawBytes, cuts], async (bytes: Buffer, at: number[]) => {
    const { items, error } = await drain(parseJsonStream(chunked(bytes, at), 'fuzz.json', { maxRecordBytes: MAX_RECORD_BYTES }));
    if (error) throw new Error(`JSON threw ${String(error)}`);
    checkItems(items);
  }),
  prop(
    'JSON: a valid array comes back whole, each element at its line',
    [fc.array(docArb, { maxLength: 8 }), fc.boolean(), cuts],
    async (docs, pretty, at) => {
      const text = pretty ? JSON.stringify(docs, null, 2) : `[${docs.map((d) => JSON.stringify(d)).join(',\n')}]`;
      const { items } = await drain(parseJsonStream(chunked(Buffer.from(text), at), 'ok.json', { maxRecordBytes: 1 << 20 }));
      const ids = items.map((i) => ('doc' in i ? i.doc.id : `rejected: ${i.rejected.reason}`));
      const want = docs.map((d) => String(d.id));
      if (JSON.stringify(ids) !== JSON.stringify(want)) throw new Error(`got ${JSON.stringify(ids)}, want ${JSON.stringify(want)}`);
      const lines = text.split('\n');
      const starts = pretty ? lines.flatMap((l, i) => (l === '  {' ? [i + 1] : [])) : docs.map((_, i) => i + 1);
      const got = items.map((i) => ('doc' in i ? i.line : -1));
      if (JSON.stringify(got) !== JSON.stringify(starts)) throw new Error(`lines ${got} != ${starts}`);
    },
  ),
  prop(
    'CSV: any bytes after a header, any chunking',
    [rawBytes, cuts, fc.constantFrom('id,body\n', 'id,title,body,tags\n', 'id\tbody\n')],
    async (bytes, at, header) => {
      const all = Buffer.concat([Buffer.from(header), bytes]);
      const { items } = await drain(parseCsv(chunked(all, at), 'fuzz.csv', all, { maxRecordBytes: MAX_RECORD_BYTES }));
      checkItems(items);
    },
  ),
  prop(
    'CSV: quoted cells come back whole, at their lines',
    [fc.array(docArb, { maxLength: 8 }), cuts, fc.constantFrom('\n', '\r\n')],
    async (docs, at, eol) => {
      const cell = (v: string): string => `"${v.replaceAll('"', '""')}"`;
      const rows = docs.map((d) => [String(d.id), d.title, d.body, d.tags.join('|')].map(cell).join(','));
      const text = `id,title,body,tags${eol}${rows.join(eol)}${eol}`;
      const { items } = await drain(parseCsv(chunked(Buffer.from(text), at), 'ok.csv', Buffer.from(text), { maxRecordBytes: 1 << 20 }));
      const got = items.map((i) =>
        'doc' in i ? [i.doc.id, i.line] : ['rejected', (i as { rejected: { reason: string } }).rejected.reason],
      );
      let line = 2;
      const want = docs.map((d, k) => {
        const at = line;
        line += `${rows[k]}${eol}`.split('\n').length - 1;
        return [String(d.id), at];
      });
      if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
    },
  ),
  prop('UTF-8 check: any bytes, any chunking, finds invalid bytes exactly when there are some', [rawBytes, cuts], async (bytes, at) => {
    const checker = new Utf8Checker();
    let length = 0;
    for await (const chunk of checker.pass(chunked(bytes, at))) length += chunk.length;
    if (length !== bytes.length) throw new Error('bytes lost');
    if ((checker.ranges.length === 0) !== isUtf8(bytes))
      throw new Error(`ranges ${JSON.stringify(checker.ranges)} for valid=${isUtf8(bytes)}`);
    for (const r of checker.ranges) if (isUtf8(bytes.subarray(r.start, r.end))) throw new Error(`range ${r.start}-${r.end} is valid`);
  }),
  prop(
    'Markdown and HTML files: any text gives a document or a rejection',
    [
      fc.oneof(
        tokens([
          '---\n',
          '+++\n',
          '---js\n',
          '```',
          '~~~',
          '#',
          '*',
          '_',
          '`',
          '|',
          '(',
          ')',
          '!',
          '<',
          '>',
          '<div>',
          '</p>',
          '<title>',
          '<!--',
          '-->',
          'title: ',
          'date: 2024-01-01\n',
          '&amp;',
          '&#x',
          'tags = [',
        ]),
        fc.string({ unit: 'binary', maxLength: 300 }).map((s) => Buffer.from(s)),
      ),
      fc.constantFrom('markdown', 'html', 'txt'),
    ],
    async (bytes, format) => {
      const item = parseTreeFile({ shown: `fuzz.${format}`, id: 'fuzz', format: format as 'markdown', size: bytes.length }, bytes);
      checkItems([item as Item]);
    },
  ),
];

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 2000);
  const seed = process.argv[3] === undefined ? Date.now() : Number(process.argv[3]);
  let total = 0;
  console.log(`seed ${seed}, ${runs} runs per property`);
  for (const { name, property } of PROPERTIES) {
    const started = performance.now();
    const result = await fc.check(property, { numRuns: runs, seed });
    total += result.numRuns;
    const ms = Math.round(performance.now() - started);
    if (result.failed) {
      console.error(`FAIL ${name}\n${fc.defaultReportMessage(result)}`);
      process.exitCode = 1;
    } else console.log(`ok ${name}: ${result.numRuns} cases in ${ms} ms`);
  }
  console.log(`${total} cases${process.exitCode ? ', FAILED' : ', all passed'}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
