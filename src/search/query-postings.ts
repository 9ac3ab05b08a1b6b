import { BLOCK_DOCS, PostingColumns } from '../store/postings-codec.js';
import { union } from './doc-sets.js';
import { POSTINGS_CACHE_MIN, PostingsCache } from './postings-cache.js';
import type { PlanNode, PlanTerm, QueryPlan } from './query-plan.js';
import type { ShardReader, ShardView } from './shard-reader.js';

/**
 * The decoded postings of a query's terms, per shard, decoded no further than the query
 * needs. Every document that matches the query has one of a few "driver" terms (see
 * driverTerms: for a conjunction, the rarest word), so those are decoded whole and the
 * others only in the blocks that may hold a document of the drivers: a common word in a
 * known-item query costs the handful of its 128-document blocks that meet the rare word's
 * documents, not its whole list.
 *
 * That is exact, not an approximation: every operator of a plan decides a document from its
 * membership in term sets alone (and phrases from its positions), so a term's set restricted
 * to the drivers' documents gives the same answer for those documents, and no other
 * document can match. Scoring adds a term's postings only for matching documents, in the
 * same order, so scores are bit-for-bit those of decoding everything. Document frequencies
 * are counted from the skip tables (minus the removed documents a list holds).
 */
/**
 * The exhaustive reference: with `decodeWhole` set, every term is decoded whole, as before
 * the drivers. For the property test that compares the two and for benchmarks; never set
 * by the engine.
 */
export const evaluation = { decodeWhole: false };

export class QueryPostings {
  /** Per term id, per shard: its postings (whole, or those within the drivers' documents). */
  readonly columns: PostingColumns[][] = [];
  /** Per term id, per shard: its live postings, also when `columns` holds only some. */
  private readonly live: number[][] = [];
  /** Per term id, per shard: whether `columns` holds all of its live postings. */
  private readonly whole: boolean[][] = [];
  private readonly cache = new PostingsCache();

  /** The term's document frequency over shards [0, shards). */
  df(id: number, shards: number): number {
    const live = this.live[id] as number[];
    let df = 0;
    for (let s = 0; s < shards; s++) df += live[s] as number;
    return df;
  }

  /** The columns of every term in shard s, by term id. */
  shardRow(terms: readonly PlanTerm[], s: number): PostingColumns[] {
    return terms.map((_, id) => (this.columns[id] as PostingColumns[])[s] as PostingColumns);
  }

  /** Loads every term of the plan in shard s: the drivers whole, the others within the drivers' documents. */
  load(reader: ShardReader, view: ShardView, s: number, plan: QueryPlan): void {
    const { terms } = plan;
    const drivers =
      plan.root === null || terms.length < 2 || evaluation.decodeWhole
        ? null
        : driverTerms(plan.root, (id) => this.count(reader, view, terms[id] as PlanTerm));
    let within: Int32Array | null = null;
    terms.forEach((t, id) => {
      if (drivers !== null && !drivers.includes(id)) return;
      this.fetchWhole(reader, view, s, id, t);
      const cols = (this.columns[id] as PostingColumns[])[s] as PostingColumns;
      const docs = cols.docNums.subarray(0, cols.length);
      within = within === null ? docs : union(within, docs);
    });
    if (drivers === null) return;
    const inside = within ?? new Int32Array(0);
    terms.forEach((t, id) => {
      if (drivers.includes(id)) return;
      if (this.fromCache(view, s, id, t)) return;
      // A list long enough to be cached whose blocks would mostly be read anyway (the drivers'
      // documents are many): decoded whole once, then cached for the next queries.
      const count = reader.postingCount(view, t.term, t.bytes);
      if (count >= POSTINGS_CACHE_MIN && inside.length * 2 * BLOCK_DOCS >= count) {
        this.fetchWhole(reader, view, s, id, t);
        return;
      }
      const cols = this.ownColumns(id, s);
      (this.live[id] as number[])[s] = reader.postingsWithin(view, t.term, t.bytes, inside, cols.clear());
      (this.whole[id] as boolean[])[s] = false;
    });
  }

