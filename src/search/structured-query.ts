import type { DateRange, DateValue, StructuredQuery } from '../types.js';
import { datePeriod } from './date-range.js';
import { type BoolNode, boolNode, type QueryNode } from './query-ast.js';
import { MAX_QUERY_CLAUSES, parseQuery, QuerySyntaxError } from './query-parser.js';

function clause(text: unknown, where: string): QueryNode {
  if (typeof text !== 'string') throw new QuerySyntaxError(`${where} must be a string`, 0);
  try {
    const node = parseQuery(text);
    return node.must.length === 1 && node.should.length === 0 && node.not.length === 0 ? (node.must[0] as QueryNode) : node;
  } catch (err) {
    if (err instanceof QuerySyntaxError) throw new QuerySyntaxError(`${where}: ${err.detail}`, err.position);
    throw err;
  }
}

function list(value: unknown, where: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new QuerySyntaxError(`${where} must be an array of strings`, 0);
  if (value.length > MAX_QUERY_CLAUSES) throw new QuerySyntaxError(`${where} has more than ${MAX_QUERY_CLAUSES} entries`, 0);
  return value;
}

function bound(value: DateValue | undefined, where: string, end: 'start' | 'end'): number | null {
  if (value === undefined) return null;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value !== 'string') throw new QuerySyntaxError(`${where} must be a date string or milliseconds`, 0);
  const period = datePeriod(value.trim());
  if (period === null) throw new QuerySyntaxError(`${where}: "${value}" is not a date (use 2019, 2019-05, 2019-05-01 or an ISO time)`, 0);
  return end === 'start' ? period[0] : period[1];
}

function dateRange(range: DateRange): QueryNode {
  const gte = bound(range.gte, 'range.date.gte', 'start');
  const gtEnd = bound(range.gt, 'range.date.gt', 'end');
  const lte = bound(range.lte, 'range.date.lte', 'end');
  const ltStart = bound(range.lt, 'range.date.lt', 'start');
  const from = Math.max(gte ?? Number.NEGATIVE_INFINITY, gtEnd === null ? Number.NEGATIVE_INFINITY : gtEnd + 1);
  const to = Math.min(lte ?? Number.POSITIVE_INFINITY, ltStart === null ? Number.POSITIVE_INFINITY : ltStart - 1);
  return { kind: 'date', from, to };
}

/**
 * The structured form as the same tree the parser makes. Errors are QuerySyntaxError naming
 * the entry; `position` is then within that entry's string.
 */
export function structuredToNode(query: StructuredQuery): BoolNode {
  if (typeof query !== 'object' || query === null)
    throw new QuerySyntaxError('a query is a string or { must, should, not, tags, range }', 0);
  const out = boolNode(
    list(query.must, 'must').map((q, i) => clause(q, `must[${i}]`)),
    list(query.should, 'should').map((q, i) => clause(q, `should[${i}]`)),
    list(query.not, 'not').map((q, i) => clause(q, `not[${i}]`)),
  );
  for (const [i, tag] of list(query.tags, 'tags').entries()) {
    if (typeof tag !== 'string') throw new QuerySyntaxError(`tags[${i}] must be a string`, 0);
    out.must.push({ kind: 'tag', tag });
  }
  if (query.range !== undefined) {
    if (typeof query.range !== 'object' || query.range === null || typeof query.range.date !== 'object' || query.range.date === null) {
      throw new QuerySyntaxError('range must be { date: { gte?, gt?, lte?, lt? } }', 0);
    }
    out.must.push(dateRange(query.range.date));
  }
  return out;
}
