import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { project } from '../src/serve/doc-store.js';
import { ApiError } from '../src/serve/errors.js';
import { type JsonObject, matchesFilter } from '../src/serve/filter-eval.js';
import { type FilterNode, parseFilter, parseFilterString } from '../src/serve/filter-parser.js';

const KEYWORDS = ['and', 'or', 'not', 'to', 'in', 'exists', 'is', 'null', 'empty'];
const attr = fc.stringMatching(/^[a-z_][a-z0-9_.]{0,8}$/).filter((a) => !KEYWORDS.includes(a));
const value = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer({ min: -1000, max: 1000 }).map(String),
  fc.constantFrom('内存', 'go', 'Tag A'),
);

const leaf: fc.Arbitrary<FilterNode> = fc.oneof(
  fc.record({ op: fc.constant('cmp' as const), attr, cmp: fc.constantFrom('=', '!=', '>', '>=', '<', '<=' as const), value }),
  fc.record({ op: fc.constant('range' as const), attr, from: value, to: value }),
  fc.record({ op: fc.constant('in' as const), attr, values: fc.array(value, { maxLength: 4 }) }),
  fc.record({ op: fc.constant('exists' as const), attr }),
  fc.record({ op: fc.constant('null' as const), attr }),
  fc.record({ op: fc.constant('empty' as const), attr }),
) as fc.Arbitrary<FilterNode>;

const tree = fc.letrec<{ node: FilterNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.record({ op: fc.constant('and' as const), items: fc.array(tie('node'), { minLength: 2, maxLength: 3 }) }),
    fc.record({ op: fc.constant('or' as const), items: fc.array(tie('node'), { minLength: 2, maxLength: 3 }) }),
    fc.record({ op: fc.constant('not' as const), item: tie('node') }),
  ) as fc.Arbitrary<FilterNode>,
})).node;

function quote(v: string): string {
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Prints a tree in Meilisearch's syntax, compound children in parentheses, keywords in random case. */
function print(node: FilterNode, kw: (k: string) => string = (k) => k): string {
  const child = (n: FilterNode): string => (n.op === 'and' || n.op === 'or' ? `(${print(n, kw)})` : print(n, kw));
  switch (node.op) {
    case 'and':
      return node.items.map(child).join(` ${kw('AND')} `);
    case 'or':
      return node.items.map(child).join(` ${kw('OR')} `);
    case 'not':
      return `${kw('NOT')} ${child(node.item)}`;
    case 'cmp':
      return `${node.attr} ${node.cmp} ${quote(node.value)}`;
    case 'range':
      return `${node.attr} ${quote(node.from)} ${kw('TO')} ${quote(node.to)}`;
    case 'in':
      return `${node.attr} ${kw('IN')} [${node.values.map(quote).join(', ')}]`;
    case 'exists':
      return `${node.attr} ${kw('EXISTS')}`;
    case 'null':
      return `${node.attr} ${kw('IS')} ${kw('NULL')}`;
    case 'empty':
      return `${node.attr} ${kw('IS')} ${kw('EMPTY')}`;
  }
}

test('property: printing a filter tree and parsing it back gives the same tree', () => {
  fc.assert(
    fc.property(tree, fc.boolean(), (node, lower) => {
      // fast-check's records have a null prototype; compare the plain data.
      assert.deepEqual(parseFilterString(print(node, (k) => (lower ? k.toLowerCase() : k))), JSON.parse(JSON.stringify(node)));
    }),
    { numRuns: 2000 },
  );
});

const doc = fc.dictionary(
  fc.constantFrom('a', 'b', 'tags', 'n'),
  fc.oneof(
    fc.integer({ min: -5, max: 5 }),
    fc.constantFrom('go', 'Go', '内存', ''),
    fc.constant(null),
    fc.array(fc.constantFrom('go', 'rust', 1, 2), { maxLength: 3 }),
  ),
) as fc.Arbitrary<JsonObject>;
const smallLeaf = fc.oneof(
  fc.record({
    op: fc.constant('cmp' as const),
    attr: fc.constantFrom('a', 'b', 'tags', 'n'),
    cmp: fc.constantFrom('=', '!=', '>', '<=' as const),
    value: fc.constantFrom('go', '1', '-2', '内存'),
  }),
  fc.record({ op: fc.constant('exists' as const), attr: fc.constantFrom('a', 'b', 'tags') }),
) as fc.Arbitrary<FilterNode>;

test('property: the array form is an AND of ORs', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          smallLeaf.map((l) => [l]),
          fc.array(smallLeaf, { minLength: 1, maxLength: 3 }),
        ),
        { minLength: 1, maxLength: 3 },
      ),
      doc,
      (groups, d) => {
        const arrayForm = groups.map((g) => (g.length === 1 ? print(g[0] as FilterNode) : g.map((l) => print(l))));
        const expected = groups.every((g) => g.some((l) => matchesFilter(d, l)));
        assert.equal(matchesFilter(d, parseFilter(arrayForm) as FilterNode), expected);
      },
    ),
    { numRuns: 1000 },
  );
});

