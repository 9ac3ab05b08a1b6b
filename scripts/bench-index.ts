/**
 * npm run bench:index [-- --quick] [-- --only dev|manuals]
 *
 * Indexing throughput against the physical limit and against two peers, on two corpora unlike
 * each other, in one run: the dev corpus recombined to 100 MB (make-scale-corpus.py: man pages,
 * classical text) and the manuals corpus recombined to 100 MB (scripts/corpus/
 * build-manuals-corpus.sh: zh_CN software manuals, ~19% Han, much English, code and markup).
 * `--quick`: 10 MB of each (a sanity run of a few minutes). For each corpus:
 *  1. the ceiling: raw @node-rs/jieba cutForSearch on 1 and 2 worker threads over the first
 *     30 MB (parsed before the clock starts), measured before and after ruyi's runs (the
 *     machine is shared and its speed drifts): the ratios use the mean of the two;
 *  2. ruyi end to end, `ruyi index --json` as a fresh child through the built bin (its
 *     shebang's flags apply), at --threads 1, --threads 2 and the defaults (no flag);
 *  3. SQLite FTS5 (better-sqlite3) and LanceDB's native FTS fed the same jieba tokens
 *     (scripts/bench/peer-index.mjs), at 1 thread (one thread tokenizes and writes) and
 *     2 threads (2 worker threads tokenize, the main thread is the one writer);
 *  4. query latency p50/p95/p99 of the known-item title queries (make-queries.py) of the
 *     corpus's source on ruyi's default-settings index (in this process, public API), FTS5's
 *     and LanceDB's 1-thread indexes (in their child). One client, limit 10, a warm-up round
 *     then two timed rounds.
 * Peak RSS of every run is /usr/bin/time -v's max RSS of the child (ruyi: mapped index
 * pages included), with the peaks of RssAnon / RssFile sampled every 100 ms.
 * Prints the tables and ratios; writes bench-results/bench-index.json (-quick.json).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openIndex } from '../src/index.js';
import { jiebaCeiling } from './bench/ceiling.js';
import { log, machineInfo } from './bench/machine.js';
import { writeBlock } from './bench/md-block.js';
import { lancedbLoads, sqliteLoads } from './bench/native-peers.js';
import { devQueries, manualsCorpus, manualsQueries, scaleCorpus } from './corpus-cache.js';
import { lastJsonLine, measureChild, type Peak } from './measure-child.js';

const quick = process.argv.includes('--quick');
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const MB = quick ? 10 : 100;
/** The ceiling runs over a prefix: its rate is steady after a few MB, and it holds the text in memory. */
const CEILING_BYTES = 30e6;
/** A peer (or ruyi) that takes longer than this is killed and reported, instead of hanging the bench. */
const RUN_TIMEOUT_MS = (quick ? 5 : 15) * 60_000;
const root = fileURLToPath(new URL('../', import.meta.url));
const cli = join(root, 'dist/src/cli/main.js');
const peerScript = join(root, 'scripts/bench/peer-index.mjs');

interface Run {
  label: string;
  threads: number | 'defaults';
  ok: boolean;
  error?: string;
  docs?: number;
  seconds?: number;
  mbPerSecond?: number;
  /** ruyi's own thread count at the defaults (from its report). */
  threadsUsed?: number;
  maxRssMb: number;
  anonMb: number;
  fileMb: number;
  diskMb?: number;
}

interface Latency {
  queries: number;
  p50: number;
  p95: number;
  p99: number;
  /** Known-item MRR@10: meaningful only on the corpus the queries come from (not a recombined one). */
  mrr10?: number;
}

const fmt = (x: number | undefined, digits = 2): string => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function failure(label: string, threads: Run['threads'], peak: Peak): Run {
  const why = peak.timedOut
    ? `timed out after ${RUN_TIMEOUT_MS / 60_000} min`
    : `exit ${peak.exit}${peak.signal ? `, signal ${peak.signal}` : ''}: ${peak.stderrTail.trim().split('\n').slice(-3).join(' / ')}`;
  log(`${label}: FAILED (${why})`);
  return { label, threads, ok: false, error: why, maxRssMb: peak.maxRssMb, anonMb: peak.anonMb, fileMb: peak.fileMb };
}

