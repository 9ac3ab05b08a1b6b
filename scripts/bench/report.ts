import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ThreadProfile } from './cpu-profile.js';
import { keptBlocks } from './md-block.js';
import type { EngineRun } from './runs.js';
import { lineChartSvg, type Series } from './svg-chart.js';

export interface Results {
  date: string;
  quick: boolean;
  seconds: number;
  machine: { cpu: string; cores: number; ramGb: number; node: string; platform: string; loadAverage: number[] };
  plan: { sweep: string; serveAt: string; scale: string[] };
  corpora: Record<string, number>;
  ceiling: { threads: number; before?: number; after?: number; mean?: number }[];
  sweep: EngineRun[];
  runs: EngineRun[];
  longDocs: EngineRun[];
  profile?: ThreadProfile[];
}

export interface Target {
  target: string;
  measured: string;
  met: boolean | undefined;
  note: string;
}

const IN_MEMORY = ['minisearch', 'flexsearch', 'orama', 'lunr'];
/** One colour per engine in every chart. */
const ENGINE_COLORS: Record<string, string> = {
  ruyi: '#d62728',
  minisearch: '#1f77b4',
  flexsearch: '#2ca02c',
  orama: '#ff7f0e',
  lunr: '#9467bd',
  'fts5-jieba': '#8c564b',
  'fts5-trigram': '#e377c2',
};
const n = (x: number | undefined, digits = 1): string => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits));
const int = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '-' : Math.round(x).toLocaleString('en-US'));
const verdict = (met: boolean | undefined): string => (met === undefined ? 'not measured' : met ? '**met**' : '**MISSED**');
const corpusLabel = (name: string, mb: number | undefined): string =>
  name === 'dev' ? `dev (${n(mb)} MB)` : `${name} MB (${n(mb, 0)} MB file)`;

function best<T>(items: T[], score: (t: T) => number | undefined): T | undefined {
  let top: T | undefined;
  let topScore = Number.NEGATIVE_INFINITY;
  for (const item of items) {
    const s = score(item);
    if (s !== undefined && s > topScore) [top, topScore] = [item, s];
  }
  return top;
}

/** An engine's MRR@10 on one query set, in its best mode (the one its latency runs use). */
export function mrrOf(run: EngineRun | undefined, set: string): { mrr10: number; hitAt1: number } | undefined {
  if (!run?.query) return undefined;
  return run.query.quality[`${run.query.mode}:${set}`];
}

