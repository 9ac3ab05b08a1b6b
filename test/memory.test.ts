import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { Analyzer } from '../src/analysis/analyzer.js';
import { minimumBytes, parseBytes, planMemory } from '../src/config.js';
import { PROCESS_BASE_BYTES, WORKER_BASE_BYTES } from '../src/memory-plan.js';
import { defaultThreads, isEngineError, openIndex } from '../src/index.js';
import { levelOf, MERGE_FACTOR, mergeSourceBytes, pickMerge } from '../src/indexing/merge-policy.js';
import { PostingsBuffer } from '../src/indexing/postings-buffer.js';
import { splitLargeBody } from '../src/ingest/large-json.js';
import { readCurrent } from '../src/store/generations.js';
import { SegmentWriter } from '../src/store/segment-writer.js';
import type { SegmentInfo } from '../src/store/shard-store.js';
import { SAMPLE_FILE, sampleDocs, tempDir } from './helpers.js';

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

test('default threads follow the machine: 512 MB, 1 GB, 8 GB, 160 and 256 MB containers', () => {
  const one = minimumBytes(1);
  // A 512 MB server: 40% of it, one thread. 384 MB: 40% is below what one thread needs, so that minimum.
  assert.equal(defaultThreads(512 * MiB, 2), 1);
  assert.equal(planMemory(undefined, undefined, 512 * MiB, 2, false).maxMemory, Math.round(0.4 * 512 * MiB));
  assert.equal(planMemory(undefined, undefined, 384 * MiB, 2, false).maxMemory, one);
  assert.equal(planMemory(undefined, undefined, 384 * MiB, 2, false).refusal, null);
  // 1 GB and up: 256 MB, which holds two threads, and no more than the cores.
  const gb = planMemory(undefined, undefined, 1024 * MiB, 2, false);
  assert.equal(gb.maxMemory, 256 * MiB);
  assert.equal(gb.threads, 2);
  assert.equal(defaultThreads(8192 * MiB, 1), 1);
  // A 256 MB container: the minimum for one thread, within its limit less the kernel's share.
  const box = planMemory(undefined, undefined, 256 * MiB, 2, true);
  assert.equal(box.threads, 1);
  assert.equal(box.refusal, null, box.refusal ?? '');
  assert.ok(box.maxMemory <= 256 * MiB - 4 * MiB);
  // A 160 MB container cannot hold one thread's measured minimum: refused, naming it.
  const tiny = planMemory(undefined, undefined, 160 * MiB, 2, true);
  assert.ok(one > 156 * MiB);
  assert.match(tiny.refusal ?? '', new RegExp(`below the ${Math.round(one / MiB)} MB that one thread needs .*--max-memory ${Math.ceil(one / MiB)}M`));
  // Budgets: threads fill them up to the cores and 4.
  assert.equal(planMemory(512 * MiB, undefined, 8192 * MiB, 8).threads, 4);
  assert.equal(planMemory(384 * MiB, undefined, 8192 * MiB, 8).threads, 3);
  assert.equal(planMemory(200 * MiB, undefined, 8192 * MiB, 8).threads, 1);
  const big = planMemory(2048 * MiB, undefined, 8192 * MiB, 8);
  assert.equal(big.threads, 4);
  assert.match(big.threadsReason, /2048 MB budget/);
  // More threads than a budget holds: refused with the minimum for them.
  const forced = planMemory(160 * MiB, 4, 8192 * MiB, 8);
  assert.equal(forced.threads, 4);
  assert.match(forced.refusal ?? '', new RegExp(`160 MB budget is below the ${Math.round(minimumBytes(4) / MiB)} MB that 4 threads need`));
  // Threads without a budget raise it to what they need when the machine has it.
  const raised = planMemory(undefined, 4, 8192 * MiB, 8, false);
  assert.equal(raised.maxMemory, Math.max(256 * MiB, minimumBytes(4)));
  assert.equal(raised.refusal, null);
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
  assert.match(report.errors[0].reason, /record of 2\.\d MiB is over the 2\.0 MiB record limit \(twice the largest document/);
});

const segArb = fc
  .array(fc.integer({ min: 1, max: 40 * MiB }), { maxLength: 30 })
  .map((sizes) => sizes.map((bytes, i): SegmentInfo => ({ id: i, first: i * 100, last: i * 100 + 99, docs: 100, bytes, blocks: 1 })));

test('pickMerge never reads more than maxMergeBytes: adjacent segments of one level, at least two', () => {
  fc.assert(
    fc.property(segArb, fc.integer({ min: 1, max: 64 * MiB }), (segments, cap) => {
      const pick = pickMerge(segments, cap);
      if (pick === null) return;
      assert.ok(pick.length >= 2 && pick.length <= MERGE_FACTOR);
      assert.ok(mergeSourceBytes(pick) <= cap, `${mergeSourceBytes(pick)} > ${cap}`);
      const start = segments.indexOf(pick[0] as SegmentInfo);
      pick.forEach((s, j) => {
        assert.equal(s, segments[start + j]);
        assert.equal(levelOf(s), levelOf(pick[0] as SegmentInfo));
      });
    }),
    { numRuns: 2000 },
  );
  // Eight small segments of one level merge; eight that do not fit together merge as the prefix that does.
  const eight = Array.from({ length: MERGE_FACTOR }, (_, i): SegmentInfo => ({ id: i, first: i, last: i, docs: 1, bytes: MiB, blocks: 1 }));
  assert.equal(pickMerge(eight, 8 * MiB)?.length, 8);
  assert.equal(pickMerge(eight, 3 * MiB)?.length, 3);
  assert.equal(pickMerge(eight, MiB), null);
});

test('every share of the plan fits its budget, on any machine and budget', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 64, max: 65536 }),
      fc.integer({ min: 1, max: 64 }),
      fc.boolean(),
      fc.option(fc.integer({ min: 1, max: 4096 }), { nil: undefined }),
      fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
      (machineMb, cores, constrained, budgetMb, threads) => {
        const plan = planMemory(budgetMb === undefined ? undefined : budgetMb * MiB, threads, machineMb * MiB, cores, constrained);
        if (plan.refusal !== null) {
          assert.ok(plan.maxMemory < plan.minimumBytes);
          return;
        }
        // What the plan hands out, added up, stays within the budget.
        const planned =
          PROCESS_BASE_BYTES + plan.mainPendingBytes * 2 + plan.threads * (WORKER_BASE_BYTES + plan.workerWorkBytes);
        assert.ok(planned <= plan.maxMemory + MiB, `${planned} > ${plan.maxMemory}`);
        // The heap's growth is a share like the others (its limit is a backstop: worker-heap.test.ts).
        assert.ok(plan.postingsBytes + plan.txnBytes <= plan.workerWorkBytes * 0.5, 'the heap keeps half of the share');
        if (budgetMb === undefined && constrained) assert.ok(plan.maxMemory <= machineMb * MiB);
      },
    ),
  );
});

test('ruyi index refuses a budget below the minimum up front, naming it, and leaves nothing behind', (t) => {
  const dir = tempDir(t);
  const low = spawnSync(BIN, ['index', SAMPLE_FILE, '--db', join(dir, 'low'), '--max-memory', '100M', '--json'], { encoding: 'utf8' });
  assert.equal(low.status, 1, low.stderr);
  assert.match(low.stderr, new RegExp(`100 MB budget is below the ${Math.round(minimumBytes(1) / MiB)} MB that one thread needs`));
  assert.equal(readCurrent(join(dir, 'low')), null);
  const many = spawnSync(BIN, ['index', SAMPLE_FILE, '--db', join(dir, 'many'), '--max-memory', '200M', '--threads', '3', '--json'], {
    encoding: 'utf8',
  });
  assert.equal(many.status, 1, many.stderr);
  assert.match(many.stderr, /3 threads need at least .*use fewer --threads or give it --max-memory \d+M/);
});
