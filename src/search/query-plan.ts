import type { Analyzer } from '../analysis/analyzer.js';
import { hasHan } from '../analysis/normalize.js';
import { tagTerm } from '../indexing/postings-buffer.js';
import { titleKey } from './doc-columns.js';
import { type PhraseText, phraseText } from './proximity.js';
import type { BoolNode, QueryNode, TextField } from './query-ast.js';

/**
 * One word position of a text clause. A document has the slot when it has the word itself,
 * or all of `cover` (the word's sub-words that tile it, for a document that has it cut into
 * pieces), or one of its prefix `expansions`.
 */
export interface Slot {
  /** Position in the query, counted over all plain words in order: proximity compares these. */
  offset: number;
  main: number;
  /** Non-overlapping sub-words in order, longest first at each character (中华人民共和国: 中华 人民 共和国). */
  cover: number[];
  expansions: number[];
  /** Every term of the slot (also the sub-words outside the cover): what scores. */
  terms: number[];
}

export interface TextPlan {
  kind: 'text';
  phrase: boolean;
  field: TextField;
  slots: Slot[];
  /**
   * For a phrase: its text, which a matching document's text must hold (positions alone
   * cannot tell a word from a sub-word, nor which stop word stood between two words). null
   * when only positions can decide: a pinyin alternative, or a query that analysis converts.
   */
  check: PhraseText | null;
}

export type PlanNode =
  | TextPlan
  | { kind: 'tag'; term: number }
  | { kind: 'date'; from: number; to: number }
  | { kind: 'bool'; must: PlanNode[]; should: PlanNode[]; not: PlanNode[] };

export interface PlanTerm {
  term: string;
  bytes: Uint8Array;
  /** Occurrences among the clauses that score (not under a negation). 0: a filter only. */
  weight: number;
  /** Every scoring occurrence is in a title: clause; the body is not scored. */
  titleOnly: boolean;
  /** Only a prefix expansion: it scores, but a document need not have it to count as covering the query. */
  expansion: boolean;
}

/**
 * One way to read the query's words, for coverage, proximity and the exact-title rule. A
 * plain query has two when they differ: the words as typed, and the text with the spaces
 * between Han characters removed (`满江红 绣 线` is also 满江红绣线, which jieba cuts into the
 * words the document was indexed with: 满江红 / 绣线).
 */
export interface Reading {
  /** Slots in query order: proximity ranks by them. */
  slots: Slot[];
  /** Scoring terms that count toward coverage (no prefix expansions). */
  terms: number[];
  /** Word positions: a title of exactly this many words that holds every term ranks first. */
  querySlots: number;
}

export interface QueryPlan {
  /** null: nothing in the query can match (only stop words or punctuation). */
  root: PlanNode | null;
  terms: PlanTerm[];
  readings: Reading[];
  /** Dates are needed (a date filter, or a query of exclusions only). */
  needsDocColumns: boolean;
  /** Only plain words at the top level: a query that can be relaxed to any of its words. */
  plainWords: boolean;
  /**
   * For plain words: the query as a title key (letters and digits, see titleKey). A title
   * that contains it ranks just below an exact title.
   */
  titleNeedle: string | null;
  /**
   * Also match every title that contains titleNeedle (when few documents have all the words):
   * set when a word is a single Han character or a stop word, which a word index cannot find inside longer words
   * (`群 仙 名` in 紫府群仙名籍秘, indexed as 紫府 / 群仙 / 名籍).
   */
  scanTitles: boolean;
}

/** Prefix expansions per prefix: terms of the index that start with it, most frequent first. */
export type PrefixExpander = (prefix: string) => string[];

/** Longer queries are not matched as title substrings: a title is rarely longer. */
const MAX_TITLE_NEEDLE = 64;

/** Terms a prefix expands to. Bounded: a one-letter prefix may begin thousands of terms. */
export const MAX_PREFIX_EXPANSIONS = 32;

const utf8 = new TextEncoder();

/**
 * Turns a parsed query into what the executor runs: text clauses analyzed into slots of
 * term ids (distinct terms are looked up once), tags as their index terms, dates as ranges.
 */
export class QueryPlanner {
  private readonly terms: PlanTerm[] = [];
  private readonly ids = new Map<string, number>();
  private readonly proximitySlots: Slot[] = [];
  private nextOffset = 0;
  private querySlots = 0;
  private needsDocColumns = false;
  /** A top-level word is one Han character, or only stop words. */
  private shortWord = false;

  constructor(
    private readonly analyzer: Analyzer,
    private readonly expand: PrefixExpander,
  ) {}

