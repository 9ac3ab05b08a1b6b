import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { mulberry32 } from '../scripts/prng.js';
import { type Doc, openIndex, verifyIndex } from '../src/index.js';
import { HeadHeap } from '../src/indexing/head-heap.js';
import { pickOptimizeMerge } from '../src/indexing/merge-policy.js';
import { DEFAULT_SHARES, ShardWriter } from '../src/indexing/shard-writer.js';
import { readCurrent } from '../src/store/generations.js';
import { type MergeProgress, readMergeProgress } from '../src/store/merge-progress.js';
import { openShardDbs, readShardState, type SegmentInfo, shardDir } from '../src/store/shard-store.js';
import { SAMPLE_FILE, sampleDocs, tempDir } from './helpers.js';

const BIN = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
const STEPS_CHILD = fileURLToPath(new URL('../scripts/crash/optimize-steps.ts', import.meta.url));
const QUERIES = ['列出目录内容', '文件', '内存', '明月', '天下', '"标准输出"', '进程 OR 线程', '复制 文件', 'ls'];
const SMALL_TXN_BYTES = 8 * 1024;

/**
 * A bulk load left unmerged (one segment per 16 KB batch), with documents removed and
 * replaced, so the merge has deleted postings to drop. Returns the live generation's dir.
 */
async function buildUnmerged(db: string, shards: number): Promise<string> {
  const docs = sampleDocs();
  const index = await openIndex(db, { threads: 1, shards, batchBytes: 16 * 1024, deferMerges: true });
  await index.add(docs);
  await index.flush();
  await index.remove(docs.filter((_, i) => i % 7 === 3).map((d) => d.id));
  const replaced: Doc[] = docs.filter((_, i) => i % 11 === 5).map((d) => ({ ...d, body: `${d.body}\n补充：复制文件之前先列出目录内容。` }));
  await index.add(replaced);
  await index.close();
  return join(db, readCurrent(db) as string);
}

/** What every query returns: totals, ids and scores (to 9 digits), in order. */
async function answers(db: string): Promise<string[]> {
  const index = await openIndex(db, { create: false, threads: 1 });
  try {
    return QUERIES.map((q) => {
      const r = index.search(q, { limit: 30 });
      return JSON.stringify([q, r.total, r.hits.map((h) => [h.id, h.score.toFixed(9)])]);
    });
  } finally {
    await index.close();
  }
}

function shardView(gen: string, shard: number): { segments: SegmentInfo[]; dead: number[]; merge: MergeProgress | null } {
  const dbs = openShardDbs(gen, shard);
  try {
    const state = readShardState(dbs);
    return { segments: state.segments, dead: state.dead, merge: readMergeProgress(dbs) };
  } finally {
    void dbs.env.close();
  }
}

async function assertVerifies(db: string): Promise<void> {
  const report = await verifyIndex(db);
  assert.ok(report.ok, JSON.stringify(report.problems.slice(0, 3)));
}

const segArb = fc
  .array(fc.integer({ min: 1, max: 1 << 30 }), { maxLength: 40 })
  .map((sizes) => sizes.map((bytes, i): SegmentInfo => ({ id: i, first: i * 100, last: i * 100 + 99, docs: 100, bytes, blocks: 1 })));

test('optimize merges every segment of a shard at once, whatever their size; a lone segment only to drop deletes', () => {
  fc.assert(
    fc.property(segArb, fc.array(fc.nat({ max: 4500 }), { maxLength: 10 }), (segments, dead) => {
      const pick = pickOptimizeMerge(segments, dead);
      if (segments.length > 1) assert.deepEqual(pick, segments);
      else if (segments.length === 1 && dead.some((n) => n >= 0 && n <= 99)) assert.deepEqual(pick, segments);
      else assert.equal(pick, null);
    }),
    { numRuns: 1000 },
  );
});

