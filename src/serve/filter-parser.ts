import { ApiError } from './errors.js';

/*
 * Meilisearch's filter language, parsed into a small tree:
 *   expr := and ('OR' and)* ; and := not ('AND' not)* ; not := 'NOT' not | '(' expr ')' | cond
 *   cond := attr op value | attr value 'TO' value | attr ['NOT'] 'IN' '[' value (',' value)* ']'
 *         | attr ['NOT'] 'EXISTS' | attr 'IS' ['NOT'] ('NULL' | 'EMPTY')
 * Values are 'quoted', "quoted" (backslash escapes) or bare words. Keywords are matched
 * case-insensitively, as Meilisearch does. The array form is an AND of ORs of strings.
 */

export type Comparison = '=' | '!=' | '>' | '>=' | '<' | '<=';

export type FilterNode =
  | { op: 'and'; items: FilterNode[] }
  | { op: 'or'; items: FilterNode[] }
  | { op: 'not'; item: FilterNode }
  | { op: 'cmp'; attr: string; cmp: Comparison; value: string }
  | { op: 'range'; attr: string; from: string; to: string }
  | { op: 'in'; attr: string; values: string[] }
  | { op: 'exists'; attr: string }
  | { op: 'null'; attr: string }
  | { op: 'empty'; attr: string };

/** Longer filters are refused: parsing is linear, but evaluation runs per matching document. */
export const MAX_FILTER_CHARS = 16 * 1024;
/** Parentheses and NOTs nest at most this deep, so a hostile filter cannot exhaust the stack. */
export const MAX_FILTER_DEPTH = 64;

type Token = { kind: 'word' | 'quoted' | 'punct'; text: string; at: number };

const PUNCT = ['>=', '<=', '!=', '=', '>', '<', '(', ')', '[', ']', ','];
const BARE_STOP = /[\s()[\],=!<>'"]/;

function fail(message: string): never {
  throw new ApiError('invalid_search_filter', message);
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      let value = '';
      let j = i + 1;
      for (; j < text.length && text[j] !== c; j++) {
        if (text[j] === '\\' && j + 1 < text.length) j++;
        value += text[j];
      }
      if (j >= text.length) fail(`Expression \`${text}\` has an unclosed quote at ${i}.`);
      out.push({ kind: 'quoted', text: value, at: i });
      i = j + 1;
      continue;
    }
    const punct = PUNCT.find((p) => text.startsWith(p, i));
    if (punct !== undefined) {
      out.push({ kind: 'punct', text: punct, at: i });
      i += punct.length;
      continue;
    }
    if (c === '!') fail(`Unexpected \`!\` at ${i} in filter.`);
    let j = i;
    while (j < text.length && !BARE_STOP.test(text[j] as string)) j++;
    out.push({ kind: 'word', text: text.slice(i, j), at: i });
    i = j;
  }
  return out;
}

