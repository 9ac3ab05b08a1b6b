import { EngineError } from '../errors.js';
import { parseDateExpression } from './date-range.js';
import { type BoolNode, boolNode, type QueryNode, type TextField } from './query-ast.js';

/** Longer queries are refused: nobody types 4 KB into a search box, and analysis is linear in it. */
export const MAX_QUERY_CHARS = 4096;
/** Words, phrases and filters in one query. */
export const MAX_QUERY_CLAUSES = 64;
/** Nesting of parentheses and negations: bounds the parser's recursion. */
export const MAX_QUERY_DEPTH = 16;

/** A query that cannot be parsed: `position` is the UTF-16 offset in the query where it went wrong. */
export class QuerySyntaxError extends EngineError {
  readonly position: number;
  constructor(message: string, position: number) {
    super('E_QUERY_SYNTAX', `query error at character ${position + 1}: ${message}`, { detail: message });
    this.position = position;
  }
}

type TokenKind = 'word' | 'phrase' | 'field' | 'open' | 'close' | 'or' | 'and' | 'not';
interface Token {
  kind: TokenKind;
  /** Offset in the original query. */
  at: number;
  text: string;
  /** For field tokens: the field name, and whether the value is a phrase. */
  field?: string;
  quoted?: boolean;
}

const FIELDS = new Set(['tag', 'title', 'date']);
const FIELD_SYNTAX = /^([A-Za-z]+):(.*)$/s;

/**
 * NFKC, one code point at a time, with the original offset of every output character: full-width
 * operators (（ ） ＂ － ：, ＯＲ) work as their ASCII forms and errors point into what the user typed.
 */
function normalizeWithOffsets(query: string): { text: string; offsets: number[] } {
  let text = '';
  const offsets: number[] = [];
  let i = 0;
  for (const ch of query) {
    const n = ch.normalize('NFKC');
    text += n;
    for (let k = 0; k < n.length; k++) offsets.push(i);
    i += ch.length;
  }
  offsets.push(query.length);
  return { text, offsets };
}

const isSpace = (c: string): boolean => /\s/u.test(c);
const ENDS_WORD = new Set(['(', ')', '"']);

function tokenize(query: string): Token[] {
  const { text, offsets } = normalizeWithOffsets(query);
  const at = (i: number): number => offsets[i] as number;
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (c === '(' || c === ')') {
      tokens.push({ kind: c === '(' ? 'open' : 'close', at: at(i), text: c });
      i++;
      continue;
    }
    if (c === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0) throw new QuerySyntaxError('this quote is never closed', at(i));
      tokens.push({ kind: 'phrase', at: at(i), text: text.slice(i + 1, end) });
      i = end + 1;
      continue;
    }
    // A minus directly before a word, group or phrase excludes it; "--" or "a - b" are plain text.
    const next = text[i + 1];
    if (c === '-' && next !== undefined && next !== '-' && !isSpace(next) && next !== ')') {
      tokens.push({ kind: 'not', at: at(i), text: '-' });
      i++;
      continue;
    }
    let end = i;
    while (end < text.length && !isSpace(text[end] as string) && !ENDS_WORD.has(text[end] as string)) end++;
    const word = text.slice(i, end);
    const start = at(i);
    i = end;
    if (word === 'OR' || word === 'AND' || word === 'NOT') {
      tokens.push({ kind: word === 'OR' ? 'or' : word === 'AND' ? 'and' : 'not', at: start, text: word });
      continue;
    }
    const field = FIELD_SYNTAX.exec(word);
    if (field) {
      const name = (field[1] as string).toLowerCase();
      if (!FIELDS.has(name)) {
        throw new QuerySyntaxError(
          `unknown field "${field[1]}:" (fields: tag:, title:, date:; quote the text to search for a colon)`,
          start,
        );
      }
      let value = field[2] as string;
      let quoted = false;
      if (value === '' && text[i] === '"') {
        const close = text.indexOf('"', i + 1);
        if (close < 0) throw new QuerySyntaxError('this quote is never closed', at(i));
        value = text.slice(i + 1, close);
        quoted = true;
        i = close + 1;
      }
      if (value === '')
        throw new QuerySyntaxError(`${name}: needs a value, e.g. ${name === 'date' ? 'date:>=2019-01-01' : `${name}:go`}`, start);
      tokens.push({ kind: 'field', at: start, text: value, field: name, quoted });
      continue;
    }
    tokens.push({ kind: 'word', at: start, text: word });
  }
  return tokens;
}