async function ruyiRun(file: string, db: string, threads: Run['threads']): Promise<Run> {
  const label = `ruyi ${threads === 'defaults' ? 'defaults' : `--threads ${threads}`}`;
  const flags = threads === 'defaults' ? [] : ['--threads', String(threads)];
  rmSync(db, { recursive: true, force: true });
  // The bin is run as users run it, so its shebang's V8 flags apply.
  const peak = await measureChild(cli, ['index', file, '--db', db, ...flags, '--json'], { timeoutMs: RUN_TIMEOUT_MS });
  if (peak.exit !== 0) return failure(label, threads, peak);
  const report = lastJsonLine<{ docs: number; bytes?: number; seconds: number; mbPerSecond?: number; threads?: number }>(peak.stdout);
  if (report === undefined) return failure(label, threads, { ...peak, stderrTail: `no JSON report on stdout: ${peak.stdout.slice(-300)}` });
  const run: Run = {
    label,
    threads,
    ok: true,
    docs: report.docs,
    seconds: report.seconds,
    // The report's own figure; computed from its bytes and seconds if a later report drops it.
    mbPerSecond: report.mbPerSecond ?? (report.bytes !== undefined ? report.bytes / 1e6 / report.seconds : undefined),
    threadsUsed: report.threads,
    maxRssMb: peak.maxRssMb,
    anonMb: peak.anonMb,
    fileMb: peak.fileMb,
  };
  log(
    `${label}: ${fmt(run.mbPerSecond)} MB/s (${fmt(run.seconds, 1)} s, ${run.threadsUsed ?? '?'} threads), max RSS ${fmt(run.maxRssMb, 0)} MB (anon ${fmt(run.anonMb, 0)}, file ${fmt(run.fileMb, 0)})`,
  );
  return run;
}

async function peerRun(
  engine: 'fts5' | 'lancedb',
  file: string,
  dir: string,
  threads: number,
  queries?: string,
): Promise<{ run: Run; latency?: Latency }> {
  const label = `${engine} ${threads} thread${threads > 1 ? 's' : ''}`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const peak = await measureChild(process.execPath, [peerScript, engine, file, dir, String(threads), ...(queries ? [queries] : [])], {
    // LanceDB's FTS index build (0.31) never finishes with LANCE_CPU_THREADS=1, nor here
    // with the variable unset; so its pool gets 2 threads even in the 1-thread run (whose
    // JavaScript side, reading and tokenizing, is one thread). RUST_LOG keeps its deprecation
    // warnings (one per query) out of stderr.
    env: { LANCE_CPU_THREADS: String(Math.max(2, threads)), RUST_LOG: 'error' },
    timeoutMs: RUN_TIMEOUT_MS,
  });
  if (peak.exit !== 0) return { run: failure(label, threads, peak) };
  const out = lastJsonLine<{ docs: number; seconds: number; mbPerSecond: number; bytesOnDisk: number; query?: Latency }>(peak.stdout);
  if (out === undefined)
    return { run: failure(label, threads, { ...peak, stderrTail: `no JSON line on stdout: ${peak.stdout.slice(-300)}` }) };
  const run: Run = {
    label,
    threads,
    ok: true,
    docs: out.docs,
    seconds: out.seconds,
    mbPerSecond: out.mbPerSecond,
    maxRssMb: peak.maxRssMb,
    anonMb: peak.anonMb,
    fileMb: peak.fileMb,
    diskMb: out.bytesOnDisk / 1e6,
  };
  log(
    `${label}: ${fmt(run.mbPerSecond)} MB/s (${fmt(run.seconds, 1)} s), max RSS ${fmt(run.maxRssMb, 0)} MB, on disk ${fmt(run.diskMb, 0)} MB`,
  );
  return { run, latency: out.query };
}

