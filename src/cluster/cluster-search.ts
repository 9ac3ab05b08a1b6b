import type { Analyzer } from '../analysis/analyzer.js';
import { EngineError } from '../errors.js';
import { shardOf } from '../router.js';
import type { BoolNode, QueryNode } from '../search/query-ast.js';
import { QuerySyntaxError } from '../search/query-parser.js';
import { queryTree, resolve } from '../search/search-request.js';
import { makeSnippet } from '../search/snippets.js';
import type { SearchHit, SearchOptions, SearchResult, StructuredQuery } from '../types.js';
import { type ClusterConfig, tableOf } from './cluster-config.js';
import { ClusterError } from './cluster-error.js';
import { idLiteral, sphinxId } from './doc-ids.js';
import { type MatchQuery, toMatch } from './match-query.js';
import type { ShardAnswer, ShardQuery } from './shard-query.js';
import type { Statement } from './sphinx-nodes.js';

/** What a cluster search returns: a local index's result plus which shards were missing, and why. */
export interface ClusterSearchResult extends SearchResult {
  /** Shards none of whose replicas answered (their documents are missing; `partial` is true). */
  missingShards: { shard: string; errors: string[] }[];
}

/** Statement timeout of a search, per replica tried. */
export const SEARCH_TIMEOUT_MS = 4000;

/**
 * Matches a custom scorer sees at most (SearchOptions.scorer): each shard returns up to this
 * many, best first by Sphinx's weight; the scorer ranks what came back.
 */
export const SCORER_MAX_MATCHES = 20_000;

/** Sphinx's weights are integers: the ranker's score is scaled by this, and divided back for `score`. */
const SCORE_SCALE = 1000;

/**
 * The expression ranker (OPTION ranker=expr). Per matched field, weighted by field_weights
 * (user_weight): exact_hit (the field is exactly the query) and lcs (the longest run of query
 * words in query order: proximity and phrases), plus BM25F. The title fields carry ruyi's
 * title rules: `texact` (one keyword for the whole title: a title that is the query ranks
 * first) and `tchars` (the title's characters: a title containing the query ranks high).
 * Sub-word fields weigh a third of their word fields. Relaxed queries rank documents with
 * more of the words first (doc_word_count), as ruyi does. Sphinx's BM25 uses each shard's
 * own IDF, and its normalized IDF makes it a small term here: on the dev corpus it changed
 * no known-item rank (×20 gave the same MRR), the fields' lcs and exact hits decide.
 */
export function rankerExpr(relaxed: boolean): string {
  const core = `sum((20*exact_hit+lcs)*user_weight)*${SCORE_SCALE / 10}+bm25f(1.2,0.75)*${SCORE_SCALE}`;
  return relaxed ? `doc_word_count*${SCORE_SCALE * 1000}+${core}` : core;
}

function fieldWeights(title: number, body: number): string {
  const t = Math.round(title * 10);
  const b = Math.round(body * 10);
  return `field_weights=(title=${t},body=${b},tsub=${Math.round(t / 3)},bsub=${Math.round(b / 3)},tags=0,tchars=${t},texact=${t * 10},dates=0)`;
}

interface Row {
  id: string;
  rid: string;
  ttl: string;
  tgs: string;
  dat: string;
  w: string | number;
  dated?: number;
  date_ms?: string | number;
}

/** True when the query is plain words only (where ruyi relaxes to "some of the words"). */
function plainWords(root: BoolNode): boolean {
  return root.should.length === 0 && root.not.length === 0 && root.must.length > 1 && root.must.every((n) => n.kind === 'word');
}

export type RunQueries = (queries: ShardQuery[], timeoutMs: number) => ShardAnswer[];

/**
 * A search over the cluster: the query parsed and analyzed here (ruyi's language and
 * analyzer), one SELECT per shard on one live replica, hits merged by weight.
 */
export function searchCluster(
  config: ClusterConfig,
  analyzer: Analyzer,
  run: RunQueries,
  query: string | StructuredQuery,
  options: SearchOptions = {},
): ClusterSearchResult {
  const started = performance.now();
  const o = resolve(options);
  // As the local engine reads it: text that is not valid query syntax is searched as plain words.
  const read = readForCluster(query, options, analyzer, config.analysis.pinyin);
  const { root, mq } = read;
  const reading = read.error === null ? { syntax: read.syntax } : { syntax: read.syntax, syntaxError: read.error };
  const empty = (): ClusterSearchResult => ({
    ...reading,
    total: 0,
    totalExact: true,
    hits: [],
    tookMs: performance.now() - started,
    partial: false,
    relaxed: false,
    missingShards: [],
  });
  if (root.must.length + root.should.length + root.not.length === 0) return empty();
  if (mq.match === null && mq.dates.length === 0) return empty();
  // A custom scorer ranks every match (up to SCORER_MAX_MATCHES), then the page is cut.
  const scan = options.scorer === undefined ? o : { ...o, offset: 0, limit: SCORER_MAX_MATCHES };
  let result = runOnce(config, run, mq, options, scan, false);
  if (result.total === 0 && !result.partial && plainWords(root) && mq.slots.length > 1) {
    const relaxedResult = runOnce(config, run, { ...mq, match: `(${mq.slots.join(' | ')})` }, options, scan, true);
    if (relaxedResult.total > 0) result = { ...relaxedResult, relaxed: true };
  }
  if (options.scorer !== undefined) result.hits = rescore(result.hits, options.scorer).slice(o.offset, o.offset + o.limit);
  if (options.snippets && result.hits.length > 0) attachSnippets(config, run, analyzer, result.hits, root, options);
  result.tookMs = performance.now() - started;
  return { ...result, ...reading };
}

