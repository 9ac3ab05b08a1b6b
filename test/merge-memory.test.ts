import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Doc, openIndex } from '../src/index.js';
import { tempDir } from './helpers.js';
import { cgroupForTest, writeDump } from './memory-helpers.js';

const MiB = 1024 * 1024;
const LIB = new URL('../dist/src/index.js', import.meta.url).href;
const BIN = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
/** The bin's own runtime flags (its shebang), so the child is sized as `ruyi` is. */
const BIN_FLAGS = ['--max-semi-space-size=1', '--max-old-space-size=64'];
const BIN_ENV = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '65536', MALLOC_TRIM_THRESHOLD_: '131072' };

/** Runs optimize() alone in a fresh process under `budgetMb`; its peak RSS as the kernel counted it. */
function optimizeInChild(db: string, budgetMb: number, prefix: string[] = []) {
  const code = `
    const { openIndex } = await import(${JSON.stringify(LIB)});
    const index = await openIndex(${JSON.stringify(db)}, { create: false, preloadAnalyzer: false, maxMemory: ${budgetMb * MiB} });
    await index.optimize();
    const segments = index.stats().shardSegments;
    await index.close();
    console.log(JSON.stringify({ segments, peakRssMb: process.resourceUsage().maxRSS / 1024 }));`;
  const args = [...BIN_FLAGS, '--input-type=module', '-e', code];
  const [cmd, ...rest] = prefix.length > 0 ? [...prefix, process.execPath, ...args] : [process.execPath, ...args];
  return spawnSync(cmd as string, rest, { encoding: 'utf8', env: { ...process.env, ...BIN_ENV } });
}

test('optimize() merges a bulk-loaded shard into one segment within the budget, in a real memory cgroup too', async (t) => {
  const dir = tempDir(t);
  const dump = join(dir, 'dump.ndjson');
  writeDump(dump, 16, 1);
  const db = join(dir, 'db');
  // One shard holds all 16 MB: its merge reads several times what one step may.
  const index = await openIndex(db, { threads: 1, shards: 1, deferMerges: true });
  const docs = readFileSync(dump, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Doc);
  await index.add(docs);
  const unmerged = index.stats().shardSegments[0] as number;
  await index.close();
  assert.ok(unmerged > 4, `${unmerged} segments`);

  const budget = 200;
  const cgroup = cgroupForTest(t, `ruyi-merge-${process.pid}`, budget);
  const prefix = cgroup === null ? [] : ['sh', '-c', `echo $$ > ${cgroup.procs} && exec "$@"`, 'sh'];
  const run = optimizeInChild(db, budget, prefix);
  assert.notEqual(run.signal, 'SIGKILL', `killed: ${cgroup?.events() ?? ''}`);
  assert.equal(run.status, 0, run.stderr);
  const report = JSON.parse(run.stdout.trim().split('\n').at(-1) as string) as { segments: number[]; peakRssMb: number };
  assert.deepEqual(report.segments, [1]);
  t.diagnostic(
    `${unmerged} segments merged into 1; optimize's peak RSS ${report.peakRssMb.toFixed(0)} MB (budget ${budget} MB, cgroup ${cgroup === null ? 'none' : 'yes'})`,
  );
  assert.ok(report.peakRssMb <= budget, `optimize peaked at ${report.peakRssMb} MB over the ${budget} MB budget`);

  const search = spawnSync(process.execPath, [BIN, 'search', '--db', db, '一篇', '--json'], { encoding: 'utf8' });
  assert.equal(search.status, 0, search.stderr);
});
