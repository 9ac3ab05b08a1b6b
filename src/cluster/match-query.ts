import type { Analyzer } from '../analysis/analyzer.js';
import { coverOf } from '../search/query-plan.js';
import type { BoolNode, QueryNode, TextField } from '../search/query-ast.js';
import { QuerySyntaxError } from '../search/query-parser.js';
import { coverKeys, isWholeDays } from './date-keys.js';
import { exactTitleKey, tagTerm, titleChars } from './doc-rows.js';
import { ALL_MARK, encodeTerm, isPlainTerm, STOP_MARK } from './term-codec.js';

/**
 * A ruyi query (the parsed tree of query-parser.ts) as Sphinx's extended query syntax for
 * MATCH(), plus date filters. The text of every word goes through ruyi's analyzer, and only
 * encoded keywords (term-codec.ts: [0-9a-z_] and CJK) reach MATCH, joined by operators this
 * file writes: nothing the user typed is ever MATCH syntax, and the whole MATCH string is
 * still a bound value (`MATCH(?)`), never SQL.
 */
export interface MatchQuery {
  /** Extended-syntax query, or null when the query has no text (only dates). */
  match: string | null;
  /** Date ranges every hit must be in (`in`) or out of (`out`), inclusive ms. */
  dates: { from: number; to: number; in: boolean }[];
  /** Number of typed words: for relaxed queries (documents with some of them). */
  slots: string[];
}

const MAIN = { any: '@(title,body)', title: '@title' } as const;
const WITH_SUB = { any: '@(title,body,tsub,bsub)', title: '@(title,tsub)' } as const;

interface Ctx {
  analyzer: Analyzer;
  pinyin: boolean;
  slots: string[];
}

/** One typed word: the word itself anywhere (its sub-words are in tsub/bsub), or its sub-words as a phrase (jieba cut the document differently), or its pinyin. */
function wordExpr(ctx: Ctx, text: string, field: TextField, prefix: boolean): string | null {
  const terms = ctx.analyzer.queryTerms(text, { pinyin: ctx.pinyin });
  const byPosition = new Map<number, typeof terms>();
  for (const t of terms) byPosition.set(t.position, [...(byPosition.get(t.position) ?? []), t]);
  const positions = [...byPosition.keys()].sort((a, b) => a - b);
  const parts: string[] = [];
  positions.forEach((p, i) => {
    const group = byPosition.get(p) ?? [];
    const words = group.filter((t) => t.kind === 'word');
    const word = words[0]?.term;
    if (word === undefined) return;
    const alternatives: string[] = [];
    const last = i === positions.length - 1;
    alternatives.push(prefix && last && isPlainTerm(word) ? `${word}*` : encodeTerm(word));
    const tiles = coverOf(
      word,
      words.slice(1).map((t) => t.term),
    );
    if (tiles.length > 1) alternatives.push(`${MAIN[field]} "${tiles.map(encodeTerm).join(' ')}"`);
    for (const t of group) if (t.kind !== 'word') alternatives.push(encodeTerm(t.term));
    parts.push(alternatives.length === 1 ? (alternatives[0] as string) : `(${alternatives.join(' | ')})`);
  });
  if (parts.length === 0) return null;
  ctx.slots.push(...parts.map((p) => `(${WITH_SUB[field]} ${p})`));
  return `(${WITH_SUB[field]} ${parts.join(' ')})`;
}

/** A phrase: its words in order in the main fields, a stop word as STOP_MARK (it keeps its place, as in the documents). */
function phraseExpr(ctx: Ctx, text: string, field: TextField): string | null {
  const terms = ctx.analyzer.analyzeQuery(text);
  const first = new Map<number, string>();
  for (const t of terms) if (!first.has(t.position)) first.set(t.position, t.term);
  const positions = [...first.keys()].sort((a, b) => a - b);
  if (positions.length === 0) return null;
  if (positions.length === 1) return wordExpr(ctx, text, field, false);
  const words: string[] = [];
  for (let p = positions[0] as number; p <= (positions[positions.length - 1] as number); p++) {
    const w = first.get(p);
    words.push(w === undefined ? STOP_MARK : encodeTerm(w));
  }
  ctx.slots.push(`(${MAIN[field]} "${words.join(' ')}")`);
  return `(${MAIN[field]} "${words.join(' ')}")`;
}

