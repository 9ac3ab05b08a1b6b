/**
 * npm run bench [-- --quick] [-- --engines ruyi,minisearch,...]
 *
 * The whole benchmark in one run (the machine is shared and noisy: ratios come from one run):
 *  1. the physical limit: raw jieba cutForSearch at 1..N threads, before and after ruyi's runs;
 *  2. ruyi's bulk index (`ruyi index`) at 1..N threads: MB/s, docs/s, peak RSS, ratio to the limit;
 *  3. ruyi at default settings on each corpus (scaling): time, RSS, disk, reopen + first
 *     query, latency p50/p95/p99, QPS with 1 and N clients; one 8 and one 50 MiB article;
 *  4. the peers (MiniSearch, FlexSearch, Orama, Lunr, SQLite FTS5 with jieba tokens and with
 *     its trigram tokenizer), each in its own process with the same tokenizer, fields and
 *     title boost: index time, peak RSS, size, load time, latency, QPS;
 *  5. known-item MRR@10 and hit@1 on the dev corpus: title queries and the harder set;
 *  6. the cluster row (README "Past one machine"): the dev and the manuals corpus into a local
 *     index and into 2 local searchd nodes (4 shards, 2 replicas) at the same --threads: load
 *     MB/s and its ratio, peak RSS, search p50/p99, MRR@10 of both on held-out queries. Skipped,
 *     with the reason printed, when searchd is not installed (`--engines` without `cluster`).
 * Full: dev corpus, 25, 100 and 400 MB (ruyi; the peers up to what they hold in minutes).
 * --quick: the dev corpus only. Results: bench-results/bench.json (bench-quick.json),
 * charts in bench-results/*.svg and BENCHMARKS.md (full runs only).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Ceiling, jiebaCeiling } from './bench/ceiling.js';
import { summarizeProfiles, type ThreadProfile } from './bench/cpu-profile.js';
import { writeReport } from './bench/report.js';
import { sqliteLoads } from './bench/native-peers.js';
import { type EngineRun, openRun, peerIndex, type QuerySet, queryRun, ruyiIndex, serveQps } from './bench/runs.js';
import { CACHE_DIR, devCorpus, devQueries, longDoc, manualsCorpus, scaleCorpus } from './corpus-cache.js';
import { hardQueries } from './hard-queries.js';
import { measureChild } from './measure-child.js';
import { type ClusterMeasurement, clusterTable, measureCluster, querySets, searchdMissing } from './bench-cluster.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CLI = join(ROOT, 'dist/src/cli/main.js');
const quick = process.argv.includes('--quick');
const enginesArg = process.argv.indexOf('--engines');
const PEERS = ['minisearch', 'flexsearch', 'orama', 'lunr', 'fts5-jieba', 'fts5-trigram'];
const wanted = new Set(enginesArg > 0 ? (process.argv[enginesArg + 1] ?? '').split(',') : ['ruyi', 'cluster', ...PEERS]);
const cores = os.availableParallelism();
const THREADS = Array.from({ length: cores }, (_, i) => i + 1);

interface Plan {
  /** Corpus of the thread sweep and the ceiling (a prefix of it, `ceilingBytes`). */
  sweep: string;
  ceilingBytes?: number;
  /** Corpora ruyi indexes at default settings, in order. */
  scale: string[];
  /** Which peers index which corpus, smallest first (the slow ones stop early: minutes and GBs). */
  peersAt: [string, string[]][];
  /** The corpus where latency and N-client QPS are the headline (the target's 100 MB). */
  serveAt: string;
  serveSeconds: number;
  longDocs: number[];
  rounds: number;
}

const FULL: Plan = {
  sweep: '100',
  ceilingBytes: 30e6,
  scale: ['dev', '25', '100', '400'],
  peersAt: [
    ['dev', PEERS],
    ['25', PEERS],
    ['100', ['minisearch', 'flexsearch', 'fts5-jieba', 'fts5-trigram']],
  ],
  serveAt: '100',
  serveSeconds: 3,
  longDocs: [8, 50],
  rounds: 2,
};
// Orama and Lunr take most of a minute on the dev corpus alone: the full run has them.
const QUICK: Plan = {
  sweep: 'dev',
  scale: ['dev'],
  peersAt: [['dev', PEERS.filter((p) => p !== 'orama' && p !== 'lunr')]],
  serveAt: 'dev',
  serveSeconds: 1,
  longDocs: [],
  rounds: 1,
};
const plan = quick ? QUICK : FULL;

