import type { Analyzer } from '../analysis/analyzer.js';
import { TAG_PREFIX } from '../indexing/postings-buffer.js';
import { shardOf } from '../router.js';
import { lowerBound } from '../store/block-postings.js';
import type { PostingColumns } from '../store/postings-codec.js';
import type { SearchHit, SearchOptions, SearchResult, StructuredQuery } from '../types.js';
import { type CorpusStats, idf, termScore } from './bm25.js';
import { titleKey } from './doc-columns.js';
import { union } from './doc-sets.js';
import { proximityFactor, type Spans } from './proximity.js';
import { MAX_PREFIX_EXPANSIONS, type PlanTerm, type QueryPlan, QueryPlanner, type Reading, relaxPlan, type Slot } from './query-plan.js';
import { evaluation, QueryPostings } from './query-postings.js';
import { type Candidates, emptyCandidates, rankPage } from './ranking.js';
import { queryTree, type Resolved, resolve } from './search-request.js';
import { ShardEvaluator, slotSpansOf } from './shard-evaluator.js';
import type { ShardReader, ShardView } from './shard-reader.js';
import { bodyChunkReader, makeSnippet, type SnippetOptions } from './snippets.js';
import { oneTermCandidates } from './term-top.js';
import { PageChecks, settleTextChecks } from './text-checks.js';
import { topKIndexes } from './top-k.js';

export { MAX_QUERY_CHARS } from './query-parser.js';
export { MAX_LIMIT } from './search-request.js';
/**
 * Proximity and phrase ranking reads positions for this many of the best-scored matches (or
 * offset + limit, if more): documents beyond it keep their BM25F order, as in Lucene's rescoring.
 */
export const RESCORE_WINDOW = 50;
/** Rank levels above any score: the title is exactly the query; the title contains it. */
const EXACT_TITLE = 2;
const TITLE_CONTAINS = 1;
/** With a recency boost, the rank levels as factors of the score: none, title contains the query, exact title. */
const LEVEL_FACTOR = [1, 2, 4];
/** A plain query with a one-character word and fewer matches than this also matches by title substring. */
const TITLE_SCAN_BELOW = 100;
/** Best candidates whose titles are checked for the query as a substring. */
export const TITLE_CHECK = 20;
/** Scoring looks a match up in a term's postings (binary search) when they outnumber the matches this many times. */
const SPARSE_RATIO = 16;
/** Candidate terms read per shard for one prefix before the most frequent are kept. */
const PREFIX_SCAN = 256;

/** The best `k` candidates: rank level (exact title, title contains the query), then score (see ranksAbove). */
function bestOf(c: Candidates, k: number, strict: boolean): number[] {
  return topKIndexes(c.count, k, ranksAbove(c, strict));
}

/**
 * Rank level, then score; `strict`, then (shard, docNum) too: a total order, so that the
 * best k do not depend on the order candidates come in, as a one-word query needs whose
 * block-max scores only the candidates that can reach them (term-top.ts). Other queries
 * score every match in (shard, docNum) order, and keep the first found among equals.
 */
function ranksAbove(c: Candidates, strict: boolean): (a: number, b: number) => boolean {
  const { score, exact, shard, doc } = c;
  if (!strict) {
    return (a, b) => (exact[a] !== exact[b] ? (exact[a] as number) > (exact[b] as number) : (score[a] as number) > (score[b] as number));
  }
  return (a, b) => {
    if (exact[a] !== exact[b]) return (exact[a] as number) > (exact[b] as number);
    if (score[a] !== score[b]) return (score[a] as number) > (score[b] as number);
    if (shard[a] !== shard[b]) return (shard[a] as number) < (shard[b] as number);
    return (doc[a] as number) < (doc[b] as number);
  };
}

/**
 * The word and reading of a query of one word ranked by score alone (no recency, scorer or
 * date sort; titles weighted): what block-max can rank (see Searcher.oneTermTop). null otherwise.
 */
function oneTermShape(plan: QueryPlan, options: SearchOptions, o: Resolved): { term: PlanTerm; reading: Reading } | null {
  const { terms, readings } = plan;
  let root = plan.root;
  // A group of one clause is that clause.
  while (root?.kind === 'bool' && root.must.length === 1 && root.should.length + root.not.length === 0) root = root.must[0] ?? null;
  if (root?.kind !== 'text' || root.phrase || root.field !== 'any' || terms.length !== 1) return null;
  const slot = root.slots[0];
  const term = terms[0] as PlanTerm;
  const reading = readings[0];
  if (root.slots.length !== 1 || slot === undefined || slot.cover.length + slot.expansions.length > 0 || term.weight <= 0) return null;
  if (readings.length !== 1 || reading === undefined || reading.querySlots <= 0) return null;
  if (options.recency !== undefined || options.scorer !== undefined || (options.sort ?? 'score') !== 'score' || o.titleWeight <= 0)
    return null;
  return { term, reading };
}

