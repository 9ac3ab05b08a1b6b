import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isEngineError } from '../src/index.js';
import { datePeriod, parseDateExpression } from '../src/search/date-range.js';
import type { BoolNode, QueryNode } from '../src/search/query-ast.js';
import {
  MAX_QUERY_CHARS,
  MAX_QUERY_CLAUSES,
  MAX_QUERY_DEPTH,
  parseQuery,
  plainQuery,
  QuerySyntaxError,
} from '../src/search/query-parser.js';
import { structuredToNode } from '../src/search/structured-query.js';

/** A compact rendering of a parsed query, to compare with what a reader expects. */
function show(node: QueryNode): string {
  switch (node.kind) {
    case 'word':
      return `${node.field === 'title' ? 'title:' : ''}${node.text}${node.prefix ? '*' : ''}`;
    case 'phrase':
      return `${node.field === 'title' ? 'title:' : ''}"${node.text}"`;
    case 'tag':
      return `tag:${node.tag}`;
    case 'date':
      return `date:${Number.isFinite(node.from) ? new Date(node.from).toISOString() : '-inf'}..${Number.isFinite(node.to) ? new Date(node.to).toISOString() : '+inf'}`;
    case 'bool': {
      const parts = [...node.must.map(show), ...node.not.map((n) => `-${show(n)}`)];
      if (node.should.length > 0) parts.push(`(${node.should.map(show).join(' | ')})`);
      return `[${parts.join(' ')}]`;
    }
  }
}

function errorAt(query: string): QuerySyntaxError {
  try {
    parseQuery(query);
  } catch (err) {
    assert.ok(err instanceof QuerySyntaxError, `not a QuerySyntaxError: ${String(err)}`);
    return err;
  }
  assert.fail(`${JSON.stringify(query)} parsed`);
}

test('plain words, phrases, exclusions, OR, groups and fields parse into the query tree', () => {
  const cases: [string, string][] = [
    ['内存 溢出', '[内存 溢出]'],
    ['"内存溢出"', '["内存溢出"]'],
    ['内存 -beego', '[内存 -beego]'],
    ['内存 NOT beego', '[内存 -beego]'],
    ['beego OR 分词', '[[(beego | 分词)]]'],
    ['内存 beego OR redis', '[内存 [(beego | redis)]]'],
    ['(beego OR redis) 内存', '[[(beego | redis)] 内存]'],
    ['内存 -(beego OR 溢出)', '[内存 -[(beego | 溢出)]]'],
    ['内存 AND 溢出', '[内存 溢出]'],
    ['tag:go title:分析', '[tag:go title:分析]'],
    ['title:"内存 溢出"', '[title:"内存 溢出"]'],
    ['内存溢*', '[内存溢*]'],
    ['date:>=2019-01-01', '[date:2019-01-01T00:00:00.000Z..+inf]'],
    ['date:2019-01..2019-12', '[date:2019-01-01T00:00:00.000Z..2019-12-31T23:59:59.999Z]'],
    ['date:<2019', '[date:-inf..2018-12-31T23:59:59.999Z]'],
    ['ls - 列出目录内容', '[ls - 列出目录内容]'],
    ['-- 欧阳修《浪淘沙》', '[-- 欧阳修《浪淘沙》]'],
    ['子曰：“知者乐水', '[子曰:“知者乐水]'],
    ['c++ node.js v20.1', '[c++ node.js v20.1]'],
    ['', '[]'],
  ];
  for (const [query, expected] of cases) assert.equal(show(parseQuery(query)), expected, query);
});

test('full-width operators work as their ASCII forms', () => {
  assert.equal(show(parseQuery('ｔａｇ：ｇｏ')), '[tag:go]');
  assert.equal(show(parseQuery('（beego ＯＲ 分词）')), '[[(beego | 分词)]]');
  assert.equal(show(parseQuery('＂内存溢出＂')), '["内存溢出"]');
  assert.equal(show(parseQuery('内存 －beego')), '[内存 -beego]');
  assert.equal(show(parseQuery('ｄａｔｅ：＞＝２０１９')), '[date:2019-01-01T00:00:00.000Z..+inf]');
});

test('plain syntax takes everything as words', () => {
  assert.equal(show(plainQuery('内存 OR -beego (tag:go')), '[内存 OR -beego (tag:go]');
  assert.deepEqual(plainQuery('   '), { kind: 'bool', must: [], should: [], not: [] });
});

test('malformed queries are QuerySyntaxError with the position of the fault, in the original string', () => {
  const cases: [string, number, RegExp][] = [
    ['"内存溢出', 0, /quote is never closed/],
    ['内存 "溢出', 3, /quote is never closed/],
    ['(内存 OR 溢出', 0, /never closed/],
    ['内存)', 2, /closes no/],
    ['内存 OR', 3, /OR needs a term/],
    ['OR 内存', 0, /OR needs a term/],
    ['内存 AND', 3, /AND needs a term/],
    ['()', 0, /empty parentheses/],
    ['foo:bar', 0, /unknown field "foo:"/],
    ['内存 http://example.com', 3, /unknown field/],
    ['tag:', 0, /needs a value/],
    ['date:2019-13', 0, /not a date/],
    ['date:2020..2019', 0, /ends before it starts/],
    ['内存 NOT', 3, /nothing after/],
    // Full-width characters are one UTF-16 unit each, so positions stay those of the input.
    ['（内存', 0, /never closed/],
    ['内存 ＯＲ', 3, /OR needs a term/],
  ];
  for (const [query, position, message] of cases) {
    const err = errorAt(query);
    assert.equal(err.code, 'E_QUERY_SYNTAX', query);
    assert.equal(err.position, position, `${query}: ${err.message}`);
    assert.match(err.message, message, query);
    assert.match(err.message, new RegExp(`at character ${position + 1}`));
  }
});

