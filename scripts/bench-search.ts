/**
 * npm run bench:search [-- --mb 100] [--only dev|manuals] [--keep DIR] [--seconds 6] [--baseline DIR]
 *
 * Query latency by query type and multi-process throughput, on two corpora unlike each other in
 * one run: the dev corpus recombined to `--mb` MB (make-scale-corpus.py) and the manuals corpus
 * recombined to the same size (scripts/corpus/build-manuals-corpus.sh). For each corpus:
 *  1. ruyi's index is built by `ruyi index` (defaults, the built bin); SQLite FTS5, LanceDB's
 *     native FTS and FlexSearch are fed the same jieba tokens (scripts/bench/tokenizer.mjs, what every peer of
 *     `npm run bench` gets), tokenized once: FTS5 on disk (better-sqlite3: a contentless FTS5
 *     table of the tokens, bm25 with title 3 / body 1 as its rank, plus a tag table and a date
 *     column so tag filters and date sorts run in SQL), LanceDB on disk (the table and FTS index
 *     `npm run bench:index` builds: scripts/bench/peer-index.mjs; AND, OR and phrase queries; no
 *     prefix, tags or dates in that table: n/a), FlexSearch in memory (its Document index of
 *     scripts/bench/engines/flexsearch.mjs). Index size on disk of ruyi, FTS5 and LanceDB.
 *  2. Query sets from 200 seeded documents of the corpus: plain 1, 2 and 3 words of a title;
 *     a phrase of 2-3 words of a body sentence; A OR B; a prefix (the first characters of a
 *     title word); a word with a tag filter; a word sorted by date (newest first). FTS5 runs
 *     each as an AND of the tokens and as an OR of them (a phrase as an FTS5 phrase, a prefix as
 *     `"pre"*`); FlexSearch has no phrases, prefixes (strict tokens), tags or dates in this
 *     setup: n/a. One client, limit 10, a warm-up round then two timed rounds; p50/p95/p99. ruyi
 *     is timed before the peers are built, so that FlexSearch's heap does not add its garbage
 *     collections to ruyi's queries.
 *  3. Throughput: the plain/phrase/OR mix in 1 and then 2 searching processes at once for
 *     `--seconds`, each with its own ruyi instance on the same index, in QPS_ROUNDS rounds (the
 *     machine is shared: each round's ratio, and their median); the QPS ratio, and the CPU
 *     each process used beside its main thread (V8's GC helper threads: a process that keeps
 *     more than one core busy cannot scale to two on two cores). The same with
 *     `--single-threaded-gc` in the searching processes, to show what that costs or saves.
 * With `--baseline DIR` (a checkout of another commit, built with `npm run build:js`), that
 * commit's ruyi opens the same index in the same process and runs the same queries interleaved
 * with this one's: its latency is a column of the same run, the two answers are compared query
 * by query (ids, scores, totals), and known-item MRR@10 of the plain queries is given for both.
 * The machine is shared: the load average is printed at the start and the end. Writes
 * bench-results/bench-search.json.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Analyzer } from '../src/analysis/analyzer.js';
import { openIndex, type RuyiIndex, type SearchOptions } from '../src/index.js';
import { buildLance, type LanceCase, openLance } from './bench/lancedb-queries.js';
import { log, machineInfo } from './bench/machine.js';
import { lancedbLoads, sqliteLoads } from './bench/native-peers.js';
import { benchRequire } from './bench/setup.js';
import { manualsCorpus, scaleCorpus } from './corpus-cache.js';
import { mulberry32 } from './prng.js';

function flag(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : undefined;
}
const MB = Number(flag('mb') ?? 100);
const only = flag('only');
const keep = flag('keep');
const SECONDS = Number(flag('seconds') ?? 6);
/** Rounds of 1 then 2 processes: the machine is shared, so the ratio is taken in each round (1 and 2 minutes apart at most) and the median given. */
const QPS_ROUNDS = 3;
const BASELINE = flag('baseline');
const LIMIT = 10;
const SAMPLE_DOCS = 200;
const ROUNDS = 3; // the first warms up
const root = fileURLToPath(new URL('../', import.meta.url));
const cli = join(root, 'dist/src/cli/main.js');
const INDEX_JS = new URL('../dist/src/index.js', import.meta.url).href;

