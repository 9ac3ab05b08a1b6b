import type { Analyzer } from '../analysis/analyzer.js';
import { EngineError } from '../errors.js';
import { tagTerm } from '../indexing/postings-buffer.js';
import { emptyColumns, type PostingColumns } from '../store/postings-codec.js';
import type { SearchHit, SearchOptions, SearchResult } from '../types.js';
import { type CorpusStats, idf, termScore } from './bm25.js';
import type { ShardReader } from './shard-reader.js';
import { topK } from './top-k.js';

export const MAX_LIMIT = 1000;
/** Longer queries are refused: nobody types 4 KB into a search box, and analysis is linear in it. */
export const MAX_QUERY_CHARS = 4096;

interface Candidate {
  shard: number;
  docNum: number;
  score: number;
  matched: number;
  titleCovered: number;
  titleLen: number;
  exact: boolean;
}

const utf8 = new TextEncoder();

function better(a: Candidate, b: Candidate): boolean {
  if (a.exact !== b.exact) return a.exact;
  return a.score > b.score;
}

function sameRank(a: Candidate, b: Candidate): boolean {
  return a.exact === b.exact && a.score === b.score;
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
  constructor(
    private readonly readers: readonly ShardReader[],
    private readonly analyzer: () => Analyzer,
  ) {}

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
    const candidates = new Map<number, Candidate>();

    if (qtf.size > 0) {
      const termCount = qtf.size;
      for (const [term, count] of qtf) {
        const bytes = utf8.encode(term);
        const perShard: PostingColumns[] = [];
        let df = 0;
        this.readers.forEach((reader, s) => {
          const cols = emptyColumns();
          df += reader.postings(views[s] as ReturnType<ShardReader['current']>, term, bytes, cols);
          perShard.push(cols);
        });
        if (df === 0) continue;
        const weight = idf(stats.docs, df) * count;
        perShard.forEach((cols, s) => {
          const filter = allowed?.[s];
          for (let i = 0; i < cols.docNums.length; i++) {
            const docNum = cols.docNums[i] as number;
            if (filter !== undefined && !filter.has(docNum)) continue;
            const key = s * 2 ** 32 + docNum;
            let c = candidates.get(key);
            if (c === undefined) {
              c = { shard: s, docNum, score: 0, matched: 0, titleCovered: 0, titleLen: cols.titleLen[i] as number, exact: false };
              candidates.set(key, c);
            }
            const tfTitle = cols.tfTitle[i] as number;
            c.score += termScore(weight, stats, tfTitle, cols.tfBody[i] as number, c.titleLen, cols.bodyLen[i] as number);
            c.matched++;
            if (tfTitle >= count) c.titleCovered++;
          }
        });
      }
      for (const c of candidates.values()) {
        const coverage = c.matched / termCount;
        c.score *= coverage * coverage;
        c.exact = c.titleCovered === termCount && c.titleLen === querySlots;
      }
    } else if (allowed !== null) {
      allowed.forEach((set, s) => {
        for (const docNum of set) {
          candidates.set(s * 2 ** 32 + docNum, { shard: s, docNum, score: 0, matched: 0, titleCovered: 0, titleLen: 0, exact: false });
        }
      });
    }

    const hits = this.rank(candidates, offset, limit);
    return { total: candidates.size, hits, tookMs: performance.now() - started };
  }

  /** Per shard, the docNums carrying every tag. */
  private tagFilter(views: ReturnType<ShardReader['current']>[], tags: readonly string[]): Set<number>[] {
    return this.readers.map((reader, s) => {
      let set: Set<number> | null = null;
      for (const tag of tags) {
        const term = tagTerm(tag);
        const cols = emptyColumns();
        reader.postings(views[s] as ReturnType<ShardReader['current']>, term, utf8.encode(term), cols);
        const next = new Set<number>();
        for (const n of cols.docNums) if (set === null || set.has(n)) next.add(n);
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
  private rank(candidates: Map<number, Candidate>, offset: number, limit: number): SearchHit[] {
    const want = offset + limit;
    if (want === 0 || candidates.size === 0) return [];
    const best = topK(candidates.values(), want, better);
    let worst = best[0] as Candidate;
    for (const c of best) if (better(worst, c)) worst = c;
    const chosen = new Set(best);
    for (const c of candidates.values()) if (!chosen.has(c) && sameRank(c, worst)) chosen.add(c);
    const resolved: (SearchHit & { exact: boolean })[] = [];
    for (const c of chosen) {
      const record = this.readers[c.shard]?.hit(c.docNum);
      if (record === undefined) continue;
      const [id, title, tags, date] = record;
      resolved.push({ id, score: c.score, title, tags, date, exact: c.exact });
    }
    resolved.sort((a, b) => {
      if (a.exact !== b.exact) return a.exact ? -1 : 1;
      if (a.score !== b.score) return b.score - a.score;
      return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
    });
    return resolved.slice(offset, want).map(({ exact: _exact, ...hit }) => hit);
  }
}
