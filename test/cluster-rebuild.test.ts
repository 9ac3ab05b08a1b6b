import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readClusterConfig } from '../src/cluster/cluster-config.js';
import { openIndex } from '../src/index.js';
import { startCluster } from './cluster-helpers.js';
import { sampleDocs, tempDir } from './helpers.js';

const BIN = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));

function ruyi(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function dump(file: string, lines: string[]): string {
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/**
 * `ruyi index` without --update on a cluster is atomic: it fills each shard's other table set
 * and switches searches to it only when everything is durable. A run that fails (a node down)
 * or stops early (--strict on a bad record) leaves what searches see exactly as it was; one
 * that succeeds is seen by an index opened before it, without reopening.
 */
test('cluster rebuild: a failed or stopped rebuild changes no search; a finished one switches, followed by open readers', async (t) => {
  const cluster = await startCluster(t, { nodes: 2, shards: 2, replicas: 2 });
  const dir = tempDir(t);
  const docs = sampleDocs();
  const first = docs.slice(0, 80).map((d) => JSON.stringify(d));
  const loaded = ruyi('index', dump(join(dir, 'a.ndjson'), first), '--db', cluster.dir, '--json');
  assert.equal(loaded.code, 0, loaded.stderr);
  assert.equal(JSON.parse(loaded.stdout).switched, true);
  const live = readClusterConfig(cluster.dir).live;

  const reader = await openIndex(cluster.dir, { threads: 1 });
  t.after(() => reader.close());
  const queries = ['文件', '目录', '列出目录内容', 'date:2000..2010', '-文件'];
  const seen = () => ({
    docs: reader.stats().docs,
    hits: queries.map((q) => reader.search(q, { limit: 1000 }).hits.map((h) => `${h.id}:${h.score}`)),
  });
  const before = seen();
  assert.equal(before.docs, 80);

  // Stopped early: the second half of the input holds a record without an id.
  const second = docs.slice(40, 120).map((d) => JSON.stringify({ ...d, title: `${d.title} 第二版` }));
  const bad = [...second.slice(0, 60), '{"title":"没有编号"}', ...second.slice(60)];
  const stopped = ruyi('index', dump(join(dir, 'bad.ndjson'), bad), '--db', cluster.dir, '--strict', '--json');
  assert.notEqual(stopped.code, 0);
  assert.equal(JSON.parse(stopped.stdout).switched, false);
  assert.equal(readClusterConfig(cluster.dir).live, live);
  await new Promise((r) => setTimeout(r, 1100));
  assert.deepEqual(seen(), before);

  // Failed: a replica down. The run fails naming it; searches (on the other replica) are unchanged.
  await cluster.kill(1);
  const failed = ruyi('index', dump(join(dir, 'b.ndjson'), second), '--db', cluster.dir, '--json');
  assert.equal(failed.code, 3, failed.stderr);
  assert.match(failed.stderr, /node 127\.0\.0\.1:\d+/);
  assert.equal(readClusterConfig(cluster.dir).live, live);
  assert.deepEqual(seen(), before);
  await cluster.restart(1);

  // Finished: the new documents replace the old ones at once; the open reader follows within a second.
  const done = ruyi('index', join(dir, 'b.ndjson'), '--db', cluster.dir, '--json');
  assert.equal(done.code, 0, done.stderr);
  const report = JSON.parse(done.stdout);
  assert.deepEqual([report.switched, report.docs, report.removed], [true, 80, 40]);
  assert.notEqual(readClusterConfig(cluster.dir).live, live);
  await new Promise((r) => setTimeout(r, 1100));
  assert.equal(reader.stats().docs, 80);
  const oldOnly = docs[0]?.id as string;
  const newOnly = docs[100]?.id as string;
  assert.equal(reader.has(oldOnly), false);
  assert.match(reader.get(newOnly)?.title ?? '', /第二版$/);
  assert.equal(reader.get(docs[50]?.id as string)?.title, `${docs[50]?.title} 第二版`);
  const check = ruyi('cluster', 'check', cluster.dir, '--json');
  assert.equal(check.code, 0, check.stdout + check.stderr);
});