async function ruyiLatency(db: string, queriesFile: string): Promise<Latency> {
  const queries = readFileSync(queriesFile, 'utf8')
    .split('\n')
    .filter((l) => l.includes('\t'))
    .map((l) => {
      const [title, id] = l.split('\t') as [string, string];
      return { title, id };
    });
  const index = await openIndex(db, { create: false, threads: 1 });
  const latencies: number[] = [];
  let rr = 0;
  for (let round = 0; round < 3; round++) {
    for (const q of queries) {
      const t0 = performance.now();
      const hits = index.search(q.title, { limit: 10 }).hits;
      const ms = performance.now() - t0;
      if (round > 0) latencies.push(ms);
      else {
        const rank = hits.findIndex((h) => h.id === q.id);
        if (rank >= 0) rr += 1 / (rank + 1);
      }
    }
  }
  await index.close();
  latencies.sort((a, b) => a - b);
  return {
    queries: queries.length,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    mrr10: rr / queries.length,
  };
}

const ratio = (a: Run | undefined, b: number | undefined): number | undefined =>
  a?.ok && a.mbPerSecond !== undefined && b ? a.mbPerSecond / b : undefined;

async function benchCorpus(name: string, file: string, queries: string, peers: { fts5: boolean; lancedb: boolean }, work: string) {
  const size = statSync(file).size;
  log(`== ${name}: ${file} (${fmt(size / 1e6, 1)} MB)`);
  const ceilingBytes = Math.min(size, CEILING_BYTES);
  const before = { 1: await jiebaCeiling(file, 1, ceilingBytes), 2: await jiebaCeiling(file, 2, ceilingBytes) };
  log(`ceiling before: 1 thread ${fmt(before[1].mbPerSecond)} MB/s, 2 threads ${fmt(before[2].mbPerSecond)} MB/s`);
  const db = join(work, `${name}-ruyi`);
  const ruyi = {
    t1: await ruyiRun(file, db, 1),
    t2: await ruyiRun(file, db, 2),
    // The defaults run last, so its index is the one queried.
    defaults: await ruyiRun(file, db, 'defaults'),
  };
  const after = { 1: await jiebaCeiling(file, 1, ceilingBytes), 2: await jiebaCeiling(file, 2, ceilingBytes) };
  log(`ceiling after: 1 thread ${fmt(after[1].mbPerSecond)} MB/s, 2 threads ${fmt(after[2].mbPerSecond)} MB/s`);
  const ceiling = {
    1: { before: before[1].mbPerSecond, after: after[1].mbPerSecond, mean: (before[1].mbPerSecond + after[1].mbPerSecond) / 2 },
    2: { before: before[2].mbPerSecond, after: after[2].mbPerSecond, mean: (before[2].mbPerSecond + after[2].mbPerSecond) / 2 },
  };
  const latency: Record<string, Latency | undefined> = {};
  latency.ruyi = ruyi.defaults.ok ? await ruyiLatency(db, queries) : undefined;
  rmSync(db, { recursive: true, force: true });
  const peerRuns: Record<string, Run | undefined> = {};
  for (const engine of ['fts5', 'lancedb'] as const) {
    if (!peers[engine]) continue;
    const dir = join(work, `${name}-${engine}`);
    const one = await peerRun(engine, file, dir, 1, queries);
    peerRuns[`${engine}1`] = one.run;
    latency[engine] = one.latency;
    peerRuns[`${engine}2`] = (await peerRun(engine, file, dir, 2)).run;
    rmSync(dir, { recursive: true, force: true });
  }
  const ratios = {
    ruyi1OverCeiling1: ratio(ruyi.t1, ceiling[1].mean),
    ruyi2OverCeiling2: ratio(ruyi.t2, ceiling[2].mean),
    ruyiDefaultsOverFts5_1: ratio(ruyi.defaults, peerRuns.fts51?.mbPerSecond),
    ruyiDefaultsOverFts5_2: ratio(ruyi.defaults, peerRuns.fts52?.mbPerSecond),
    ruyi1OverFts5_1: ratio(ruyi.t1, peerRuns.fts51?.mbPerSecond),
    ruyi2OverFts5_2: ratio(ruyi.t2, peerRuns.fts52?.mbPerSecond),
    ruyiDefaultsOverLancedb1: ratio(ruyi.defaults, peerRuns.lancedb1?.mbPerSecond),
    ruyi1OverLancedb1: ratio(ruyi.t1, peerRuns.lancedb1?.mbPerSecond),
    ruyi2OverLancedb2: ratio(ruyi.t2, peerRuns.lancedb2?.mbPerSecond),
  };
  return { name, file, mb: size / 1e6, docs: ruyi.defaults.docs, ceiling, ceilingBytes, ruyi, peers: peerRuns, latency, ratios };
}