// The peers' JavaScript modules (plain .mjs, untyped), as `npm run bench` runs them.
type Tokenize = (text: string) => string[];
interface FlexEngine {
  build(docs: AsyncIterable<{ id: string; title: string; body: string }>, tokenize: Tokenize): Promise<unknown>;
  search(index: unknown, query: string, mode: 'or' | 'and-or', limit: number): unknown[];
}
/**
 * The part of better-sqlite3 used here: it is a bench peer in scripts/bench's own package,
 * whose types the root type check does not see.
 */
interface SqliteStatement {
  run(...params: unknown[]): { lastInsertRowid: number | bigint };
  all(...params: unknown[]): unknown[];
}
interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): unknown;
  pragma(source: string): unknown;
  // biome-ignore lint/suspicious/noExplicitAny: better-sqlite3's own signature
  transaction<F extends (...args: any[]) => unknown>(fn: F): F;
  close(): unknown;
}
type SqliteConstructor = new (file: string, options?: { readonly?: boolean }) => SqliteDatabase;

const peerModule = (path: string): Promise<unknown> => import(new URL(path, import.meta.url).href);
const { flexsearch } = (await peerModule('./bench/engines/flexsearch.mjs')) as { flexsearch: FlexEngine };
const { loadTokenizer } = (await peerModule('./bench/tokenizer.mjs')) as { loadTokenizer: () => Tokenize };

interface RawDoc {
  id: string;
  title?: string;
  body: string;
  tags?: string[];
  date?: string;
}

type QueryType =
  | 'plain 1 word'
  | 'plain 2 words'
  | 'plain 3 words'
  | 'phrase'
  | 'phrase, exact total'
  | 'OR'
  | 'prefix'
  | 'tag filter'
  | 'date sort';
const TYPES: QueryType[] = [
  'plain 1 word',
  'plain 2 words',
  'plain 3 words',
  'phrase',
  'phrase, exact total',
  'OR',
  'prefix',
  'tag filter',
  'date sort',
];

/** One query of a type, in each engine's terms. */
interface Case {
  ruyi: { query: string; options: SearchOptions };
  /** For a known-item query (plain words of a title): the document it was made from. */
  id?: string;
  /** FTS5 MATCH expressions: all tokens, any token. */
  ftsAnd: string;
  ftsOr: string;
  tag?: string;
  byDate?: boolean;
  /** FlexSearch's query text, or undefined where it has no equivalent. */
  flex?: string;
  /** LanceDB's query, or undefined where its table has no equivalent (prefix, tags, dates). */
  lance?: LanceCase;
}

interface Stats {
  n: number;
  p50: number;
  p95: number;
  p99: number;
}

const fmt = (x: number | undefined, digits = 2): string => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits));

function stats(times: number[]): Stats {
  const s = [...times].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
  return { n: s.length, p50: at(50), p95: at(95), p99: at(99) };
}

function bytesUnder(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(join(entry.parentPath, entry.name)).size;
  }
  return total;
}

async function* readDocs(file: string): AsyncGenerator<RawDoc> {
  for await (const line of createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY })) {
    if (line.trim() !== '') yield JSON.parse(line) as RawDoc;
  }
}

const quote = (token: string): string => `"${token.replaceAll('"', '""')}"`;
const HAN = /\p{Script=Han}/u;
const WORD = /[\p{L}\p{N}]/u;

