import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { Analyzer } from '../src/analysis/analyzer.js';
import { parseBytes, planMemory } from '../src/config.js';
import { defaultThreads, isEngineError, openIndex } from '../src/index.js';
import { PostingsBuffer } from '../src/indexing/postings-buffer.js';
import { splitLargeBody } from '../src/ingest/large-json.js';
import { SegmentWriter } from '../src/store/segment-writer.js';
import { sampleDocs, tempDir } from './helpers.js';

const MiB = 1024 * 1024;
const docs = sampleDocs();
const BIN = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));

/** A long real article: the sample's man pages back to back (about 560 KB). */
function longBody(): string {
  return docs
    .filter((d) => d.id.startsWith('manpages-zh'))
    .map((d) => `${d.title}\n${d.body}`)
    .join('\n\n');
}

test('default threads follow the machine: 512 MB, 1 GB, 8 GB', () => {
  // The default budget (40% of memory, 160-256 MB) holds the main thread and one worker.
  assert.equal(defaultThreads(512 * MiB, 1), 1);
  assert.equal(defaultThreads(512 * MiB, 2), 1);
  assert.equal(defaultThreads(1024 * MiB, 2), 1);
  assert.equal(defaultThreads(8192 * MiB, 8), 1);
  assert.equal(planMemory(512 * MiB, undefined, 8192 * MiB, 8).threads, 4);
  assert.equal(planMemory(384 * MiB, undefined, 8192 * MiB, 8).threads, 3);
  const small = planMemory(undefined, undefined, 512 * MiB, 1);
  assert.equal(small.threads, 1);
  assert.ok(small.maxMemory <= 0.45 * 512 * MiB, `${small.maxMemory}`);
  assert.ok(planMemory(undefined, undefined, 512 * MiB, 1).maxMemory >= 160 * MiB);
  const big = planMemory(2048 * MiB, undefined, 8192 * MiB, 8);
  assert.equal(big.threads, 4);
  assert.match(big.threadsReason, /2048 MB budget/);
  const forced = planMemory(160 * MiB, 4, 8192 * MiB, 8);
  assert.equal(forced.threads, 4);
  assert.match(forced.threadsReason, /set by option .*fits 1/);
  assert.equal(parseBytes('256M'), 256 * MiB);
  assert.equal(parseBytes('1.5g'), 1.5 * 1024 * MiB);
  assert.equal(parseBytes('300000000'), 300000000);
  assert.throws(
    () => parseBytes('lots'),
    (e) => isEngineError(e, 'E_CONFIG'),
  );
});

test('a document over maxDocBytes is refused by id, or cut with truncateLongDocs', async (t) => {
  const body = longBody();
  const refuse = await openIndex(tempDir(t), { threads: 1, shards: 1, maxDocBytes: 64 * 1024 });
  t.after(() => refuse.close());
  await refuse.add(docs.slice(0, 3));
  await assert.rejects(
    refuse.add({ id: 'long', title: '很长的文章', body }),
    (e) => isEngineError(e, 'E_INPUT') && /id "long".*over maxDocBytes \(0\.1 MiB\)/.test(e.message),
  );
  await refuse.flush();
  assert.equal(refuse.stats().docs, 3);

  const cut = await openIndex(tempDir(t), { threads: 1, shards: 1, maxDocBytes: 64 * 1024, truncateLongDocs: true });
  t.after(() => cut.close());
  await cut.add({ id: 'long', title: '很长的文章', body });
  await cut.flush();
  const stored = cut.get('long');
  assert.ok(stored !== undefined);
  assert.ok(Buffer.byteLength(stored.body) + Buffer.byteLength('很长的文章') <= 64 * 1024);
  assert.ok(body.startsWith(stored.body) && stored.body.length > 10_000);
});

test('a large body (moved to the worker as UTF-8) is stored whole and searchable to its end', async (t) => {
  const body = `${longBody()}\n结尾处的独特句子：蓝色的鲸鱼在图书馆里读书。`;
  assert.ok(body.length > 256 * 1024);
  const index = await openIndex(tempDir(t), { threads: 1, shards: 2 });
  t.after(() => index.close());
  await index.add([{ id: 'big', title: '手册合集', body }, ...docs.slice(0, 5)]);
  await index.add({ id: 'bytes', title: '字节正文', body: Buffer.from('以字节给出的正文：倒排索引与分词。') });
  await index.flush();
  assert.equal(index.get('big')?.body, body);
  assert.equal(index.get('bytes')?.body, '以字节给出的正文：倒排索引与分词。');
  assert.equal(index.search('蓝色的鲸鱼 图书馆').hits[0]?.id, 'big');
  assert.equal(index.search('倒排索引').hits[0]?.id, 'bytes');
  assert.equal(
    index.search('列出目录内容', { limit: 20 }).hits.some((h) => h.id === 'big'),
    true,
  );
});

