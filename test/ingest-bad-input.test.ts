import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isEngineError } from '../src/errors.js';
import { type InputOptions, readInputs } from '../src/ingest/index.js';
import { tempDir } from './helpers.js';

const BAD = new URL('./fixtures/bad-input/', import.meta.url).pathname;
const MiB = 2 ** 20;

interface Outcome {
  ids: string[];
  /** `line: reason` of each rejected record, in order. */
  rejected: string[];
  /** The message of the error that stopped reading, if any. */
  error: string | null;
}

async function outcome(inputs: string[], options?: InputOptions): Promise<Outcome> {
  const result: Outcome = { ids: [], rejected: [], error: null };
  try {
    for await (const item of readInputs(inputs, options)) {
      if ('rejected' in item) result.rejected.push(`${item.rejected.line}: ${item.rejected.reason}`);
      else result.ids.push(item.doc.id);
    }
  } catch (err) {
    if (!isEngineError(err, 'E_INPUT')) throw err;
    result.error = err.message;
  }
  return result;
}

/** The documented result of each file of the corpus (README, "Inputs" → "Bad input"). */
const EXPECTED: Record<string, { ids: string[]; rejected: RegExp[]; error?: RegExp }> = {
  'malformed.ndjson': {
    ids: ['good-1', 'good-2'],
    rejected: [
      /^2: invalid JSON: Unterminated string/,
      /^3: missing id$/,
      /^5: empty body$/,
      /^6: tags must be an array of strings$/,
      /^7: invalid UTF-8$/,
      /^8: title must be a string, got object$/,
      /^9: a document must be an object$/,
      /^12: missing body$/,
    ],
  },
  'ids.ndjson': {
    ids: ['docs/guide/安装.md', '../../etc/passwd', '😀🔍', '42', '-7'],
    rejected: [
      /^1: id contains a control character \(U\+0000\)$/,
      /^7: id must be a string or an integer, got 3\.14$/,
      /^8: id 12345678901234567000 is beyond 2\^53 and lost digits when parsed; quote it$/,
      /^9: id is empty$/,
      /^10: id is not valid Unicode \(lone surrogate\)$/,
      /^11: id is longer than 512 bytes$/,
      /^12: id contains a control character \(U\+0009\)$/,
      /^13: id must be a string, got boolean$/,
    ],
  },
  'empty.ndjson': { ids: [], rejected: [] },
  'zero-byte-lines.ndjson': { ids: [], rejected: [] },
  'zero-byte.md': { ids: [], rejected: [/^0: missing body|^0: empty body$/] },
  'unclosed.html': { ids: [], rejected: [/^0: empty body$/] },
  'binary-junk.bin': { ids: [], rejected: [], error: /cannot read .*binary-junk\.bin: cannot tell its format.*--format/ },
  'deep-nesting.json': { ids: ['deep', 'after-deep'], rejected: [] },
  'deep-nesting.ndjson': { ids: ['deep', 'after'], rejected: [/^2: invalid JSON/] },
  'broken.json': {
    ids: ['j1', 'j2', 'j3'],
    rejected: [
      /^4: invalid JSON: expected "," or "\]" after an element, got "\{"$/,
      /^5: invalid JSON: Bad escaped character/,
      /^6: invalid JSON: unexpected end of input inside this element/,
    ],
  },
  'broken.csv': {
    ids: ['c1', 'c3'],
    rejected: [/^3: invalid CSV: Invalid Record Length/, /^6: empty body$/, /^7: invalid UTF-8/, /^8: invalid CSV: Quote Not Closed/],
  },
  'no-id-column.csv': {
    ids: [],
    rejected: [],
    error: /no-id-column\.csv: the CSV header has no "id" column \(columns: 编号, 标题, 正文\); map one with --id-field/,
  },
  'truncated.ndjson.gz': {
    ids: Array.from({ length: 92 }, (_, i) => `gz-${i}`),
    rejected: [],
    error: /cannot read .*truncated\.ndjson\.gz after line 92: truncated or corrupt gzip \(unexpected end of file\)/,
  },
};

