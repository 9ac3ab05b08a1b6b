/**
 * npm run bench:cluster [-- --threads 2 --nodes 2 --shards 4 --replicas 2 --corpus dev|manuals|scale --mb 25 --keep DIR]
 *
 * The cluster row of the benchmarks (README "Past one machine"): the same corpus indexed
 * by `ruyi index` into a local index and into a SphinxQL cluster of local searchd nodes
 * (same --threads, same run, alternating so that the machine's load falls on both), then
 * known-item MRR@10 of both on held-out queries (queries-dev.tsv: titles; queries-hard.tsv:
 * title chunks and body clauses; plain and query syntax) and search latency p50/p99 of both
 * (warm, the title queries). On `--corpus manuals`, the manuals' own title queries
 * (queries-manuals.tsv). Writes bench-results/bench-cluster.json. `npm run bench` runs the
 * same measurement (measureCluster) on the dev and the manuals corpus for its cluster row.
 *
 * `--corpus sample` (the shipped 350 articles) measures load only. If the local index cannot
 * be built (a regression of the local engine), the cluster is still measured and the local
 * MRR is taken from bench-results/bench-search.json (marked `localFrom`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ClusterIndex } from '../src/cluster/cluster-index.js';
import { openIndex, type SearchOptions } from '../src/index.js';
import { devCorpus, devQueries, manualsCorpus, manualsQueries, scaleCorpus } from './corpus-cache.js';
import { hardQueries } from './hard-queries.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const cli = join(root, 'dist/src/cli/main.js');

/** The bin as users run it: its shebang sets the heap limits and glibc arenas the memory plan counts on. */
function ruyi(...args: string[]): string {
  return execFileSync(cli, args, { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
}

function loadTsv(file: string): [string, string][] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.includes('\t'))
    .map((l) => l.split('\t') as [string, string]);
}

type Searchable = { search(q: string, o: SearchOptions): { hits: { id: string }[] } };

function mrr(index: Searchable, items: [string, string][], syntax: 'plain' | 'query'): number {
  let rr = 0;
  for (const [q, id] of items) {
    let rank = -1;
    try {
      rank = index.search(q, { syntax, limit: 10 }).hits.findIndex((h) => h.id === id);
    } catch {
      // a query error counts as not found
    }
    if (rank >= 0) rr += 1 / (rank + 1);
  }
  return Math.round((rr / items.length) * 1000) / 1000;
}

function latency(index: Searchable, items: [string, string][]): { p50: number; p99: number } {
  for (const [q] of items) index.search(q, { syntax: 'plain', limit: 10 });
  const ms: number[] = [];
  for (const [q] of items) {
    const t0 = performance.now();
    index.search(q, { syntax: 'plain', limit: 10 });
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  const at = (p: number) => Math.round((ms[Math.min(ms.length - 1, Math.floor((p / 100) * ms.length))] as number) * 100) / 100;
  return { p50: at(50), p99: at(99) };
}

/** Local MRR of the last `bench-search` run, when this run cannot build the local index. */
function referenceMrr(): Record<string, number> | null {
  try {
    const saved = JSON.parse(readFileSync(join(root, 'bench-results', 'bench-search.json'), 'utf8')) as {
      quality?: Record<string, { mrr10: number }>;
    };
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(saved.quality ?? {})) out[k] = Math.round(v.mrr10 * 1000) / 1000;
    return out;
  } catch {
    return null;
  }
}

/** Titles of a small corpus as latency queries. */
function uniqueTitleQueries(file: string): [string, string][] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { id: string; title?: string })
    .filter((d) => d.title)
    .map((d) => [d.title as string, d.id]);
}

/** Why the cluster cannot be measured here (no searchd on the PATH), or null. */
export function searchdMissing(): string | null {
  const r = spawnSync('searchd', ['--help'], { encoding: 'utf8' });
  return r.error === undefined ? null : `searchd not found (${(r.error as NodeJS.ErrnoException).code}): apt-get install sphinxsearch`;
}

export interface ClusterSetup {
  threads: number;
  nodes: number;
  shards: number;
  replicas: number;
}

/** Held-out known-item queries, by name: [query, expected id]. */
export type QuerySets = Record<string, [string, string][]>;