interface Item {
  node: QueryNode;
  negated: boolean;
}

/**
 * Recursive descent over the tokens. Grammar (OR binds tighter than the implicit AND, as in
 * web search engines: `a b OR c` is a AND (b OR c)):
 *
 *   query   := clauses EOF
 *   clauses := ( or [AND] )*
 *   or      := unary ( OR unary )*
 *   unary   := ( '-' | NOT ) unary | primary
 *   primary := '(' clauses ')' | "phrase" | field:value | field:"phrase" | word | word*
 */
class Parser {
  private i = 0;
  private clauses = 0;
  private depth = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly length: number,
  ) {}

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }

  parse(): BoolNode {
    const node = this.parseClauses();
    const stray = this.peek();
    if (stray !== undefined) throw new QuerySyntaxError('this ")" closes no "("', stray.at);
    return node;
  }

  private enter(at: number): void {
    if (++this.depth > MAX_QUERY_DEPTH) throw new QuerySyntaxError(`nested deeper than ${MAX_QUERY_DEPTH} levels`, at);
  }

  private parseClauses(): BoolNode {
    const out = boolNode();
    for (;;) {
      const t = this.peek();
      if (t === undefined || t.kind === 'close') break;
      if (t.kind === 'and' || t.kind === 'or') {
        throw new QuerySyntaxError(`${t.text} needs a term on both sides`, t.at);
      }
      const item = this.parseOr();
      (item.negated ? out.not : out.must).push(item.node);
      if (this.peek()?.kind === 'and') {
        const and = this.peek() as Token;
        this.i++;
        const after = this.peek();
        if (after === undefined || after.kind === 'close' || after.kind === 'or' || after.kind === 'and') {
          throw new QuerySyntaxError('AND needs a term on both sides', and.at);
        }
      }
    }
    return out;
  }

  private parseOr(): Item {
    const first = this.parseUnary();
    if (this.peek()?.kind !== 'or') return first;
    const alternatives = [first];
    while (this.peek()?.kind === 'or') {
      const or = this.peek() as Token;
      this.i++;
      const after = this.peek();
      if (after === undefined || after.kind === 'close' || after.kind === 'or' || after.kind === 'and') {
        throw new QuerySyntaxError('OR needs a term on both sides', or.at);
      }
      alternatives.push(this.parseUnary());
    }
    // `a OR -b`: the negated side stands for "everything but b".
    const should = alternatives.map(({ node, negated }) => (negated ? boolNode([], [], [node]) : node));
    return { node: boolNode([], should), negated: false };
  }

  private parseUnary(): Item {
    const t = this.peek();
    if (t?.kind === 'not') {
      this.i++;
      if (this.peek() === undefined || this.peek()?.kind === 'close')
        throw new QuerySyntaxError('nothing after the minus or NOT to exclude', t.at);
      this.enter(t.at);
      const inner = this.parseUnary();
      this.depth--;
      return { node: inner.node, negated: !inner.negated };
    }
    return { node: this.parsePrimary(), negated: false };
  }

  private countClause(at: number): void {
    if (++this.clauses > MAX_QUERY_CLAUSES) throw new QuerySyntaxError(`more than ${MAX_QUERY_CLAUSES} words, phrases and filters`, at);
  }

  private parsePrimary(): QueryNode {
    const t = this.peek();
    if (t === undefined) throw new QuerySyntaxError('the query ends where a term was expected', this.length);
    this.i++;
    switch (t.kind) {
      case 'open': {
        this.enter(t.at);
        const inner = this.parseClauses();
        const close = this.peek();
        if (close?.kind !== 'close') throw new QuerySyntaxError('this "(" is never closed', t.at);
        this.i++;
        this.depth--;
        if (inner.must.length + inner.should.length + inner.not.length === 0) throw new QuerySyntaxError('empty parentheses', t.at);
        return inner.must.length === 1 && inner.not.length === 0 ? (inner.must[0] as QueryNode) : inner;
      }
      case 'phrase':
        this.countClause(t.at);
        return { kind: 'phrase', text: t.text, field: 'any' };
      case 'field':
        this.countClause(t.at);
        return fieldNode(t);
      case 'word': {
        this.countClause(t.at);
        const prefix = t.text.length > 1 && t.text.endsWith('*');
        return { kind: 'word', text: prefix ? t.text.slice(0, -1) : t.text, field: 'any', prefix };
      }
      case 'close':
        throw new QuerySyntaxError('this ")" closes no "("', t.at);
      default:
        throw new QuerySyntaxError(`${t.text} needs a term on both sides`, t.at);
    }
  }
}

