import { EngineError } from '../errors.js';
import type { SearchHit, SearchOptions } from '../types.js';
import type { ShardReader } from './shard-reader.js';
import { topKIndexes } from './top-k.js';

/** The scored candidates of one query, column-wise. */
export interface Candidates {
  count: number;
  shard: Int32Array;
  doc: Int32Array;
  score: Float64Array;
  /** 1 when the title is exactly the query: ranks above every score. */
  exact: Uint8Array;
}

export function emptyCandidates(size: number): Candidates {
  return { count: 0, shard: new Int32Array(size), doc: new Int32Array(size), score: new Float64Array(size), exact: new Uint8Array(size) };
}

type Sort = NonNullable<SearchOptions['sort']>;

function hitOf(readers: readonly ShardReader[], c: Candidates, i: number): SearchHit | undefined {
  const record = readers[c.shard[i] as number]?.hit(c.doc[i] as number);
  if (record === undefined) return undefined;
  const [id, title, tags, date] = record;
  return { id, score: c.score[i] as number, title, tags, date };
}

/** Replaces every candidate's score by the custom scorer's. */
function applyScorer(readers: readonly ShardReader[], c: Candidates, scorer: NonNullable<SearchOptions['scorer']>): void {
  for (let i = 0; i < c.count; i++) {
    const hit = hitOf(readers, c, i);
    if (hit === undefined) continue;
    const value = scorer(hit);
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new EngineError(
        'E_CONFIG',
        `the scorer returned ${String(value)} for ${JSON.stringify(hit.id)}; it must return a finite number`,
      );
    }
    c.score[i] = value;
  }
}

/**
 * The page [offset, offset + limit) in rank order. Candidates that tie with the last one
 * kept are all resolved and ordered by id, so the page does not depend on shard layout.
 * `dates` (ms by docNum, per shard) is given for the date sorts. `keep`, when given, is
 * asked about every candidate resolved: one it refuses is left out (a phrase's text check,
 * see settleTextChecks).
 */
export function rankPage(
  readers: readonly ShardReader[],
  c: Candidates,
  offset: number,
  limit: number,
  sort: Sort,
  dates: Float64Array[] | null,
  scorer: SearchOptions['scorer'],
  keep?: (candidate: number) => boolean,
): SearchHit[] {
  const want = offset + limit;
  if (want === 0 || c.count === 0) return [];
  if (scorer !== undefined) {
    applyScorer(readers, c, scorer);
    c.exact.fill(0);
  }
  const { score, exact } = c;
  const dateOf = (i: number): number => {
    const column = dates?.[c.shard[i] as number];
    const ms = column === undefined ? Number.NaN : (column[c.doc[i] as number] as number);
    // No date sorts last in both directions.
    if (Number.isNaN(ms)) return Number.NEGATIVE_INFINITY;
    return sort === 'date-asc' ? -ms : ms;
  };
  // Compares by the rank key without the id: > 0 when a ranks above b, 0 on a tie.
  const compare =
    sort === 'score'
      ? (a: number, b: number): number =>
          exact[a] !== exact[b] ? (exact[a] as number) - (exact[b] as number) : (score[a] as number) - (score[b] as number)
      : (a: number, b: number): number => {
          const da = dateOf(a);
          const db = dateOf(b);
          if (da !== db) return da > db ? 1 : -1;
          return (score[a] as number) - (score[b] as number);
        };
  const best = topKIndexes(c.count, want, (a, b) => compare(a, b) > 0);
  let worst = best[0] as number;
  for (const i of best) if (compare(worst, i) > 0) worst = i;
  const chosen = new Set(best);
  for (let i = 0; i < c.count; i++) if (!chosen.has(i) && compare(i, worst) === 0) chosen.add(i);
  const resolved: { hit: SearchHit; i: number }[] = [];
  for (const i of chosen) {
    if (keep !== undefined && !keep(i)) continue;
    const hit = hitOf(readers, c, i);
    if (hit !== undefined) resolved.push({ hit, i });
  }
  resolved.sort((a, b) => compare(b.i, a.i) || (a.hit.id < b.hit.id ? -1 : a.hit.id > b.hit.id ? 1 : 0));
  return resolved.slice(offset, want).map((r) => r.hit);
}
