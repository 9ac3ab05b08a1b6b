/**
 * Cost of the analysis options and of snippets on the dev corpus (~/.cache/ruyi-corpus):
 *   node --import tsx scripts/bench-analysis.ts [analyzer | index [option...] | snippets | load <option>]
 * analyzer: single-thread analysis throughput per option; index: build time and size per
 * option (2 threads, deferred merges + optimize, like `ruyi index`); snippets: search
 * latency with and without snippets for the dev known-item queries; load: RSS of loading
 * each option's dictionaries (run in a fresh process).
 */
import { readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Analyzer } from '../src/analysis/analyzer.js';
import { openIndex } from '../src/engine.js';
import { Searcher } from '../src/search/searcher.js';
import { ShardReader } from '../src/search/shard-reader.js';
import { bodyChunkReader, makeSnippet } from '../src/search/snippets.js';
import { openShardDbs, readShardState } from '../src/store/shard-store.js';
import type { Doc } from '../src/types.js';

const CACHE = join(homedir(), '.cache', 'ruyi-corpus');
const OPTIONS = [
  { name: 'base', pinyin: false, traditional: false },
  { name: 'pinyin', pinyin: true, traditional: false },
  { name: 'traditional', pinyin: false, traditional: true },
  { name: 'both', pinyin: true, traditional: true },
];

function corpus(): Doc[] {
  return readFileSync(join(CACHE, 'corpus-dev.ndjson'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Doc);
}

function benchAnalyzer(): void {
  const docs = corpus();
  const bytes = docs.reduce((n, d) => n + Buffer.byteLength(`${d.title ?? ''}${d.body as string}`), 0);
  for (const o of OPTIONS) {
    const a = Analyzer.load(o);
    let terms = 0;
    const sink = (): void => {
      terms++;
    };
    for (const d of docs.slice(0, 500)) a.analyze(d.body as string, 0, sink); // warm caches
    const runs: number[] = [];
    for (let r = 0; r < 3; r++) {
      terms = 0;
      const t0 = performance.now();
      for (const d of docs) {
        a.analyze(d.title ?? '', 0, sink);
        a.analyze(d.body as string, 0, sink);
      }
      runs.push(performance.now() - t0);
    }
    const best = Math.min(...runs);
    console.log(
      JSON.stringify({ option: o.name, mbPerSecond: +(bytes / 2 ** 20 / (best / 1000)).toFixed(2), terms, ms: Math.round(best) }),
    );
  }
}

/** Builds one index per option, `rounds` times interleaved (the machine is noisy). */
async function benchIndex(names: string[], rounds: number): Promise<void> {
  const docs = corpus();
  const chosen = names.length > 0 ? OPTIONS.filter((o) => names.includes(o.name)) : OPTIONS;
  for (const o of Array.from({ length: rounds }, () => chosen).flat()) {
    const dir = join(tmpdir(), `ruyi-bench-analysis-${o.name}`);
    rmSync(dir, { recursive: true, force: true });
    const t0 = performance.now();
    const index = await openIndex(dir, { threads: 2, deferMerges: true, pinyin: o.pinyin, traditional: o.traditional });
    await index.add(docs);
    await index.optimize();
    const seconds = (performance.now() - t0) / 1000;
    const stats = index.stats();
    await index.close();
    let postingBytes = 0;
    for (let s = 0; s < stats.shards; s++) {
      const dbs = openShardDbs(dir, s);
      postingBytes += readShardState(dbs).segments.reduce((n, seg) => n + seg.bytes, 0);
      await dbs.env.close();
    }
    console.log(
      JSON.stringify({ option: o.name, seconds: +seconds.toFixed(1), bytesOnDisk: stats.bytesOnDisk, postingBytes, docs: stats.docs }),
    );
  }
}

async function benchSnippets(): Promise<void> {
  const queries = readFileSync(join(CACHE, 'queries-dev.tsv'), 'utf8')
    .split('\n')
    .filter((l) => l.includes('\t'))
    .map((l) => l.split('\t')[0] as string)
    .slice(0, 200);
  for (const o of [OPTIONS[0], OPTIONS[3]] as (typeof OPTIONS)[number][]) {
    const dir = join(tmpdir(), `ruyi-bench-analysis-${o.name}`);
    const readers = Array.from({ length: 4 }, (_, s) => new ShardReader(openShardDbs(dir, s)));
    const analyzer = Analyzer.load(o);
    const searcher = new Searcher(
      () => readers,
      () => analyzer,
    );
    const shardOfId = new Map<string, ShardReader>();
    const pass = (withSnippets: boolean): number[] => {
      const times: number[] = [];
      for (const q of queries) {
        const t0 = performance.now();
        const { hits } = searcher.search(q, { limit: 10 });
        if (withSnippets) {
          const terms = analyzer.queryTerms(q).map((t) => t.term);
          for (const hit of hits) {
            let reader = shardOfId.get(hit.id);
            if (reader === undefined) {
              reader = readers.find((r) => r.dbs.docs.doesExist(hit.id)) as ShardReader;
              shardOfId.set(hit.id, reader);
            }
            const n = (reader.dbs.docs.get(hit.id) as { n: number }).n;
            makeSnippet(bodyChunkReader(reader.dbs, n), terms, analyzer);
          }
        }
        times.push(performance.now() - t0);
      }
      return times.sort((a, b) => a - b);
    };
    pass(true); // warm up
    for (const withSnippets of [false, true, false, true]) {
      const t = pass(withSnippets);
      const p = (q: number): number => +(t[Math.min(t.length - 1, Math.floor(q * t.length))] as number).toFixed(2);
      console.log(JSON.stringify({ option: o.name, snippets: withSnippets, p50: p(0.5), p90: p(0.9), p99: p(0.99), queries: t.length }));
    }
    for (const r of readers) await r.dbs.env.close();
  }
}

function benchLoad(option: string): void {
  const o = OPTIONS.find((x) => x.name === option) ?? (OPTIONS[0] as (typeof OPTIONS)[number]);
  global.gc?.();
  const before = process.memoryUsage();
  const t0 = performance.now();
  const a = Analyzer.load(o);
  a.analyze('記憶體不足時会发生内存溢出', 0, () => {});
  const ms = performance.now() - t0;
  global.gc?.();
  const after = process.memoryUsage();
  const mb = (n: number): number => Math.round(n / 2 ** 20);
  console.log(
    JSON.stringify({
      option: o.name,
      loadMs: Math.round(ms),
      rssMb: mb(after.rss - before.rss),
      heapMb: mb(after.heapUsed - before.heapUsed),
    }),
  );
}

const what = process.argv[2] ?? 'analyzer';
if (what === 'analyzer') benchAnalyzer();
else if (what === 'index') await benchIndex(process.argv.slice(3), Number(process.env.ROUNDS ?? 1));
else if (what === 'snippets') await benchSnippets();
else if (what === 'load') benchLoad(process.argv[3] ?? 'base');
