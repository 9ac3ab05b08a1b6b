/**
 * npm run bench:cluster [-- --threads 2 --nodes 2 --shards 4 --replicas 2 --corpus dev|scale --mb 25 --keep DIR]
 *
 * The cluster row of the benchmarks (README "Past one machine"): the same corpus indexed
 * by `ruyi index` into a local index and into a SphinxQL cluster of local searchd nodes
 * (same --threads, same run, alternating so that the machine's load falls on both), then
 * known-item MRR@10 of both on held-out queries (queries-dev.tsv: titles; queries-hard.tsv:
 * title chunks and body clauses; plain and query syntax) and search latency p50/p99 of both
 * (warm, the title queries). Writes bench-results/bench-cluster.json.
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
const corpus = corpusName === 'scale' ? scaleCorpus(Number(flag('mb', '25'))) : devCorpus();

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

const clusterDir = join(work, 'cluster');
const localDir = join(work, 'local');
try {
  ruyi('cluster', 'init', clusterDir, '--nodes', nodes, '--shards', shards, '--replicas', replicas);
  ruyi('cluster', 'up', clusterDir);
  console.error(`indexing ${corpus} (${threads} threads): local, then cluster (${nodes} nodes, ${shards} shards, ${replicas} replicas)`);
  const local = JSON.parse(ruyi('index', corpus, '--db', localDir, '--threads', threads, '--json'));
  const cluster = JSON.parse(ruyi('index', corpus, '--db', clusterDir, '--threads', threads, '--json'));
  const titles = loadTsv(devQueries());
  const hard = loadTsv(await hardQueries());
  const li = await openIndex(localDir, { threads: 1 });
  const ci = await ClusterIndex.open(clusterDir, { threads: 1 });
  const quality = {
    titlesPlain: { local: mrr(li, titles, 'plain'), cluster: mrr(ci, titles, 'plain') },
    titlesQuery: { local: mrr(li, titles, 'query'), cluster: mrr(ci, titles, 'query') },
    hardPlain: { local: mrr(li, hard, 'plain'), cluster: mrr(ci, hard, 'plain') },
    hardQuery: { local: mrr(li, hard, 'query'), cluster: mrr(ci, hard, 'query') },
  };
  const speed = { local: latency(li, titles), cluster: latency(ci, titles) };
  await li.close();
  await ci.close();
  const result = {
    date: new Date().toISOString(),
    corpus: { file: corpus, bytes: local.bytes, docs: local.docs },
    setup: { threads: Number(threads), nodes: Number(nodes), shards: Number(shards), replicas: Number(replicas), engine: 'Sphinx 2.2.11' },
    load: {
      localMBps: local.mbPerSecond,
      clusterMBps: cluster.mbPerSecond,
      ratio: Math.round((cluster.mbPerSecond / local.mbPerSecond) * 100) / 100,
      localSeconds: local.seconds,
      clusterSeconds: cluster.seconds,
      clusterPeakRssMb: cluster.peakRssMb,
    },
    mrr10: quality,
    searchMs: speed,
    loadAverage: os.loadavg().map((l) => Math.round(l * 10) / 10),
  };
  mkdirSync(join(root, 'bench-results'), { recursive: true });
  writeFileSync(join(root, 'bench-results', 'bench-cluster.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(
    [
      '| setup | load MB/s local / cluster (ratio) | search p50 / p99 ms local / cluster | MRR@10 titles local / cluster | MRR@10 hard local / cluster |',
      '| --- | --- | --- | --- | --- |',
      `| ${nodes} nodes, ${shards} shards, ${replicas} replicas, ${threads} threads | ${local.mbPerSecond} / ${cluster.mbPerSecond} (${result.load.ratio}) | ${speed.local.p50} / ${speed.local.p99} · ${speed.cluster.p50} / ${speed.cluster.p99} | ${quality.titlesPlain.local} / ${quality.titlesPlain.cluster} | ${quality.hardPlain.local} / ${quality.hardPlain.cluster} |`,
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