function leafExpr(ctx: Ctx, node: QueryNode, top: { dates: MatchQuery['dates'] } | null, negated: boolean): string | null {
  switch (node.kind) {
    case 'word':
      return wordExpr(ctx, node.text, node.field, node.prefix);
    case 'phrase':
      return phraseExpr(ctx, node.text, node.field);
    case 'tag':
      return `(@tags ${encodeTerm(tagTerm(node.tag))})`;
    case 'date':
      // Of the whole query: a filter on the date attribute. Inside OR or a group: the
      // keywords of the periods that cover the range (date-keys.ts), exact for whole days.
      if (top !== null) {
        top.dates.push({ from: node.from, to: node.to, in: !negated });
        return null;
      }
      if (!isWholeDays(node.from, node.to))
        throw new QuerySyntaxError('a cluster index takes a date: with a time (not whole days) only as a filter of the whole query, not inside OR or a group', 0);
      return `(@dates ${coverKeys(node.from, node.to).join(' | ')})`;
    case 'bool':
      return boolExpr(ctx, node, null);
  }
}

/**
 * must → AND (juxtaposition); should → OR, or, beside a must, Sphinx's MAYBE (adds to the
 * weight, never matches alone); not → `-x`. Sphinx refuses a NOT with nothing positive
 * beside it, so a group of exclusions only is anchored on ALL_MARK, which every document has.
 */
function boolExpr(ctx: Ctx, node: BoolNode, top: { dates: MatchQuery['dates'] } | null): string | null {
  const must = node.must.map((n) => leafExpr(ctx, n, top, false)).filter((e): e is string => e !== null);
  const should = node.should.map((n) => leafExpr(ctx, n, null, false)).filter((e): e is string => e !== null);
  const not = node.not.map((n) => leafExpr(ctx, n, top, true)).filter((e): e is string => e !== null);
  let positive: string | null = null;
  if (must.length > 0) {
    positive = must.join(' ');
    if (should.length > 0) positive = `(${positive}) MAYBE (${should.join(' | ')})`;
  } else if (should.length > 0) positive = should.length === 1 ? (should[0] as string) : `(${should.join(' | ')})`;
  if (not.length === 0) return positive === null ? null : `(${positive})`;
  return `(${positive ?? `@tags ${ALL_MARK}`} ${not.map((n) => `-${n}`).join(' ')})`;
}

/** The MATCH expression and filters of a parsed query. */
export function toMatch(root: BoolNode, analyzer: Analyzer, pinyin: boolean): MatchQuery {
  const ctx: Ctx = { analyzer, pinyin, slots: [] };
  const top = { dates: [] as MatchQuery['dates'] };
  let match = boolExpr(ctx, root, top);
  // Plain words: also every title that contains them, letters and digits in order (see titleChars).
  if (
    root.must.length > 0 &&
    root.should.length === 0 &&
    root.not.length === 0 &&
    root.must.every((n) => n.kind === 'word' && n.field === 'any' && !n.prefix)
  ) {
    const text = root.must.map((n) => (n as { text: string }).text).join('');
    const chars = titleChars(text);
    const title = `(@texact ${exactTitleKey(text)})${chars.length >= 2 ? ` | (@tchars "${chars.join(' ')}")` : ''}`;
    if (chars.length > 0) match = match === null ? `(${title})` : `(${match} | ${title})`;
  }
  return { match, dates: top.dates, slots: ctx.slots };
}