test('the k-way merge heap yields sources by term (JavaScript order), ties by source number', () => {
  const term = fc.array(fc.constantFrom('明', '月', '文件', 'a', 'Z', '\u{20000}', '内存'), { maxLength: 3 }).map((a) => a.join(''));
  fc.assert(
    fc.property(fc.array(term, { maxLength: 60 }), (terms) => {
      const heap = new HeadHeap(terms.length);
      terms.forEach((t, i) => {
        heap.push(i, t);
      });
      const popped: number[] = [];
      while (heap.size > 0) popped.push(heap.pop());
      const expected = terms
        .map((_, i) => i)
        .sort((a, b) => {
          const ta = terms[a] as string;
          const tb = terms[b] as string;
          return ta < tb ? -1 : ta > tb ? 1 : a - b;
        });
      assert.deepEqual(popped, expected);
    }),
    { numRuns: 500 },
  );
});

test('ruyi index leaves exactly one segment per shard', async (t) => {
  const db = join(tempDir(t), 'db');
  const run = spawnSync(process.execPath, [BIN, 'index', SAMPLE_FILE, '--db', db, '--threads', '1', '--shards', '3', '--json'], {
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, run.stderr);
  const stats = spawnSync(process.execPath, [BIN, 'stats', '--db', db, '--json'], { encoding: 'utf8' });
  assert.deepEqual(JSON.parse(stats.stdout).shardSegments, [1, 1, 1]);
  await assertVerifies(db);
});

test('a merge in small steps across openings: readers see the old segments or the merged one, the same answers throughout', async (t) => {
  const dir = tempDir(t);
  const stepped = join(dir, 'stepped');
  const whole = join(dir, 'whole');
  const consumed = join(dir, 'consumed');
  const gen = await buildUnmerged(stepped, 2);
  const wholeGen = await buildUnmerged(whole, 2);
  cpSync(stepped, consumed, { recursive: true });
  const consumedGen = join(consumed, readCurrent(consumed) as string);
  const before = await answers(stepped);
  assert.ok(before.some((a) => JSON.parse(a)[1] > 5));
  for (let shard = 0; shard < 2; shard++) {
    const start = shardView(gen, shard);
    assert.ok(start.segments.length > 10, `${start.segments.length} segments`);
    assert.ok(start.dead.length > 0);
    let steps = 0;
    for (;;) {
      const w = new ShardWriter(gen, shard);
      const more = w.optimizeStep({ ...DEFAULT_SHARES, txnBytes: SMALL_TXN_BYTES }, 16 * 1024);
      await w.close();
      if (!more) break;
      steps++;
      if (steps % 9 === 0) assert.deepEqual(await answers(stepped), before, `after step ${steps} of shard ${shard}`);
    }
    assert.ok(steps > 10, `${steps} steps`);
    const end = shardView(gen, shard);
    assert.equal(end.segments.length, 1);
    assert.deepEqual(end.dead, []);
    assert.equal(end.merge, null);
    assert.equal(end.segments[0]?.first, 0);
    // The same merge in one step writes the same postings (block boundaries aside).
    const w = new ShardWriter(wholeGen, shard);
    while (w.optimizeStep(DEFAULT_SHARES, Number.POSITIVE_INFINITY));
    await w.close();
    const one = shardView(wholeGen, shard).segments;
    assert.equal(one.length, 1);
    assert.equal(one[0]?.bytes, end.segments[0]?.bytes);
    assert.equal(one[0]?.docs, end.segments[0]?.docs);
    // A generation being built frees each step's merged source blocks: the same segment, a file no larger.
    for (;;) {
      const c = new ShardWriter(consumedGen, shard);
      const more = c.optimizeStep({ ...DEFAULT_SHARES, txnBytes: SMALL_TXN_BYTES }, 16 * 1024, true);
      await c.close();
      if (!more) break;
    }
    assert.deepEqual(shardView(consumedGen, shard).segments, end.segments);
    const fileBytes = (g: string): number => statSync(join(shardDir(g, shard), 'data.mdb')).size;
    assert.ok(fileBytes(consumedGen) <= fileBytes(gen), `${fileBytes(consumedGen)} > ${fileBytes(gen)}`);
  }
  assert.deepEqual(await answers(stepped), before);
  assert.deepEqual(await answers(whole), before);
  assert.deepEqual(await answers(consumed), before);
  await assertVerifies(consumed);
  await assertVerifies(stepped);
});

/** Runs the step child on shard 0 and SIGKILLs it once it has printed "STEP killAt"; returns the steps it reported. */
function killAtStep(gen: string, killAt: number): Promise<{ killed: boolean; steps: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', STEPS_CHILD, gen, '0', String(8 * 1024), String(SMALL_TXN_BYTES)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let steps = 0;
    let killed = false;
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      for (const m of out.matchAll(/STEP (\d+)\n/g)) steps = Math.max(steps, Number(m[1]));
      if (!killed && steps >= killAt) {
        killed = child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('close', () => resolve({ killed, steps }));
  });
}

