import { PositionLists, type PostingColumns } from '../store/postings-codec.js';
import { difference, EMPTY, fromSorted, intersect, union } from './doc-sets.js';
import { bodyHoldsPhrase, holdsPhrase, isPhrase, type PhraseText, PositionChain, pointSpans, type Spans, slotSpans } from './proximity.js';
import type { PlanNode, PlanTerm, Slot, TextPlan } from './query-plan.js';
import type { ShardReader, ShardView } from './shard-reader.js';
import { bodyChunkReader } from './snippets.js';

/** A phrase's text check left for later (see ShardEvaluator's `deferTextChecks`). */
interface TextCheck {
  check: PhraseText;
  titleOnly: boolean;
}

/**
 * Evaluates a query plan's boolean structure on one shard: which live docNums match, as an
 * ascending set. Term sets come from postings already decoded (no positions); phrases then
 * read the positions of their candidates only.
 */
export class ShardEvaluator {
  private readonly termSets = new Map<number, Int32Array>();
  /** The text checks of phrases whose set was returned by positions alone (see deferTextChecks). */
  readonly deferred: TextCheck[] = [];
  /** Whether the node being evaluated must hold for the query to match (not under OR, not excluded). */
  private required = true;

  constructor(
    private readonly reader: ShardReader,
    private readonly view: ShardView,
    private readonly terms: readonly PlanTerm[],
    /** Decoded postings of every plan term in this shard, by term id. */
    private readonly postings: readonly PostingColumns[],
    /**
     * A phrase that every match must hold returns the candidates its positions let through,
     * and its text check (a stored-body read per candidate, nearly always passed: positions
     * are a necessary condition) is left to `holds`, which the searcher calls for the
     * candidates it ranks, not for thousands it will never show (Lucene's two-phase iteration).
     */
    private readonly deferTextChecks = false,
  ) {}

  /** Whether `docNum`, a match of the sets returned, holds the deferred phrases' text. */
  holds(docNum: number): boolean {
    return this.deferred.every(({ check, titleOnly }) => this.holdsText(docNum, check, titleOnly));
  }

  evaluate(node: PlanNode): Int32Array {
    switch (node.kind) {
      case 'tag':
        return this.termSet(node.term, false);
      case 'date':
        return this.dateScan(node.from, node.to);
      case 'text':
        return this.text(node);
      case 'bool':
        return this.bool(node);
    }
  }

  private termSet(term: number, titleOnly: boolean): Int32Array {
    const key = term * 2 + (titleOnly ? 1 : 0);
    let set = this.termSets.get(key);
    if (set === undefined) {
      const cols = this.postings[term] as PostingColumns;
      set = titleOnly
        ? fromSorted(cols.docNums, cols.length, (i) => (cols.tfTitle[i] as number) > 0)
        : cols.docNums.subarray(0, cols.length); // a view: the decoded docNums stay put until the next query
      this.termSets.set(key, set);
    }
    return set;
  }

  private slotSet(slot: Slot, titleOnly: boolean): Int32Array {
    let set = this.termSet(slot.main, titleOnly);
    for (const t of slot.expansions) set = union(set, this.termSet(t, titleOnly));
    if (slot.cover.length > 0) {
      let pieces = this.termSet(slot.cover[0] as number, titleOnly);
      for (let i = 1; i < slot.cover.length && pieces.length > 0; i++)
        pieces = intersect(pieces, this.termSet(slot.cover[i] as number, titleOnly));
      set = union(set, pieces);
    }
    return set;
  }

  private text(node: TextPlan): Int32Array {
    const titleOnly = node.field === 'title';
    const sets = node.slots.map((slot) => this.slotSet(slot, titleOnly)).sort((a, b) => a.length - b.length);
    let set = sets[0] ?? EMPTY;
    for (let i = 1; i < sets.length && set.length > 0; i++) set = intersect(set, sets[i] as Int32Array);
    if (node.phrase && set.length > 0) set = this.phraseFilter(node, set, titleOnly);
    return set;
  }

  private holdsText(docNum: number, check: PhraseText, titleOnly: boolean): boolean {
    const title = this.reader.hit(docNum)?.[1] ?? '';
    if (holdsPhrase(title, check)) return true;
    return !titleOnly && bodyHoldsPhrase(bodyChunkReader(this.reader.dbs, docNum), check);
  }

  /**
   * The candidates that hold the phrase: first where its slots stand in order, adjacent (and
   * inside the title for title:), by positions; then, as positions cannot tell a word from
   * a sub-word of a longer one nor see stop words, where the text holds the phrase's words in
   * order (see holdsPhrase). A phrase of one word matched as itself needs neither.
   */
  private phraseFilter(node: TextPlan, candidates: Int32Array, titleOnly: boolean): Int32Array {
    const single = node.slots.length === 1 && (node.slots[0] as Slot).cover.length === 0;
    const byPositions = single && !titleOnly ? candidates : this.phrasePositions(node, candidates, titleOnly);
    const check = node.check;
    if (check === null || byPositions.length === 0) return byPositions;
    if (single && check.key === (this.terms[(node.slots[0] as Slot).main] as PlanTerm).term) return byPositions;
    if (this.deferTextChecks && this.required) {
      this.deferred.push({ check, titleOnly });
      return byPositions;
    }
    return fromSorted(byPositions, byPositions.length, (i) => this.holdsText(byPositions[i] as number, check, titleOnly));
  }