type CorpusResult = Awaited<ReturnType<typeof benchCorpus>>;

function verdict(x: number | undefined, target: number): string {
  return x === undefined ? 'n/a' : x >= target ? 'met' : 'MISSED';
}

function summary(results: CorpusResult[]): string {
  const lines: string[] = [];
  lines.push('', '| corpus | run | MB/s | s | max RSS MB | anon MB | file MB | on disk MB |');
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of results) {
    lines.push(
      `| ${r.name} | jieba ceiling 1 / 2 threads (before, after) | ${fmt(r.ceiling[1].mean)} / ${fmt(r.ceiling[2].mean)} ` +
        `(${fmt(r.ceiling[1].before)}, ${fmt(r.ceiling[1].after)} / ${fmt(r.ceiling[2].before)}, ${fmt(r.ceiling[2].after)}) | | | | | |`,
    );
    for (const run of [r.ruyi.t1, r.ruyi.t2, r.ruyi.defaults, ...Object.values(r.peers)]) {
      if (run === undefined) continue;
      const label = run.threadsUsed !== undefined && run.threads === 'defaults' ? `${run.label} (${run.threadsUsed} thr)` : run.label;
      lines.push(
        run.ok
          ? `| ${r.name} | ${label} | ${fmt(run.mbPerSecond)} | ${fmt(run.seconds, 1)} | ${fmt(run.maxRssMb, 0)} | ${fmt(run.anonMb, 0)} | ${fmt(run.fileMb, 0)} | ${fmt(run.diskMb, 0)} |`
          : `| ${r.name} | ${label} | FAILED: ${run.error} | | ${fmt(run.maxRssMb, 0)} | | | |`,
      );
    }
  }
  lines.push('', '| corpus | ratio | value | target |');
  lines.push('| --- | --- | ---: | --- |');
  for (const r of results) {
    const x = r.ratios;
    lines.push(`| ${r.name} | ruyi / ceiling, 1 thread | ${fmt(x.ruyi1OverCeiling1)} | ≥ 0.7: ${verdict(x.ruyi1OverCeiling1, 0.7)} |`);
    lines.push(`| ${r.name} | ruyi / ceiling, 2 threads | ${fmt(x.ruyi2OverCeiling2)} | ≥ 0.7: ${verdict(x.ruyi2OverCeiling2, 0.7)} |`);
    lines.push(
      `| ${r.name} | ruyi defaults / FTS5 1 thread | ${fmt(x.ruyiDefaultsOverFts5_1)} | ≥ 1.5: ${verdict(x.ruyiDefaultsOverFts5_1, 1.5)} |`,
    );
    lines.push(`| ${r.name} | ruyi defaults / FTS5 2 threads | ${fmt(x.ruyiDefaultsOverFts5_2)} | |`);
    lines.push(`| ${r.name} | ruyi / FTS5, 1 thread; 2 threads | ${fmt(x.ruyi1OverFts5_1)}; ${fmt(x.ruyi2OverFts5_2)} | |`);
    lines.push(`| ${r.name} | ruyi defaults / LanceDB 1 thread | ${fmt(x.ruyiDefaultsOverLancedb1)} | |`);
    lines.push(`| ${r.name} | ruyi / LanceDB, 1 thread; 2 threads | ${fmt(x.ruyi1OverLancedb1)}; ${fmt(x.ruyi2OverLancedb2)} | |`);
  }
  lines.push('', '| corpus | engine | queries | p50 ms | p95 ms | p99 ms |');
  lines.push('| --- | --- | ---: | ---: | ---: | ---: |');
  for (const r of results) {
    for (const [engine, l] of Object.entries(r.latency)) {
      if (l) lines.push(`| ${r.name} | ${engine} | ${l.queries} | ${fmt(l.p50, 3)} | ${fmt(l.p95, 3)} | ${fmt(l.p99, 3)} |`);
    }
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const machine = machineInfo();
  log(
    `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.ramGb} GB, Node ${machine.node}, load ${fmt(machine.loadAverageAtStart)}`,
  );
  const peers = { fts5: sqliteLoads(), lancedb: lancedbLoads() };
  if (!peers.fts5) log('better-sqlite3 does not load: the FTS5 runs are SKIPPED');
  if (!peers.lancedb) log('@lancedb/lancedb does not load on this platform: the LanceDB runs are SKIPPED');
  const corpora = [
    { name: `dev-${MB}`, file: () => scaleCorpus(MB), queries: devQueries },
    { name: `manuals-${MB}`, file: () => manualsCorpus(MB), queries: manualsQueries },
  ].filter((c) => only === undefined || c.name.startsWith(only));
  const work = mkdtempSync(join(os.tmpdir(), 'ruyi-bench-index-'));
  const results: CorpusResult[] = [];
  try {
    for (const c of corpora) results.push(await benchCorpus(c.name, c.file(), c.queries(), peers, work));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const tables = summary(results);
  console.log(`\n${tables}`);
  const minutes = (Date.now() - startedAt) / 60_000;
  log(`done in ${fmt(minutes, 1)} min; load average now ${fmt(os.loadavg()[0])}`);
  mkdirSync(join(root, 'bench-results'), { recursive: true });
  const out = join(root, 'bench-results', quick ? 'bench-index-quick.json' : 'bench-index.json');
  writeFileSync(
    out,
    `${JSON.stringify({ date: new Date().toISOString(), minutes, machine: { ...machine, loadAverageAtEnd: os.loadavg()[0] }, quick, corpora: results }, null, 2)}\n`,
  );
  log(`wrote ${out}`);
  if (!quick && only === undefined) {
    const m = machine;
    writeBlock(
      join(root, 'BENCHMARKS.md'),
      'bench:index',
      `## Indexing on two corpora: the ceiling, FTS5 and LanceDB (\`npm run bench:index\`)

Run of ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${fmt(minutes, 1)} min: ${m.cpu}, ${m.cores} cores, ${m.ramGb} GB,
Node ${m.node}; 1-minute load average ${fmt(m.loadAverageAtStart)} at the start, ${fmt(os.loadavg()[0])} at the end (a shared machine:
the ceiling's before/after spread is the noise). Corpora: the dev corpus and the manuals corpus
(\`scripts/corpus/build-manuals-corpus.sh\`: zh_CN software manuals, ~19% Han) each recombined to ${MB} MB by
make-scale-corpus.py. MB/s counts NDJSON input bytes; every run is a fresh child; *max RSS* is
/usr/bin/time -v's (ruyi: touched index pages included), *anon*/*file* the sampled peaks of RssAnon/RssFile.
FTS5 and LanceDB get the same jieba tokens (\`scripts/bench/peer-index.mjs\`); at 2 threads two worker
threads tokenize and the main thread is the one writer; LanceDB's Rust pool has 2 threads in both runs
(its FTS index build hangs with 1). Queries: the source corpus's known-item titles (make-queries.py),
limit 10, one client; ruyi on its defaults index, the peers on their 1-thread index.

${tables}
`,
    );
  }
}

await main();