/** Query sets of every type from SAMPLE_DOCS seeded documents (precise jieba words of titles and bodies). */
function makeCases(
  sample: RawDoc[],
  analyzer: Analyzer,
  tokenize: (text: string) => string[],
  hasDates: boolean,
): Record<QueryType, Case[]> {
  const rand = mulberry32(12);
  const words = (text: string): string[] =>
    [...analyzer.wordChunks(text)].flat().filter((w) => WORD.test(w) && analyzer.indexTermsOf(w) !== null && !w.includes('"'));
  const ftsOf = (text: string) => {
    const tokens = [...new Set(tokenize(text))];
    return {
      ftsAnd: tokens.map(quote).join(' '),
      ftsOr: tokens.map(quote).join(' OR '),
      lance: { text: tokens.join(' '), op: 'and' as const },
    };
  };
  const join2 = (ws: string[]): string =>
    ws.reduce((out, w) => (out === '' ? w : HAN.test(out.slice(-1)) && HAN.test(w[0] as string) ? out + w : `${out} ${w}`), '');
  const cases = Object.fromEntries(TYPES.map((t) => [t, [] as Case[]])) as Record<QueryType, Case[]>;
  for (const [i, doc] of sample.entries()) {
    const title = words(doc.title ?? '');
    const pick = (ws: string[], n: number): string[] => {
      const start = Math.floor(rand() * Math.max(1, ws.length - n + 1));
      return ws.slice(start, start + n);
    };
    for (const n of [1, 2, 3] as const) {
      const ws = pick(title, n);
      if (ws.length < n) continue;
      const q = ws.join(' ');
      cases[`plain ${n} word${n > 1 ? 's' : ''}` as QueryType].push({ ruyi: { query: q, options: {} }, id: doc.id, ...ftsOf(q), flex: q });
    }
    const sentence = doc.body.split(/[。！？\n.!?]/u).find((s) => words(s).length >= 3);
    if (sentence !== undefined) {
      const ws = pick(words(sentence), 2 + Math.floor(rand() * 2));
      const text = join2(ws);
      const tokens = ws.flatMap((w) => tokenize(w).slice(0, 1));
      const phrase: Case = {
        ruyi: { query: `"${text}"`, options: {} },
        ftsAnd: quote(tokens.join(' ')),
        ftsOr: quote(tokens.join(' ')),
        lance: { text: tokens.join(' '), op: 'phrase' },
      };
      cases.phrase.push(phrase);
      // The same with every candidate's text checked, so that the total is exact (ruyi's default checks the page's).
      cases['phrase, exact total'].push({ ...phrase, ruyi: { ...phrase.ruyi, options: { exactTotal: true } } });
    }
    const other = sample[(i + 1) % sample.length] as RawDoc;
    const a = pick(title, 1)[0];
    const b = pick(words(other.title ?? ''), 1)[0];
    if (a !== undefined && b !== undefined) {
      const f = ftsOf(`${a} ${b}`);
      cases.OR.push({
        ruyi: { query: `${a} OR ${b}`, options: {} },
        ftsAnd: f.ftsOr,
        ftsOr: f.ftsOr,
        flex: `${a} ${b}`,
        lance: { ...f.lance, op: 'or' },
      });
    }
    const w = title.find((x) => x.length >= 2);
    if (w !== undefined) {
      const pre = HAN.test(w) ? w.slice(0, Math.min(2, w.length - 1) || 1) : w.slice(0, 3);
      const p = tokenize(pre)[0] ?? pre;
      cases.prefix.push({ ruyi: { query: `${pre}*`, options: {} }, ftsAnd: `${quote(p)}*`, ftsOr: `${quote(p)}*` });
    }
    const tag = doc.tags?.[0];
    if (a !== undefined && tag !== undefined)
      cases['tag filter'].push({ ruyi: { query: `${a} tag:"${tag}"`, options: {} }, ...ftsOf(a), lance: undefined, tag });
    if (a !== undefined && (hasDates || i % 2 === 0))
      cases['date sort'].push({ ruyi: { query: a, options: { sort: 'date' } }, ...ftsOf(a), lance: undefined, byDate: true });
  }
  return cases;
}

interface Fts {
  db: SqliteDatabase;
  run(c: Case, mode: 'and' | 'or'): unknown[];
}

/** FTS5 with the jieba tokens, plus tags and dates, built from the same tokenized documents. */
async function ftsBuild(
  file: string,
): Promise<{ db: SqliteDatabase; add: (d: RawDoc, titleTokens: string, bodyTokens: string) => void; finish: () => void }> {
  const Database = benchRequire('better-sqlite3') as SqliteConstructor;
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE docs(id TEXT NOT NULL, title TEXT, body TEXT, date INTEGER)');
  db.exec('CREATE TABLE tags(tag TEXT NOT NULL, doc INTEGER NOT NULL)');
  db.exec("CREATE VIRTUAL TABLE fts USING fts5(title, body, content='', contentless_delete=1)");
  db.exec("INSERT INTO fts(fts, rank) VALUES('rank', 'bm25(3.0, 1.0)')");
  const addDoc = db.prepare('INSERT INTO docs(id, title, body, date) VALUES(?, ?, ?, ?)');
  const addFts = db.prepare('INSERT INTO fts(rowid, title, body) VALUES(?, ?, ?)');
  const addTag = db.prepare('INSERT INTO tags(tag, doc) VALUES(?, ?)');
  let batch: [RawDoc, string, string][] = [];
  const commit = db.transaction((rows: [RawDoc, string, string][]) => {
    for (const [d, t, b] of rows) {
      const date = d.date ? Date.parse(d.date) : null;
      const { lastInsertRowid } = addDoc.run(d.id, d.title ?? '', d.body, Number.isFinite(date) ? date : null);
      addFts.run(lastInsertRowid, t, b);
      for (const tag of d.tags ?? []) addTag.run(tag.toLowerCase(), lastInsertRowid);
    }
  });
  return {
    db,
    add(d, t, b) {
      batch.push([d, t, b]);
      if (batch.length >= 1000) {
        commit(batch);
        batch = [];
      }
    },
    finish() {
      commit(batch);
      db.exec('CREATE INDEX tags_doc ON tags(doc, tag)');
      db.exec("INSERT INTO fts(fts) VALUES('optimize')");
      db.pragma('wal_checkpoint(TRUNCATE)');
    },
  };
}