function corpusFile(name: string): string {
  return name === 'dev' ? devCorpus() : scaleCorpus(Number(name));
}

function log(line: string): void {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
}

const fmt = (x: number | undefined, digits = 1): string => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits));

async function ceilings(file: string): Promise<Ceiling[]> {
  const out: Ceiling[] = [];
  for (const t of THREADS) {
    const c = await jiebaCeiling(file, t, plan.ceilingBytes);
    log(`jieba cutForSearch ceiling, ${t} thread(s): ${fmt(c.mbPerSecond, 2)} MB/s`);
    out.push(c);
  }
  return out;
}

function printRun(r: EngineRun): void {
  if (r.error) {
    log(`${r.engine} on ${r.corpus}: ${r.error}`);
    return;
  }
  const q = r.query;
  log(
    `${r.engine.padEnd(12)} ${r.corpus.padStart(4)}: ${r.docs} docs in ${fmt(r.indexSeconds)} s (${fmt(r.mbPerSecond, 2)} MB/s, ` +
      `${fmt(r.docsPerSecond, 0)} docs/s, ${r.threads} thr), max RSS ${fmt(r.maxRssMb, 0)} MB, disk ${fmt((r.bytesOnDisk ?? 0) / 1e6)} MB` +
      (q
        ? `; load ${q.loadTimedOutSeconds ? `> ${q.loadTimedOutSeconds} s` : `${fmt(q.loadMs, 0)} ms`} + first query ${fmt(q.firstQueryMs, 1)} ms, ` +
          `p50 ${fmt(q.latency.p50, 3)} p99 ${fmt(q.latency.p99, 2)} ms${r.qpsN ? `, QPS ${fmt(q.qps1, 0)} (1) ${fmt(r.qpsN.qps, 0)} (${r.qpsN.clients})` : ''}`
        : ''),
  );
}