/**
 * The query as the cluster can run it. What it cannot express exactly (a date: with a time,
 * not whole days, inside OR or a group: see date-keys.ts) is, like text that is not valid
 * query syntax, searched as plain words, and the result says so; only `syntax: 'strict'` (or a StructuredQuery) makes it an error.
 */
function readForCluster(query: string | StructuredQuery, options: SearchOptions, analyzer: Analyzer, pinyin: boolean) {
  const tree = queryTree(query, options);
  try {
    return { ...tree, mq: toMatch(tree.root, analyzer, pinyin) };
  } catch (err) {
    if (!(err instanceof QuerySyntaxError) || options.syntax === 'strict' || typeof query !== 'string') throw err;
    const plain = queryTree(query, { ...options, syntax: 'plain' });
    const error = plain.error ?? { position: err.position, message: err.detail ?? err.message };
    return { ...plain, syntax: 'plain' as const, error, mq: toMatch(plain.root, analyzer, pinyin) };
  }
}

function runOnce(
  config: ClusterConfig,
  run: RunQueries,
  mq: MatchQuery,
  options: SearchOptions,
  o: ReturnType<typeof resolve>,
  relaxed: boolean,
): ClusterSearchResult {
  const values: unknown[] = [];
  const select = ['id', 'rid', 'ttl', 'tgs', 'dat', 'WEIGHT() AS w', 'dated', 'date_ms'];
  const where: string[] = [];
  if (mq.match !== null) {
    where.push('MATCH(?)');
  }
  const filterValues: unknown[] = [];
  mq.dates.forEach((d, i) => {
    const conds = ['dated=1'];
    if (Number.isFinite(d.from)) {
      conds.push('date_ms>=?');
      filterValues.push(Math.ceil(d.from));
    }
    if (Number.isFinite(d.to)) {
      conds.push('date_ms<=?');
      filterValues.push(Math.floor(d.to));
    }
    select.push(`(${conds.join(' AND ')}) AS f${i}`);
    where.push(`f${i}=${d.in ? 1 : 0}`);
  });
  values.push(...filterValues);
  if (mq.match !== null) values.push(mq.match);
  const want = options.countOnly ? 1 : o.offset + o.limit;
  const order =
    options.sort === 'date'
      ? 'dated DESC, date_ms DESC, w DESC'
      : options.sort === 'date-asc'
        ? 'dated DESC, date_ms ASC, w DESC'
        : 'w DESC, rid ASC';
  const opts = [`ranker=expr('${rankerExpr(relaxed)}')`, fieldWeights(o.titleWeight, o.bodyWeight), `max_matches=${Math.max(1000, want)}`];
  if (Number.isFinite(o.timeoutMs)) opts.push(`max_query_time=${Math.max(1, Math.ceil(o.timeoutMs))}`);
  const statements = (shard: string): Statement[] => [
    {
      sql: `SELECT ${select.join(', ')} FROM ${shard}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order} LIMIT 0, ${Math.max(1, want)} OPTION ${opts.join(', ')}`,
      values,
    },
    { sql: 'SHOW META' },
  ];
  const answers = run(
    config.shards.map((s) => ({ shard: s.name, replicas: s.replicas, statements: statements(tableOf(config, s.name)) })),
    SEARCH_TIMEOUT_MS,
  );
  const { rows, total, missing } = collect(answers);
  const cmp =
    options.sort === 'date' || options.sort === 'date-asc'
      ? (a: Row, b: Row) =>
          Number(b.dated) - Number(a.dated) ||
          (options.sort === 'date' ? Number(b.date_ms) - Number(a.date_ms) : Number(a.date_ms) - Number(b.date_ms)) ||
          Number(b.w) - Number(a.w) ||
          (a.rid < b.rid ? -1 : 1)
      : (a: Row, b: Row) => Number(b.w) - Number(a.w) || (a.rid < b.rid ? -1 : a.rid > b.rid ? 1 : 0);
  rows.sort(cmp);
  const page = options.countOnly ? [] : rows.slice(o.offset, o.offset + o.limit);
  return {
    syntax: 'query',
    total,
    totalExact: true,
    hits: page.map(toHit),
    tookMs: 0,
    partial: missing.length > 0,
    relaxed: false,
    missingShards: missing,
  };
}