function ftsQueries(db: SqliteDatabase): Fts {
  const plain = db.prepare('SELECT d.id FROM fts JOIN docs d ON d.rowid = fts.rowid WHERE fts MATCH ? ORDER BY rank LIMIT ?');
  // The tag checked per match through the (doc, tag) index: an IN (SELECT doc ...) of a tag
  // that 80,000 documents carry made SQLite build that list first (150 ms a query).
  const tagged = db.prepare(
    'SELECT d.id FROM fts JOIN docs d ON d.rowid = fts.rowid WHERE fts MATCH ? AND EXISTS (SELECT 1 FROM tags WHERE doc = fts.rowid AND tag = ?) ORDER BY rank LIMIT ?',
  );
  const dated = db.prepare(
    'SELECT d.id FROM fts JOIN docs d ON d.rowid = fts.rowid WHERE fts MATCH ? ORDER BY d.date IS NULL, d.date DESC, rank LIMIT ?',
  );
  return {
    db,
    run(c, mode) {
      const expr = mode === 'and' ? c.ftsAnd : c.ftsOr;
      if (expr === '') return [];
      if (c.tag !== undefined) return tagged.all(expr, c.tag.toLowerCase(), LIMIT);
      if (c.byDate) return dated.all(expr, LIMIT);
      return plain.all(expr, LIMIT);
    },
  };
}

/**
 * Known-item MRR@10 of the plain queries (the rank of the document each was made from) for
 * this commit and the baseline, and how many queries of all types the two answer differently
 * (ids, scores, totals; not the time taken).
 */
function compareAnswers(cases: Record<QueryType, Case[]>, index: RuyiIndex, baseline: RuyiIndex | null) {
  const known = [...cases['plain 1 word'], ...cases['plain 2 words'], ...cases['plain 3 words']];
  const mrr = (ix: RuyiIndex): number =>
    known.reduce((sum, c) => {
      const rank = ix.search(c.ruyi.query, { ...c.ruyi.options, limit: 10 }).hits.findIndex((h) => h.id === c.id);
      return sum + (rank < 0 ? 0 : 1 / (rank + 1));
    }, 0) / Math.max(1, known.length);
  // The total is compared when both say it is exact (a baseline before totalExact always was).
  const answer = (ix: RuyiIndex, c: Case): { total: number | null; hits: string } => {
    const r = ix.search(c.ruyi.query, { ...c.ruyi.options, limit: LIMIT });
    return { total: r.totalExact === false ? null : r.total, hits: JSON.stringify(r.hits.map((h) => [h.id, h.score])) };
  };
  let compared = 0;
  let differ = 0;
  if (baseline !== null) {
    for (const type of TYPES) {
      for (const c of cases[type]) {
        compared++;
        const [a, b] = [answer(index, c), answer(baseline, c)];
        if (a.hits !== b.hits || (a.total !== null && b.total !== null && a.total !== b.total)) differ++;
      }
    }
  }
  return { mrr10: mrr(index), baselineMrr10: baseline === null ? undefined : mrr(baseline), compared, differ };
}

/**
 * Latency of each engine over the cases: a round that warms up, then timed rounds. With two
 * engines compared with each other (ruyi and the baseline) the rounds alternate which goes
 * first, so that neither always runs the queries just after the other warmed the caches for
 * them (the one timed first was seen 1.5-2x worse at p99).
 */
function timeEach(cases: Case[], runs: ((c: Case) => unknown)[]): (Stats | undefined)[] {
  if (cases.length === 0) return runs.map(() => undefined);
  const times = runs.map((): number[] => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < runs.length; i++) {
      const e = round % 2 === 0 ? i : runs.length - 1 - i;
      const run = runs[e] as (c: Case) => unknown;
      for (const c of cases) {
        const t0 = performance.now();
        run(c);
        if (round > 0) (times[e] as number[]).push(performance.now() - t0);
      }
    }
  }
  return times.map(stats);
}