/** Document count and average field lengths over the first `shards` shards: what every score uses. */
export function corpusStats(views: readonly ShardView[], shards: number): CorpusStats {
  let docs = 0;
  let sumTitle = 0;
  let sumBody = 0;
  for (let s = 0; s < shards; s++) {
    const st = (views[s] as ShardView).state;
    docs += st.docs;
    sumTitle += st.sumTitleLen;
    sumBody += st.sumBodyLen;
  }
  return { docs, avgTitleLen: docs ? sumTitle / docs : 0, avgBodyLen: docs ? sumBody / docs : 0 };
}

function popcount(bits: number): number {
  let v = bits - ((bits >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

function hasExactTitle(c: Candidates, best: number[]): boolean {
  return best.some((k) => c.exact[k] === EXACT_TITLE);
}

/**
 * Query evaluation over all shards on the calling thread.
 *
 * 1. The query is parsed (or taken as plain words, or as a StructuredQuery) and planned: text
 *    clauses are analyzed into slots of terms, a prefix into the index's terms it begins.
 * 2. Every distinct term is looked up in every shard; document frequency, document count and
 *    average lengths are summed over shards before any score is computed.
 * 3. Per shard, the boolean structure selects the matching docNums (phrases check positions).
 *    A plain query that no document matches in full is relaxed to any of its words.
 * 4. Matches are scored with BM25F x (matched terms / query terms)^2; the best RESCORE_WINDOW
 *    are rescored by proximity (adjacent query words, the whole query as a phrase); then recency
 *    and a custom scorer apply. A document whose title is exactly the query ranks first.
 */
export class Searcher {
  /** Decoded postings per query term and shard, reused across queries. */
  private readonly postings = new QueryPostings();

  constructor(
    private readonly readersOf: () => readonly ShardReader[],
    private readonly analyzer: () => Analyzer,
  ) {}

  search(query: string | StructuredQuery, options: SearchOptions = {}): SearchResult {
    const started = performance.now();
    const o = resolve(options);
    const deadline = started + o.timeoutMs;
    const { root, syntax, error } = queryTree(query, options);
    const reading = error === null ? { syntax } : { syntax, syntaxError: error };
    const readers = this.readersOf();
    const views = readers.map((r) => r.current());
    for (const r of readers) r.beginQuery();
    const done = (total: number, partial: boolean, relaxed: boolean): SearchResult => ({
      total,
      totalExact: true,
      hits: [],
      tookMs: performance.now() - started,
      partial,
      relaxed,
      ...reading,
    });
    if (root.must.length + root.should.length + root.not.length === 0) return done(0, false, false);

    let plan = new QueryPlanner(this.analyzer(), (prefix) => this.expandPrefix(readers, views, prefix)).plan(root);
    const { terms } = plan;
    if (plan.root === null && !plan.scanTitles) return done(0, false, false);

    const window = Math.max(RESCORE_WINDOW, o.offset + o.limit);
    // Ties are broken by (shard, docNum) for the queries block-max may rank, whichever way they are evaluated.
    const strict = oneTermShape(plan, options, o) !== null;
    // One word: no proximity rescoring, so the candidates needed are those of the title
    // checks and the page (see promoteTitleMatches), not a rescoring window.
    const oneWindow = Math.max(TITLE_CHECK, o.offset + o.limit);
    const one = this.oneTermTop(readers, views, plan, options, o, oneWindow);
    if (one !== null) {
      if (options.countOnly || one.total === 0) return done(one.total, false, false);
      const best = bestOf(one.candidates, oneWindow, true);
      if (plan.titleNeedle !== null) {
        this.promoteTitleMatches(readers, views, one.candidates, best, plan.titleNeedle, false, true, one.titleHoldsNeedle);
      }
      const hits = rankPage(readers, one.candidates, o.offset, o.limit, 'score', null, undefined);
      if (options.snippets) this.attachSnippets(readers, hits, plan, options.snippets === true ? {} : options.snippets);
      return { total: one.total, totalExact: true, hits, tookMs: performance.now() - started, partial: false, relaxed: false, ...reading };
    }

    // Postings of every term, shard by shard: a timeout leaves whole shards out.
    let shards = 0;
    let partial = false;
    for (let s = 0; s < readers.length; s++) {
      if (s > 0 && performance.now() >= deadline) {
        partial = true;
        break;
      }
      this.postings.load(readers[s] as ShardReader, views[s] as ShardView, s, plan);
      shards++;
    }
    const stats = corpusStats(views, shards);

    // Phrases' text checks wait until the candidates are ranked (see ShardEvaluator), unless
    // every match must be checked: for an exact count, or when every match is ranked by something
    // else than its score (dates, recency, a scorer) or the titles are scanned.
    const deferTextChecks =
      !options.countOnly &&
      !options.exactTotal &&
      (options.sort ?? 'score') === 'score' &&
      options.recency === undefined &&
      options.scorer === undefined &&
      !plan.scanTitles;
    let evaluators: ShardEvaluator[] = [];
    const evaluate = (p: QueryPlan): Int32Array[] => {
      const sets: Int32Array[] = [];
      evaluators = [];
      for (let s = 0; s < shards; s++) {
        if (s > 0 && performance.now() >= deadline) {
          partial = true;
          break;
        }
        const row = this.postings.shardRow(terms, s);
        const evaluator = new ShardEvaluator(readers[s] as ShardReader, views[s] as ShardView, terms, row, deferTextChecks);
        evaluators.push(evaluator);
        sets.push(p.root === null ? new Int32Array(0) : evaluator.evaluate(p.root));
      }
      return sets;
    };
    let sets = evaluate(plan);
    let total = sets.reduce((sum, set) => sum + set.length, 0);
    const strictTotal = total;
    let relaxed = false;
    if (total === 0 && plan.plainWords && plan.readings.some((r) => r.slots.length > 1) && !partial) {
      plan = relaxPlan(plan);
      // Any of the words: each may match alone, so each is read whole.
      this.postings.loadWhole(readers, views, shards, terms);
      sets = evaluate(plan);
      total = sets.reduce((sum, set) => sum + set.length, 0);
      relaxed = total > 0;
    }
    // A one-character word or a stop word, few documents with all the words, and no title among the best that
    // contains the query: the titles that do are added (see QueryPlan.scanTitles). Decided
    // the same way for countOnly, so that its total is the total of the full search.
    const mayScan = plan.scanTitles && plan.titleNeedle !== null && strictTotal < TITLE_SCAN_BELOW && !partial;
    if ((options.countOnly && !mayScan) || (total === 0 && !mayScan)) return done(total, partial, relaxed);

    let candidates = this.score(readers, sets, plan, stats, o);
    let best = bestOf(candidates, window, strict);
    // Phrases' text checks left for the ranked candidates (see settleTextChecks): null when none is.
    let pageChecks: PageChecks | null = null;
    if (evaluators.some((e) => e.deferred.length > 0)) {
      const holds = (shard: number, doc: number): boolean => (evaluators[shard] as ShardEvaluator).holds(doc);
      const settled = settleTextChecks(candidates, (c) => bestOf(c, window, strict), holds);
      ({ candidates, best } = settled);
      total -= settled.failed;
      pageChecks = new PageChecks(candidates, settled.checked, holds);
    }
    // With titles weighted 0 the caller asked titles to count for nothing: no rank levels.
    if (o.titleWeight === 0) candidates.exact.fill(0);
    const titleMatches =
      plan.titleNeedle === null || o.titleWeight === 0
        ? 0
        : this.promoteTitleMatches(readers, views, candidates, best, plan.titleNeedle, false, strict);
    if (mayScan && titleMatches < Math.max(1, o.limit) && !hasExactTitle(candidates, best)) {
      const needle = plan.titleNeedle as string;
      const grown = sets.map((set, s) =>
        union(set, (readers[s] as ShardReader).docColumns(views[s] as ShardView).titlesContaining(needle)),
      );
      const grownTotal = grown.reduce((sum, set) => sum + set.length, 0);
      if (grownTotal > total) {
        // Documents beyond the drivers' now match: their postings are needed whole.
        this.postings.loadWhole(readers, views, shards, terms);
        sets = grown;
        total = grownTotal;
        candidates = this.score(readers, sets, plan, stats, o);
        if (o.titleWeight === 0) candidates.exact.fill(0);
        best = bestOf(candidates, window, strict);
        if (o.titleWeight > 0) this.promoteTitleMatches(readers, views, candidates, best, needle, true, strict);
      }
    }
    if (options.countOnly || total === 0) return done(total, partial, relaxed);
    if (options.recency !== undefined) this.applyRecency(readers, views, candidates, options.recency);
    if ((options.sort ?? 'score') === 'score' && plan.readings.some((r) => r.slots.length > 1)) {
      if (options.recency !== undefined) best = bestOf(candidates, window, strict);
      this.rescoreByProximity(readers, views, candidates, plan, best);
    }
    const dates =
      options.sort === 'date' || options.sort === 'date-asc' ? readers.map((r, s) => r.docColumns(views[s] as ShardView).date) : null;
    const hits = rankPage(readers, candidates, o.offset, o.limit, options.sort ?? 'score', dates, options.scorer, pageChecks?.keep);
    if (options.snippets) this.attachSnippets(readers, hits, plan, options.snippets === true ? {} : options.snippets);
    if (pageChecks !== null) total -= pageChecks.failed;
    const totalExact = pageChecks?.allChecked ?? true;
    return { total, totalExact, hits, tookMs: performance.now() - started, partial, relaxed, ...reading };
  }

  /**
   * A query of one word ranked by score alone (no recency, scorer or date sort; titles
   * weighted): its total from the skip tables, its candidates by block-max (term-top.ts).
   * null for any other query, and for one whose title scan may add matches (see mayScan).
   */
  private oneTermTop(
    readers: readonly ShardReader[],
    views: readonly ShardView[],
    plan: QueryPlan,
    options: SearchOptions,
    o: Resolved,
    window: number,
  ): { total: number; candidates: Candidates; titleHoldsNeedle: Uint8Array | null } | null {
    const shape = oneTermShape(plan, options, o);
    if (shape === null || evaluation.decodeWhole) return null;
    const { term, reading } = shape;
    let total = 0;
    readers.forEach((r, s) => {
      total += r.liveCount(views[s] as ShardView, term.term, term.bytes);
    });
    if (plan.scanTitles && plan.titleNeedle !== null && total < TITLE_SCAN_BELOW) return null;
    if (options.countOnly || total === 0) return { total, candidates: emptyCandidates(0), titleHoldsNeedle: null };
    const stats = corpusStats(views, views.length);
    const q = {
      term: term.term,
      bytes: term.bytes,
      weight: idf(stats.docs, total) * term.weight,
      stats,
      titleWeight: o.titleWeight,
      bodyWeight: term.titleOnly ? 0 : o.bodyWeight,
      querySlots: reading.querySlots,
    };
    const { candidates, titled } = oneTermCandidates(readers, views, q, window);
    // A title that holds the word holds its characters, and so its title key the word's key:
    // when that key is the needle (the query is the word alone, not converted from traditional
    // characters), such a title contains the needle without being read.
    const same = plan.titleNeedle !== null && plan.titleNeedle === titleKey(term.term) && !this.analyzer().options.traditional;
    return { total, candidates, titleHoldsNeedle: same ? titled : null };
  }

  /** The page's snippets: one stored-document lookup and a bounded body read per hit. */
  private attachSnippets(readers: readonly ShardReader[], hits: SearchHit[], plan: QueryPlan, options: SnippetOptions): void {
    // The words that scored (and their pinyin), not tags or excluded words.
    const words = plan.terms.filter((t) => t.weight > 0 && !t.term.startsWith(TAG_PREFIX)).map((t) => t.term);
    const analyzer = this.analyzer();
    for (const hit of hits) {
      const dbs = (readers[shardOf(hit.id, readers.length)] as ShardReader).dbs;
      const stored = dbs.docs.get(hit.id);
      if (stored === undefined) continue; // removed since the postings were read
      hit.snippet = makeSnippet(bodyChunkReader(dbs, stored.n), words, analyzer, options).text;
    }
  }

  /** Index terms that begin with `prefix`, the most frequent first. */
  private expandPrefix(readers: readonly ShardReader[], views: readonly ShardView[], prefix: string): string[] {
    const counts = new Map<string, number>();
    readers.forEach((r, s) => {
      r.termsWithPrefix(views[s] as ShardView, prefix, PREFIX_SCAN, counts);
    });
    return [...counts]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, MAX_PREFIX_EXPANSIONS)
      .map(([term]) => term);
  }

  private score(readers: readonly ShardReader[], sets: Int32Array[], plan: QueryPlan, stats: CorpusStats, o: Resolved): Candidates {
    const { terms, readings } = plan;
    const scoring = terms.map((t, id) => ({ t, id })).filter(({ t }) => t.weight > 0);
    // Per reading, the slots (as bits) each term stands for; at most 32 slots count.
    const slotBits = readings.map((r) =>
      scoring.map(({ id }) => r.slots.reduce((bits, slot, i) => (i < 32 && slot.terms.includes(id) ? bits | (1 << i) : bits), 0)),
    );
    const allBits = readings.map((r) => (r.slots.length >= 32 ? -1 : (1 << r.slots.length) - 1));
    const slotCounts = readings.map((r) => Math.min(32, r.slots.length));
    const out = emptyCandidates(sets.reduce((sum, set) => sum + set.length, 0));
    sets.forEach((set, s) => {
      const acc = (readers[s] as ShardReader).accumulators;
      acc.fit(readers[s]?.current().state.nextDoc ?? 0);
      for (let i = 0; i < set.length; i++) {
        const doc = set[i] as number;
        acc.member[doc] = 1;
        acc.touched[i] = doc;
      }
      acc.touchedCount = set.length;
      scoring.forEach(({ t, id }, j) => {
        const cols = (this.postings.columns[id] as PostingColumns[])[s] as PostingColumns;
        const df = this.postings.df(id, sets.length);
        if (df === 0) return;
        const weight = idf(stats.docs, df) * t.weight;
        const bodyWeight = t.titleOnly ? 0 : o.bodyWeight;
        const { docNums, tfTitle, tfBody, titleLen, bodyLen } = cols;
        // The bits this term sets per reading, hoisted out of the loop over its postings.
        const termBits = Int32Array.from(slotBits, (bits) => bits[j] as number);
        const { covered, titleCovered } = acc;
        // A long list (a common word, cached whole) and few matches: find each match in it
        // rather than walk it. Each document's sum is added in the same order either way.
        const sparse = set.length * SPARSE_RATIO < cols.length;
        const steps = sparse ? set.length : cols.length;
        for (let k = 0, from = 0; k < steps; k++) {
          let i = k;
          if (sparse) {
            i = from = lowerBound(docNums, set[k] as number, from, cols.length);
            if (i === cols.length) break;
            // Not in this term's postings: the one found is a later match's, added when its turn comes.
            if (docNums[i] !== set[k]) continue;
          }
          const doc = docNums[i] as number;
          if (acc.member[doc] === 0) continue;
          const tfT = tfTitle[i] as number;
          acc.titleLen[doc] = titleLen[i] as number;
          acc.score[doc] =
            (acc.score[doc] as number) +
            termScore(weight, stats, tfT, tfBody[i] as number, titleLen[i] as number, bodyLen[i] as number, o.titleWeight, bodyWeight);
          for (let r = 0; r < termBits.length; r++) {
            const bits = termBits[r] as number;
            if (bits === 0) continue;
            const inDoc = covered[r] as Int32Array;
            inDoc[doc] = (inDoc[doc] as number) | bits;
            if (tfT > 0) {
              const inTitle = titleCovered[r] as Int32Array;
              inTitle[doc] = (inTitle[doc] as number) | bits;
            }
          }
        }
      });
      for (let i = 0; i < set.length; i++) {
        const doc = set[i] as number;
        let coverage = readings.length === 0 ? 1 : 0;
        let exact = 0;
        for (let ri = 0; ri < readings.length; ri++) {
          const n = slotCounts[ri] as number;
          const querySlots = (readings[ri] as Reading).querySlots;
          const covered = (acc.covered[ri] as Int32Array)[doc] as number;
          coverage = Math.max(coverage, n > 0 ? popcount(covered) / n : 1);
          const all = allBits[ri] as number;
          if (querySlots > 0 && n > 0 && (acc.titleCovered[ri] as Int32Array)[doc] === all && acc.titleLen[doc] === querySlots) {
            exact = EXACT_TITLE;
          }
        }
        const k = out.count++;
        out.shard[k] = s;
        out.doc[k] = doc;
        out.score[k] = (acc.score[doc] as number) * coverage * coverage;
        out.exact[k] = exact;
      }
      acc.reset();
    });
    return out;
  }

  private applyRecency(
    readers: readonly ShardReader[],
    views: readonly ShardView[],
    c: Candidates,
    recency: NonNullable<SearchOptions['recency']>,
  ): void {
    // Recency competes with relevance, so the title rank levels become score factors here.
    for (let k = 0; k < c.count; k++) {
      c.score[k] = (c.score[k] as number) * (LEVEL_FACTOR[c.exact[k] as number] as number);
      c.exact[k] = 0;
    }
    const now = recency.now ?? Date.now();
    const weight = recency.weight ?? 0.5;
    const halfLifeMs = recency.halfLifeDays * 86_400_000;
    const dates = readers.map((r, s) => r.docColumns(views[s] as ShardView).date);
    for (let k = 0; k < c.count; k++) {
      const ms = (dates[c.shard[k] as number] as Float64Array)[c.doc[k] as number] as number;
      const decay = Number.isNaN(ms) ? 0 : 0.5 ** (Math.max(0, now - ms) / halfLifeMs);
      c.score[k] = (c.score[k] as number) * (1 - weight + weight * decay);
    }
  }

  /**
   * Candidates whose title contains the query (as a title key) rank just below exact titles:
   * checked among the best TITLE_CHECK only (one stored-record read each), or all of them
   * when the titles were scanned anyway. Returns how many candidates checked are an exact
   * title or contain the query.
   */
  private promoteTitleMatches(
    readers: readonly ShardReader[],
    views: readonly ShardView[],
    c: Candidates,
    best: number[],
    needle: string,
    scanned: boolean,
    strict: boolean,
    /** Per candidate, 1 when its title is known to contain the needle (see oneTermTop). */
    known: Uint8Array | null = null,
  ): number {
    let found = 0;
    if (scanned) {
      const columns = readers.map((r, s) => r.docColumns(views[s] as ShardView));
      for (let k = 0; k < c.count; k++) {
        if (c.exact[k] !== 0) found++;
        else if (columns[c.shard[k] as number]?.title(c.doc[k] as number).includes(needle)) {
          c.exact[k] = TITLE_CONTAINS;
          found++;
        }
      }
      return found;
    }
    const { score, exact } = c;
    const above = ranksAbove(c, true);
    const top = strict
      ? [...best].sort((a, b) => (above(a, b) ? -1 : above(b, a) ? 1 : 0))
      : [...best].sort((a, b) => (exact[b] as number) - (exact[a] as number) || (score[b] as number) - (score[a] as number));
    for (const k of top.slice(0, TITLE_CHECK)) {
      if (c.exact[k] !== 0) {
        found++;
        continue;
      }
      if (known?.[k] === 1) {
        c.exact[k] = TITLE_CONTAINS;
        found++;
        continue;
      }
      const title = readers[c.shard[k] as number]?.hit(c.doc[k] as number)?.[1];
      if (title !== undefined && titleKey(title).includes(needle)) {
        c.exact[k] = TITLE_CONTAINS;
        found++;
      }
    }
    return found;
  }

  /** Multiplies the scores of the `best` candidates (the rescoring window) by their proximity factor (the best over the readings). */
  private rescoreByProximity(
    readers: readonly ShardReader[],
    views: readonly ShardView[],
    c: Candidates,
    plan: QueryPlan,
    best: number[],
  ): void {
    const readings = plan.readings.filter((r) => r.slots.length > 1);
    for (let s = 0; s < readers.length; s++) {
      const mine = best.filter((k) => c.shard[k] === s).sort((a, b) => (c.doc[a] as number) - (c.doc[b] as number));
      if (mine.length === 0) continue;
      const docs = Int32Array.from(mine, (k) => c.doc[k] as number);
      const factors = new Float64Array(mine.length).fill(1);
      for (const { slots } of readings) {
        const deltas = slots.slice(1).map((slot, i) => slot.offset - (slots[i] as Slot).offset);
        // Every term's positions are read, however common: only the blocks of these few
        // documents are (decodePositions), so that ranking never depends on how postings are
        // split into segments (a cap on a segment's position bytes once did).
        const spans = slotSpansOf(readers[s] as ShardReader, views[s] as ShardView, plan.terms, slots, docs);
        for (let i = 0; i < mine.length; i++) {
          const f = proximityFactor(
            spans.map((perDoc) => perDoc[i] as Spans),
            deltas,
          );
          if (f > (factors[i] as number)) factors[i] = f;
        }
      }
      mine.forEach((k, i) => {
        c.score[k] = (c.score[k] as number) * (factors[i] as number);
      });
    }
  }
}