/** Rows and totals of the shards that answered; a node that refused a statement is an error, a shard with no live replica is missing. */
function collect(answers: ShardAnswer[]): { rows: Row[]; total: number; missing: ClusterSearchResult['missingShards'] } {
  const rows: Row[] = [];
  let total = 0;
  const missing: ClusterSearchResult['missingShards'] = [];
  for (const a of answers) {
    if (!a.ok) {
      if (a.statementError) throw new ClusterError(a.errors[0]?.split(' ')[1] ?? '?', a.shard, a.errors.join('; '));
      missing.push({ shard: a.shard, errors: a.errors });
      continue;
    }
    rows.push(...(a.results[0] as Row[]));
    const meta = a.results[1] as { Variable_name: string; Value: string }[];
    total += Number(meta.find((m) => m.Variable_name === 'total_found')?.Value ?? 0);
  }
  if (missing.length === answers.length && answers.length > 0) {
    const first = missing[0] as { errors: string[] };
    throw new ClusterError(
      first.errors[0]?.split(' ')[1]?.replace(/:$/, '') ?? '?',
      null,
      `no replica of any shard answers (${missing.map((m) => m.errors.join('; ')).join('; ')})`.slice(0, 400),
    );
  }
  return { rows, total, missing };
}

/** The hits ranked by a custom scorer's values (ties by id), as the local engine's applyScorer checks them. */
function rescore(hits: SearchHit[], scorer: NonNullable<SearchOptions['scorer']>): SearchHit[] {
  for (const h of hits) {
    const value = scorer({ id: h.id, score: h.score, title: h.title, tags: h.tags, date: h.date });
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw new EngineError('E_CONFIG', `the scorer returned ${String(value)} for ${JSON.stringify(h.id)}; it must return a finite number`);
    h.score = value;
  }
  return hits.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function toHit(r: Row): SearchHit {
  return {
    id: JSON.parse(r.rid) as string,
    score: Number(r.w) / SCORE_SCALE,
    title: JSON.parse(r.ttl) as string,
    tags: JSON.parse(r.tgs) as string[],
    date: JSON.parse(r.dat) as string | number | null,
  };
}

/** The page's snippets: the stored bodies of its hits, one statement per shard, cut by ruyi's makeSnippet. */
function attachSnippets(
  config: ClusterConfig,
  run: RunQueries,
  analyzer: Analyzer,
  hits: SearchHit[],
  root: BoolNode,
  options: SearchOptions,
): void {
  const texts: string[] = [];
  const visit = (n: QueryNode): void => {
    if (n.kind === 'word' || n.kind === 'phrase') texts.push(n.text);
    else if (n.kind === 'bool') [...n.must, ...n.should].forEach(visit);
  };
  visit(root);
  const words = analyzer.queryTerms(texts.join(' ')).map((t) => t.term);
  const snippetOptions = options.snippets === true || options.snippets === undefined || options.snippets === false ? {} : options.snippets;
  const byShard = new Map<string, string[]>();
  for (const h of hits) {
    const k = shardOfHit(config, h.id);
    byShard.set(k, [...(byShard.get(k) ?? []), h.id]);
  }
  const answers = run(
    [...byShard].map(([shard, ids]) => ({
      shard,
      replicas: (config.shards.find((s) => s.name === shard) as ClusterConfig['shards'][number]).replicas,
      statements: [
        {
          sql: `SELECT rid, bdy FROM ${tableOf(config, shard)} WHERE id IN (${ids.map((i) => idLiteral(sphinxId(i))).join(',')}) LIMIT ${ids.length}`,
        },
      ],
    })),
    SEARCH_TIMEOUT_MS,
  );
  const bodies = new Map<string, string>();
  for (const a of answers)
    if (a.ok) for (const r of a.results[0] as { rid: string; bdy: string }[]) bodies.set(JSON.parse(r.rid), JSON.parse(r.bdy));
  for (const h of hits) {
    const body = bodies.get(h.id);
    if (body === undefined) continue;
    const bytes = Buffer.from(body, 'utf8');
    h.snippet = makeSnippet((i) => (i === 0 ? bytes : undefined), words, analyzer, snippetOptions).text;
  }
}

function shardOfHit(config: ClusterConfig, id: string): string {
  return (config.shards[shardOf(id, config.shards.length)] as ClusterConfig['shards'][number]).name;
}
