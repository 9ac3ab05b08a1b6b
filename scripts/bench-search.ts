/**
 * node --import tsx scripts/bench-search.ts [--dev-db DIR] [--scale-db DIR] [--mb 100] [--rounds 3] [--only mrr]
 *
 * Search quality and latency of every query type (README "Query syntax"):
 *  1. known-item MRR@10 and hit@1 on the dev corpus, for queries-dev.tsv (titles) and
 *     queries-hard.tsv (title chunks and body clauses), as plain text (`syntax: 'plain'`)
 *     and through the query parser (the default);
 *  2. latency p50/p99 of each query type on the dev index and on the scale index (100 MB):
 *     plain known-item, hard, phrase, OR, exclusion, title:, tag filter, prefix, countOnly,
 *     sort by date, a custom scorer. The first round warms up and is not counted.
 * Indexes are built with `ruyi index` into temporary directories unless given (build them
 * once and pass --dev-db / --scale-db to iterate). Writes bench-results/bench-search.json.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openIndex, type RuyiIndex, type SearchOptions, type StructuredQuery } from '../src/index.js';
import { devCorpus, devQueries, scaleCorpus } from './corpus-cache.js';
import { hardQueries } from './hard-queries.js';

function flag(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : undefined;
}
const rounds = Number(flag('rounds') ?? 3);
const mb = Number(flag('mb') ?? 100);
const only = flag('only');
const root = fileURLToPath(new URL('../', import.meta.url));
const cli = join(root, 'dist/src/cli/main.js');
const work = mkdtempSync(join(os.tmpdir(), 'ruyi-bench-search-'));

interface KnownItem {
  query: string;
  id: string;
}

function loadTsv(file: string): KnownItem[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.includes('\t'))
    .map((l) => {
      const [query, id] = l.split('\t') as [string, string];
      return { query, id };
    });
}

function indexed(given: string | undefined, corpus: () => string, name: string): string {
  if (given !== undefined && existsSync(join(given, 'ruyi.json'))) return given;
  const db = given ?? join(work, name);
  console.error(`indexing ${name} into ${db} ...`);
  execFileSync(process.execPath, [cli, 'index', corpus(), '--db', db, '--threads', '2', '--json'], { encoding: 'utf8' });
  return db;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function mrr(index: RuyiIndex, items: KnownItem[], options: SearchOptions): { mrr10: number; hit1: number; errors: number } {
  let rr = 0;
  let hit1 = 0;
  let errors = 0;
  for (const { query, id } of items) {
    let rank = -1;
    try {
      rank = index.search(query, { ...options, limit: 10 }).hits.findIndex((h) => h.id === id);
    } catch {
      errors++;
    }
    if (rank >= 0) rr += 1 / (rank + 1);
    if (rank === 0) hit1++;
  }
  return { mrr10: rr / items.length, hit1: hit1 / items.length, errors };
}

interface QueryCase {
  query: string | StructuredQuery;
  options: SearchOptions;
}

/** Query sets of every type, derived from the known-item sets so they hit real documents. */
function querySets(dev: KnownItem[], hard: KnownItem[]): Record<string, QueryCase[]> {
  const plain = (q: string): QueryCase => ({ query: q, options: { syntax: 'plain' } });
  const words = (q: string): string[] =>
    q.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w) && !/["()]/.test(w) && !/^[A-Za-z]+:/.test(w));
  const twoWords = hard.map((h) => words(h.query)).filter((w) => w.length >= 2);
  const clauses = hard.filter((h) => !h.query.includes(' ') && !h.query.includes('"')).map((h) => h.query);
  const titles = dev.map((d) => d.query);
  return {
    'plain known-item (dev titles)': titles.map(plain),
    'plain hard (title chunks, body clauses)': hard.map((h) => plain(h.query)),
    'phrase "..."': clauses.map((c) => ({ query: `"${c}"`, options: {} })),
    'AND of words': twoWords.map((w) => ({ query: w.join(' '), options: {} })),
    OR: twoWords.map((w) => ({ query: `${w[0]} OR ${w[1]}`, options: {} })),
    'exclusion -word': twoWords.map((w) => ({ query: `${w[0]} -${w[1]}`, options: {} })),
    'title:word': twoWords.map((w) => ({ query: `title:${w[0]}`, options: {} })),
    'tag filter': twoWords.map((w) => ({ query: `${w[0]} tag:chinese-poetry`, options: {} })),
    'prefix (first 3 chars of a title)': titles.map((t) => ({ query: t.replace(/["()\-:]/g, ' ').slice(0, 3), options: { prefix: true } })),
    countOnly: twoWords.map((w) => ({ query: w[0] as string, options: { countOnly: true } })),
    'sort by date': twoWords.map((w) => ({ query: w[0] as string, options: { sort: 'date' } })),
    'custom scorer': twoWords.map((w) => ({ query: w[0] as string, options: { scorer: (h) => h.score / (1 + h.title.length / 100) } })),
    structured: twoWords.map((w) => ({ query: { must: [w[0] as string], should: [w[1] as string] }, options: {} })),
  };
}

/**
 * Wall time per query (what a caller waits) and this thread's CPU time per query (what the
 * query costs, less disturbed by other processes on a shared machine).
 */
function latency(
  index: RuyiIndex,
  cases: QueryCase[],
): { p50: number; p99: number; cpuP50: number; cpuP99: number; n: number; errors: number } {
  const times: number[] = [];
  const cpu: number[] = [];
  let errors = 0;
  for (let round = 0; round < rounds; round++) {
    for (const c of cases) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      try {
        index.search(c.query, c.options);
      } catch {
        errors++;
      }
      const used = process.cpuUsage(c0);
      if (round > 0) {
        times.push(performance.now() - t0);
        cpu.push((used.user + used.system) / 1000);
      }
    }
  }
  times.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  return {
    p50: percentile(times, 50),
    p99: percentile(times, 99),
    cpuP50: percentile(cpu, 50),
    cpuP99: percentile(cpu, 99),
    n: times.length,
    errors: errors / rounds,
  };
}

const dev = loadTsv(devQueries());
const hard = loadTsv(await hardQueries());
const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  cpus: os.cpus().length,
  node: process.version,
  loadAverageAtStart: os.loadavg(),
};
try {
  const devDb = indexed(flag('dev-db'), devCorpus, 'dev');
  const devIndex = await openIndex(devDb, { create: false, threads: 1 });
  const quality: Record<string, unknown> = {};
  for (const [name, items] of [
    ['dev', dev],
    ['hard', hard],
  ] as const) {
    for (const syntax of ['plain', 'query'] as const) {
      const r = mrr(devIndex, items, { syntax });
      quality[`${name}/${syntax}`] = r;
      console.log(
        `MRR@10 ${name.padEnd(4)} ${syntax.padEnd(5)}: ${r.mrr10.toFixed(3)}  hit@1 ${r.hit1.toFixed(3)}  syntax errors ${r.errors}`,
      );
    }
  }
  results.quality = quality;
  if (only !== 'mrr') {
    const sets = querySets(dev, hard);
    const table: Record<string, Record<string, unknown>> = {};
    const measure = (label: string, index: RuyiIndex): void => {
      for (const [name, cases] of Object.entries(sets)) {
        const r = latency(index, cases);
        table[name] = { ...(table[name] ?? {}), [label]: r };
        console.log(
          `${label.padEnd(6)} ${name.padEnd(42)} wall p50 ${r.p50.toFixed(3)} p99 ${r.p99.toFixed(3)} ms | cpu p50 ${r.cpuP50.toFixed(3)} p99 ${r.cpuP99.toFixed(3)} ms (${r.n} timed${r.errors ? `, ${r.errors} errors` : ''})`,
        );
      }
    };
    measure('dev', devIndex);
    await devIndex.close();
    const scaleDb = indexed(flag('scale-db'), () => scaleCorpus(mb), `scale-${mb}mb`);
    const scaleIndex = await openIndex(scaleDb, { create: false, threads: 1 });
    const t0 = performance.now();
    scaleIndex.search('内存');
    console.log(`scale index: first query ${(performance.now() - t0).toFixed(0)} ms (loads the query analyzer)`);
    measure(`${mb}mb`, scaleIndex);
    await scaleIndex.close();
    results.latency = table;
    results.loadAverageAtEnd = os.loadavg();
  } else {
    await devIndex.close();
  }
  mkdirSync(join(root, 'bench-results'), { recursive: true });
  writeFileSync(join(root, 'bench-results', 'bench-search.json'), `${JSON.stringify(results, null, 2)}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
