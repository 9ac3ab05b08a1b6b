import type { Analyzer } from '../analysis/analyzer.js';
import { EngineError } from '../errors.js';
import { tagTerm } from '../indexing/postings-buffer.js';
import { PostingColumns } from '../store/postings-codec.js';
import type { SearchHit, SearchOptions, SearchResult } from '../types.js';
import { type CorpusStats, idf, termScore } from './bm25.js';
import type { ShardReader, ShardView } from './shard-reader.js';
import { topKIndexes } from './top-k.js';

export const MAX_LIMIT = 1000;
/** Longer queries are refused: nobody types 4 KB into a search box, and analysis is linear in it. */
export const MAX_QUERY_CHARS = 4096;

const utf8 = new TextEncoder();

/** The scored candidates of one query, column-wise. */
interface Candidates {
  count: number;
  shard: Int32Array;
  doc: Int32Array;
  score: Float64Array;
  exact: Uint8Array;
}

/**
 * Query evaluation over all shards on the calling thread.
 *
 * Every query term (jieba search-mode words and sub-words) is looked up in every shard;
 * document frequency, document count and average lengths are summed over shards before any
 * score is computed. A document's score is BM25F times (matched terms / query terms)^2, so
 * documents with all the words rank above those with some. A document whose title is
 * exactly the query (same words, nothing else) ranks above every other.
 */
export class Searcher {
  /** Decoded postings per query term and shard, reused across queries. */
  private readonly columns: PostingColumns[][] = [];

  constructor(
    private readonly readersOf: () => readonly ShardReader[],
    private readonly analyzer: () => Analyzer,
  ) {}

  private get readers(): readonly ShardReader[] {
    return this.readersOf();
  }

  private columnsFor(term: number, shard: number): PostingColumns {
    this.columns[term] ??= [];
    const row = this.columns[term] as PostingColumns[];
    row[shard] ??= new PostingColumns();
    return (row[shard] as PostingColumns).clear();
  }

  search(query: string, options: SearchOptions = {}): SearchResult {
    const started = performance.now();
    const limit = options.limit ?? 10;
    const offset = options.offset ?? 0;
    if (!Number.isInteger(limit) || limit < 0 || limit > MAX_LIMIT) {
      throw new EngineError('E_CONFIG', `search limit must be an integer from 0 to ${MAX_LIMIT}, got ${limit}`);
    }
    if (!Number.isInteger(offset) || offset < 0) {
      throw new EngineError('E_CONFIG', `search offset must be a non-negative integer, got ${offset}`);
    }
    if (query.length > MAX_QUERY_CHARS) {
      throw new EngineError('E_QUERY_SYNTAX', `query is ${query.length} characters, the limit is ${MAX_QUERY_CHARS}`);
    }
    const tags = options.tags ?? [];
    const tokens = query.trim() === '' ? [] : this.analyzer().analyzeQuery(query);
    const qtf = new Map<string, number>();
    for (const { term } of tokens) qtf.set(term, (qtf.get(term) ?? 0) + 1);
    const querySlots = tokens.length === 0 ? 0 : (tokens[tokens.length - 1] as { position: number }).position + 1;

    const views = this.readers.map((r) => r.current());
    let docs = 0;
    let sumTitle = 0;
    let sumBody = 0;
    for (const v of views) {
      docs += v.state.docs;
      sumTitle += v.state.sumTitleLen;
      sumBody += v.state.sumBodyLen;
    }
    const stats: CorpusStats = { docs, avgTitleLen: docs ? sumTitle / docs : 0, avgBodyLen: docs ? sumBody / docs : 0 };
    const allowed = tags.length > 0 ? this.tagFilter(views, tags) : null;

    let candidates: Candidates;
    if (qtf.size > 0) candidates = this.score(views, qtf, querySlots, stats, allowed);
    else if (allowed !== null) candidates = this.listTagged(allowed);
    else candidates = emptyCandidates(0);

    const hits = this.rank(candidates, offset, limit);
    return { total: candidates.count, hits, tookMs: performance.now() - started };
  }

