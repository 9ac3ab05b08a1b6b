import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { CLUSTER_FILE, planCluster, readClusterConfig, writeCluster } from '../src/cluster/cluster-config.js';
import { coverKeys, dateKeys, isWholeDays } from '../src/cluster/date-keys.js';
import { type Doc, openIndex } from '../src/index.js';
import { parseDateExpression } from '../src/search/date-range.js';
import { mulberry32 } from '../scripts/prng.js';
import { startCluster } from './cluster-helpers.js';
import { tempDir } from './helpers.js';

const DAY_MS = 86_400_000;

test('date keys: a whole-day range covers exactly the days in it, with few keywords', () => {
  const day = fc.integer({ min: Date.UTC(1, 0, 1) / DAY_MS, max: Date.UTC(9999, 11, 31) / DAY_MS });
  fc.assert(
    fc.property(day, day, day, fc.boolean(), fc.boolean(), (a, b, probe, openStart, openEnd) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      const from = openStart ? Number.NEGATIVE_INFINITY : lo * DAY_MS;
      const to = openEnd ? Number.POSITIVE_INFINITY : (hi + 1) * DAY_MS - 1;
      assert.ok(isWholeDays(from, to));
      const cover = new Set(coverKeys(from, to));
      assert.ok(cover.size <= 150, `${cover.size} keywords`);
      // A day (at any time of it) is in the range exactly when one of its keys is in the cover.
      const ms = probe * DAY_MS + ((probe * 7919) % DAY_MS);
      const inRange = ms >= from && ms <= to;
      assert.equal(
        dateKeys(ms).some((k) => cover.has(k)),
        inRange,
        `${new Date(ms).toISOString()} in ${from}..${to}`,
      );
    }),
    { numRuns: 3000 },
  );
  assert.equal(isWholeDays(Date.UTC(2019, 4, 1, 10), Number.POSITIVE_INFINITY), false);
});

const WORDS = ['内存', '文件', '目录', '网络', '诗词', '服务器'];
const TAGS = ['go', 'man', 'poem'];

/** Documents with dates over 1990-2030: day dates, ISO times, ms numbers, and none. */
function datedDocs(n: number): Doc[] {
  const random = mulberry32(7);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  return Array.from({ length: n }, (_, i) => {
    const ms = Date.UTC(1990, 0, 1) + Math.floor(random() * 40 * 365) * DAY_MS + Math.floor(random() * DAY_MS);
    const kind = i % 4;
    const date = kind === 0 ? new Date(ms).toISOString().slice(0, 10) : kind === 1 ? new Date(ms).toISOString() : kind === 2 ? ms : undefined;
    const doc: Doc = { id: `d${i}`, title: `${pick(WORDS)}的笔记 ${i}`, body: `${pick(WORDS)}和${pick(WORDS)}的一些记录`, tags: [pick(TAGS)] };
    if (date !== undefined) doc.date = date;
    return doc;
  });
}

const year = fc.integer({ min: 1988, max: 2032 });
const month = fc.integer({ min: 1, max: 12 });
const dayOfMonth = fc.integer({ min: 1, max: 28 });
const datePoint = fc.oneof(
  year.map(String),
  fc.tuple(year, month).map(([y, m]) => `${y}-${String(m).padStart(2, '0')}`),
  fc.tuple(year, month, dayOfMonth).map(([y, m, d]) => `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`),
);
const dateRange = fc.oneof(
  datePoint,
  fc.tuple(fc.constantFrom('>=', '>', '<=', '<'), datePoint).map(([op, p]) => `${op}${p}`),
  fc.tuple(datePoint, datePoint).map(([a, b]) => (typeof parseDateExpression(`${a}..${b}`) === 'string' ? `${b}..${a}` : `${a}..${b}`)),
  datePoint.map((p) => `${p}..`),
  datePoint.map((p) => `..${p}`),
);
const word = fc.constantFrom(...WORDS);
const query = fc.oneof(
  fc.tuple(word, dateRange).map(([w, r]) => `${w} OR date:${r}`),
  fc.tuple(word, dateRange, fc.constantFrom(...TAGS)).map(([w, r, t]) => `(${w} date:${r}) OR tag:${t}`),
  fc.tuple(word, dateRange, dateRange).map(([w, r, s]) => `${w} -(date:${r} OR date:${s})`),
  fc.tuple(dateRange, dateRange).map(([r, s]) => `date:${r} OR date:${s}`),
  fc.tuple(word, dateRange, word).map(([w, r, v]) => `(${w} OR date:${r}) ${v}`),
);

test('cluster: date: inside OR, groups and exclusions finds what a local index finds', async (t) => {
  const cluster = await startCluster(t, { nodes: 1, shards: 2, replicas: 1 });
  const docs = datedDocs(160);
  const remote = await openIndex(cluster.dir, { threads: 1 });
  t.after(() => remote.close());
  const local = await openIndex(join(tempDir(t), 'db'), { threads: 1, shards: 2 });
  t.after(() => local.close());
  await remote.add(docs);
  await remote.flush();
  await local.add(docs);
  await local.flush();
  const ids = (index: typeof local, q: string) => {
    const r = index.search(q, { syntax: 'strict', limit: 1000 });
    return { ids: r.hits.map((h) => h.id).sort(), total: r.total };
  };
  let nonEmpty = 0;
  fc.assert(
    fc.property(query, (q) => {
      const want = ids(local, q);
      const got = ids(remote, q);
      assert.deepEqual(got, want, q);
      if (want.total > 0 && want.total < docs.length) nonEmpty++;
    }),
    { numRuns: 150, seed: 15 },
  );
  assert.ok(nonEmpty > 50, `${nonEmpty} queries matched some but not all documents`);
  // A date with a time inside OR has no exact keyword cover: searched as plain words, refused in strict syntax.
  const timed = '内存 OR date:2019-05-01T10:00:00Z';
  assert.equal(remote.search(timed).syntax, 'plain');
  assert.throws(() => remote.search(timed, { syntax: 'strict' }), /with a time/);
});

test('a cluster of the format before the dates field is refused: make a new one and reindex', (t) => {
  const dir = tempDir(t);
  const config = planCluster({ nodes: 1, shards: 1, replicas: 1, ports: [9306] });
  writeCluster(dir, config);
  writeFileSync(join(dir, CLUSTER_FILE), JSON.stringify({ ...config, format: 1 }));
  assert.throws(() => readClusterConfig(dir), /cluster format 1, this ruyi has 2 .*make a new cluster \(ruyi cluster init\) and reindex/);
  // Its nodes can still be listed, started and stopped.
  assert.equal(readClusterConfig(dir, { nodesOnly: true }).nodes.length, 1);
});