test('property: any text either parses or is refused with invalid_search_filter', () => {
  const pieces = fc.constantFrom(
    'a',
    '=',
    '!=',
    '>',
    '(',
    ')',
    '[',
    ']',
    ',',
    'AND',
    'OR',
    'NOT',
    'IN',
    'TO',
    'EXISTS',
    'IS',
    'NULL',
    '"x',
    "'y'",
    ' ',
    '内存',
    '\\',
  );
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ maxLength: 40 }),
        fc.array(pieces, { maxLength: 20 }).map((p) => p.join(' ')),
      ),
      (text) => {
        try {
          parseFilterString(text);
        } catch (err) {
          assert.ok(err instanceof ApiError, String(err));
          assert.equal(err.code, 'invalid_search_filter');
        }
      },
    ),
    { numRuns: 3000 },
  );
});

test('Meilisearch semantics: != holds without the attribute, = is case-insensitive, arrays match any element, TO is inclusive', () => {
  const d = { tags: ['Go', 'rust'], n: 5, date: '2019-05-01', nothing: null, empty: [] };
  const is = (f: string) => matchesFilter(d, parseFilterString(f) as FilterNode);
  assert.ok(is('tags = go'));
  assert.ok(is('tags != python'));
  assert.ok(is('missing != x'));
  assert.ok(!is('missing = x'));
  assert.ok(is('n 5 TO 6') && is('n 1 TO 5') && !is('n 6 TO 9'));
  assert.ok(is('date >= 2019-01-01 AND date < "2020"'));
  assert.ok(is('tags IN [python, RUST]') && is('tags NOT IN [python]'));
  assert.ok(is('nothing IS NULL') && is('empty IS EMPTY') && is('n IS NOT NULL') && is('missing NOT EXISTS'));
  assert.ok(is('NOT (n > 5 OR tags = python)'));
  assert.equal(parseFilter(''), null);
  assert.equal(parseFilter([]), null);
  assert.throws(() => parseFilterString(`${'('.repeat(200)}a = 1${')'.repeat(200)}`), /maximum depth/);
  assert.throws(() => parseFilterString('_geoRadius(1, 2, 3)'), /not supported/);
});

test('the attribute projection keeps what filters see: a long string exists, is neither null nor empty, and equals nothing', () => {
  const long = '长'.repeat(300);
  const d = project({ body: long, tags: ['go', long], n: 1, nested: { title: '短' } }) as JsonObject;
  const is = (f: string) => matchesFilter(d, parseFilterString(f) as FilterNode);
  assert.ok(is('body EXISTS') && is('body IS NOT NULL') && is('body IS NOT EMPTY'));
  assert.ok(!is(`body = "${long}"`) && is('tags = go') && is('nested.title = 短') && is('n = 1'));
  assert.ok(JSON.stringify(d).length < 200);
});