function time(cases: Case[], run: (c: Case) => unknown): Stats | undefined {
  return timeEach(cases, [run])[0];
}

/** time() for an engine whose queries are asynchronous (LanceDB): each awaited before the next. */
async function timeAsync(cases: Case[], run: (c: Case) => Promise<unknown>): Promise<Stats | undefined> {
  if (cases.length === 0) return undefined;
  const times: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of cases) {
      const t0 = performance.now();
      await run(c);
      if (round > 0) times.push(performance.now() - t0);
    }
  }
  return stats(times);
}

/** A searching process: opens the index, warms up, on "go" runs the mix for `seconds`, prints its count and CPU split. */
const CHILD = `
  import { readFileSync } from 'node:fs';
  import { createInterface } from 'node:readline';
  const { openIndex } = await import(process.argv[1]);
  const [, , db, queriesFile, seconds] = process.argv;
  const queries = JSON.parse(readFileSync(queriesFile, 'utf8'));
  const index = await openIndex(db, { create: false, threads: 1 });
  for (const q of queries) index.search(q.query, q.options);
  const fs = await import('node:fs');
  // CPU ticks of the main thread and of the whole process (every thread: V8's GC helpers too).
  const threadTicks = () => {
    let main = 0, all = 0;
    for (const t of fs.readdirSync('/proc/self/task')) {
      const f = fs.readFileSync('/proc/self/task/' + t + '/stat', 'utf8').split(') ')[1].split(' ');
      const n = Number(f[11]) + Number(f[12]);
      all += n;
      if (Number(t) === process.pid) main = n;
    }
    return { main, all };
  };
  console.log('ready');
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) if (line === 'go') break;
  const t0 = threadTicks();
  const started = performance.now();
  let n = 0;
  while (performance.now() - started < Number(seconds) * 1000) {
    const q = queries[n % queries.length];
    index.search(q.query, q.options);
    n++;
  }
  const wall = performance.now() - started;
  const t1 = threadTicks();
  console.log(JSON.stringify({ n, wall, mainTicks: t1.main - t0.main, allTicks: t1.all - t0.all }));
  await index.close();
  process.exit(0);
`;

interface ChildResult {
  n: number;
  wall: number;
  mainTicks: number;
  allTicks: number;
}

async function throughput(
  db: string,
  queriesFile: string,
  processes: number,
  v8Flags: string[],
): Promise<{ qps: number; cpuBesideMain: number; children: ChildResult[] }> {
  const children = Array.from({ length: processes }, () =>
    spawn(process.execPath, [...v8Flags, '--input-type=module', '-e', CHILD, INDEX_JS, db, queriesFile, String(SECONDS)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    }),
  );
  const outputs = children.map((c) => createInterface({ input: c.stdout }));
  const firstLines = outputs.map((o) => once(o, 'line'));
  await Promise.all(firstLines);
  const results = outputs.map((o) => once(o, 'line').then(([l]) => JSON.parse(l as string) as ChildResult));
  for (const c of children) c.stdin.write('go\n');
  const done = await Promise.all(results);
  await Promise.all(children.map((c) => (c.exitCode === null ? once(c, 'exit') : Promise.resolve())));
  const qps = done.reduce((s, r) => s + (r.n / r.wall) * 1000, 0);
  const main = done.reduce((s, r) => s + r.mainTicks, 0);
  const all = done.reduce((s, r) => s + r.allTicks, 0);
  return { qps, cpuBesideMain: main > 0 ? (all - main) / main : 0, children: done };
}

