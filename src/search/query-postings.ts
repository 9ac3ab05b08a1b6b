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

/** Long lists remembered as read in part (see QueryPostings.recurs): about 100 bytes each. */
const SEEN_TERMS = 4096;

export class QueryPostings {
  /** Per term id, per shard: its postings (whole, or those within the drivers' documents). */
  readonly columns: PostingColumns[][] = [];
  /** Per term id, per shard: its live postings, also when `columns` holds only some. */
  private readonly live: number[][] = [];
  /** Per term id, per shard: whether `columns` holds all of its live postings. */
  private readonly whole: boolean[][] = [];
  private readonly cache = new PostingsCache();
  /** Long lists read in part lately, by shard, version and term: the second time, one is read whole and cached. */
  private readonly seen = new Set<string>();

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
        : driverTerms(plan.root, (id) => this.count(reader, view, s, terms[id] as PlanTerm));
    terms.forEach((t, id) => {
      if (drivers === null || drivers.includes(id)) this.fetchWhole(reader, view, s, id, t);
    });
    if (drivers === null || drivers.length === terms.length) return;
    // The documents any match has: the drivers', merged (only when some term is read within them).
    let inside: Int32Array = new Int32Array(0);
    for (const id of drivers) {
      const cols = (this.columns[id] as PostingColumns[])[s] as PostingColumns;
      inside = union(inside, cols.docNums.subarray(0, cols.length));
    }
    terms.forEach((t, id) => {
      if (drivers.includes(id)) return;
      if (this.fromCache(view, s, id, t)) return;
      // A list long enough to be cached, whose blocks would mostly be read anyway (the drivers'
      // documents are many) or that recurs (a tag, a common word): decoded whole, then cached,
      // so that the next queries read nothing of it.
      const count = this.count(reader, view, s, t);
      if (count >= POSTINGS_CACHE_MIN && (inside.length * 2 * BLOCK_DOCS >= count || this.recurs(s, view, t))) {
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

  /** Whether a long list was asked for recently (and notes that it is now). */
  private recurs(s: number, view: ShardView, t: PlanTerm): boolean {
    const key = `${s}\u0000${view.version}\u0000${t.term}`;
    if (this.seen.has(key)) return true;
    if (this.seen.size >= SEEN_TERMS) this.seen.clear();
    this.seen.add(key);
    return false;
  }

  /** A term's postings in a shard: from the cache if it holds them (no read), else from its payloads' heads. */
  private count(reader: ShardReader, view: ShardView, s: number, t: PlanTerm): number {
    return this.cache.peek(s, view.version, t.term)?.length ?? reader.postingCount(view, t.term, t.bytes);
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
  // Sizes are counted only where two bounds are compared: a disjunction needs none.
  interface Bound {
    terms: number[];
    size: () => number;
  }
  const sizeOf = (terms: number[]) => () => terms.reduce((sum, id) => sum + countOf(id), 0);
  const smallest = (bounds: Bound[]): Bound | null => {
    if (bounds.length < 2) return bounds[0] ?? null;
    return bounds.reduce((best, b) => (b.size() < best.size() ? b : best));
  };
  const bound = (n: PlanNode): Bound | null => {
    switch (n.kind) {
      case 'tag':
        return { terms: [n.term], size: sizeOf([n.term]) };
      case 'date':
        return null;
      case 'text':
        return smallest(
          n.slots.map((slot) => {
            const terms = [slot.main, ...slot.expansions];
            if (slot.cover.length > 0) terms.push(slot.cover.reduce((x, y) => (countOf(y) < countOf(x) ? y : x)));
            return { terms, size: sizeOf(terms) };
          }),
        );
      case 'bool': {
        if (n.must.length > 0) return smallest(n.must.map(bound).filter((b) => b !== null));
        if (n.should.length === 0) return null;
        const bounds = n.should.map(bound);
        if (bounds.some((b) => b === null)) return null;
        const terms = (bounds as Bound[]).flatMap((b) => b.terms);
        return { terms, size: sizeOf(terms) };
      }
    }
  };
  const b = bound(node);
  return b === null ? null : [...new Set(b.terms)];
}
