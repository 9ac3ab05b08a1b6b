/**
 * The parsed form of a query, shared by the string syntax and the structured form: leaves
 * are text (analyzed later into terms), tags and date ranges; one composite, `bool`, holds
 * the clauses that must, should and must not match (Lucene's BooleanQuery).
 */

/** Where a text leaf looks: anywhere (title and body) or in the title only. */
export type TextField = 'any' | 'title';

export interface WordNode {
  kind: 'word';
  text: string;
  field: TextField;
  /** The last term may be a prefix (`内存溢*`, or `prefix: true` for the query's last word). */
  prefix: boolean;
}

export interface PhraseNode {
  kind: 'phrase';
  text: string;
  field: TextField;
}

export interface TagNode {
  kind: 'tag';
  tag: string;
}

/** Inclusive bounds in milliseconds since the epoch (UTC); either may be infinite. */
export interface DateNode {
  kind: 'date';
  from: number;
  to: number;
}

/**
 * Matches when every `must` matches, no `not` matches, and (when `must` is empty) at least
 * one `should` matches. With `must` present, `should` clauses only add to the score.
 */
export interface BoolNode {
  kind: 'bool';
  must: QueryNode[];
  should: QueryNode[];
  not: QueryNode[];
}

export type QueryNode = WordNode | PhraseNode | TagNode | DateNode | BoolNode;

export function boolNode(must: QueryNode[] = [], should: QueryNode[] = [], not: QueryNode[] = []): BoolNode {
  return { kind: 'bool', must, should, not };
}