  plan(root: BoolNode): QueryPlan {
    const plainWords =
      root.should.length === 0 &&
      root.not.length === 0 &&
      root.must.length > 0 &&
      root.must.every((n) => n.kind === 'word' && n.field === 'any' && !n.prefix);
    let planned = this.node(root, false, true);
    const readings: Reading[] = [];
    const scoringTerms = (): number[] => this.terms.flatMap((t, id) => (t.weight > 0 && !t.expansion ? [id] : []));
    readings.push({ slots: this.proximitySlots, terms: scoringTerms(), querySlots: this.querySlots });
    if (plainWords && planned !== null) {
      const joined = joinHanWords(root.must.map((n) => (n as { text: string }).text));
      // Terms the words already have keep their weight: the second reading adds terms, not weight.
      const weights = this.terms.map((t) => t.weight);
      const alternative = joined === null ? null : this.text(joined, false, 'any', false, true, false);
      weights.forEach((w, id) => {
        if (w > 0) (this.terms[id] as PlanTerm).weight = w;
      });
      const first = readings[0] as Reading;
      if (alternative !== null) {
        const terms = [...new Set(alternative.slots.flatMap((slot) => slot.terms))];
        const same = terms.length === first.terms.length && terms.every((t) => first.terms.includes(t));
        if (!same) {
          planned = { kind: 'bool', must: [], should: [planned, alternative], not: [] };
          const width = (alternative.slots[alternative.slots.length - 1]?.offset ?? -1) + 1 - (alternative.slots[0]?.offset ?? 0);
          readings.push({ slots: alternative.slots, terms, querySlots: width });
        }
      }
    }
    const needle = plainWords ? titleKey(root.must.map((n) => (n as { text: string }).text).join('')) : '';
    const titleNeedle = needle.length >= 2 && needle.length <= MAX_TITLE_NEEDLE ? needle : null;
    const scanTitles = titleNeedle !== null && this.shortWord;
    return {
      root: planned,
      terms: this.terms,
      readings,
      needsDocColumns: this.needsDocColumns || scanTitles,
      plainWords,
      titleNeedle,
      scanTitles,
    };
  }

  private termId(term: string, scoring: boolean, field: TextField, expansion = false): number {
    let id = this.ids.get(term);
    if (id === undefined) {
      id = this.terms.length;
      this.ids.set(term, id);
      this.terms.push({ term, bytes: utf8.encode(term), weight: 0, titleOnly: true, expansion });
    }
    const t = this.terms[id] as PlanTerm;
    if (!expansion) t.expansion = false;
    if (scoring) {
      t.weight++;
      if (field !== 'title') t.titleOnly = false;
    }
    return id;
  }

  /** null: the clause has no searchable term (stop words, punctuation) and is left out. */
  private node(node: QueryNode, negated: boolean, top: boolean): PlanNode | null {
    switch (node.kind) {
      case 'tag':
        return { kind: 'tag', term: this.termId(tagTerm(node.tag), false, 'any') };
      case 'date':
        this.needsDocColumns = true;
        return { kind: 'date', from: node.from, to: node.to };
      case 'word':
      case 'phrase':
        return this.text(node.text, node.kind === 'phrase', node.field, node.kind === 'word' && node.prefix, !negated, top);
      case 'bool': {
        const must = node.must.map((n) => this.node(n, negated, top)).filter((n) => n !== null);
        const should = node.should.map((n) => this.node(n, negated, false)).filter((n) => n !== null);
        const not = node.not.map((n) => this.node(n, !negated, false)).filter((n) => n !== null);
        if (must.length + should.length + not.length === 0) return null;
        if (must.length === 0 && should.length === 0) this.needsDocColumns = true;
        return { kind: 'bool', must, should, not };
      }
    }
  }