async function benchCorpus(name: string, file: string, work: string, withLance: boolean) {
  log(`== ${name}: ${file} (${fmt(statSync(file).size / 1e6, 1)} MB)`);
  const ruyiDb = join(work, `${name}-ruyi`);
  // A second try: on this shared machine a worker has run out of heap under heavy load (load ~20).
  for (let attempt = 1; !existsSync(join(ruyiDb, 'CURRENT')); attempt++) {
    const t0 = performance.now();
    try {
      execFileSync(process.execPath, [cli, 'index', file, '--db', ruyiDb, '--json'], { stdio: ['ignore', 'ignore', 'inherit'] });
      log(`ruyi index: ${fmt((performance.now() - t0) / 1000, 1)} s`);
    } catch (err) {
      if (attempt >= 2) throw err;
      log(`ruyi index failed (${(err as Error).message.split('\n')[0]}); once more`);
      rmSync(ruyiDb, { recursive: true, force: true });
    }
  }
  const tokenize = loadTokenizer();

  // The sample: SAMPLE_DOCS documents spread over the corpus, with a title.
  const all: RawDoc[] = [];
  for await (const d of readDocs(file)) if ((d.title ?? '').trim() !== '') all.push({ ...d, body: d.body.slice(0, 2000) });
  const rand = mulberry32(7);
  const sample = Array.from({ length: SAMPLE_DOCS }, () => all[Math.floor(rand() * all.length)] as RawDoc);
  const hasDates = all.some((d) => d.date);
  all.length = 0;
  const analyzer = Analyzer.load();
  const cases = makeCases(sample, analyzer, tokenize, hasDates);
  // Beside the index, so that a profile or an A/B of two builds can rerun exactly these queries.
  writeFileSync(join(work, `${name}-cases.json`), JSON.stringify(Object.fromEntries(TYPES.map((t) => [t, cases[t].map((c) => c.ruyi)]))));

  // ruyi (and the baseline) are timed first, in a process that holds no peer yet: FlexSearch's
  // in-memory index (200-330 MB of V8 heap) would add its garbage collections to their queries.
  const index: RuyiIndex = await openIndex(ruyiDb, { create: false, threads: 1 });
  const baseline: RuyiIndex | null =
    BASELINE === undefined
      ? null
      : await ((await import(pathToFileURL(join(BASELINE, 'dist/src/index.js')).href)) as { openIndex: typeof openIndex }).openIndex(
          ruyiDb,
          { create: false, threads: 1 },
        );
  const answers = compareAnswers(cases, index, baseline);
  if (baseline !== null) log(`answers of this commit and the baseline: ${answers.differ} of ${answers.compared} queries differ`);
  const latency: Record<string, Record<string, Stats | undefined>> = {};
  for (const type of TYPES) {
    const cs = cases[type];
    const run = (ix: RuyiIndex) => (c: Case) => ix.search(c.ruyi.query, { ...c.ruyi.options, limit: LIMIT });
    if (baseline === null) latency[type] = { ruyi: time(cs, run(index)) };
    else {
      const [mine, theirs] = timeEach(cs, [run(index), run(baseline)]);
      latency[type] = { ruyi: mine, 'ruyi baseline': theirs };
    }
  }
  await index.close();
  await baseline?.close();

  const ftsFile = join(work, `${name}-fts5.sqlite`);
  const fresh = !existsSync(ftsFile);
  const builder = fresh ? await ftsBuild(ftsFile) : null;
  // FlexSearch tokenizes in its encoder: give it the tokens already made for this document.
  let current: { title: string; body: string; titleTokens: string[]; bodyTokens: string[] } | null = null;
  const flexTokenize = (text: string): string[] =>
    current !== null && text === current.title
      ? current.titleTokens
      : current !== null && text === current.body
        ? current.bodyTokens
        : tokenize(text);
  const flex = await flexsearch.build(
    (async function* () {
      const t0 = performance.now();
      let count = 0;
      for await (const d of readDocs(file)) {
        const title = d.title ?? '';
        current = { title, body: d.body, titleTokens: tokenize(title), bodyTokens: tokenize(d.body) };
        builder?.add(d, current.titleTokens.join(' '), current.bodyTokens.join(' '));
        count++;
        yield { id: d.id, title, body: d.body };
      }
      current = null;
      log(`tokenized ${count} documents for FTS5 and FlexSearch in ${fmt((performance.now() - t0) / 1000, 1)} s`);
    })(),
    flexTokenize,
  );
  builder?.finish();
  builder?.db.close();
  const heapMb = process.memoryUsage().heapUsed / 1e6;
  const lanceDir = join(work, `${name}-lancedb`);
  if (withLance) {
    const t0 = performance.now();
    const built = buildLance(file, lanceDir);
    log(
      built === null ? 'LanceDB: reusing its table' : `LanceDB: table and FTS index built in ${fmt((performance.now() - t0) / 1000, 1)} s`,
    );
  }

  const Database = benchRequire('better-sqlite3') as SqliteConstructor;
  const fts = ftsQueries(new Database(ftsFile, { readonly: true }));
  const lance = withLance ? await openLance(lanceDir) : null;
  for (const type of TYPES) {
    const cs = cases[type];
    latency[type] = {
      ...latency[type],
      'fts5 AND': time(cs, (c) => fts.run(c, 'and')),
      'fts5 OR': time(cs, (c) => fts.run(c, 'or')),
      lancedb:
        lance !== null && cs.every((c) => c.lance !== undefined)
          ? await timeAsync(cs, (c) => lance.run(c.lance as LanceCase, LIMIT))
          : undefined,
      flexsearch: cs.every((c) => c.flex !== undefined)
        ? time(cs, (c) => flexsearch.search(flex, c.flex as string, type === 'OR' ? 'or' : 'and-or', LIMIT))
        : undefined,
    };
    const row = latency[type] as Record<string, Stats | undefined>;
    log(
      `${type.padEnd(14)} (${cs.length} queries) ` +
        Object.entries(row)
          .map(([engine, s]) => `${engine} ${s ? `${fmt(s.p50, 3)}/${fmt(s.p95, 3)}/${fmt(s.p99, 3)}` : 'n/a'}`)
          .join(' | '),
    );
  }
  fts.db.close();
  lance?.close();

  const mix = [...cases['plain 1 word'], ...cases['plain 2 words'], ...cases['plain 3 words'], ...cases.phrase, ...cases.OR].map((c) => ({
    query: c.ruyi.query,
    options: { ...c.ruyi.options, limit: LIMIT },
  }));
  const queriesFile = join(work, `${name}-mix.json`);
  writeFileSync(queriesFile, JSON.stringify(mix));
  const qps: Record<string, unknown> = {};
  for (const [label, flags] of [
    ['default GC', []],
    ['--single-threaded-gc', ['--single-threaded-gc']],
  ] as const) {
    const rounds: { one: Awaited<ReturnType<typeof throughput>>; two: Awaited<ReturnType<typeof throughput>>; ratio: number }[] = [];
    for (let round = 0; round < QPS_ROUNDS; round++) {
      const one = await throughput(ruyiDb, queriesFile, 1, [...flags]);
      const two = await throughput(ruyiDb, queriesFile, 2, [...flags]);
      rounds.push({ one, two, ratio: two.qps / one.qps });
      log(
        `QPS (${label}), round ${round + 1}: 1 process ${fmt(one.qps, 0)}, 2 processes ${fmt(two.qps, 0)}: x${fmt(two.qps / one.qps)}; ` +
          `CPU beside the main thread ${fmt(one.cpuBesideMain * 100, 0)}% / ${fmt(two.cpuBesideMain * 100, 0)}%`,
      );
    }
    // The round with the median ratio stands for the setting; every round's ratio is kept.
    const median = [...rounds].sort((a, b) => a.ratio - b.ratio)[Math.floor(rounds.length / 2)] as (typeof rounds)[number];
    qps[label] = { one: median.one, two: median.two, ratio: median.ratio, ratios: rounds.map((r) => r.ratio) };
  }
  const disk = {
    ruyiMb: bytesUnder(ruyiDb) / 1e6,
    fts5Mb: statSync(ftsFile).size / 1e6,
    lancedbMb: withLance ? bytesUnder(lanceDir) / 1e6 : undefined,
  };
  log(
    `on disk: ruyi ${fmt(disk.ruyiMb, 0)} MB (stored bodies included), FTS5 ${fmt(disk.fts5Mb, 0)} MB, ` +
      `LanceDB ${fmt(disk.lancedbMb, 0)} MB (bodies stored too); FlexSearch heap ~${fmt(heapMb, 0)} MB`,
  );
  if (keep === undefined) rmSync(ftsFile, { force: true });
  return { name, file, cases: Object.fromEntries(TYPES.map((t) => [t, cases[t].length])), latency, answers, qps, disk, flexHeapMb: heapMb };
}