  /** Decodes whole every term still held in part, in shards [0, shards): for a plan that no longer has the same drivers. */
  loadWhole(readers: readonly ShardReader[], views: readonly ShardView[], shards: number, terms: readonly PlanTerm[]): void {
    for (let s = 0; s < shards; s++) {
      terms.forEach((t, id) => {
        if ((this.whole[id] as boolean[])[s] !== true) this.fetchWhole(readers[s] as ShardReader, views[s] as ShardView, s, id, t);
      });
    }
  }

  private count(reader: ShardReader, view: ShardView, t: PlanTerm): number {
    return reader.postingCount(view, t.term, t.bytes);
  }

  private rows(id: number): void {
    this.columns[id] ??= [];
    this.live[id] ??= [];
    this.whole[id] ??= [];
  }

  /** Columns of the term in shard s that this query may write (not the cache's). */
  private ownColumns(id: number, s: number): PostingColumns {
    this.rows(id);
    const row = this.columns[id] as PostingColumns[];
    let cols = row[s];
    if (cols === undefined || this.cache.isShared(cols)) {
      cols = new PostingColumns();
      row[s] = cols;
    }
    return cols;
  }

  private fromCache(view: ShardView, s: number, id: number, t: PlanTerm): boolean {
    this.rows(id);
    const cached = this.cache.get(s, view.version, t.term);
    if (cached === undefined) return false;
    (this.columns[id] as PostingColumns[])[s] = cached;
    (this.live[id] as number[])[s] = cached.length;
    (this.whole[id] as boolean[])[s] = true;
    return true;
  }

  /** All the live postings of a term in a shard: from the cache, or decoded into a reused buffer. */
  private fetchWhole(reader: ShardReader, view: ShardView, s: number, id: number, t: PlanTerm): void {
    if (this.fromCache(view, s, id, t)) return;
    const cols = this.ownColumns(id, s);
    (this.live[id] as number[])[s] = reader.postings(view, t.term, t.bytes, cols.clear());
    (this.whole[id] as boolean[])[s] = true;
    this.cache.offer(s, view.version, t.term, cols);
  }
}

/**
 * Terms such that every document matching `node` has one of them, chosen to have the fewest
 * postings (`count`); null when there are none (a date range, a query of exclusions only).
 * A conjunction takes its rarest member's; a disjunction needs all of its members'; a
 * phrase or words take their rarest slot's, whose every term counts (the word itself, its
 * expansions, and the rarest piece of the sub-words that tile it).
 */
export function driverTerms(node: PlanNode, count: (id: number) => number): number[] | null {
  const counts = new Map<number, number>();
  const countOf = (id: number): number => {
    let n = counts.get(id);
    if (n === undefined) {
      n = count(id);
      counts.set(id, n);
    }
    return n;
  };
  const bound = (n: PlanNode): { terms: number[]; size: number } | null => {
    switch (n.kind) {
      case 'tag':
        return { terms: [n.term], size: countOf(n.term) };
      case 'date':
        return null;
      case 'text': {
        let best: { terms: number[]; size: number } | null = null;
        for (const slot of n.slots) {
          const terms = [slot.main, ...slot.expansions];
          if (slot.cover.length > 0) terms.push(slot.cover.reduce((a, b) => (countOf(b) < countOf(a) ? b : a)));
          const size = terms.reduce((sum, id) => sum + countOf(id), 0);
          if (best === null || size < best.size) best = { terms, size };
        }
        return best;
      }
      case 'bool': {
        if (n.must.length > 0) {
          let best: { terms: number[]; size: number } | null = null;
          for (const child of n.must) {
            const b = bound(child);
            if (b !== null && (best === null || b.size < best.size)) best = b;
          }
          return best;
        }
        if (n.should.length === 0) return null;
        const terms: number[] = [];
        let size = 0;
        for (const child of n.should) {
          const b = bound(child);
          if (b === null) return null;
          terms.push(...b.terms);
          size += b.size;
        }
        return { terms, size };
      }
    }
  };
  const b = bound(node);
  return b === null ? null : [...new Set(b.terms)];
}