export function evaluateTargets(r: Results): Target[] {
  const targets: Target[] = [];
  const at2 = r.sweep.find((s) => s.threads === 2) ?? r.sweep.at(-1);
  const ceilingAt2 = r.ceiling.find((c) => c.threads === at2?.threads)?.mean;
  const ratio = at2?.mbPerSecond && ceilingAt2 ? at2.mbPerSecond / ceilingAt2 : undefined;
  targets.push({
    target: `indexing ≥ 0.7 × the jieba ceiling at ${at2?.threads ?? 2} threads`,
    measured: ratio === undefined ? '-' : `${n(ratio, 2)} (${n(at2?.mbPerSecond, 2)} / ${n(ceilingAt2, 2)} MB/s)`,
    met: ratio === undefined ? undefined : ratio >= 0.7,
    note: `${r.plan.sweep === 'dev' ? 'dev corpus' : `${r.plan.sweep} MB`}; ceiling = mean of before and after`,
  });
  const sweepCorpus = r.plan.sweep;
  const peersThere = r.runs.filter((p) => p.corpus === sweepCorpus && !p.error && p.engine !== 'ruyi');
  const fastestMem = best(
    peersThere.filter((p) => IN_MEMORY.includes(p.engine)),
    (p) => p.mbPerSecond,
  );
  const memRatio = at2?.mbPerSecond && fastestMem?.mbPerSecond ? at2.mbPerSecond / fastestMem.mbPerSecond : undefined;
  const at1 = r.sweep.find((s) => s.threads === 1);
  targets.push({
    target: 'indexing ≥ 3 × the fastest in-memory peer',
    measured:
      memRatio === undefined
        ? '-'
        : `${n(memRatio, 2)} × ${fastestMem?.engine} (${n(fastestMem?.mbPerSecond, 2)} MB/s); at 1 thread ${n((at1?.mbPerSecond ?? 0) / (fastestMem?.mbPerSecond ?? 1), 2)} ×`,
    met: memRatio === undefined ? undefined : memRatio >= 3,
    note: 'ruyi at 2 threads, the peer on one (the libraries are single-threaded); the peer time excludes serializing its index',
  });
  const fts = peersThere.find((p) => p.engine === 'fts5-jieba');
  const ftsRatio = at2?.mbPerSecond && fts?.mbPerSecond ? at2.mbPerSecond / fts.mbPerSecond : undefined;
  targets.push({
    target: 'indexing faster than SQLite FTS5 with the same tokenizer',
    measured:
      ftsRatio === undefined
        ? '-'
        : `${n(ftsRatio, 2)} × (${n(fts?.mbPerSecond, 2)} MB/s); at 1 thread ${n((at1?.mbPerSecond ?? 0) / (fts?.mbPerSecond ?? 1), 2)} ×`,
    met: ftsRatio === undefined ? undefined : ftsRatio > 1,
    note: 'ruyi at 2 threads; FTS5 on one thread (SQLite has one writer)',
  });
  const defaults = [...r.runs.filter((x) => x.engine === 'ruyi' && !x.error), ...r.longDocs.filter((x) => !x.error)];
  const maxRss = Math.max(...defaults.map((x) => x.maxRssMb ?? 0));
  targets.push({
    target: 'peak RSS at default settings ≤ 256 MB on every corpus',
    measured:
      defaults.length === 0 ? '-' : `max ${n(maxRss, 0)} MB (${defaults.map((x) => `${x.corpus}: ${n(x.maxRssMb, 0)}`).join(', ')})`,
    met: defaults.length === 0 ? undefined : maxRss <= 256,
    note: '/usr/bin/time -v max RSS of `ruyi index`, mapped index pages included',
  });
  const scaled = r.runs.filter((x) => x.engine === 'ruyi' && !x.error && x.corpus !== 'dev');
  const smallest = scaled[0];
  const largest = scaled.at(-1);
  const growth = smallest && largest && smallest !== largest ? (largest.maxRssMb ?? 0) / (smallest.maxRssMb ?? 1) : undefined;
  targets.push({
    target: 'peak RSS flat in corpus size (the peers grow with it)',
    measured:
      growth === undefined
        ? '-'
        : `× ${n(growth, 2)} from ${smallest?.corpus} to ${largest?.corpus} MB (${n(largest?.corpusMb, 0)} / ${n(smallest?.corpusMb, 0)} MB of input)`,
    met: growth === undefined ? undefined : growth <= 1.25,
    note: 'flat = within 25% over a 16× larger input',
  });
  const serve = r.runs.find((x) => x.engine === 'ruyi' && x.corpus === r.plan.serveAt);
  const lat = serve?.query?.latency;
  targets.push({
    target: `query p50 ≤ 0.2 ms, p99 ≤ 2 ms at ${r.plan.serveAt === 'dev' ? 'the dev corpus' : `${r.plan.serveAt} MB`}`,
    measured: lat ? `p50 ${n(lat.p50, 3)} ms, p95 ${n(lat.p95, 2)} ms, p99 ${n(lat.p99, 2)} ms` : '-',
    met: lat ? lat.p50 <= 0.2 && lat.p99 <= 2 : undefined,
    note: 'dev title + hard queries, limit 10, one client',
  });
  const big = r.runs.filter((x) => x.engine === 'ruyi' && x.query).at(-1);
  const reopen = big?.query?.loadMs !== undefined ? big.query.loadMs + (big.query.firstQueryMs ?? 0) : undefined;
  targets.push({
    target: `reopen + first query < 100 ms at ${big?.corpus ?? '400'} MB`,
    measured:
      reopen === undefined ? '-' : `${n(reopen, 0)} ms (open ${n(big?.query?.loadMs, 0)} + first query ${n(big?.query?.firstQueryMs, 0)})`,
    met: reopen === undefined ? undefined : reopen < 100,
    note: 'fresh process, after importing the module; the first query loads the query-side jieba',
  });
  const devRuns = r.runs.filter((x) => x.corpus === 'dev' && x.query);
  const ruyiDev = devRuns.find((x) => x.engine === 'ruyi');
  for (const set of ['dev', 'hard']) {
    const mine = mrrOf(ruyiDev, set)?.mrr10;
    const bestPeer = best(
      devRuns.filter((x) => x.engine !== 'ruyi'),
      (x) => mrrOf(x, set)?.mrr10,
    );
    const theirs = mrrOf(bestPeer, set)?.mrr10;
    targets.push({
      target: `MRR@10 ≥ the best peer (${set === 'dev' ? 'title queries' : 'hard queries'})`,
      measured: mine === undefined ? '-' : `${n(mine, 3)} vs ${bestPeer?.engine} ${n(theirs, 3)}`,
      met: mine === undefined || theirs === undefined ? undefined : mine >= theirs,
      note: 'known-item, dev corpus',
    });
  }
  return targets;
}