  private score(
    views: ShardView[],
    qtf: Map<string, number>,
    querySlots: number,
    stats: CorpusStats,
    allowed: Set<number>[] | null,
  ): Candidates {
    const termCount = qtf.size;
    const accs = this.readers.map((r, s) => {
      r.accumulators.fit((views[s] as ShardView).state.nextDoc);
      return r.accumulators;
    });
    let t = 0;
    for (const [term, count] of qtf) {
      const bytes = utf8.encode(term);
      let df = 0;
      for (let s = 0; s < this.readers.length; s++) {
        df += (this.readers[s] as ShardReader).postings(views[s] as ShardView, term, bytes, this.columnsFor(t, s));
      }
      if (df > 0) {
        const weight = idf(stats.docs, df) * count;
        for (let s = 0; s < this.readers.length; s++) {
          const cols = (this.columns[t] as PostingColumns[])[s] as PostingColumns;
          const acc = accs[s] as (typeof accs)[number];
          const filter = allowed?.[s];
          const { docNums, tfTitle, tfBody, titleLen, bodyLen } = cols;
          for (let i = 0; i < cols.length; i++) {
            const doc = docNums[i] as number;
            if (filter !== undefined && !filter.has(doc)) continue;
            if (acc.matched[doc] === 0) {
              acc.touched[acc.touchedCount++] = doc;
              acc.titleLen[doc] = titleLen[i] as number;
            }
            const tfT = tfTitle[i] as number;
            acc.score[doc] =
              (acc.score[doc] as number) + termScore(weight, stats, tfT, tfBody[i] as number, titleLen[i] as number, bodyLen[i] as number);
            acc.matched[doc] = (acc.matched[doc] as number) + 1;
            if (tfT >= count) acc.titleCovered[doc] = (acc.titleCovered[doc] as number) + 1;
          }
        }
      }
      t++;
    }
    const out = emptyCandidates(accs.reduce((sum, a) => sum + a.touchedCount, 0));
    accs.forEach((acc, s) => {
      for (let i = 0; i < acc.touchedCount; i++) {
        const doc = acc.touched[i] as number;
        const coverage = (acc.matched[doc] as number) / termCount;
        const k = out.count++;
        out.shard[k] = s;
        out.doc[k] = doc;
        out.score[k] = (acc.score[doc] as number) * coverage * coverage;
        out.exact[k] = acc.titleCovered[doc] === termCount && acc.titleLen[doc] === querySlots ? 1 : 0;
      }
      acc.reset();
    });
    return out;
  }

  private listTagged(allowed: Set<number>[]): Candidates {
    const out = emptyCandidates(allowed.reduce((sum, set) => sum + set.size, 0));
    allowed.forEach((set, s) => {
      for (const doc of set) {
        const k = out.count++;
        out.shard[k] = s;
        out.doc[k] = doc;
      }
    });
    return out;
  }

  /** Per shard, the docNums carrying every tag. */
  private tagFilter(views: ShardView[], tags: readonly string[]): Set<number>[] {
    const cols = new PostingColumns();
    return this.readers.map((reader, s) => {
      let set: Set<number> | null = null;
      for (const tag of tags) {
        const term = tagTerm(tag);
        reader.postings(views[s] as ShardView, term, utf8.encode(term), cols.clear());
        const next = new Set<number>();
        for (let i = 0; i < cols.length; i++) {
          const n = cols.docNums[i] as number;
          if (set === null || set.has(n)) next.add(n);
        }
        set = next;
        if (set.size === 0) break;
      }
      return set ?? new Set<number>();
    });
  }

  /**
   * The page [offset, offset + limit) in rank order. Candidates that tie with the last one
   * kept are all resolved and ordered by id, so the page does not depend on shard layout.
   */
  private rank(c: Candidates, offset: number, limit: number): SearchHit[] {
    const want = offset + limit;
    if (want === 0 || c.count === 0) return [];
    const { score, exact } = c;
    const better = (a: number, b: number): boolean =>
      exact[a] !== exact[b] ? exact[a] === 1 : (score[a] as number) > (score[b] as number);
    const best = topKIndexes(c.count, want, better);
    let worst = best[0] as number;
    for (const i of best) if (better(worst, i)) worst = i;
    const chosen = new Set(best);
    const worstScore = score[worst];
    const worstExact = exact[worst];
    for (let i = 0; i < c.count; i++) {
      if (score[i] === worstScore && exact[i] === worstExact && !chosen.has(i)) chosen.add(i);
    }
    const resolved: (SearchHit & { exact: number })[] = [];
    for (const i of chosen) {
      const record = this.readers[c.shard[i] as number]?.hit(c.doc[i] as number);
      if (record === undefined) continue;
      const [id, title, tags, date] = record;
      resolved.push({ id, score: c.score[i] as number, title, tags, date, exact: c.exact[i] as number });
    }
    resolved.sort((a, b) => {
      if (a.exact !== b.exact) return b.exact - a.exact;
      if (a.score !== b.score) return b.score - a.score;
      return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
    });
    return resolved.slice(offset, want).map(({ exact: _exact, ...hit }) => hit);
  }
}

function emptyCandidates(size: number): Candidates {
  return {
    count: 0,
    shard: new Int32Array(size),
    doc: new Int32Array(size),
    score: new Float64Array(size),
    exact: new Uint8Array(size),
  };
}