class Parser {
  private pos = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly source: string,
  ) {}

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.pos + offset];
  }

  private isKeyword(t: Token | undefined, word: string): boolean {
    return t?.kind === 'word' && t.text.toUpperCase() === word;
  }

  private expectPunct(p: string): void {
    const t = this.peek();
    if (t?.kind !== 'punct' || t.text !== p) fail(`Was expecting \`${p}\` at ${t?.at ?? this.source.length} in \`${this.source}\`.`);
    this.pos++;
  }

  parseAll(): FilterNode {
    const node = this.or(0);
    const rest = this.peek();
    if (rest !== undefined) fail(`Found unexpected characters at the end of the filter: \`${this.source.slice(rest.at)}\`.`);
    return node;
  }

  private or(depth: number): FilterNode {
    const items = [this.and(depth)];
    while (this.isKeyword(this.peek(), 'OR')) {
      this.pos++;
      items.push(this.and(depth));
    }
    return items.length === 1 ? (items[0] as FilterNode) : { op: 'or', items };
  }

  private and(depth: number): FilterNode {
    const items = [this.not(depth)];
    while (this.isKeyword(this.peek(), 'AND')) {
      this.pos++;
      items.push(this.not(depth));
    }
    return items.length === 1 ? (items[0] as FilterNode) : { op: 'and', items };
  }

  private not(depth: number): FilterNode {
    if (depth > MAX_FILTER_DEPTH) fail(`The filter exceeds the maximum depth of ${MAX_FILTER_DEPTH}.`);
    const t = this.peek();
    if (this.isKeyword(t, 'NOT')) {
      this.pos++;
      return { op: 'not', item: this.not(depth + 1) };
    }
    if (t?.kind === 'punct' && t.text === '(') {
      this.pos++;
      const inner = this.or(depth + 1);
      this.expectPunct(')');
      return inner;
    }
    return this.condition();
  }

  private value(): string {
    const t = this.peek();
    if (t === undefined || t.kind === 'punct') fail(`Was expecting a value at ${t?.at ?? this.source.length} in \`${this.source}\`.`);
    this.pos++;
    return t.text;
  }

  private condition(): FilterNode {
    const t = this.peek();
    if (t === undefined || t.kind === 'punct' || (t.kind === 'word' && t.text === ''))
      fail(`Was expecting an attribute at ${t?.at ?? this.source.length} in \`${this.source}\`.`);
    this.pos++;
    const attr = t.text;
    if (attr.startsWith('_geo')) fail(`\`${attr}\` is not supported by this server.`);
    const next = this.peek();
    if (next?.kind === 'punct' && ['=', '!=', '>', '>=', '<', '<='].includes(next.text)) {
      this.pos++;
      return { op: 'cmp', attr, cmp: next.text as Comparison, value: this.value() };
    }
    let negate = false;
    if (this.isKeyword(next, 'NOT') && (this.isKeyword(this.peek(1), 'IN') || this.isKeyword(this.peek(1), 'EXISTS'))) {
      this.pos++;
      negate = true;
    }
    const kw = this.peek();
    if (this.isKeyword(kw, 'IN')) {
      this.pos++;
      this.expectPunct('[');
      const values: string[] = [];
      if (!(this.peek()?.kind === 'punct' && this.peek()?.text === ']')) {
        values.push(this.value());
        while (this.peek()?.kind === 'punct' && this.peek()?.text === ',') {
          this.pos++;
          values.push(this.value());
        }
      }
      this.expectPunct(']');
      const node: FilterNode = { op: 'in', attr, values };
      return negate ? { op: 'not', item: node } : node;
    }
    if (this.isKeyword(kw, 'EXISTS')) {
      this.pos++;
      const node: FilterNode = { op: 'exists', attr };
      return negate ? { op: 'not', item: node } : node;
    }
    if (this.isKeyword(kw, 'IS')) {
      this.pos++;
      let isNot = false;
      if (this.isKeyword(this.peek(), 'NOT')) {
        this.pos++;
        isNot = true;
      }
      const what = this.peek();
      let node: FilterNode;
      if (this.isKeyword(what, 'NULL')) node = { op: 'null', attr };
      else if (this.isKeyword(what, 'EMPTY')) node = { op: 'empty', attr };
      else fail(`Was expecting NULL or EMPTY at ${what?.at ?? this.source.length} in \`${this.source}\`.`);
      this.pos++;
      return isNot ? { op: 'not', item: node } : node;
    }
    if (kw !== undefined && kw.kind !== 'punct') {
      const from = this.value();
      if (!this.isKeyword(this.peek(), 'TO'))
        fail(
          `Was expecting an operation \`=\`, \`!=\`, \`>=\`, \`>\`, \`<=\`, \`<\`, \`IN\`, \`NOT IN\`, \`TO\`, \`EXISTS\`, \`NOT EXISTS\`, \`IS NULL\`, \`IS NOT NULL\`, \`IS EMPTY\`, \`IS NOT EMPTY\` at ${kw.at} in \`${this.source}\`.`,
        );
      this.pos++;
      return { op: 'range', attr, from, to: this.value() };
    }
    fail(`Was expecting an operation after \`${attr}\` in \`${this.source}\`.`);
  }
}

/** Parses one filter string; an empty one is no filter (null). */
export function parseFilterString(text: string): FilterNode | null {
  if (text.length > MAX_FILTER_CHARS) fail(`The filter is longer than ${MAX_FILTER_CHARS} characters.`);
  const tokens = tokenize(text);
  if (tokens.length === 0) return null;
  return new Parser(tokens, text).parseAll();
}

/**
 * Parses the `filter` parameter: a string, or an array whose items are ANDed, an item
 * that is itself an array being an OR of strings (Meilisearch's array form).
 */
export function parseFilter(filter: unknown): FilterNode | null {
  if (filter === undefined || filter === null) return null;
  if (typeof filter === 'string') return parseFilterString(filter);
  if (!Array.isArray(filter))
    fail('Invalid syntax for the filter parameter: expected a string or an array of strings or arrays of strings.');
  const ands: FilterNode[] = [];
  for (const item of filter) {
    if (typeof item === 'string') {
      const node = parseFilterString(item);
      if (node !== null) ands.push(node);
    } else if (Array.isArray(item)) {
      const ors: FilterNode[] = [];
      for (const inner of item) {
        if (typeof inner !== 'string') fail('Invalid syntax for the filter parameter: nested arrays may hold only strings.');
        const node = parseFilterString(inner);
        if (node !== null) ors.push(node);
      }
      if (ors.length === 1) ands.push(ors[0] as FilterNode);
      else if (ors.length > 1) ands.push({ op: 'or', items: ors });
    } else fail('Invalid syntax for the filter parameter: expected a string or an array of strings or arrays of strings.');
  }
  if (ands.length === 0) return null;
  return ands.length === 1 ? (ands[0] as FilterNode) : { op: 'and', items: ands };
}

/** The attributes a filter reads, to check them against filterableAttributes. */
export function filterAttributes(node: FilterNode, out = new Set<string>()): Set<string> {
  switch (node.op) {
    case 'and':
    case 'or':
      for (const item of node.items) filterAttributes(item, out);
      break;
    case 'not':
      filterAttributes(node.item, out);
      break;
    default:
      out.add(node.attr);
  }
  return out;
}
