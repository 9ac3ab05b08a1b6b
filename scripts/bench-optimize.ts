/**
 * node --import tsx scripts/bench-optimize.ts [--before <dir of another build>] [--quick] [--out <file>]
 *
 * What the end-of-load merge (optimize) leaves and costs, in one run, on the 100 MB scale corpus
 * and the 100 MB manuals corpus: for this build (and for `--before`, a checkout of another
 * commit with its dist/ built), `ruyi index` at the defaults and at `--max-memory 256M`, as a
 * fresh child through the built bin: index time, peak RSS (/usr/bin/time -v, with RssAnon and
 * RssFile peaks), segments per shard (`ruyi stats --json`) and the index's size on disk; and
 * SQLite FTS5 fed the same jieba tokens on 1 thread (scripts/bench/peer-index.mjs) as the peer
 * in the same run. `--quick`: the 10 MB corpora. Writes bench-results/bench-optimize.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { log } from './bench/machine.js';
import { manualsCorpus, scaleCorpus } from './corpus-cache.js';
import { lastJsonLine, measureChild } from './measure-child.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const quick = args.includes('--quick');
const MB = quick ? 10 : 100;
const root = fileURLToPath(new URL('../', import.meta.url));
const builds: { name: string; cli: string }[] = [{ name: 'after', cli: join(root, 'dist/src/cli/main.js') }];
const before = flag('--before');
if (before !== undefined) builds.unshift({ name: 'before', cli: join(resolve(before), 'dist/src/cli/main.js') });
const out = flag('--out') ?? join(root, `bench-results/bench-optimize${quick ? '-quick' : ''}.json`);
const settings: { name: string; flags: string[] }[] = [
  { name: 'defaults', flags: [] },
  { name: '--max-memory 256M', flags: ['--max-memory', '256M'] },
];

interface RuyiRun {
  build: string;
  setting: string;
  ok: boolean;
  error?: string;
  seconds?: number;
  threads?: number;
  maxRssMb: number;
  anonMb: number;
  fileMb: number;
  segmentsPerShard?: number[];
  diskMb?: number;
}

const fmt = (x: number | undefined, digits = 1): string => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits));

async function ruyiRun(cli: string, build: string, file: string, db: string, setting: (typeof settings)[number]): Promise<RuyiRun> {
  rmSync(db, { recursive: true, force: true });
  const peak = await measureChild(cli, ['index', file, '--db', db, ...setting.flags, '--json'], { timeoutMs: 20 * 60_000 });
  const base = { build, setting: setting.name, maxRssMb: peak.maxRssMb, anonMb: peak.anonMb, fileMb: peak.fileMb };
  const report = lastJsonLine<{ seconds: number; threads?: number }>(peak.stdout);
  if (peak.exit !== 0 || report === undefined) return { ...base, ok: false, error: `exit ${peak.exit}: ${peak.stderrTail.slice(-300)}` };
  const stats = spawnSync(process.execPath, [cli, 'stats', '--db', db, '--json'], { encoding: 'utf8' });
  const st = lastJsonLine<{ shardSegments?: number[]; bytesOnDisk?: number }>(stats.stdout);
  const run: RuyiRun = {
    ...base,
    ok: true,
    seconds: report.seconds,
    ...(report.threads === undefined ? {} : { threads: report.threads }),
    ...(st?.shardSegments === undefined ? {} : { segmentsPerShard: st.shardSegments }),
    ...(st?.bytesOnDisk === undefined ? {} : { diskMb: st.bytesOnDisk / 1e6 }),
  };
  log(
    `${build} ${setting.name}: ${fmt(run.seconds)} s, ${run.threads ?? '?'} threads, max RSS ${fmt(run.maxRssMb, 0)} MB (anon ${fmt(run.anonMb, 0)}, file ${fmt(run.fileMb, 0)}), segments ${JSON.stringify(run.segmentsPerShard)}, disk ${fmt(run.diskMb)} MB`,
  );
  return run;
}

async function fts5Run(file: string, dir: string): Promise<{ seconds?: number; maxRssMb: number; diskMb?: number }> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const peak = await measureChild(process.execPath, [join(root, 'scripts/bench/peer-index.mjs'), 'fts5', file, dir, '1'], {
    timeoutMs: 20 * 60_000,
  });
  const o = lastJsonLine<{ seconds: number; bytesOnDisk: number }>(peak.stdout);
  const run = { maxRssMb: peak.maxRssMb, ...(o === undefined ? {} : { seconds: o.seconds, diskMb: o.bytesOnDisk / 1e6 }) };
  log(`fts5 1 thread: ${fmt(run.seconds)} s, max RSS ${fmt(run.maxRssMb, 0)} MB, disk ${fmt(run.diskMb)} MB`);
  return run;
}

const work = mkdtempSync(join(os.tmpdir(), 'ruyi-bench-optimize-'));
const corpora = [
  { name: `scale-${MB}mb`, file: scaleCorpus(MB) },
  { name: `manuals-${MB}mb`, file: manualsCorpus(MB) },
];
const results: { corpus: string; ruyi: RuyiRun[]; fts5: Awaited<ReturnType<typeof fts5Run>> }[] = [];
try {
  for (const corpus of corpora) {
    log(`== ${corpus.name}`);
    const ruyi: RuyiRun[] = [];
    // Interleaved (before, after, before, after): the machine's speed drifts over a run.
    for (const setting of settings)
      for (const build of builds) ruyi.push(await ruyiRun(build.cli, build.name, corpus.file, join(work, 'db'), setting));
    rmSync(join(work, 'db'), { recursive: true, force: true });
    const fts5 = await fts5Run(corpus.file, join(work, 'fts5'));
    rmSync(join(work, 'fts5'), { recursive: true, force: true });
    results.push({ corpus: corpus.name, ruyi, fts5 });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

for (const r of results) {
  console.log(`\n${r.corpus}  (FTS5 1 thread: ${fmt(r.fts5.seconds)} s, ${fmt(r.fts5.maxRssMb, 0)} MB RSS, ${fmt(r.fts5.diskMb)} MB)`);
  console.log('build   setting             seconds  /fts5  maxRSS  anon  file  segments/shard  disk MB');
  for (const x of r.ruyi) {
    const ratio = x.seconds !== undefined && r.fts5.seconds !== undefined ? x.seconds / r.fts5.seconds : undefined;
    console.log(
      `${x.build.padEnd(7)} ${x.setting.padEnd(19)} ${fmt(x.seconds).padStart(7)} ${fmt(ratio, 2).padStart(6)} ${fmt(x.maxRssMb, 0).padStart(7)} ${fmt(x.anonMb, 0).padStart(5)} ${fmt(x.fileMb, 0).padStart(5)}  ${(x.segmentsPerShard?.join(',') ?? (x.error ?? '-').slice(0, 40)).padEnd(14)} ${fmt(x.diskMb).padStart(8)}`,
    );
  }
}
mkdirSync(join(root, 'bench-results'), { recursive: true });
writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), quick, results }, null, 2)}\n`);
log(`wrote ${out}`);
