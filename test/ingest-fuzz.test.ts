import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { PROPERTIES } from '../scripts/fuzz-inputs.js';
import { htmlTitle, htmlToText } from '../src/ingest/html-text.js';
import { parseJsonStream, splitJsonValues } from '../src/ingest/json-stream.js';
import { markdownToText, splitFrontMatter } from '../src/ingest/markdown.js';
import { parseTreeFile } from '../src/ingest/tree-file.js';

// scripts/fuzz-inputs.ts runs these with 2000 cases each (12,000 in all); the suite runs fewer.
for (const { name, property } of PROPERTIES) {
  test(`fuzz: ${name}`, async () => {
    await fc.assert(property, { numRuns: 150 });
  });
}

async function* once(text: string): AsyncGenerator<Buffer> {
  yield Buffer.from(text);
}

/**
 * Shapes that make a backtracking regex or a recursive walk blow up: each must finish
 * (linear work); the test's timeout is the hang detector, never a speed claim.
 */
test('pathological Markdown, HTML and JSON of 200 KB finish', { timeout: 60_000 }, async () => {
  const n = 200_000;
  for (const md of [
    '['.repeat(n),
    '!['.repeat(n / 2),
    ']('.repeat(n / 2),
    `${' '.repeat(n)}x`,
    '*'.repeat(n),
    '_a'.repeat(n / 2),
    '<a'.repeat(n / 2),
    `${'>'.repeat(n)} x`,
    `# ${'#'.repeat(n)}x`,
    `---\n${'a: '.repeat(n / 3)}\n---\n`,
    `+++\n${'a = ['.repeat(n / 5)}\n+++\n`,
    '\\'.repeat(n),
    `+++\na = x${' '.repeat(n)}y\n+++\n`,
    `# a${' #'.repeat(n / 2)}x\n正文`,
  ]) {
    const file = parseTreeFile({ shown: 'bad.md', id: 'bad', format: 'markdown', size: md.length }, Buffer.from(md));
    assert.ok('doc' in file || 'rejected' in file);
    assert.equal(typeof markdownToText(md), 'string');
    try {
      splitFrontMatter(md);
    } catch (err) {
      assert.ok(err instanceof Error);
    }
  }
  assert.match(htmlToText(`${'<div>'.repeat(n / 5)}深处的文字`), /深处的文字/); // deeper than MAX_HTML_DEPTH: kept
  assert.equal(htmlTitle(`${'<title>'.repeat(n / 7)}${'<h1>'.repeat(n / 4)}`), '');
  assert.equal(typeof htmlToText('<'.repeat(n)), 'string');
  let values = 0;
  for await (const _ of splitJsonValues(once('"'.repeat(n)), 1 << 20)) values++;
  assert.ok(values > 0);
  let items = 0;
  for await (const _ of parseJsonStream(once(','.repeat(n)), 'commas.json', { maxRecordBytes: 1 << 20 })) items++;
  assert.equal(items, 0); // commas between top-level values are tolerated
  for await (const item of parseJsonStream(once('x '.repeat(10_000)), 'junk.json', { maxRecordBytes: 1 << 20 })) {
    assert.ok('rejected' in item);
    items++;
  }
  assert.equal(items, 10_000); // each run of junk is one rejected value
});
