/**
 * npm run bench:cluster [-- --threads 2 --nodes 2 --shards 4 --replicas 2 --corpus dev|scale --mb 25 --keep DIR]
 *
 * The cluster row of the benchmarks (README "Past one machine"): the same corpus indexed
 * by `ruyi index` into a local index and into a SphinxQL cluster of local searchd nodes
 * (same --threads, same run, alternating so that the machine's load falls on both), then
 * known-item MRR@10 of both on held-out queries (queries-dev.tsv: titles; queries-hard.tsv:
 * title chunks and body clauses; plain and query syntax) and search latency p50/p99 of both
 * (warm, the title queries). Writes bench-results/bench-cluster.json.
 *
 * `--corpus sample` (the shipped 350 articles) measures load only. If the local index cannot
 * be built (a regression of the local engine), the cluster is still measured and the local
 * MRR is taken from bench-results/bench-search.json (marked `localFrom`).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClusterIndex } from '../src/cluster/cluster-index.js';
import { openIndex, type SearchOptions } from '../src/index.js';
import { devCorpus, devQueries, scaleCorpus } from './corpus-cache.js';
import { hardQueries } from './hard-queries.js';

function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? (process.argv[at + 1] as string) : fallback;
}
const threads = flag('threads', '2');
const nodes = flag('nodes', '2');
const shards = flag('shards', '4');
const replicas = flag('replicas', '2');
const corpusName = flag('corpus', 'dev');
const root = fileURLToPath(new URL('../', import.meta.url));
const cli = join(root, 'dist/src/cli/main.js');
const keep = flag('keep', '');
const work = keep || mkdtempSync(join(os.tmpdir(), 'ruyi-bench-cluster-'));
const corpus =
  corpusName === 'scale'
    ? scaleCorpus(Number(flag('mb', '25')))
    : corpusName === 'sample'
      ? join(root, 'test/fixtures/sample/articles.ndjson')
      : devCorpus();

function ruyi(...args: string[]): string {
  return execFileSync(process.execPath, [cli, ...args], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
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

const clusterDir = join(work, 'cluster');
const localDir = join(work, 'local');
try {
  ruyi('cluster', 'init', clusterDir, '--nodes', nodes, '--shards', shards, '--replicas', replicas);
  ruyi('cluster', 'up', clusterDir);
  console.error(`indexing ${corpus} (${threads} threads): local, then cluster (${nodes} nodes, ${shards} shards, ${replicas} replicas)`);
  let local: { mbPerSecond: number; seconds: number; bytes: number; docs: number } | null = null;
  let localError: string | null = null;
  try {
    local = JSON.parse(ruyi('index', corpus, '--db', localDir, '--threads', threads, '--json'));
  } catch (err) {
    localError = String((err as { stderr?: string }).stderr ?? err)
      .trim()
      .split('\n')[0] as string;
    console.error(`local index failed: ${localError}`);
  }
  const cluster = JSON.parse(ruyi('index', corpus, '--db', clusterDir, '--threads', threads, '--json'));
  const ci = await ClusterIndex.open(clusterDir, { threads: 1 });
  const li = local === null ? null : await openIndex(localDir, { threads: 1 });
  let quality: Record<string, { local: number | null; cluster: number }> | null = null;
  let localFrom = 'this run';
  if (corpusName === 'dev') {
    const titles = loadTsv(devQueries());
    const hard = loadTsv(await hardQueries());
    const reference = li === null ? referenceMrr() : null;
    if (reference !== null) localFrom = 'bench-results/bench-search.json';
    const both = (items: [string, string][], syntax: 'plain' | 'query', key: string) => ({
      local: li === null ? (reference?.[key] ?? null) : mrr(li, items, syntax),
      cluster: mrr(ci, items, syntax),
    });
    quality = {
      titlesPlain: both(titles, 'plain', 'dev/plain'),
      titlesQuery: both(titles, 'query', 'dev/query'),
      hardPlain: both(hard, 'plain', 'hard/plain'),
      hardQuery: both(hard, 'query', 'hard/query'),
    };
  }
  const latencyQueries = corpusName === 'dev' ? loadTsv(devQueries()) : uniqueTitleQueries(corpus);
  const speed = { local: li === null ? null : latency(li, latencyQueries), cluster: latency(ci, latencyQueries) };
  await li?.close();
  await ci.close();
  const result = {
    date: new Date().toISOString(),
    corpus: { file: corpus, bytes: cluster.bytes, docs: cluster.docs },
    setup: { threads: Number(threads), nodes: Number(nodes), shards: Number(shards), replicas: Number(replicas), engine: 'Sphinx 2.2.11' },
    load: {
      localMBps: local?.mbPerSecond ?? null,
      localError,
      clusterMBps: cluster.mbPerSecond,
      ratio: local === null ? null : Math.round((cluster.mbPerSecond / local.mbPerSecond) * 100) / 100,
      localSeconds: local?.seconds ?? null,
      clusterSeconds: cluster.seconds,
      clusterPeakRssMb: cluster.peakRssMb,
    },
    mrr10: quality,
    mrrLocalFrom: localFrom,
    searchMs: speed,
    loadAverage: os.loadavg().map((l) => Math.round(l * 10) / 10),
  };
  mkdirSync(join(root, 'bench-results'), { recursive: true });
  writeFileSync(join(root, 'bench-results', 'bench-cluster.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(
    [
      '| setup | load MB/s local / cluster (ratio) | search p50 / p99 ms local / cluster | MRR@10 titles local / cluster | MRR@10 hard local / cluster |',
      '| --- | --- | --- | --- | --- |',
      `| ${nodes} nodes, ${shards} shards, ${replicas} replicas, ${threads} threads | ${local?.mbPerSecond ?? '-'} / ${cluster.mbPerSecond} (${result.load.ratio ?? '-'}) | ${speed.local?.p50 ?? '-'} / ${speed.local?.p99 ?? '-'} · ${speed.cluster.p50} / ${speed.cluster.p99} | ${quality?.titlesPlain?.local ?? '-'} / ${quality?.titlesPlain?.cluster ?? '-'} | ${quality?.hardPlain?.local ?? '-'} / ${quality?.hardPlain?.cluster ?? '-'} |`,
    ].join('\n'),
  );
} finally {
  try {
    ruyi('cluster', 'down', clusterDir);
  } catch {
    // not started
  }
  if (!keep) rmSync(work, { recursive: true, force: true });
}