export interface ClusterMeasurement {
  corpus: { name: string; file: string; bytes: number; docs: number };
  setup: ClusterSetup & { engine: string };
  load: {
    localMBps: number | null;
    localError: string | null;
    clusterMBps: number;
    ratio: number | null;
    localSeconds: number | null;
    clusterSeconds: number;
    localPeakRssMb: number | null;
    clusterPeakRssMb: number;
    clusterMaxMemoryMb: number;
  };
  /** MRR@10 per query set and syntax (`titles/plain`...), local and cluster. */
  mrr10: Record<string, { local: number | null; cluster: number }>;
  mrrLocalFrom: string;
  searchMs: { local: { p50: number; p99: number } | null; cluster: { p50: number; p99: number } };
}

/**
 * One corpus into a local index and a fresh cluster of local searchd nodes (same --threads,
 * same run, twice each, the faster kept), then MRR@10 on each query set in both syntaxes and warm latency of the first
 * set (or of the corpus's titles without sets). The nodes are stopped and `work` is left to the caller.
 */
export async function measureCluster(o: {
  name: string;
  file: string;
  sets: QuerySets;
  setup: ClusterSetup;
  work: string;
}): Promise<ClusterMeasurement> {
  const { threads, nodes, shards, replicas } = o.setup;
  const clusterDir = join(o.work, `cluster-${o.name}`);
  const localDir = join(o.work, `local-${o.name}`);
  const spareDir = join(o.work, `cluster-${o.name}-first`);
  const init = (dir: string) => {
    ruyi('cluster', 'init', dir, '--nodes', String(nodes), '--shards', String(shards), '--replicas', String(replicas));
    ruyi('cluster', 'up', dir);
  };
  try {
    type Load = { mbPerSecond: number; seconds: number; bytes: number; docs: number; peakRssMb: number; maxMemoryMb: number };
    const load = (dir: string): Load => JSON.parse(ruyi('index', o.file, '--db', dir, '--threads', String(threads), '--json'));
    let localError: string | null = null;
    const loadLocal = (): Load | null => {
      rmSync(localDir, { recursive: true, force: true });
      try {
        return load(localDir);
      } catch (err) {
        localError = String((err as { stderr?: string }).stderr ?? err)
          .trim()
          .split('\n')[0] as string;
        console.error(`local index failed: ${localError}`);
        return null;
      }
    };
    // Two rounds in the order local, cluster, cluster, local, each into a fresh index (the
    // first cluster's nodes stopped once loaded), the faster of each kept: the machine's
    // bursts of load fall on both.
    const faster = <T extends { mbPerSecond: number } | null>(a: T, b: T): T => (a === null || (b !== null && b.mbPerSecond > a.mbPerSecond) ? b : a);
    const local1 = loadLocal();
    init(spareDir);
    const cluster1 = load(spareDir);
    ruyi('cluster', 'down', spareDir);
    init(clusterDir);
    const cluster2 = load(clusterDir);
    const cluster = faster(cluster1, cluster2);
    const local2 = loadLocal();
    const local = faster(local1, local2);
    // Peaks are the higher of the two runs, not the faster run's.
    const peak = (a: Load | null, b: Load | null) => (a === null && b === null ? null : Math.max(a?.peakRssMb ?? 0, b?.peakRssMb ?? 0));
    const ci = await ClusterIndex.open(clusterDir, { threads: 1 });
    const li = local === null ? null : await openIndex(localDir, { threads: 1 });
    const reference = li === null && o.name === 'dev' ? referenceMrr() : null;
    const mrr10: ClusterMeasurement['mrr10'] = {};
    for (const [set, items] of Object.entries(o.sets))
      for (const syntax of ['plain', 'query'] as const)
        mrr10[`${set}/${syntax}`] = {
          local: li === null ? (reference?.[`${set === 'titles' ? 'dev' : set}/${syntax}`] ?? null) : mrr(li, items, syntax),
          cluster: mrr(ci, items, syntax),
        };
    const latencyQueries = Object.values(o.sets)[0] ?? uniqueTitleQueries(o.file);
    const searchMs = { local: li === null ? null : latency(li, latencyQueries), cluster: latency(ci, latencyQueries) };
    await li?.close();
    await ci.close();
    return {
      corpus: { name: o.name, file: o.file, bytes: cluster.bytes, docs: cluster.docs },
      setup: { ...o.setup, engine: 'Sphinx 2.2.11' },
      load: {
        localMBps: local?.mbPerSecond ?? null,
        localError,
        clusterMBps: cluster.mbPerSecond,
        ratio: local === null ? null : Math.round((cluster.mbPerSecond / local.mbPerSecond) * 100) / 100,
        localSeconds: local?.seconds ?? null,
        clusterSeconds: cluster.seconds,
        localPeakRssMb: peak(local1, local2),
        clusterPeakRssMb: peak(cluster1, cluster2) as number,
        clusterMaxMemoryMb: cluster.maxMemoryMb,
      },
      mrr10,
      mrrLocalFrom: reference === null ? 'this run' : 'bench-results/bench-search.json',
      searchMs,
    };
  } finally {
    for (const dir of [spareDir, clusterDir]) {
      try {
        ruyi('cluster', 'down', dir);
      } catch {
        // not started, or already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    }
    rmSync(localDir, { recursive: true, force: true });
  }
}

/** The held-out query sets of a corpus: the dev corpus's titles and hard set, the manuals' titles. */
export async function querySets(corpus: 'dev' | 'manuals'): Promise<QuerySets> {
  return corpus === 'dev' ? { titles: loadTsv(devQueries()), hard: loadTsv(await hardQueries()) } : { titles: loadTsv(manualsQueries()) };
}

/** Markdown rows of measurements: load, latency and MRR, local against cluster. */
export function clusterTable(rows: ClusterMeasurement[]): string {
  const f = (x: number | null | undefined) => (x === null || x === undefined ? '-' : String(x));
  return [
    '| corpus | setup | load MB/s local / cluster (ratio) | peak RSS MB local / cluster (budget) | search p50 / p99 ms local · cluster | MRR@10 local / cluster |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => {
      const s = r.setup;
      const mrrs = Object.entries(r.mrr10)
        .map(([k, v]) => `${k} ${f(v.local)} / ${v.cluster}`)
        .join('; ');
      return `| ${r.corpus.name} (${(r.corpus.bytes / 1e6).toFixed(1)} MB, ${r.corpus.docs} docs) | ${s.nodes} nodes, ${s.shards} shards, ${s.replicas} replicas, ${s.threads} threads | ${f(r.load.localMBps)} / ${r.load.clusterMBps} (${f(r.load.ratio)}) | ${f(r.load.localPeakRssMb)} / ${r.load.clusterPeakRssMb} (${r.load.clusterMaxMemoryMb}) | ${f(r.searchMs.local?.p50)} / ${f(r.searchMs.local?.p99)} · ${r.searchMs.cluster.p50} / ${r.searchMs.cluster.p99} | ${mrrs} |`;
    }),
  ].join('\n');
}