test('kill -9 at a random step of a merge: the index opens, verifies and answers as before; the next optimize completes it', async (t) => {
  const dir = tempDir(t);
  const base = join(dir, 'base');
  const baseGen = await buildUnmerged(base, 1);
  const before = await answers(base);
  // How many steps the whole merge takes here, so the kills land inside it.
  const probe = join(dir, 'probe');
  cpSync(base, probe, { recursive: true });
  const total = (await killAtStep(join(probe, readCurrent(probe) as string), Number.POSITIVE_INFINITY)).steps;
  assert.ok(total >= 20, `${total} steps`);
  assert.equal(shardView(join(probe, readCurrent(probe) as string), 0).segments.length, 1);

  const random = mulberry32(Number(process.env.RUYI_TEST_SEED ?? 12));
  // Random steps, and the last ones (the swap, the freeing of the old segments).
  const kills = [1 + Math.floor(random() * (total - 2)), 1 + Math.floor(random() * (total - 2)), total - 2, total - 1];
  const phases = new Set<string>();
  for (const [trial, killAt] of kills.entries()) {
    const db = join(dir, `trial-${trial}`);
    cpSync(base, db, { recursive: true });
    const gen = join(db, readCurrent(db) as string);
    const { killed } = await killAtStep(gen, killAt);
    assert.ok(killed, `the kill at step ${killAt} of ${total} landed`);
    const left = shardView(gen, 0);
    phases.add(left.merge?.phase ?? 'done');
    await assertVerifies(db);
    assert.deepEqual(await answers(db), before, `answers after a kill at step ${killAt} of ${total}`);

    const index = await openIndex(db, { create: false, threads: 1 });
    await index.optimize();
    assert.deepEqual(index.stats().shardSegments, [1]);
    await index.close();
    const end = shardView(gen, 0);
    assert.equal(end.merge, null);
    assert.deepEqual(end.dead, []);
    assert.equal(end.segments[0]?.bytes, shardView(join(probe, readCurrent(probe) as string), 0).segments[0]?.bytes);
    assert.deepEqual(await answers(db), before, `answers after the merge killed at step ${killAt} was completed`);
    await assertVerifies(db);
  }
  assert.ok(phases.has('writing'), [...phases].join());
  assert.ok(baseGen.length > 0);
});

test('a write after a merge was killed discards the unfinished merge and stays consistent', async (t) => {
  const dir = tempDir(t);
  const db = join(dir, 'db');
  const gen = await buildUnmerged(db, 1);
  const before = (await answers(db)).map((a) => JSON.parse(a)[1]);
  await killAtStep(gen, 3);
  assert.equal(shardView(gen, 0).merge?.phase, 'writing');
  const index = await openIndex(db, { create: false, threads: 1 });
  await index.add({ id: 'new', title: '新增的文章', body: '鲲鹏展翅九万里。' });
  await index.flush();
  assert.equal(index.search('鲲鹏').hits[0]?.id, 'new');
  await index.close();
  assert.equal(shardView(gen, 0).merge, null);
  assert.deepEqual(
    (await answers(db)).map((a) => JSON.parse(a)[1]),
    before,
  );
  await assertVerifies(db);
});
