/**
 * npm run bench:index [-- --mb 100 --threads 2 --quick]
 *
 * In one run, on one corpus (../shared/corpus make-scale-corpus.py, cached outside the repo):
 *  1. the segmentation ceiling: raw @node-rs/jieba cutForSearch on `threads` worker threads;
 *  2. ruyi's end-to-end bulk index (`ruyi index --json` in a fresh process: read, parse,
 *     route, segment, write, optimize), its throughput, ratio to the ceiling, peak RSS;
 *  3. reopen + first query, then query latency p50/p99 over the dev corpus's known-item
 *     queries (make-queries.py) on that index;
 *  4. known-item MRR@10 and hit@1 on the dev corpus itself.
 * Prints a table and writes bench-results/bench-index.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openIndex } from '../src/index.js';
import { jiebaCeiling } from './bench/ceiling.js';
import { devCorpus, devQueries, scaleCorpus } from './corpus-cache.js';
import { measureChild } from './measure-child.js';

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}
const quick = process.argv.includes('--quick');
const mb = arg('mb', quick ? 10 : 100);
const threads = arg('threads', 2);
const root = fileURLToPath(new URL('../', import.meta.url));
const cli = join(root, 'dist/src/cli/main.js');

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function loadQueries(): { title: string; id: string }[] {
  return readFileSync(devQueries(), 'utf8')
    .split('\n')
    .filter((l) => l.includes('\t'))
    .map((l) => {
      const [title, id] = l.split('\t') as [string, string];
      return { title, id };
    });
}

async function main(): Promise<void> {
  const corpus = scaleCorpus(mb);
  const corpusBytes = statSync(corpus).size;
  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    ramGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  };
  console.log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.ramGb} GB, Node ${machine.node}`);
  console.log(`corpus: ${corpus} (${(corpusBytes / 1e6).toFixed(1)} MB), threads ${threads}`);

  // The machine is shared and its speed drifts: the ceiling is measured before and after
  // ruyi's run and the ratio uses their mean.
  const before = await jiebaCeiling(corpus, threads);
  console.log(`jieba cutForSearch ceiling at ${threads} threads (before): ${before.mbPerSecond.toFixed(2)} MB/s`);

  const work = mkdtempSync(join(os.tmpdir(), 'ruyi-bench-'));
  const db = join(work, 'index');
  try {
    const started = performance.now();
    // The bin is run as users run it, so its shebang's V8 flags apply.
    const run = await measureChild(cli, ['index', corpus, '--db', db, '--threads', String(threads), '--json']);
    if (run.exit !== 0) throw new Error(`ruyi index exited with ${run.exit}`);
    const wallSeconds = (performance.now() - started) / 1000;
    const report = JSON.parse(run.stdout) as { docs: number; bytes: number; seconds: number; mbPerSecond: number; peakRssMb: number };
    console.log(
      `ruyi index: ${report.docs} docs, ${report.mbPerSecond} MB/s (${report.seconds} s in-process, ${wallSeconds.toFixed(2)} s wall with start-up), ` +
        `peak RSS ${report.peakRssMb} MB (anonymous ${run.anonMb.toFixed(0)} MB, file-backed ${run.fileMb.toFixed(0)} MB)`,
    );
    const after = await jiebaCeiling(corpus, threads);
    const ceiling = (before.mbPerSecond + after.mbPerSecond) / 2;
    const ratio = report.mbPerSecond / ceiling;
    console.log(
      `jieba cutForSearch ceiling at ${threads} threads (after): ${after.mbPerSecond.toFixed(2)} MB/s; mean ${ceiling.toFixed(2)} MB/s`,
    );
    console.log(`ratio ruyi / ceiling: ${ratio.toFixed(3)} (target >= 0.7: ${ratio >= 0.7 ? 'met' : 'MISSED'})`);

    const openStarted = performance.now();
    const index = await openIndex(db, { create: false, threads: 1 });
    const queries = loadQueries();
    index.search(queries[0]?.title ?? '内存');
    const openFirstMs = performance.now() - openStarted;
    const diskMb = index.stats().bytesOnDisk / 1e6;
    const latencies: number[] = [];
    for (let round = 0; round < 3; round++) {
      for (const q of queries) {
        const t0 = performance.now();
        index.search(q.title);
        if (round > 0) latencies.push(performance.now() - t0);
      }
    }
    latencies.sort((a, b) => a - b);
    await index.close();
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    console.log(`index on disk: ${diskMb.toFixed(1)} MB; open + first query: ${openFirstMs.toFixed(0)} ms`);
    console.log(`query latency over ${queries.length} known-item queries: p50 ${p50.toFixed(3)} ms, p99 ${p99.toFixed(3)} ms`);

    const devDb = join(work, 'dev');
    execFileSync(process.execPath, [cli, 'index', devCorpus(), '--db', devDb, '--threads', String(threads), '--json'], {
      encoding: 'utf8',
    });
    const dev = await openIndex(devDb, { create: false, threads: 1 });
    let rr = 0;
    let hit1 = 0;
    for (const q of queries) {
      const rank = dev.search(q.title, { limit: 10 }).hits.findIndex((h) => h.id === q.id);
      if (rank >= 0) rr += 1 / (rank + 1);
      if (rank === 0) hit1++;
    }
    await dev.close();
    const mrr = rr / queries.length;
    console.log(`dev corpus known-item MRR@10 ${mrr.toFixed(3)}, hit@1 ${(hit1 / queries.length).toFixed(3)}`);

    mkdirSync(join(root, 'bench-results'), { recursive: true });
    const result = {
      date: new Date().toISOString(),
      machine,
      corpusMb: corpusBytes / 1e6,
      threads,
      ceilingMbPerSecond: ceiling,
      ceilingBeforeAfter: [before.mbPerSecond, after.mbPerSecond],
      ruyiMbPerSecond: report.mbPerSecond,
      ratio,
      docsPerSecond: report.docs / report.seconds,
      peakRssMb: report.peakRssMb,
      peakRssAnonMb: run.anonMb,
      peakRssFileMb: run.fileMb,
      diskMb,
      openFirstQueryMs: openFirstMs,
      queryP50Ms: p50,
      queryP99Ms: p99,
      mrr10: mrr,
      hitAt1: hit1 / queries.length,
    };
    writeFileSync(
      join(root, 'bench-results', quick ? 'bench-index-quick.json' : 'bench-index.json'),
      `${JSON.stringify(result, null, 2)}\n`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