  private text(text: string, phrase: boolean, field: TextField, prefix: boolean, scoring: boolean, top: boolean): TextPlan | null {
    // With a pinyin index, Latin words also carry their pinyin/initials terms (queryTerms
    // lists them after the words, at the words' positions).
    const all = this.analyzer.queryTerms(text);
    const tokens = all.filter((t) => t.kind === 'word');
    if (top && scoring && (tokens.length === 0 || tokens.some((t) => t.term.length === 1 && hasHan(t.term)))) this.shortWord = true;
    if (tokens.length === 0) return null;
    const base = this.nextOffset;
    const slots: Slot[] = [];
    const words: string[][] = [];
    let last = -1;
    for (const { term, position } of tokens) {
      const id = this.termId(term, scoring, field);
      if (position !== last) {
        slots.push({ offset: base + position, main: id, cover: [], expansions: [], terms: [] });
        words.push([]);
        last = position;
      }
      (slots[slots.length - 1] as Slot).terms.push(id);
      (words[words.length - 1] as string[]).push(term);
    }
    slots.forEach((slot, i) => {
      const [word, ...subs] = words[i] as string[];
      slot.cover = coverOf(word as string, subs).map((sub) => this.ids.get(sub) as number);
    });
    const width = (tokens[tokens.length - 1] as { position: number }).position + 1;
    for (const alt of all) {
      if (alt.kind === 'word') continue;
      // A document with the pinyin of a word has that slot, scored below the word itself.
      const slot = slots[tokens.findIndex((t) => t.position === alt.position)];
      if (slot === undefined) continue;
      const id = this.termId(alt.term, scoring, field, true);
      if (scoring) (this.terms[id] as PlanTerm).weight -= 1 - alt.weight;
      if (!slot.terms.includes(id)) {
        slot.terms.push(id);
        slot.expansions.push(id);
      }
    }
    if (prefix) {
      const lastSlot = slots[slots.length - 1] as Slot;
      const lastTerm = (this.terms[lastSlot.terms[0] as number] as PlanTerm).term;
      for (const expansion of this.expand(lastTerm)) {
        const id = this.termId(expansion, scoring, field, true);
        if (!lastSlot.terms.includes(id)) {
          lastSlot.terms.push(id);
          lastSlot.expansions.push(id);
        }
      }
    }
    if (top && scoring) {
      this.nextOffset += width + 1;
      this.proximitySlots.push(...slots);
      this.querySlots += width;
    }
    // Pinyin alternatives and converted (traditional) text are not in the document as typed.
    const literal = phrase && slots.every((slot) => slot.expansions.length === 0) && !this.analyzer.converts(text);
    const converts = this.analyzer.options.traditional ? (t: string) => this.analyzer.converts(t) : null;
    return {
      kind: 'text',
      phrase,
      field,
      slots,
      check: literal ? phraseText(text, this.requiredPieces(text, slots, words), converts) : null,
    };
  }

  /**
   * What a document that holds the phrase holds literally once normalized: each stop word of
   * it, each word matched as itself, and for a word the document may have cut into sub-words
   * (a slot with a cover) the pieces of the cover, which the word holds too.
   */
  private requiredPieces(text: string, slots: readonly Slot[], words: readonly string[][]): string[] {
    const pieces: string[] = [];
    let slot = 0;
    for (const word of [...this.analyzer.wordChunks(text)].flat()) {
      const main = words[slot]?.[0];
      if (main !== word) {
        pieces.push(word); // a stop word: it has no slot
        continue;
      }
      const cover = (slots[slot] as Slot).cover;
      if (cover.length > 0) for (const t of cover) pieces.push((this.terms[t] as PlanTerm).term);
      else pieces.push(word);
      slot++;
    }
    return [...new Set(pieces)].sort((a, b) => b.length - a.length);
  }
}

/** A plain query with no document holding all its words: any of its words, ranked by how many. */
export function relaxPlan(plan: QueryPlan): QueryPlan {
  const should: PlanNode[] = [];
  const visit = (node: PlanNode): void => {
    if (node.kind === 'text') {
      for (const slot of node.slots) {
        // Any of the slot's terms: relaxing is for documents that have the words cut differently.
        for (const t of slot.terms) {
          should.push({
            kind: 'text',
            phrase: false,
            check: null,
            field: node.field,
            slots: [{ ...slot, main: t, cover: [], expansions: [], terms: [t] }],
          });
        }
      }
    } else if (node.kind === 'bool') {
      node.must.forEach(visit);
      node.should.forEach(visit);
    }
  };
  if (plan.root !== null) visit(plan.root);
  return { ...plan, root: { kind: 'bool', must: [], should, not: [] } };
}

/**
 * Sub-words that tile `word` left to right, the longest at each character; none when they
 * cannot tile all of it (编辑器 has the sub-word 编辑 but none for 器: a document with 编辑
 * alone does not have 编辑器, see issue 12).
 */
export function coverOf(word: string, subs: readonly string[]): string[] {
  if (subs.length === 0) return [];
  const out: string[] = [];
  let i = 0;
  while (i < word.length) {
    let best = '';
    for (const s of subs) if (s.length > best.length && word.startsWith(s, i)) best = s;
    if (best === '') return [];
    out.push(best);
    i += best.length;
  }
  return out;
}

const HAN_GAP = /(\p{Script=Han})\s+(?=\p{Script=Han})/gu;

/** The words joined without the spaces between Han characters, or null if that changes nothing. */
function joinHanWords(words: string[]): string | null {
  const text = words.join(' ');
  const joined = text.replace(HAN_GAP, '$1');
  return joined === text ? null : joined;
}
