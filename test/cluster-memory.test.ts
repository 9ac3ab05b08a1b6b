import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import {
  ANALYSIS_HEAP_BASE_BYTES,
  ANALYSIS_HEAP_PER_BODY_BYTE,
  CLUSTER_CLIENT_BYTES,
  planClusterMemory,
} from '../src/cluster/cluster-memory.js';
import { MAX_STRING_ATTR_BYTES } from '../src/cluster/doc-rows.js';
import { planMemory } from '../src/memory-plan.js';
import { openIndex } from '../src/index.js';
import { startCluster } from './cluster-helpers.js';
import { tempDir } from './helpers.js';
import { cgroupForTest, writeDump } from './memory-helpers.js';

const MiB = 1024 * 1024;
const BIN = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));

test('cluster memory plan: refuses below the local minimum plus the SphinxQL client; more budget never plans less', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 64, max: 2048 }),
      fc.integer({ min: 0, max: 512 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 16 }),
      fc.integer({ min: 1, max: 3 }),
      (budgetMb, moreMb, threads, shards, replicas) => {
        const plan = (mb: number) => planClusterMemory(planMemory(mb * MiB, threads, 8 * 1024 * MiB, 4, false, CLUSTER_CLIENT_BYTES), shards, replicas);
        const a = plan(budgetMb);
        const b = plan(budgetMb + moreMb);
        const minimum = planMemory(undefined, threads, 8 * 1024 * MiB, 4, false, CLUSTER_CLIENT_BYTES).minimumBytes;
        assert.equal(a.refusal !== null, budgetMb * MiB < minimum);
        if (a.refusal !== null) assert.match(a.refusal, new RegExp(`needs at least .*--max-memory ${Math.ceil(minimum / MiB)}M`));
        // A worker's heap holds the longest body it is given, and no body over what Sphinx stores is planned.
        assert.ok(a.maxBodyBytes <= MAX_STRING_ATTR_BYTES);
        assert.ok(a.workerHeapMb * MiB >= ANALYSIS_HEAP_BASE_BYTES + a.maxBodyBytes * ANALYSIS_HEAP_PER_BODY_BYTE);
        for (const key of ['maxBodyBytes', 'statementBytes', 'bufferedBytes', 'workerHeapMb', 'taskBytes'] as const)
          assert.ok(b[key] >= a[key], `${key}: ${budgetMb} MB -> ${a[key]}, ${budgetMb + moreMb} MB -> ${b[key]}`);
        assert.ok(a.bufferedBytes >= shards * a.statementBytes, 'a statement per shard fits the buffer');
      },
    ),
    { numRuns: 500 },
  );
});

/**
 * `ruyi index` into a cluster with default flags inside a real memory cgroup (the searchd
 * nodes outside it, as on another machine): the default budget comes from the cgroup's limit,
 * and the load either refuses up front naming the minimum or finishes within its budget; it
 * is never killed. The dump holds an 8 MiB article, over what a Sphinx string attribute
 * stores: --truncate cuts it to what the budget can analyze.
 */
for (const mb of [160, 256]) {
  test(`cluster: ruyi index with default flags in a ${mb} MB container finishes within its budget or refuses up front`, async (t) => {
    const cgroup = cgroupForTest(t, `ruyi-cluster-test-${process.pid}-${mb}`, mb);
    if (cgroup === null) return;
    const cluster = await startCluster(t, { nodes: 2, shards: 3, replicas: 2 });
    const dir = tempDir(t);
    const dump = join(dir, 'dump.ndjson');
    writeDump(dump, 6, 8);
    const [cmd, ...args] = ['sh', '-c', `echo $$ > ${cgroup.procs} && exec "$@"`, 'sh', BIN, 'index', dump, '--db', cluster.dir, '--truncate', '--json'];
    const run = spawnSync(cmd as string, args, { encoding: 'utf8', timeout: 120_000 });
    assert.notEqual(run.signal, 'SIGKILL', `killed in a ${mb} MB cgroup: ${cgroup.events()}`);
    const plan = planMemory(undefined, undefined, mb * MiB, 2, true, CLUSTER_CLIENT_BYTES);
    if (plan.refusal !== null) {
      assert.equal(run.status, 1, run.stderr);
      assert.match(run.stderr, /cluster load with one thread needs at least/);
      return;
    }
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout) as { docs: number; failed: number; peakRssMb: number; maxMemoryMb: number };
    t.diagnostic(`${mb} MB cgroup: budget ${report.maxMemoryMb} MB, peak RSS ${report.peakRssMb} MB, ${report.docs} documents`);
    assert.equal(report.maxMemoryMb, Math.round(plan.maxMemory / MiB));
    assert.ok(report.peakRssMb <= report.maxMemoryMb, `peak ${report.peakRssMb} MB over the ${report.maxMemoryMb} MB budget`);
    assert.equal(report.failed, 0);
    // Every document is there, the long one cut but searchable by its title.
    const index = await openIndex(cluster.dir);
    t.after(() => index.close());
    assert.equal(index.stats().docs, report.docs);
    assert.equal(index.search('一篇很长的文章').hits[0]?.id, 'long');
  });
}