for (const [file, expected] of Object.entries(EXPECTED)) {
  test(`bad input: ${file} gives its documented result`, async () => {
    const got = await outcome([join(BAD, file)]);
    assert.deepEqual(got.ids, expected.ids);
    assert.equal(got.rejected.length, expected.rejected.length, got.rejected.join('\n'));
    for (const [i, r] of got.rejected.entries()) assert.match(r, expected.rejected[i] as RegExp);
    if (expected.error) assert.match(got.error ?? '', expected.error);
    else assert.equal(got.error, null);
  });
}

test('bad input: binary junk named .ndjson rejects every line, none accepted, nothing thrown', async () => {
  const file = join(BAD, 'binary-junk.ndjson');
  const lines = readFileSync(file)
    .toString('latin1')
    .split('\n')
    .filter((l) => l.replace(/\r$/, '').trim() !== '').length;
  const got = await outcome([file]);
  assert.deepEqual(got.ids, []);
  assert.equal(got.rejected.length, lines);
  assert.ok(got.rejected.every((r) => /^\d+: (invalid UTF-8|invalid JSON)/.test(r)));
});

test('bad input: every file of the corpus is covered by the table above', () => {
  const files = (readFileSync(join(BAD, 'README.md'), 'utf8').match(/^\| `([^`]+)` \|/gm) ?? []).map((l) => l.slice(3, l.indexOf('` |')));
  for (const f of Object.keys(EXPECTED)) assert.ok(files.includes(f), `${f} is listed in bad-input/README.md`);
});

async function writeHugeLine(file: string, body: string, mib: number): Promise<void> {
  const out = createWriteStream(file);
  out.write(`{"id":"before","body":"前一行"}\n{"id":"huge","title":"一百兆","body":"`);
  const piece = body.repeat(Math.ceil(MiB / Buffer.byteLength(body)));
  for (let written = 0; written < mib * MiB; written += Buffer.byteLength(piece)) {
    if (!out.write(piece)) await once(out, 'drain');
  }
  out.end(`"}\n{"id":"after","body":"后一行"}\n`);
  await once(out, 'finish');
}

test('bad input: a 100 MB line is read as bytes (the engine then applies maxDocBytes), or skipped unread over maxRecordBytes', async (t) => {
  const file = join(tempDir(t), 'huge-line.ndjson');
  await writeHugeLine(file, '很长的一行', 100);
  const items = [];
  for await (const item of readInputs([file])) items.push(item);
  assert.deepEqual(
    items.map((i) => ('rejected' in i ? 'rejected' : [i.doc.id, i.line])),
    [
      ['before', 1],
      ['huge', 2],
      ['after', 3],
    ],
  );
  const huge = items[1] as { doc: { title: string; body: string }; bodyUtf8: Uint8Array };
  assert.equal(huge.doc.title, '一百兆');
  assert.ok(huge.bodyUtf8.byteLength >= 100 * MiB);
  items.length = 0;

  const limited = await outcome([file], { maxDocBytes: 16 * MiB });
  assert.deepEqual(limited.ids, ['before', 'after']);
  assert.deepEqual(limited.rejected, [
    `2: record of 100.0 MiB is over the 32.0 MiB record limit (twice the largest document: --max-doc-bytes, or what --max-memory can hold); it was skipped unread`,
  ]);
});

test('bad input: 1,000,000 levels of nesting neither crash nor hang', async (t) => {
  const dir = tempDir(t);
  const depth = 1_000_000;
  writeFileSync(join(dir, 'deep.json'), `[${'['.repeat(depth)}${']'.repeat(depth)},{"id":"z","body":"后面"},${'{"a":'.repeat(depth)}`);
  writeFileSync(
    join(dir, 'deep.ndjson'),
    `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}\n${'['.repeat(depth)}\n{"id":"z","body":"后面"}\n`,
  );
  const json = await outcome([join(dir, 'deep.json')]);
  assert.deepEqual(json.ids, ['z']);
  assert.equal(json.rejected.length, 2);
  assert.match(json.rejected[0] as string, /^1: a record of 1\.9 MiB must be a JSON object/);
  assert.match(json.rejected[1] as string, /^1: invalid JSON: unexpected end of input inside this element/);
  const ndjson = await outcome([join(dir, 'deep.ndjson')]);
  assert.deepEqual(ndjson.ids, ['z']);
  assert.equal(ndjson.rejected.length, 2);
});