  private phrasePositions(node: TextPlan, candidates: Int32Array, titleOnly: boolean): Int32Array {
    const deltas = node.slots.slice(1).map((slot, i) => slot.offset - (node.slots[i] as Slot).offset);
    if (!titleOnly && node.slots.every((slot) => slot.cover.length + slot.expansions.length === 0)) {
      return this.wordChain(node.slots, candidates, deltas);
    }
    const slotSpans = slotSpansOf(this.reader, this.view, this.terms, node.slots, candidates);
    const out = new Int32Array(candidates.length);
    let k = 0;
    for (let c = 0; c < candidates.length; c++) {
      let spans = slotSpans.map((perDoc) => perDoc[c] as Spans);
      if (titleOnly) {
        const titleLen = this.reader.titleLen(this.view, candidates[c] as number);
        spans = spans.map((sp) => {
          const keep = Array.from(sp.end, (e) => e < titleLen);
          return { start: sp.start.filter((_, i) => keep[i]), end: sp.end.filter((_, i) => keep[i]) };
        });
      }
      if (isPhrase(spans, deltas)) out[k++] = candidates[c] as number;
    }
    return out.subarray(0, k);
  }

  /**
   * phrasePositions for slots of one word each, the usual phrase: each term's positions are
   * decoded once for all candidates, and the chain is followed in place (PositionChain),
   * without a span object or a copy per candidate and slot.
   */
  private wordChain(slots: readonly Slot[], candidates: Int32Array, deltas: readonly number[]): Int32Array {
    const byTerm = new Map<number, PositionLists>();
    const lists = slots.map((slot) => {
      let positions = byTerm.get(slot.main);
      if (positions === undefined) {
        const term = this.terms[slot.main] as PlanTerm;
        positions = new PositionLists();
        this.reader.positions(this.view, term.term, term.bytes, positions.reset(candidates));
        byTerm.set(slot.main, positions);
      }
      return positions;
    });
    const chain = new PositionChain();
    const out = new Int32Array(candidates.length);
    let k = 0;
    for (let c = 0; c < candidates.length; c++) if (chain.holds(lists, c, deltas)) out[k++] = candidates[c] as number;
    return out.subarray(0, k);
  }

  private dateScan(from: number, to: number): Int32Array {
    const { date, live } = this.reader.docColumns(this.view);
    const n = Math.min(this.view.state.nextDoc, live.length);
    const out: number[] = [];
    for (let d = 0; d < n; d++) {
      const ms = date[d] as number;
      if (live[d] === 1 && ms >= from && ms <= to) out.push(d);
    }
    return Int32Array.from(out);
  }

  private dateFilter(set: Int32Array, from: number, to: number): Int32Array {
    const { date } = this.reader.docColumns(this.view);
    return fromSorted(set, set.length, (i) => {
      const ms = date[set[i] as number] as number;
      return ms >= from && ms <= to;
    });
  }

  private bool(node: Extract<PlanNode, { kind: 'bool' }>): Int32Array {
    let set: Int32Array;
    if (node.must.length > 0) {
      const dates = node.must.filter((n) => n.kind === 'date');
      const others = node.must.filter((n) => n.kind !== 'date');
      if (others.length > 0) {
        const sets = others.map((n) => this.evaluate(n)).sort((a, b) => a.length - b.length);
        set = sets[0] as Int32Array;
        for (let i = 1; i < sets.length && set.length > 0; i++) set = intersect(set, sets[i] as Int32Array);
        for (const d of dates) set = this.dateFilter(set, d.from, d.to);
      } else {
        const [first, ...rest] = dates;
        set = this.dateScan(first?.from ?? 0, first?.to ?? 0);
        for (const d of rest) set = this.dateFilter(set, d.from, d.to);
      }
    } else if (node.should.length > 0) {
      set = EMPTY;
      for (const n of node.should) set = union(set, this.optional(n));
    } else {
      set = this.reader.docColumns(this.view).allLive();
    }
    for (const n of node.not) {
      if (set.length === 0) break;
      set = difference(set, this.optional(n));
    }
    return set;
  }

  /** A node whose set is not a superset of the matches (an alternative, an exclusion): its phrases are checked now. */
  private optional(node: PlanNode): Int32Array {
    const required = this.required;
    this.required = false;
    try {
      return this.evaluate(node);
    } finally {
      this.required = required;
    }
  }
}

/**
 * Positions decoded for slotSpansOf, which copies out what it keeps: one for all calls (a new
 * one cost a rescoring more than its decoding), replaced when a query grew it past this many.
 */
const SCRATCH_POSITIONS = 1 << 16;
let scratchLists = new PositionLists();

/** For each slot, its spans in each candidate (see slotSpans): spans[slot][candidate]. */
export function slotSpansOf(
  reader: ShardReader,
  view: ShardView,
  terms: readonly PlanTerm[],
  slots: readonly Slot[],
  candidates: Int32Array,
): Spans[][] {
  const lists = scratchLists;
  const cache = new Map<number, Int32Array[]>();
  const ofTerm = (t: number): Int32Array[] => {
    let perDoc = cache.get(t);
    if (perDoc === undefined) {
      const term = terms[t] as PlanTerm;
      reader.positions(view, term.term, term.bytes, lists.reset(candidates));
      perDoc = [];
      for (let c = 0; c < candidates.length; c++) perDoc.push(lists.of(c).slice());
      cache.set(t, perDoc);
    }
    return perDoc;
  };
  const spans = slots.map((slot) => {
    const main = ofTerm(slot.main);
    if (slot.cover.length === 0 && slot.expansions.length === 0) return main.map(pointSpans);
    const expansions = slot.expansions.map(ofTerm);
    const cover = slot.cover.map(ofTerm);
    return main.map((positions, c) =>
      slotSpans(
        positions,
        expansions.map((e) => e[c] as Int32Array),
        cover.map((p) => p[c] as Int32Array),
      ),
    );
  });
  if (lists.data.length > SCRATCH_POSITIONS) scratchLists = new PositionLists();
  return spans;
}