type CorpusResult = Awaited<ReturnType<typeof benchCorpus>>;

function summary(results: CorpusResult[]): string {
  const lines = [
    '',
    '| corpus | query type | ruyi p50/p95/p99 ms | baseline | FTS5 AND | FTS5 OR | LanceDB | FlexSearch | ruyi p50 / FTS5 AND p50 | ruyi p99 / FTS5 AND p99 |',
  ];
  lines.push('| --- | --- | --- | --- | --- | --- | --- | --- | ---: | ---: |');
  const cell = (s: Stats | undefined) => (s ? `${fmt(s.p50, 3)} / ${fmt(s.p95, 3)} / ${fmt(s.p99, 3)}` : 'n/a');
  for (const r of results) {
    for (const type of TYPES) {
      const row = r.latency[type] as Record<string, Stats | undefined>;
      const [ruyi, and] = [row.ruyi, row['fts5 AND']];
      lines.push(
        `| ${r.name} | ${type} | ${cell(ruyi)} | ${cell(row['ruyi baseline'])} | ${cell(and)} | ${cell(row['fts5 OR'])} | ${cell(row.lancedb)} | ${cell(row.flexsearch)} | ${fmt(ruyi && and ? ruyi.p50 / and.p50 : undefined)} | ${fmt(ruyi && and ? ruyi.p99 / and.p99 : undefined)} |`,
      );
    }
  }
  lines.push(
    '',
    `| corpus | GC | QPS 1 process | QPS 2 processes | ratio, median of ${QPS_ROUNDS} rounds (target ≥ 1.8) | every round | CPU beside main thread, 1 / 2 processes |`,
  );
  lines.push('| --- | --- | ---: | ---: | ---: | --- | --- |');
  for (const r of results) {
    for (const [label, v] of Object.entries(r.qps)) {
      const q = v as {
        one: { qps: number; cpuBesideMain: number };
        two: { qps: number; cpuBesideMain: number };
        ratio: number;
        ratios: number[];
      };
      lines.push(
        `| ${r.name} | ${label} | ${fmt(q.one.qps, 0)} | ${fmt(q.two.qps, 0)} | ${fmt(q.ratio)} | ${q.ratios.map((x) => fmt(x)).join(', ')} | ${fmt(q.one.cpuBesideMain * 100, 0)}% / ${fmt(q.two.cpuBesideMain * 100, 0)}% |`,
      );
    }
  }
  lines.push('', '| corpus | known-item MRR@10 | baseline MRR@10 | answers differing from the baseline |', '| --- | ---: | ---: | ---: |');
  for (const r of results) {
    const a = r.answers;
    lines.push(
      `| ${r.name} | ${fmt(a.mrr10, 4)} | ${fmt(a.baselineMrr10, 4)} | ${a.compared > 0 ? `${a.differ} of ${a.compared}` : 'n/a'} |`,
    );
  }
  lines.push(
    '',
    '| corpus | ruyi on disk MB | FTS5 on disk MB | ruyi / FTS5 | LanceDB on disk MB |',
    '| --- | ---: | ---: | ---: | ---: |',
  );
  for (const r of results)
    lines.push(
      `| ${r.name} | ${fmt(r.disk.ruyiMb, 0)} | ${fmt(r.disk.fts5Mb, 0)} | ${fmt(r.disk.ruyiMb / r.disk.fts5Mb)} | ${fmt(r.disk.lancedbMb, 0)} |`,
    );
  return lines.join('\n');
}

