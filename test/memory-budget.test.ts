/**
 * The memory budget as users meet it: the bin run in a child on a dump unlike the sample's
 * size (real Chinese paragraphs recombined, with code-like English identifiers that grow the
 * term dictionary, and one 8 MiB article), its peak RSS measured by the kernel, and the same
 * run with default flags inside real memory cgroups of 160, 256 and 512 MB.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { minimumBytes, planMemory } from '../src/config.js';
import { PROCESS_BASE_BYTES, QUERY_ANALYZER_BYTES, WORKER_BASE_BYTES } from '../src/memory-plan.js';
import { tempDir } from './helpers.js';
import { cgroupForTest, writeDump } from './memory-helpers.js';

const MiB = 1024 * 1024;
const BIN = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));

function runIndex(args: string[], prefix: string[] = []) {
  const [cmd, ...rest] = [...prefix, BIN, 'index', ...args, '--json'];
  return spawnSync(cmd as string, rest, { encoding: 'utf8', timeout: 300_000 });
}

test('the fixed costs the plan is built on still hold (main process and one worker, measured)', (t) => {
  const dir = tempDir(t);
  // Measured in a plain Node process with the bin's flags and environment, on the built
  // package: this test process carries tsx, whose loader every worker would load too.
  const script = `
    const { openIndex } = await import(${JSON.stringify(new URL('../dist/src/index.js', import.meta.url).href)});
    const idle = process.memoryUsage.rss();
    // A writing process, as the plan counts it: no query analyzer on the main thread.
    const index = await openIndex(${JSON.stringify(join(dir, 'db'))}, { threads: 1, idleTimeoutMs: 60000, preloadAnalyzer: false });
    await index.add({ id: 'a', title: '内存预算', body: '中文分词测试，内存预算由测量得来。' });
    await index.flush();
    const withWorker = process.memoryUsage.rss();
    await index.close();
    console.log(JSON.stringify({ idle, worker: withWorker - idle }));`;
  // The query side's jieba, built on the main thread when an index opens for searching; in a
  // process of its own, as a worker's freed memory would be reused by it.
  const searchScript = `
    const { openIndex } = await import(${JSON.stringify(new URL('../dist/src/index.js', import.meta.url).href)});
    const before = process.memoryUsage.rss();
    const reader = await openIndex(${JSON.stringify(join(dir, 'db'))}, { create: false });
    reader.search('内存预算');
    console.log(JSON.stringify({ analyzer: process.memoryUsage.rss() - before }));`;
  const runChild = (code: string) =>
    spawnSync(process.execPath, ['--max-semi-space-size=1', '--max-old-space-size=64', '--input-type=module', '-e', code], {
      encoding: 'utf8',
      env: { ...process.env, MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '65536', MALLOC_TRIM_THRESHOLD_: '131072' },
    });
  const run = runChild(script);
  assert.equal(run.status, 0, run.stderr);
  const { idle, worker } = JSON.parse(run.stdout) as { idle: number; worker: number };
  const searched = runChild(searchScript);
  assert.equal(searched.status, 0, searched.stderr);
  const { analyzer } = JSON.parse(searched.stdout) as { analyzer: number };
  const mb = (n: number) => Math.round(n / MiB);
  assert.ok(idle <= PROCESS_BASE_BYTES, `the main process measured ${mb(idle)} MB idle, the plan counts ${mb(PROCESS_BASE_BYTES)}`);
  assert.ok(worker <= WORKER_BASE_BYTES, `a worker measured ${mb(worker)} MB, the plan counts ${mb(WORKER_BASE_BYTES)}`);
  assert.ok(analyzer <= QUERY_ANALYZER_BYTES, `the query analyzer measured ${mb(analyzer)} MB, the plan counts ${mb(QUERY_ANALYZER_BYTES)}`);
  assert.ok(analyzer >= QUERY_ANALYZER_BYTES / 4, `the query analyzer measured only ${mb(analyzer)} MB: is it still loaded when an index opens?`);
  assert.ok(minimumBytes(1) >= PROCESS_BASE_BYTES + WORKER_BASE_BYTES);
});

test('ruyi index keeps its peak RSS within the budget it is given, or refuses it', (t) => {
  const dir = tempDir(t);
  const dump = join(dir, 'dump.ndjson');
  writeDump(dump, 12, 8);
  for (const budget of [200, 256]) {
    const run = runIndex([dump, '--db', join(dir, `db-${budget}`), '--max-memory', `${budget}M`]);
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout) as { peakRssMb: number; docs: number; threads: number; maxMemoryMb: number };
    assert.equal(report.maxMemoryMb, budget);
    assert.ok(report.docs > 1000);
    // maxRSS of the whole process (every thread), as the kernel counted it.
    assert.ok(report.peakRssMb <= budget, `peak ${report.peakRssMb} MB over the ${budget} MB budget (${report.threads} threads)`);
  }
});

for (const mb of [160, 256, 512]) {
  test(`with default flags in a ${mb} MB container, ruyi index finishes or refuses up front; it is never killed`, (t) => {
    const cgroup = cgroupForTest(t, `ruyi-test-${process.pid}-${mb}`, mb);
    if (cgroup === null) return;
    const dir = tempDir(t);
    const dump = join(dir, 'dump.ndjson');
    writeDump(dump, 12, 8);
    // The child enters the cgroup itself, then becomes the bin with the bin's own flags.
    const run = runIndex([dump, '--db', join(dir, 'db')], ['sh', '-c', `echo $$ > ${cgroup.procs} && exec "$@"`, 'sh']);
    assert.notEqual(run.signal, 'SIGKILL', `killed in a ${mb} MB cgroup: ${cgroup.events()}`);
    const plan = planMemory(undefined, undefined, mb * MiB, 2, true);
    if (plan.refusal === null) {
      assert.equal(run.status, 0, run.stderr);
      const report = JSON.parse(run.stdout) as { peakRssMb: number; maxMemoryMb: number };
      assert.ok(report.peakRssMb <= mb, `peak ${report.peakRssMb} MB in a ${mb} MB cgroup`);
    } else {
      assert.equal(run.status, 1, run.stderr);
      assert.match(run.stderr, /needs? at least/);
    }
  });
}
