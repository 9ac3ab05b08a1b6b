import { EngineError } from '../errors.js';
import type { SearchOptions, StructuredQuery } from '../types.js';
import { BODY_WEIGHT, TITLE_WEIGHT } from './bm25.js';
import type { QueryNode } from './query-ast.js';
import { type QueryReading, QuerySyntaxError, readQuery } from './query-parser.js';
import { structuredToNode } from './structured-query.js';

/** Hits per page at most. */
export const MAX_LIMIT = 1000;

/** Search options checked, with their defaults. */
export interface Resolved {
  limit: number;
  offset: number;
  titleWeight: number;
  bodyWeight: number;
  timeoutMs: number;
}

export function resolve(options: SearchOptions): Resolved {
  const limit = options.limit ?? 10;
  const offset = options.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 0 || limit > MAX_LIMIT) {
    throw new EngineError('E_CONFIG', `search limit must be an integer from 0 to ${MAX_LIMIT}, got ${limit}`);
  }
  if (!Number.isInteger(offset) || offset < 0) {
    throw new EngineError('E_CONFIG', `search offset must be a non-negative integer, got ${offset}`);
  }
  const weight = (v: number | undefined, name: string, fallback: number): number => {
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw new EngineError('E_CONFIG', `boosts.${name} must be a number >= 0, got ${v}`);
    return v;
  };
  const timeoutMs = options.timeoutMs ?? Number.POSITIVE_INFINITY;
  if (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs) || timeoutMs < 0) {
    throw new EngineError('E_CONFIG', `timeoutMs must be a number >= 0, got ${timeoutMs}`);
  }
  if (options.sort !== undefined && !['score', 'date', 'date-asc'].includes(options.sort)) {
    throw new EngineError('E_CONFIG', `sort must be 'score', 'date' or 'date-asc', got ${String(options.sort)}`);
  }
  if (options.syntax !== undefined && options.syntax !== 'query' && options.syntax !== 'plain' && options.syntax !== 'strict') {
    throw new EngineError('E_CONFIG', `syntax must be 'query', 'plain' or 'strict', got ${String(options.syntax)}`);
  }
  if (options.recency !== undefined) {
    const { halfLifeDays, weight: w = 0.5, now = 0 } = options.recency;
    if (typeof halfLifeDays !== 'number' || !(halfLifeDays > 0) || !Number.isFinite(halfLifeDays)) {
      throw new EngineError('E_CONFIG', `recency.halfLifeDays must be a number > 0, got ${halfLifeDays}`);
    }
    if (typeof w !== 'number' || !(w >= 0 && w <= 1)) throw new EngineError('E_CONFIG', `recency.weight must be from 0 to 1, got ${w}`);
    if (typeof now !== 'number' || !Number.isFinite(now)) throw new EngineError('E_CONFIG', `recency.now must be milliseconds, got ${now}`);
  }
  if (options.scorer !== undefined && typeof options.scorer !== 'function') throw new EngineError('E_CONFIG', 'scorer must be a function');
  return {
    limit,
    offset,
    titleWeight: weight(options.boosts?.title, 'title', TITLE_WEIGHT),
    bodyWeight: weight(options.boosts?.body, 'body', BODY_WEIGHT),
    timeoutMs,
  };
}

/**
 * The query as a tree, with the options that add clauses (tags, prefix) applied, and how a
 * string was read (see readQuery: only `syntax: 'strict'` and a malformed StructuredQuery throw).
 */
export function queryTree(query: string | StructuredQuery, options: SearchOptions): QueryReading {
  let reading: QueryReading;
  if (typeof query === 'string') reading = readQuery(query, options.syntax);
  else if (typeof query === 'object' && query !== null) reading = { root: structuredToNode(query), syntax: 'query', error: null };
  else throw new QuerySyntaxError('a query is a string or { must, should, not, tags, range }', 0);
  const root = reading.root;
  if (options.tags !== undefined) {
    if (!Array.isArray(options.tags) || options.tags.some((t) => typeof t !== 'string'))
      throw new EngineError('E_CONFIG', 'tags must be an array of strings');
    for (const tag of options.tags) root.must.push({ kind: 'tag', tag });
  }
  if (options.prefix) {
    const words = root.must.filter((n): n is Extract<QueryNode, { kind: 'word' }> => n.kind === 'word');
    const last = words[words.length - 1];
    if (last !== undefined) last.prefix = true;
  }
  return reading;
}