function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? (process.argv[at + 1] as string) : fallback;
}

async function main(): Promise<void> {
  const missing = searchdMissing();
  if (missing !== null) {
    console.log(`cluster benchmark skipped: ${missing}`);
    return;
  }
  const corpusName = flag('corpus', 'dev');
  const keep = flag('keep', '');
  const work = keep || mkdtempSync(join(os.tmpdir(), 'ruyi-bench-cluster-'));
  const file =
    corpusName === 'scale'
      ? scaleCorpus(Number(flag('mb', '25')))
      : corpusName === 'sample'
        ? join(root, 'test/fixtures/sample/articles.ndjson')
        : corpusName === 'manuals'
          ? manualsCorpus()
          : devCorpus();
  const sets = corpusName === 'dev' || corpusName === 'manuals' ? await querySets(corpusName) : {};
  const setup = {
    threads: Number(flag('threads', '2')),
    nodes: Number(flag('nodes', '2')),
    shards: Number(flag('shards', '4')),
    replicas: Number(flag('replicas', '2')),
  };
  console.error(`indexing ${file} (${setup.threads} threads): local, then cluster (${setup.nodes} nodes, ${setup.shards} shards, ${setup.replicas} replicas)`);
  try {
    const result = await measureCluster({ name: corpusName, file, sets, setup, work });
    mkdirSync(join(root, 'bench-results'), { recursive: true });
    const saved = { date: new Date().toISOString(), ...result, loadAverage: os.loadavg().map((l) => Math.round(l * 10) / 10) };
    writeFileSync(join(root, 'bench-results', 'bench-cluster.json'), `${JSON.stringify(saved, null, 2)}\n`);
    console.log(clusterTable([result]));
  } finally {
    if (!keep) rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