function engineTable(r: Results): string {
  const rows = [
    '| engine | corpus | docs | index s | MB/s | docs/s | max RSS MB | RSS built MB | on disk MB | load ms | 1st query ms | p50 ms | p95 ms | p99 ms | QPS 1 | QPS N |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  // By corpus size, then engines in the order they ran.
  const sorted = [...r.runs].sort((a, b) => a.corpusMb - b.corpusMb);
  for (const x of sorted) {
    if (x.error) {
      rows.push(`| ${x.engine} | ${corpusLabel(x.corpus, x.corpusMb)} | ${x.error} |||||||||||||`);
      continue;
    }
    const q = x.query;
    rows.push(
      `| ${x.engine} | ${corpusLabel(x.corpus, x.corpusMb)} | ${int(x.docs)} | ${n(x.indexSeconds)}${(x.saveSeconds ?? 0) >= 0.05 ? ` + ${n(x.saveSeconds)} save` : ''} | ${n(x.mbPerSecond, 2)} | ${int(x.docsPerSecond)} | ${int(x.maxRssMb)} | ${x.buildPeakRssMb ? int(x.buildPeakRssMb) : '-'} | ${n((x.bytesOnDisk ?? 0) / 1e6)} | ${q ? (q.loadTimedOutSeconds ? `> ${q.loadTimedOutSeconds} s${q.loadEstimatedMs ? ` (est. ${n(q.loadEstimatedMs / 1000, 0)} s)` : ''}` : n(q.loadMs, 0)) : '-'} | ${q ? n(q.firstQueryMs, 1) : '-'} | ${q ? n(q.latency.p50, 3) : '-'} | ${q ? n(q.latency.p95, 2) : '-'} | ${q ? n(q.latency.p99, 2) : '-'} | ${q ? int(q.qps1) : '-'} | ${x.qpsN ? `${int(x.qpsN.qps)} (${x.qpsN.clients})` : '-'} |`,
    );
  }
  return rows.join('\n');
}

function qualityTable(r: Results): string {
  const rows = [
    '| engine | mode | title queries MRR@10 | hit@1 | hard queries MRR@10 | hit@1 | used |',
    '| --- | --- | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const x of r.runs.filter((y) => y.corpus === 'dev' && y.query)) {
    const modes = [...new Set(Object.keys(x.query?.quality ?? {}).map((k) => k.split(':')[0] as string))];
    for (const mode of modes) {
      const dev = x.query?.quality[`${mode}:dev`];
      const hard = x.query?.quality[`${mode}:hard`];
      rows.push(
        `| ${x.engine} | ${mode} | ${n(dev?.mrr10, 3)} | ${n(dev?.hitAt1, 3)} | ${n(hard?.mrr10, 3)} | ${n(hard?.hitAt1, 3)} | ${mode === x.query?.mode ? 'yes' : ''} |`,
      );
    }
  }
  return rows.join('\n');
}

function charts(r: Results): Record<string, string> {
  const out: Record<string, string> = {};
  const threads = r.ceiling.map((c) => c.threads);
  const series: Series[] = [
    { name: 'jieba ceiling', points: r.ceiling.filter((c) => c.mean).map((c) => [c.threads, c.mean as number]), color: '#333' },
    {
      name: '0.7 × ceiling',
      points: r.ceiling.filter((c) => c.mean).map((c) => [c.threads, 0.7 * (c.mean as number)]),
      dashed: true,
      color: '#777',
    },
    {
      name: 'ruyi',
      points: r.sweep.filter((s) => s.mbPerSecond).map((s) => [s.threads ?? 1, s.mbPerSecond as number]),
      color: ENGINE_COLORS.ruyi,
    },
  ];
  for (const p of r.runs.filter((x) => x.corpus === r.plan.sweep && x.engine !== 'ruyi' && x.mbPerSecond)) {
    series.push({ name: p.engine, points: [[1, p.mbPerSecond as number]], color: ENGINE_COLORS[p.engine] });
  }
  out['throughput-vs-threads.svg'] = lineChartSvg({
    title: `Indexing throughput (${r.plan.sweep === 'dev' ? 'dev corpus' : `${r.plan.sweep} MB`})`,
    xLabel: 'threads (peers: one)',
    yLabel: 'MB/s of NDJSON input',
    yFromZero: true,
    xTicks: threads,
    series,
  });
  const engines = [...new Set(r.runs.map((x) => x.engine))];
  const byEngine = (value: (x: EngineRun) => number | undefined): Series[] =>
    engines
      .map((e) => ({
        name: e,
        color: ENGINE_COLORS[e],
        points: r.runs
          .filter((x) => x.engine === e && !x.error && value(x) !== undefined)
          .map((x) => [x.corpusMb, value(x) as number] as [number, number])
          .sort((a, b) => a[0] - b[0]),
      }))
      .filter((s) => s.points.length > 0);
  const sizes = r.runs.map((x) => x.corpusMb);
  // The peers' peak before they serialize (the smaller figure), ruyi's with everything written.
  out['rss-vs-corpus.svg'] = lineChartSvg({
    title: 'Peak RSS while indexing, by corpus size',
    xLabel: 'corpus (MB of NDJSON)',
    yLabel: 'max RSS (MB); peers: before saving',
    logX: true,
    logY: true,
    series: [
      ...byEngine((x) => x.buildPeakRssMb ?? x.maxRssMb),
      {
        name: 'ruyi, anonymous only',
        color: ENGINE_COLORS.ruyi,
        dashed: true,
        points: r.runs.filter((x) => x.engine === 'ruyi' && x.anonMb).map((x) => [x.corpusMb, x.anonMb as number] as [number, number]),
      },
      {
        name: '256 MB target',
        points: [[Math.min(...sizes), 256] as [number, number], [Math.max(...sizes), 256] as [number, number]],
        dashed: true,
        color: '#777',
      },
    ],
  });
  out['index-time-vs-corpus.svg'] = lineChartSvg({
    title: 'Indexing time by corpus size',
    xLabel: 'corpus (MB of NDJSON)',
    yLabel: 'seconds',
    logX: true,
    logY: true,
    series: byEngine((x) => x.indexSeconds),
  });
  const served = r.runs.filter((x) => x.corpus === r.plan.serveAt && x.query);
  out['latency-cdf.svg'] = lineChartSvg({
    title: `Query latency distribution (${r.plan.serveAt === 'dev' ? 'dev corpus' : `${r.plan.serveAt} MB`})`,
    xLabel: 'latency (ms, log)',
    yLabel: 'share of queries at or below',
    logX: true,
    yFromZero: true,
    series: served.map((x) => {
      const h = x.query?.histogram ?? { bounds: [], counts: [] };
      const total = h.counts.reduce((s, c) => s + c, 0) || 1;
      let sum = 0;
      const points: [number, number][] = [];
      h.bounds.forEach((b, i) => {
        sum += h.counts[i] ?? 0;
        if (b !== null) points.push([b, sum / total]);
      });
      return { name: x.engine, points, color: ENGINE_COLORS[x.engine] };
    }),
  });
  return out;
}

const KEEP_START = '<!-- analysis: kept across runs -->';
const KEEP_END = '<!-- /analysis -->';

function markdown(r: Results, targets: Target[], kept: string): string {
  const m = r.machine;
  const ceilingRows = r.ceiling
    .map((c) => {
      const s = r.sweep.find((x) => x.threads === c.threads);
      return `| ${c.threads} | ${n(c.before, 2)} / ${n(c.after, 2)} | ${n(s?.mbPerSecond, 2)} | ${int(s?.docsPerSecond)} | ${n(s?.mbPerSecond && c.mean ? s.mbPerSecond / c.mean : undefined, 2)} | ${int(s?.maxRssMb)} (anon ${int(s?.anonMb)}) |`;
    })
    .join('\n');
  const longRows = r.longDocs
    .map((x) => `| ${x.corpus} | ${n(x.indexSeconds)} | ${int(x.maxRssMb)} | ${int(x.anonMb)} | ${int(x.fileMb)} |`)
    .join('\n');
  const profile = r.profile
    ? [
        '',
        '### Where indexing time goes (`node --cpu-prof`, `ruyi index --threads 2`, 25 MB)',
        '',
        'Self time per thread, busiest functions first (each .cpuprofile is one thread: the main thread and the workers):',
        '',
        ...r.profile
          .slice(0, 3)
          .map((p) => `- ${p.seconds.toFixed(1)} s: ${p.top.map(([f, s]) => `\`${f}\` ${(s * 100).toFixed(0)}%`).join(', ')}`),
      ].join('\n')
    : '';
  return `# Benchmarks

Generated by \`npm run bench\` (${(r.seconds / 60).toFixed(1)} min) on ${r.date.slice(0, 16).replace('T', ' ')} UTC.
Machine: ${m.cpu}, ${m.cores} cores, ${m.ramGb} GB RAM, Node ${m.node}, ${m.platform}: a shared machine whose
speed drifts (1-minute load average ${m.loadAverage.map((x) => x.toFixed(1)).join(' at the start, ')} at the end, on 2 cores), so every
ratio below comes from one run, and the ceiling is measured before and after ruyi's runs.

\`\`\`sh
npm run bench              # everything, ~15 min on 2 cores (corpora are built once and cached)
npm run bench -- --quick   # the dev corpus only, under 2 min
\`\`\`

Corpora (built by ../shared/corpus and cached in \`~/.cache/ruyi-corpus\`, never committed): the dev corpus
(${n(r.corpora.dev)} MB, 8,711 man pages, classical texts and poems), 25/100/400 MB from \`make-scale-corpus.py\`
(new documents recombined from the dev corpus's paragraphs), one 8 MiB and one 50 MiB article from
\`make-long-doc.py\`. Queries: \`queries-dev.tsv\` (200 unique titles, known item) and \`queries-hard.tsv\`
(200: 2-4 words of a title, or a distinctive 8-30 character clause of the body; \`scripts/hard-queries.ts\`).

## Targets

| target | measured | verdict | how |
| --- | --- | --- | --- |
${targets.map((t) => `| ${t.target} | ${t.measured} | ${verdict(t.met)} | ${t.note} |`).join('\n')}

${kept ? `${KEEP_START}\n${kept}\n${KEEP_END}\n` : `${KEEP_START}\n${KEEP_END}\n`}
## Indexing against the physical limit

The ceiling is raw \`@node-rs/jieba\` \`cutForSearch\` on N worker threads, one dictionary each, over the
documents already parsed in memory (${r.plan.sweep === 'dev' ? 'the dev corpus' : `the first 30 MB of the ${r.plan.sweep} MB corpus`}): no reading,
no parsing, no index. ruyi is \`ruyi index --threads N --json\` end to end on the ${r.plan.sweep === 'dev' ? 'dev corpus' : `${r.plan.sweep} MB corpus`}
(read, parse, route, segment, write to LMDB, optimize), in a fresh process.

| threads | ceiling MB/s (before / after) | ruyi MB/s | ruyi docs/s | ratio | ruyi max RSS MB |
| ---: | ---: | ---: | ---: | ---: | ---: |
${ceilingRows}

![throughput vs threads](bench-results/throughput-vs-threads.svg)
${profile}

## Every engine, every corpus

Each engine indexes in its own process (\`scripts/bench/engine-child.mjs\`) and is then opened in another
one for the queries. *index s*: in-process time to read, tokenize and index (in-memory peers: plus
\`+ save\`, serializing the index to a file; ruyi and FTS5: durable on disk, optimized, included).
*max RSS*: \`/usr/bin/time -v\` of the indexing process (ruyi: mapped LMDB pages included); *RSS built*: the
peer's \`process.resourceUsage().maxRSS\` once the index was built, before serializing it. *on disk*: the
index directory (in-memory peers: their serialized JSON). *load*: open or deserialize in a fresh process
(module import excluded); *1st query* includes loading anything lazy (ruyi's query-side jieba). Latency:
the 400 dev and hard queries, limit 10, ${r.quick ? 'one round' : 'two rounds'} after a warm-up round, one client; *QPS N*: N
processes querying the same index at once for a few seconds. The peers tokenize with jieba too, so every
peer's RSS includes a jieba dictionary, as ruyi's workers do.

${engineTable(r)}

![peak RSS vs corpus size](bench-results/rss-vs-corpus.svg)

![indexing time vs corpus size](bench-results/index-time-vs-corpus.svg)

![latency distribution](bench-results/latency-cdf.svg)

${longRows ? `One very long article, \`ruyi index\` at default settings:\n\n| input | seconds | max RSS MB | anon MB | file MB |\n| --- | ---: | ---: | ---: | ---: |\n${longRows}\n` : ''}
## Relevance: known-item MRR@10 on the dev corpus

${qualityTable(r)}

*used*: the mode with the better mean MRR, used for that engine's latency runs. \`and-or\`: all terms
required, and if nothing matches, any term; \`or\`: any term (ranked).

## How each peer is configured

Every peer indexes the same documents (\`id\`, \`title\`, \`body\`) with the same tokenizer
(\`scripts/bench/tokenizer.mjs\`: NFKC, lower case, jieba \`cutForSearch\` with ruyi's user dictionary, tokens with a
letter or digit, ruyi's stop words removed; what ruyi's analyzer produces), title weight 3 and body 1, no prefix
or fuzzy matching (ruyi has neither), the title stored for display:

- **MiniSearch 7** (BM25+): \`fields: [title, body]\`, \`storeFields: [title]\`, \`boost: { title: 3 }\`,
  \`combineWith\` OR (its default) or AND with OR as fallback. Saved with \`JSON.stringify\`, loaded with \`loadJSON\`.
- **FlexSearch 0.8**: a \`Document\` with a \`strict\` index per field fed the jieba tokens (\`encode\`); the title
  gets boost 3 through its \`Resolver\` (title OR body). A multi-term query is an AND by default; its
  \`suggest: true\` returns partial matches and is the fallback. It ranks by term position, not BM25. Saved with \`export\`.
- **Orama 3** (BM25): \`schema: { title, body }\` with its tokenizer component replaced by jieba, \`boost: { title: 3 }\`,
  \`threshold: 0\` (all terms) then \`1\` (its default: any term). It keeps every inserted document, bodies included.
  Saved with \`save\` + \`JSON.stringify\`.
- **Lunr 2** (BM25): title \`boost: 3\`, its stemmer and stop-word pipeline removed, tokenizer replaced; queries built
  term by term, \`presence: REQUIRED\` then optional. Saved with \`JSON.stringify\`.
- **SQLite FTS5 + jieba** (better-sqlite3 12): a contentless \`fts5(title, body)\` holding the jieba tokens joined by
  spaces (\`unicode61\` keeps a run of Han characters as one token), the documents in a plain table, rank
  \`bm25(3.0, 1.0)\` set as the table's rank (its docs: \`ORDER BY rank\` is faster than \`ORDER BY bm25()\`).
  Query: the tokens quoted and ANDed (FTS5's implicit AND), ORed if nothing matches. Not a phrase: jieba's
  search mode puts sub-words at the same position, so phrases do not line up. WAL, \`synchronous = NORMAL\`,
  1,000 documents per transaction, \`optimize\` at the end.
- **SQLite FTS5 trigram** (no jieba): \`fts5(title, body, tokenize='trigram')\` over the raw text (external content).
  The query is split at spaces and punctuation; chunks of 3+ characters are quoted and ANDed (then ORed);
  a query with only 1-2 character chunks cannot use the trigram index and is a \`LIKE\` scan, unranked (FTS5's docs).

ruyi is built with \`npm run build\` and driven through its CLI (\`ruyi index\`) and its public API from \`dist/\`.
Not run at 100 MB and above: Orama and Lunr (minutes and gigabytes at 25 MB already); at 400 MB only ruyi
(the in-memory peers would need several GB and most of the 15 minutes).

## Reading the numbers

- *max RSS* of ruyi counts the pages of its memory-mapped index that the process touched; the kernel drops
  those first under pressure. *anon* (peak RssAnon, sampled every 100 ms) is what it really holds.
- Runs of the same input vary here by ±10-30% in time and ±30 MB of RSS; \`bench-results/bench.json\` has every figure.
- \`npm run bench:index\` and \`npm run bench:memory\` (issue 11: two corpora, FTS5 and LanceDB at 1 and 2 threads, memory budgets and cgroups) write their own sections below.
`;
}

/** Writes the charts and BENCHMARKS.md for a full run; returns the targets as text for the console. */
export function writeReport(r: Results, root: string): string {
  const targets = evaluateTargets(r);
  if (!r.quick) {
    for (const [name, svg] of Object.entries(charts(r))) writeFileSync(join(root, 'bench-results', name), svg);
    const file = join(root, 'BENCHMARKS.md');
    const old = existsSync(file) ? readFileSync(file, 'utf8') : '';
    const from = old.indexOf(KEEP_START);
    const to = old.indexOf(KEEP_END);
    const kept = from >= 0 && to > from ? old.slice(from + KEEP_START.length, to).trim() : '';
    // bench:index's and bench:memory's generated blocks are theirs: carried over as they are.
    writeFileSync(file, markdown(r, targets, kept) + keptBlocks(old));
  }
  return targets.map((t) => `${t.met === undefined ? '  ?   ' : t.met ? '  met ' : 'MISSED'}  ${t.target}: ${t.measured}`).join('\n');
}
