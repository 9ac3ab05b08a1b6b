import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readClusterConfig, tableOf } from '../src/cluster/cluster-config.js';
import { SphinxNodes } from '../src/cluster/sphinx-nodes.js';
import { startCluster } from './cluster-helpers.js';
import { SAMPLE_FILE, sampleDocs } from './helpers.js';

const BIN = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));

/** The first n sample articles as an NDJSON file in `dir`: enough for tests that need a few shards' worth. */
function someArticles(dir: string, n: number): string {
  const file = join(dir, `first-${n}.ndjson`);
  writeFileSync(file, `${sampleDocs().slice(0, n).map((d) => JSON.stringify(d)).join('\n')}\n`);
  return file;
}

function ruyi(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Documents of `shard` on one node, asked directly. */
async function countOn(node: string, shard: string): Promise<number> {
  const nodes = new SphinxNodes();
  try {
    const [rows] = (await nodes.run(node, [{ sql: `SELECT COUNT(*) AS n FROM ${shard}` }])) as { n: string }[][];
    return Number(rows?.[0]?.n);
  } finally {
    await nodes.close();
  }
}

test('an acknowledged write survives kill -9 of every node at once (FLUSH RTINDEX on every replica before exit 0)', async (t) => {
  const cluster = await startCluster(t, { nodes: 2, shards: 2, replicas: 2 });
  const indexed = ruyi('index', SAMPLE_FILE, '--db', cluster.dir, '--threads', '2', '--json');
  assert.equal(indexed.code, 0, indexed.stderr);
  // The last commit is the one Sphinx 2.2.11's binlog replay lost in the trial of issue 15.
  const extra = join(cluster.dir, 'extra.ndjson');
  writeFileSync(
    extra,
    `${sampleDocs()
      .slice(0, 40)
      .map((d) => JSON.stringify({ ...d, id: `again-${d.id}` }))
      .join('\n')}\n`,
  );
  const update = ruyi('index', extra, '--db', cluster.dir, '--update');
  assert.equal(update.code, 0, update.stderr);
  await cluster.kill(0);
  await cluster.kill(1);
  await cluster.restart();

  const check = ruyi('cluster', 'check', cluster.dir, '--json');
  assert.equal(check.code, 0, check.stdout + check.stderr);
  const report = JSON.parse(check.stdout);
  assert.equal(report.ok, true);
  const total = report.shards.reduce((n: number, s: { replicas: { docs: number }[] }) => n + (s.replicas[0]?.docs ?? 0), 0);
  assert.equal(total, 390);
  const live = readClusterConfig(cluster.dir);
  for (const s of cluster.config.shards) for (const node of s.replicas) assert.ok((await countOn(node, tableOf(live, s.name))) > 0);
  const found = ruyi('search', '列出目录内容', '--db', cluster.dir, '--json');
  assert.equal(JSON.parse(found.stdout).total > 0, true);
});

test('a write whose replica is down fails naming the node and the shard, exit 3', async (t) => {
  const cluster = await startCluster(t, { nodes: 2, shards: 2, replicas: 2 });
  await cluster.kill(1);
  const dead = (cluster.config.nodes[1] as { address: string }).address;
  const r = ruyi('index', someArticles(cluster.dir, 40), '--db', cluster.dir, '--threads', '1');
  assert.equal(r.code, 3, r.stdout + r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0] as string, new RegExp(`^ruyi: node ${dead.replace(/\./g, '\\.')} \\(shard s[01]\\): cannot connect`));
  const removed = ruyi('remove', 'x', '--db', cluster.dir);
  assert.equal(removed.code, 3);
  assert.match(removed.stderr, new RegExp(`node ${dead.replace(/\./g, '\\.')} \\(shard s[01]\\)`));
});

test('cluster check names a replica that lost or changed rows, and --repair makes the replicas equal again', async (t) => {
  const cluster = await startCluster(t, { nodes: 2, shards: 2, replicas: 2 });
  assert.equal(ruyi('index', someArticles(cluster.dir, 150), '--db', cluster.dir, '--threads', '2').code, 0);
  const [a, b] = (cluster.config.shards[0] as { replicas: string[] }).replicas as [string, string];
  // What a lost commit leaves: node b's copy of s0 misses rows and holds an old version of one.
  // (The live table of s0: a rebuild filled one of its two, see cluster-config.ts.)
  const s0 = tableOf(readClusterConfig(cluster.dir), 's0');
  const nodes = new SphinxNodes();
  t.after(() => nodes.close());
  const [rows] = (await nodes.run(b, [{ sql: `SELECT id FROM ${s0} ORDER BY id ASC LIMIT 30` }])) as { id: string }[][];
  const ids = (rows ?? []).map((r) => r.id);
  await nodes.run(b, [{ sql: `DELETE FROM ${s0} WHERE id IN (${ids.slice(0, 25).join(',')})` }]);
  await nodes.run(b, [{ sql: `UPDATE ${s0} SET ver = 1 WHERE id = ${ids[29]}` }]);
  const full = await countOn(a, s0);
  assert.equal(await countOn(b, s0), full - 25);

  const check = ruyi('cluster', 'check', cluster.dir);
  assert.equal(check.code, 3);
  assert.match(check.stderr, new RegExp(`shard s0: node ${b.replace(/\./g, '\\.')} differs from node ${a.replace(/\./g, '\\.')}`));
  assert.doesNotMatch(check.stderr, /shard s1/);

  const repair = ruyi('cluster', 'check', cluster.dir, '--repair', '--json');
  assert.equal(repair.code, 0, repair.stdout + repair.stderr);
  const report = JSON.parse(repair.stdout);
  assert.equal(report.ok, true);
  assert.deepEqual(
    report.before.shards[0].repaired.map((r: { copied: number; deleted: number }) => [r.copied, r.deleted]),
    [[26, 0]],
  );
  assert.equal(await countOn(b, s0), full);
  // The copied rows are searchable on b (their full-text fields were rebuilt from the stored fields).
  const [hits] = (await nodes.run(b, [{ sql: `SELECT id FROM ${s0} WHERE id = ${ids[0]}` }])) as unknown[][];
  assert.equal(hits?.length, 1);

  // An unreachable node is a problem that names it.
  await cluster.kill(0);
  const down = ruyi('cluster', 'check', cluster.dir);
  assert.equal(down.code, 3);
  assert.match(down.stderr, new RegExp(`node ${a.replace(/\./g, '\\.')} unreachable`));
});
