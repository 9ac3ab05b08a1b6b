import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Doc, openIndex, type RuyiIndex, type SearchOptions, type StructuredQuery } from '../src/index.js';

/**
 * Data-driven search tests (bleve's searches.json): real Chinese posts in
 * fixtures/search/docs.ndjson, and in queries.json one case per operator and option of the
 * query language, with the ids it must find or the order it must rank them in.
 */
interface Case {
  name: string;
  query: string | StructuredQuery;
  options?: SearchOptions;
  /** Exactly these documents match (any order); total is their count. */
  ids?: string[];
  /** The hits start with these, in this order. */
  order?: string[];
  first?: string;
  /** Each pair [a, b]: a ranks above b. */
  before?: [string, string][];
  relaxed?: boolean;
}

const fixtures = new URL('./fixtures/search/', import.meta.url);
const docs = readFileSync(new URL('docs.ndjson', fixtures), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as Doc);
const cases = JSON.parse(readFileSync(new URL('queries.json', fixtures), 'utf8')) as Case[];

const dirs: string[] = [];
function tempDirNoContext(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ruyi-search-'));
  dirs.push(dir);
  return dir;
}

let index: RuyiIndex;
let single: RuyiIndex;
before(async () => {
  index = await openIndex(tempDirNoContext(), { threads: 1, shards: 4 });
  single = await openIndex(tempDirNoContext(), { threads: 1, shards: 1 });
  for (const i of [index, single]) {
    await i.add(docs);
    await i.flush();
  }
});
after(async () => {
  await index.close();
  await single.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

for (const c of cases) {
  test(`query: ${c.name} — ${typeof c.query === 'string' ? c.query : JSON.stringify(c.query)}`, () => {
    const result = index.search(c.query, { limit: 50, ...c.options });
    const ids = result.hits.map((h) => h.id);
    if (c.ids !== undefined) {
      assert.deepEqual([...ids].sort(), [...c.ids].sort(), `hits: ${ids.join(' ')}`);
      assert.equal(result.total, c.ids.length);
    }
    if (c.order !== undefined) assert.deepEqual(ids.slice(0, c.order.length), c.order, `hits: ${ids.join(' ')}`);
    if (c.first !== undefined) assert.equal(ids[0], c.first, `hits: ${ids.join(' ')}`);
    for (const [a, b] of c.before ?? []) {
      assert.ok(ids.indexOf(a) >= 0 && ids.indexOf(a) < ids.indexOf(b), `${a} should rank above ${b}: ${ids.join(' ')}`);
    }
    assert.equal(result.relaxed, c.relaxed ?? false);
    assert.equal(result.partial, false);
    // The shard a document landed in changes nothing: same ids, same order, same scores.
    const one = single.search(c.query, { limit: 50, ...c.options });
    assert.deepEqual(
      one.hits.map((h) => [h.id, h.score.toFixed(9)]),
      result.hits.map((h) => [h.id, h.score.toFixed(9)]),
    );
    assert.equal(one.total, result.total);
  });
}