async function main(): Promise<void> {
  const machine = machineInfo();
  log(
    `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.ramGb} GB, Node ${machine.node}, load ${fmt(machine.loadAverageAtStart)}`,
  );
  if (!sqliteLoads()) throw new Error('better-sqlite3 does not load: the FTS5 peer cannot run');
  const withLance = lancedbLoads();
  if (!withLance) log('@lancedb/lancedb does not load on this platform: the LanceDB runs are SKIPPED');
  const corpora = [
    { name: `dev-${MB}`, file: () => scaleCorpus(MB) },
    { name: `manuals-${MB}`, file: () => manualsCorpus(MB) },
  ].filter((c) => only === undefined || c.name.startsWith(only));
  const work = keep ?? mkdtempSync(join(os.tmpdir(), 'ruyi-bench-search-'));
  mkdirSync(work, { recursive: true });
  const results: CorpusResult[] = [];
  try {
    for (const c of corpora) results.push(await benchCorpus(c.name, c.file(), work, withLance));
  } finally {
    if (keep === undefined) rmSync(work, { recursive: true, force: true });
  }
  console.log(summary(results));
  log(
    `load average now ${fmt(os.loadavg()[0])} (at the start ${fmt(machine.loadAverageAtStart)}): a shared machine, the numbers are noisy`,
  );
  mkdirSync(join(root, 'bench-results'), { recursive: true });
  const out = join(root, 'bench-results', 'bench-search.json');
  writeFileSync(
    out,
    `${JSON.stringify({ date: new Date().toISOString(), machine: { ...machine, loadAverageAtEnd: os.loadavg()[0] }, mb: MB, seconds: SECONDS, corpora: results }, null, 2)}\n`,
  );
  log(`wrote ${out}`);
}

await main();