async function main(): Promise<void> {
  const started = performance.now();
  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores,
    ramGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    /** 1-minute load average at the start and the end: how shared the machine was. */
    loadAverage: [os.loadavg()[0] ?? 0],
  };
  console.log(
    `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.ramGb} GB RAM, Node ${machine.node}, ${machine.platform}, load average ${machine.loadAverage[0]?.toFixed(1)}`,
  );
  console.log(`mode: ${quick ? 'quick' : 'full'}; corpora cached in ${CACHE_DIR}`);
  if (!existsSync(CLI)) throw new Error('dist/ is missing: run `npm run build` first (npm run bench does)');

  const wantsSqlite = [...wanted].some((e) => e.startsWith('fts5'));
  const sqlite = wantsSqlite && sqliteLoads();
  if (wantsSqlite && !sqlite) console.log('better-sqlite3 still does not load: the SQLite FTS5 runs are SKIPPED.');
  const peers = PEERS.filter((p) => wanted.has(p) && (sqlite || !p.startsWith('fts5')));
  const sets: QuerySet[] = [
    { name: 'dev', file: devQueries() },
    { name: 'hard', file: await hardQueries() },
  ];
  const work = mkdtempSync(join(os.tmpdir(), 'ruyi-bench-'));
  // Latency and QPS use both query sets as the workload on every corpus.
  const workload = join(work, 'workload.tsv');
  writeFileSync(workload, sets.map((s) => readFileSync(s.file, 'utf8').trim()).join('\n'));
  const runs: EngineRun[] = [];
  const sweep: EngineRun[] = [];
  const longDocs: EngineRun[] = [];
  let before: Ceiling[] = [];
  let after: Ceiling[] = [];
  let profile: ThreadProfile[] | undefined;
  const cluster: { rows: ClusterMeasurement[]; skipped: string | null } = { rows: [], skipped: null };
  const sweepFile = corpusFile(plan.sweep);

  const serveClients = cores;
  const openLimitSeconds = quick ? 15 : 30;
  async function serve(run: EngineRun, dir: string): Promise<void> {
    // Each client loads its own copy of the index: only when that is quick.
    if (run.corpus !== plan.serveAt || !run.query || run.query.loadMs === undefined || run.query.loadMs > 10_000) return;
    if (quick && run.engine !== 'ruyi') return;
    run.qpsN = { clients: serveClients, qps: await serveQps(run.engine, dir, workload, run.query.mode, serveClients, plan.serveSeconds) };
  }
  async function ruyiQueries(run: EngineRun, dir: string): Promise<void> {
    if (run.error) return;
    const q = await queryRun(run.engine, dir, work, { sets, mrr: run.corpus === 'dev', rounds: plan.rounds });
    if ('error' in q) run.error = q.error;
    else run.query = q;
    await serve(run, dir);
    printRun(run);
  }
  async function peerOpen(run: EngineRun, dir: string): Promise<void> {
    if (run.error || !run.query) return;
    const first = readFileSync(workload, 'utf8').split('\t')[0] ?? '内存';
    // Skip a load that the dev corpus's load rate says would exceed the limit (MiniSearch's
    // loadJSON rebuilds its radix tree and is slower than indexing).
    const dev = runs.find((x) => x.engine === run.engine && x.corpus === 'dev' && x.query);
    const devLoadMs = dev?.query?.loadMs ?? (dev?.query?.loadTimedOutSeconds ?? 0) * 1000;
    const estimateMs = dev && run !== dev ? (devLoadMs / dev.corpusMb) * run.corpusMb : undefined;
    if (estimateMs !== undefined && estimateMs > openLimitSeconds * 1000) {
      run.query.loadTimedOutSeconds = openLimitSeconds;
      run.query.loadEstimatedMs = estimateMs;
      printRun(run);
      return;
    }
    const o = await openRun(run.engine, dir, first, openLimitSeconds);
    if ('timedOut' in o) run.query.loadTimedOutSeconds = o.timedOut;
    else Object.assign(run.query, o);
    await serve(run, dir);
    printRun(run);
  }

  try {
    if (wanted.has('ruyi')) {
      // 1-2. Ceiling, ruyi's thread sweep, ceiling again: the ratio uses the mean of both.
      // The run at the default thread count is also the default-settings run of that corpus.
      const { defaultThreads } = (await import(pathToFileURL(join(ROOT, 'dist/src/index.js')).href)) as { defaultThreads: () => number };
      const threadsByDefault = defaultThreads();
      before = await ceilings(sweepFile);
      let defaultRun: EngineRun | undefined;
      for (const t of THREADS) {
        const db = join(work, `ruyi-${plan.sweep}-${t}`);
        const r = await ruyiIndex(sweepFile, plan.sweep, db, t === threadsByDefault ? [] : ['--threads', String(t)]);
        sweep.push(r);
        log(
          `ruyi index --threads ${t} on ${plan.sweep}: ${fmt(r.mbPerSecond, 2)} MB/s, ${fmt(r.docsPerSecond, 0)} docs/s, max RSS ${fmt(r.maxRssMb, 0)} MB`,
        );
        if (t === threadsByDefault) defaultRun = { ...r };
        else rmSync(db, { recursive: true, force: true });
      }
      after = await ceilings(sweepFile);

      // 3. Defaults on every corpus.
      for (const name of plan.scale) {
        const reuse = name === plan.sweep && defaultRun !== undefined;
        const db = join(work, reuse ? `ruyi-${plan.sweep}-${threadsByDefault}` : `ruyi-${name}`);
        const r = reuse && defaultRun ? defaultRun : await ruyiIndex(corpusFile(name), name, db);
        runs.push(r);
        await ruyiQueries(r, db);
        rmSync(db, { recursive: true, force: true });
      }
      for (const mib of plan.longDocs) {
        const db = join(work, `long-${mib}`);
        const r = await ruyiIndex(longDoc(mib), `long-${mib}`, db);
        longDocs.push(r);
        log(
          `ruyi, one ${mib} MiB article: ${fmt(r.indexSeconds)} s, max RSS ${fmt(r.maxRssMb, 0)} MB (anon ${fmt(r.anonMb, 0)}, file ${fmt(r.fileMb, 0)})`,
        );
        rmSync(db, { recursive: true, force: true });
      }
    }

    // 4-5. Peers, smallest corpus first; the query mode each chose on the dev corpus (best MRR) is kept.
    const modes = new Map<string, string>();
    for (const [name, engines] of plan.peersAt) {
      for (const engine of engines) {
        if (!peers.includes(engine)) continue;
        const dir = join(work, `${engine}-${name}`);
        const r = await peerIndex(engine, corpusFile(name), name, dir, work, {
          sets,
          mrr: name === 'dev',
          rounds: plan.rounds,
          mode: modes.get(engine),
        });
        runs.push(r);
        await peerOpen(r, dir);
        if (r.query && name === 'dev') modes.set(engine, r.query.mode);
        rmSync(dir, { recursive: true, force: true });
      }
    }

    // 6. The cluster row, on both corpora.
    cluster.skipped = wanted.has('cluster') ? searchdMissing() : 'not in --engines';
    if (cluster.skipped !== null) log(`cluster row skipped: ${cluster.skipped}`);
    else {
      for (const name of ['dev', 'manuals'] as const) {
        const setup = { threads: Math.min(2, cores), nodes: 2, shards: 4, replicas: 2 };
        const file = name === 'dev' ? devCorpus() : manualsCorpus();
        const r = await measureCluster({ name, file, sets: await querySets(name), setup, work });
        cluster.rows.push(r);
        const mrrs = Object.entries(r.mrr10).map(([k, v]) => `${k} ${fmt(v.local ?? undefined, 3)} / ${fmt(v.cluster, 3)}`);
        log(
          `cluster on ${name}: load ${fmt(r.load.localMBps ?? undefined, 2)} / ${fmt(r.load.clusterMBps, 2)} MB/s local / cluster (${fmt(r.load.ratio ?? undefined, 2)}), ` +
            `p50/p99 ${fmt(r.searchMs.cluster.p50, 2)} / ${fmt(r.searchMs.cluster.p99, 2)} ms; MRR@10 local / cluster: ${mrrs.join(', ')}`,
        );
      }
    }

    // Where ruyi's indexing time goes, when it misses the ceiling target.
    const at2 = sweep.find((r) => r.threads === 2);
    const ceiling2 = mean(before, after, 2);
    if (!quick && at2?.mbPerSecond && ceiling2 && at2.mbPerSecond / ceiling2 < 0.7) {
      const profDir = join(work, 'prof');
      const db = join(work, 'prof-db');
      mkdirSync(profDir);
      log('indexing below 0.7 x ceiling: profiling `ruyi index --threads 2` on 25 MB (node --cpu-prof)');
      await measureChild(process.execPath, [
        '--cpu-prof',
        `--cpu-prof-dir=${profDir}`,
        '--max-semi-space-size=1',
        '--max-old-space-size=64',
        CLI,
        'index',
        corpusFile('25'),
        '--db',
        db,
        '--threads',
        '2',
      ]);
      profile = summarizeProfiles(profDir);
      for (const p of profile) {
        log(`profile ${p.file} (${fmt(p.seconds)} s): ${p.top.map(([f, s]) => `${f} ${(s * 100).toFixed(0)}%`).join(', ')}`);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  const seconds = (performance.now() - started) / 1000;
  machine.loadAverage.push(os.loadavg()[0] ?? 0);
  const ceiling = THREADS.map((t) => ({
    threads: t,
    before: before[t - 1]?.mbPerSecond,
    after: after[t - 1]?.mbPerSecond,
    mean: mean(before, after, t),
  }));
  const corpora = Object.fromEntries(
    [...new Set([...plan.scale, ...plan.peersAt.map(([name]) => name), plan.sweep])].map((n) => [n, statSync(corpusFile(n)).size / 1e6]),
  );
  const results = { date: new Date().toISOString(), quick, seconds, machine, plan, corpora, ceiling, sweep, runs, longDocs, profile, cluster };
  mkdirSync(join(ROOT, 'bench-results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench-results', quick ? 'bench-quick.json' : 'bench.json'), `${JSON.stringify(results, null, 2)}\n`);
  const summary = writeReport(results, ROOT);
  console.log(`\n${summary}`);
  console.log(cluster.skipped === null ? `\nCluster (Sphinx 2.2.11, same run):\n${clusterTable(cluster.rows)}` : `\nCluster: skipped (${cluster.skipped})`);
  log(`done in ${fmt(seconds / 60, 1)} min`);
}

function mean(a: Ceiling[], b: Ceiling[], threads: number): number | undefined {
  const xs = [a[threads - 1]?.mbPerSecond, b[threads - 1]?.mbPerSecond].filter((x): x is number => x !== undefined);
  return xs.length === 0 ? undefined : xs.reduce((s, x) => s + x, 0) / xs.length;
}

await main();