test('limits: length, clauses and nesting are refused with a position, never a stack overflow', () => {
  const long = errorAt('内存'.repeat(50_000));
  assert.equal(long.position, MAX_QUERY_CHARS);
  const many = errorAt(Array.from({ length: MAX_QUERY_CLAUSES + 1 }, (_, i) => `词${i}`).join(' '));
  assert.match(many.message, /more than 64/);
  const deep = errorAt(`${'('.repeat(MAX_QUERY_DEPTH + 1)}内存${')'.repeat(MAX_QUERY_DEPTH + 1)}`);
  assert.equal(deep.position, MAX_QUERY_DEPTH);
  const negations = errorAt(`${'NOT '.repeat(100)}内存`);
  assert.match(negations.message, /nested deeper/);
  assert.equal(show(parseQuery(`${'('.repeat(MAX_QUERY_DEPTH)}内存${')'.repeat(MAX_QUERY_DEPTH)}`)), '[内存]');
});

test('dates: partial dates are whole periods, in UTC', () => {
  assert.deepEqual(datePeriod('2019'), [Date.UTC(2019, 0, 1), Date.UTC(2020, 0, 1) - 1]);
  assert.deepEqual(datePeriod('2019-02'), [Date.UTC(2019, 1, 1), Date.UTC(2019, 2, 1) - 1]);
  assert.deepEqual(datePeriod('2019-02-28'), [Date.UTC(2019, 1, 28), Date.UTC(2019, 2, 1) - 1]);
  assert.equal(datePeriod('2019-02-30'), null);
  assert.equal(datePeriod('2019-00'), null);
  assert.equal(datePeriod('yesterday'), null);
  assert.deepEqual(datePeriod('2019-05-01T08:00:00Z'), [Date.UTC(2019, 4, 1, 8), Date.UTC(2019, 4, 1, 8)]);
  assert.deepEqual(parseDateExpression('>2019'), [Date.UTC(2020, 0, 1), Number.POSITIVE_INFINITY]);
  assert.deepEqual(parseDateExpression('..2019-06'), [Number.NEGATIVE_INFINITY, Date.UTC(2019, 6, 1) - 1]);
  assert.equal(typeof parseDateExpression('..'), 'string');
});

test('structured queries become the same tree; bad ones are QuerySyntaxError naming the entry', () => {
  const tree: BoolNode = structuredToNode({
    must: ['内存'],
    should: ['溢出', '"栈 溢出"'],
    not: ['beego'],
    tags: ['go'],
    range: { date: { gte: '2019', lt: '2020' } },
  });
  assert.equal(show(tree), '[内存 tag:go date:2019-01-01T00:00:00.000Z..2019-12-31T23:59:59.999Z -beego (溢出 | "栈 溢出")]');
  assert.throws(
    () => structuredToNode({ must: ['"内存'] }),
    (e) => e instanceof QuerySyntaxError && /must\[0\]/.test(e.message) && e.position === 0,
  );
  assert.throws(
    () => structuredToNode({ must: 'x' as unknown as string[] }),
    (e) => isEngineError(e, 'E_QUERY_SYNTAX'),
  );
  assert.throws(
    () => structuredToNode({ range: { date: { gte: 'soon' } } }),
    (e) => isEngineError(e, 'E_QUERY_SYNTAX'),
  );
  assert.throws(
    () => structuredToNode(null as unknown as object),
    (e) => isEngineError(e, 'E_QUERY_SYNTAX'),
  );
});

/** Characters that the grammar cares about, mixed with Chinese and full-width forms. */
const queryChar = fc.constantFrom(
  ...'()"-*: \t\n　（）＂－：ＯＲORANDNOT内存溢出分词静夜思abcxyz0129tagtitledate><=..'.split(''),
  '“',
  '”',
  '\u0000',
  '\uD800',
  '\uFFFF',
);
const queryText = fc.oneof(
  fc.string({ unit: queryChar, maxLength: 80 }),
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc
    .array(fc.constantFrom('内存', 'OR', 'AND', 'NOT', '-', '(', ')', '"', 'tag:go', 'title:', 'date:2019..', 'date:>=', '溢*', ' '), {
      maxLength: 30,
    })
    .map((a) => a.join(' ')),
);

test('fuzz: the parser returns a tree or throws QuerySyntaxError with a position inside the query, nothing else', () => {
  fc.assert(
    fc.property(queryText, (query) => {
      try {
        const tree = parseQuery(query);
        assert.equal(tree.kind, 'bool');
      } catch (err) {
        if (!(err instanceof QuerySyntaxError)) throw err;
        assert.equal(err.code, 'E_QUERY_SYNTAX');
        assert.ok(
          Number.isInteger(err.position) && err.position >= 0 && err.position <= query.length,
          `position ${err.position} of ${query.length}`,
        );
      }
    }),
    { numRuns: 3000 },
  );
});

test('fuzz: structured queries with arbitrary entries never throw anything but E_QUERY_SYNTAX', () => {
  const entry = fc.oneof(queryText, fc.integer(), fc.constant(null));
  fc.assert(
    fc.property(
      fc.record(
        { must: fc.array(entry, { maxLength: 4 }), should: fc.array(entry, { maxLength: 4 }), not: fc.array(entry, { maxLength: 4 }) },
        { requiredKeys: [] },
      ),
      (q) => {
        try {
          structuredToNode(q as never);
        } catch (err) {
          assert.ok(isEngineError(err, 'E_QUERY_SYNTAX'), String(err));
        }
      },
    ),
    { numRuns: 1000 },
  );
});
