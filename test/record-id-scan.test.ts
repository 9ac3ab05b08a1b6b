import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { scanRecordId } from '../src/ingest/record-id-scan.js';
import { sampleDocs } from './helpers.js';

/** What the worker's parser makes of a record's id (JSON.parse, then normalizeId's rule). */
function parsedId(text: string, key = 'id'): string | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const id = Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
  if (typeof id === 'string') return id;
  if (typeof id === 'number' && Number.isSafeInteger(id)) return String(id);
  return null;
}

const scan = (text: string, key = 'id') => scanRecordId(Buffer.from(text), key);

test('the id read from the bytes is the one the parser finds, on the real sample', () => {
  for (const doc of sampleDocs()) {
    const line = JSON.stringify(doc);
    assert.equal(scan(line), doc.id);
    assert.equal(scan(line), parsedId(line));
  }
});

test('ids with escapes, numbers, nesting, duplicates and spacing', () => {
  const cases = [
    '{"id":"内存溢出"}',
    '{ "body" : "正文 \\" } 引号" , "id" : "a\\"b" }',
    '{"tags":["x","}"],"meta":{"id":"inner"},"id":"outer"}',
    '{"id":"first","id":"last"}',
    '{"id":12345}',
    '{"id":-0}',
    '{"id":1e3}',
    '{"id":1.5}',
    '{"id":9007199254740993}',
    '{"id":null}',
    '{"id":true}',
    '{"i\\u0064":"escaped key"}',
    '{"id":"\\u5185\\u5b58"}',
    '\t{"id":"spaced"}\r',
    '{"id":"x"} trailing',
    '["id","x"]',
    '{}',
    '',
  ];
  for (const text of cases) assert.equal(scan(text), parsedId(text), text);
  assert.equal(scan('{"article_id":42,"id":"no"}', 'article_id'), '42');
  assert.equal(scanRecordId(Buffer.from('{"id":42}'), 'id', false), null);
});

test('for any JSON record, the scanned id equals the parsed one (property)', () => {
  const key = fc.constantFrom('id', 'ID', 'title', 'body', 'i"d', '内容');
  const idValue = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.integer(), fc.double(), fc.constant(null), fc.boolean(), fc.jsonValue());
  const record = fc.array(fc.tuple(key, fc.oneof(idValue, fc.jsonValue())), { maxLength: 6 });
  const space = fc.constantFrom('', ' ', '\n', '\t', '  \r\n');
  fc.assert(
    fc.property(record, space, space, (entries, a, b) => {
      // Built by hand so that duplicate keys and spacing survive (JSON.stringify of an object would merge them).
      const text = `${a}{${entries.map(([k, v]) => `${a}${JSON.stringify(k)}${b}:${a}${JSON.stringify(v) ?? 'null'}${b}`).join(',')}}${b}`;
      assert.equal(scan(text), parsedId(text), text);
    }),
    { numRuns: 3000 },
  );
});

test('any bytes: the scanner never throws, and finds an id only where the text could hold one', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1'))), (text) => {
      const id = scan(text);
      if (id !== null) assert.ok(text.includes('"id"') || text.includes('\\u'), text);
      const parsed = parsedId(text);
      if (parsed !== null) assert.equal(id, parsed);
    }),
    { numRuns: 3000 },
  );
});