function fieldNode(t: Token): QueryNode {
  const value = t.text;
  if (t.field === 'tag') return { kind: 'tag', tag: value };
  if (t.field === 'date') {
    const range = parseDateExpression(value.trim());
    if (typeof range === 'string') throw new QuerySyntaxError(range, t.at);
    return { kind: 'date', from: range[0], to: range[1] };
  }
  const field: TextField = 'title';
  if (t.quoted) return { kind: 'phrase', text: value, field };
  const prefix = value.length > 1 && value.endsWith('*');
  return { kind: 'word', text: prefix ? value.slice(0, -1) : value, field, prefix };
}

/**
 * Parses the query language (see README "Query syntax"). Throws only QuerySyntaxError
 * (code E_QUERY_SYNTAX, with `position`), whatever the input.
 */
export function parseQuery(query: string): BoolNode {
  if (query.length > MAX_QUERY_CHARS) {
    throw new QuerySyntaxError(`the query is ${query.length} characters, the limit is ${MAX_QUERY_CHARS}`, MAX_QUERY_CHARS);
  }
  return new Parser(tokenize(query), query.length).parse();
}

/** The query as plain words separated by spaces, nothing an operator: for pasted text and known-item lookups. */
export function plainQuery(query: string): BoolNode {
  if (query.length > MAX_QUERY_CHARS) {
    throw new QuerySyntaxError(`the query is ${query.length} characters, the limit is ${MAX_QUERY_CHARS}`, MAX_QUERY_CHARS);
  }
  const words = query.split(/\s+/u).filter((w) => w !== '');
  if (words.length > MAX_QUERY_CLAUSES) throw new QuerySyntaxError(`more than ${MAX_QUERY_CLAUSES} words`, query.length);
  return boolNode(words.map((text) => ({ kind: 'word', text, field: 'any', prefix: false })));
}

/** How a query string is read: `'strict'` is the query language with its errors thrown. */
export type QuerySyntax = 'query' | 'plain' | 'strict';

/** What a search box's text was read as, and why it was not read as the query language. */
export interface QueryReading {
  root: BoolNode;
  syntax: 'query' | 'plain';
  /** Set when the text was not read as typed: the query language's error, or the limits it was cut to. */
  error: { position: number; message: string } | null;
}

/**
 * The text as plain words within the limits, whatever it holds: the first MAX_QUERY_CHARS
 * characters (never half a surrogate pair), then the first MAX_QUERY_CLAUSES words.
 */
function boundedPlain(query: string): { root: BoolNode; error: { position: number; message: string } | null } {
  let text = query;
  let error: { position: number; message: string } | null = null;
  if (text.length > MAX_QUERY_CHARS) {
    let end = MAX_QUERY_CHARS;
    const last = text.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff) end--;
    text = text.slice(0, end);
    error = { position: end, message: `the query is ${query.length} characters; the first ${end} were searched` };
  }
  const words: string[] = [];
  const word = /\S+/gu;
  for (let m = word.exec(text); m !== null; m = word.exec(text)) {
    if (words.length === MAX_QUERY_CLAUSES) {
      error ??= { position: m.index, message: `more than ${MAX_QUERY_CLAUSES} words; the first ${MAX_QUERY_CLAUSES} were searched` };
      break;
    }
    words.push(m[0]);
  }
  return { root: boolNode(words.map((w) => ({ kind: 'word', text: w, field: 'any', prefix: false }))), error };
}

/**
 * Reads a query string as `syntax` says. `'strict'` parses the query language and throws
 * QuerySyntaxError. `'query'` (a search box) never throws: text that is not valid query
 * syntax is read as plain words, with the parser's error kept for a host that shows it.
 * `'plain'` takes the text as words. Both cut text beyond the limits instead of failing.
 */
export function readQuery(query: string, syntax: QuerySyntax = 'query'): QueryReading {
  if (syntax === 'strict') return { root: parseQuery(query), syntax: 'query', error: null };
  if (syntax === 'query') {
    try {
      return { root: parseQuery(query), syntax: 'query', error: null };
    } catch (err) {
      if (!(err instanceof QuerySyntaxError)) throw err;
      const plain = boundedPlain(query);
      return { root: plain.root, syntax: 'plain', error: { position: err.position, message: err.detail ?? err.message } };
    }
  }
  const plain = boundedPlain(query);
  return { root: plain.root, syntax: 'plain', error: plain.error };
}