test('postings spilled to sorted runs give byte-identical segments', async (t) => {
  const analyzer = Analyzer.load();
  const body = longBody();
  const batch = [...docs.slice(0, 40), { id: 'long', title: '手册合集', body, tags: ['长文'] }, ...docs.slice(40, 80)];
  let runsBeforeWrite = 0;
  const segment = (buffer: PostingsBuffer): Map<string, string> => {
    const out = new Map<string, string>();
    buffer.reset(join(tempDir(t, 'ruyi-runs-'), 'runs'));
    for (const d of batch) buffer.addDocument(analyzer, d.title ?? '', d.body as string, d.tags ?? []);
    runsBeforeWrite = buffer.spilledRuns;
    const writer = new SegmentWriter(7, (key, value) => out.set(JSON.stringify(key), value.toString('hex')));
    buffer.writeSegment(writer, 1000);
    writer.finish(buffer.norms());
    return out;
  };
  const whole = segment(new PostingsBuffer());
  const spilling = new PostingsBuffer(5000);
  const spilled = segment(spilling);
  assert.ok(runsBeforeWrite > 10, `runs spilled: ${runsBeforeWrite}`);
  assert.ok(whole.size > 10);
  assert.deepEqual(spilled, whole);
  assert.equal(spilling.spilledRuns, 0, 'runs are removed once merged');
});

test('a huge NDJSON line: the body is unescaped in place, the rest parsed as JSON', () => {
  const arbitraryText = fc.string({ unit: 'grapheme', maxLength: 200 });
  fc.assert(
    fc.property(arbitraryText, arbitraryText, fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }), (title, body, tags) => {
      const doc = { id: 'x', title, tags, body, date: '2019-01-01', fields: { a: [1, { b: '}' }] } };
      const line = Buffer.from(JSON.stringify(doc));
      const split = splitLargeBody(line);
      assert.ok(split !== null);
      assert.equal(split.body.toString('utf8'), body.toWellFormed());
      assert.deepEqual(split.rest, { ...doc, body: '' });
    }),
    { numRuns: 500 },
  );
  // Escapes of every kind, a surrogate pair and a lone one.
  const tricky = Buffer.from('{"id":"t","body":"a\\"b\\\\c\\/d\\n\\t\\u4e2d\\ud83d\\ude00\\ud800x","title":"t"}');
  const split = splitLargeBody(tricky);
  assert.equal(split?.body.toString('utf8'), 'a"b\\c/d\n\t中😀\ufffdx');
  assert.equal(splitLargeBody(Buffer.from('[1,2]')), null);
  assert.equal(splitLargeBody(Buffer.from('{"id":"t","title":"no body"}')), null);
  assert.equal(splitLargeBody(Buffer.from('{"id":"t","body":"bad \\x escape"}')), null);
});

test('ruyi index reads a 2 MB line without holding it as a string, and reports the doc over the limit', (t) => {
  const dir = tempDir(t);
  const body = longBody().repeat(4);
  const dump = join(dir, 'long.ndjson');
  writeFileSync(
    dump,
    `${JSON.stringify({ id: 'small', title: '短文', body: '短短的一篇' })}\n${JSON.stringify({ id: 'huge', title: '合集', body })}\n` +
      `${JSON.stringify({ id: 'odd', title: body, body: 42 })}\n`,
  );
  const db = join(dir, 'db');
  const ok = spawnSync(process.execPath, [BIN, 'index', dump, '--db', db, '--json'], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  const first = JSON.parse(ok.stdout);
  assert.equal(first.docs, 2);
  // A huge line whose text is not a string body is refused, not parsed into a huge string.
  assert.equal(first.failed, 1);
  assert.equal(first.errors[0].line, 3);
  assert.match(first.errors[0].reason, /must be a JSON object with its text in a string "body"/);
  const found = spawnSync(process.execPath, [BIN, 'search', '列出目录内容', '--db', db, '--json'], { encoding: 'utf8' });
  assert.equal(JSON.parse(found.stdout).hits[0].id, 'huge');
  // No spilled run is left behind.
  if (existsSync(join(db, 'tmp')))
    assert.deepEqual(
      readdirSync(join(db, 'tmp')).flatMap((d) => readdirSync(join(db, 'tmp', d))),
      [],
    );

  const limited = spawnSync(process.execPath, [BIN, 'index', dump, '--db', join(dir, 'db2'), '--max-doc-bytes', '1M', '--json'], {
    encoding: 'utf8',
  });
  assert.equal(limited.status, 0, limited.stderr);
  const report = JSON.parse(limited.stdout);
  assert.equal(report.docs, 1);
  assert.equal(report.failed, 2);
  // Over twice the limit, the reader skips the record without reading it into memory.
  assert.equal(report.errors[0].line, 2);
  assert.match(report.errors[0].reason, /record of 2\.\d MiB is over the 2\.0 MiB record limit \(twice maxDocBytes/);
});
