/**
 * The memory budget as users meet it: the bin run in a child on a dump unlike the sample's
 * size (real Chinese paragraphs recombined, with code-like English identifiers that grow the
 * term dictionary, and one 8 MiB article), its peak RSS measured by the kernel, and the same
 * run with default flags inside real memory cgroups of 160, 256 and 512 MB.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmdirSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { minimumBytes, planMemory } from '../src/config.js';
import { PROCESS_BASE_BYTES, WORKER_BASE_BYTES } from '../src/memory-plan.js';
import { mulberry32 } from '../scripts/prng.js';
import { sampleDocs, tempDir } from './helpers.js';

const MiB = 1024 * 1024;
const BIN = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));

/** ~`mb` MB of NDJSON: the sample's paragraphs recombined (seeded), identifiers mixed in, one long article. */
function writeDump(file: string, mb: number, longMiB: number): void {
  const random = mulberry32(11);
  const paragraphs = sampleDocs().flatMap((d) => (typeof d.body === 'string' ? d.body.split(/\n+/) : []).filter((p) => p.length > 20));
  const pick = () => paragraphs[Math.floor(random() * paragraphs.length)] as string;
  const ident = () => `fn_${Math.floor(random() * 2 ** 32).toString(36)}_${Math.floor(random() * 1e6).toString(16)}`;
  const fd = openSync(file, 'w');
  let bytes = 0;
  let n = 0;
  while (bytes < mb * 1e6) {
    const parts: string[] = [];
    const len = 2 + Math.floor(random() * 30);
    for (let i = 0; i < len; i++) parts.push(random() < 0.3 ? `${pick()} ${ident()} ${ident()}` : pick());
    const line = `${JSON.stringify({ id: `d${n++}`, title: pick().slice(0, 30), body: parts.join('\n'), tags: ['t'] })}\n`;
    bytes += writeSync(fd, line);
  }
  const long: string[] = [];
  let longBytes = 0;
  while (longBytes < longMiB * MiB) {
    const p = `${pick()} ${ident()}`;
    long.push(p);
    longBytes += Buffer.byteLength(p) + 1;
  }
  writeSync(fd, `${JSON.stringify({ id: 'long', title: '一篇很长的文章', body: long.join('\n') })}\n`);
  closeSync(fd);
}

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
  const run = spawnSync(process.execPath, ['--max-semi-space-size=1', '--max-old-space-size=64', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '65536', MALLOC_TRIM_THRESHOLD_: '131072' },
  });
  assert.equal(run.status, 0, run.stderr);
  const { idle, worker } = JSON.parse(run.stdout) as { idle: number; worker: number };
  const mb = (n: number) => Math.round(n / MiB);
  assert.ok(idle <= PROCESS_BASE_BYTES, `the main process measured ${mb(idle)} MB idle, the plan counts ${mb(PROCESS_BASE_BYTES)}`);
  assert.ok(worker <= WORKER_BASE_BYTES, `a worker measured ${mb(worker)} MB, the plan counts ${mb(WORKER_BASE_BYTES)}`);
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

/** A memory cgroup of `mb` MB (v2 or v1), or null with the reason it cannot be made here. */
function makeCgroup(name: string, mb: number): { procs: string; events: () => string; remove: () => void } | string {
  const v2 = '/sys/fs/cgroup/cgroup.controllers';
  try {
    if (existsSync(v2)) {
      if (!readFileSync(v2, 'utf8').includes('memory')) return 'cgroup v2 without the memory controller';
      const dir = `/sys/fs/cgroup/${name}`;
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'memory.max'), String(mb * MiB));
      writeFileSync(join(dir, 'memory.swap.max'), '0');
      return { procs: join(dir, 'cgroup.procs'), events: () => readFileSync(join(dir, 'memory.events'), 'utf8'), remove: () => rmdirSync(dir) };
    }
    const dir = `/sys/fs/cgroup/memory/${name}`;
    if (!existsSync('/sys/fs/cgroup/memory')) return 'no cgroup memory controller mounted';
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'memory.limit_in_bytes'), String(mb * MiB));
    try {
      writeFileSync(join(dir, 'memory.memsw.limit_in_bytes'), String(mb * MiB));
    } catch {
      // no swap accounting: the machine has no swap to escape to either way
    }
    return { procs: join(dir, 'cgroup.procs'), events: () => readFileSync(join(dir, 'memory.oom_control'), 'utf8'), remove: () => rmdirSync(dir) };
  } catch (err) {
    return `cannot create a memory cgroup here: ${(err as Error).message}`;
  }
}

for (const mb of [160, 256, 512]) {
  test(`with default flags in a ${mb} MB container, ruyi index finishes or refuses up front; it is never killed`, (t) => {
    const cgroup = makeCgroup(`ruyi-test-${process.pid}-${mb}`, mb);
    if (typeof cgroup === 'string') {
      t.skip(cgroup);
      return;
    }
    t.after(() => {
      try {
        cgroup.remove();
      } catch {
        // still has a process: the kernel removes it with the last one
      }
    });
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
