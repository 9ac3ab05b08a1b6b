import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Batcher } from '../src/batcher.js';
import { EngineError } from '../src/errors.js';
import type { BatchOp, BatchResult } from '../src/types.js';

const result = (ops: BatchOp[]): BatchResult => ({
  added: ops.length,
  replaced: 0,
  superseded: 0,
  removed: 0,
  missing: 0,
  rejected: [],
  rejectedCount: 0,
  tokens: 0,
  merges: 0,
  ms: { analyze: 0, write: 0, merge: 0 },
});

function add(id: string): BatchOp {
  return { op: 'add', doc: { id, title: '标题', body: '正文', tags: [], date: null, fields: null } };
}

test('many shards, none full: the pending bound still holds and nothing hangs', async () => {
  const sent: { shard: number; ids: string[] }[] = [];
  let inFlight = 0;
  let maxInFlightPerShard = 0;
  const perShard = new Map<number, number>();
  const batcher = new Batcher(
    10,
    1000,
    async (shard, ops) => {
      inFlight++;
      perShard.set(shard, (perShard.get(shard) ?? 0) + 1);
      maxInFlightPerShard = Math.max(maxInFlightPerShard, perShard.get(shard) ?? 0);
      await new Promise((r) => setTimeout(r, 2));
      perShard.set(shard, (perShard.get(shard) ?? 0) - 1);
      inFlight--;
      sent.push({ shard, ids: ops.map((o) => (o.op === 'add' ? o.doc.id : (o.id ?? ''))) });
      return result(ops);
    },
    2500,
  );
  for (let i = 0; i < 300; i++) await batcher.push(i % 10, add(`doc-${i}`), 100);
  const report = await batcher.flush();
  assert.equal(report.added, 300);
  assert.equal(inFlight, 0);
  assert.equal(maxInFlightPerShard, 1, 'at most one batch per shard in flight');
  const all = sent.flatMap((s) => s.ids).sort();
  assert.equal(new Set(all).size, 300);
  // Within a shard, documents go out in the order they came.
  for (let s = 0; s < 10; s++) {
    const ids = sent.filter((b) => b.shard === s).flatMap((b) => b.ids);
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => Number(a.slice(4)) - Number(b.slice(4))),
    );
  }
});

test('a failing batch is retried one document at a time; the one that fails again is reported', async () => {
  const batcher = new Batcher(1, 1_000_000, async (_shard, ops) => {
    if (ops.some((o) => o.op === 'add' && o.doc.id === 'poison')) throw new EngineError('E_WORKER', 'shard 0: worker exited');
    return result(ops);
  });
  for (const id of ['a', 'b', 'poison', 'c']) await batcher.push(0, add(id), 10);
  const report = await batcher.flush();
  assert.equal(report.added, 3);
  assert.equal(report.failedCount, 1);
  assert.deepEqual(report.failed, [{ id: 'poison', reason: 'shard 0: worker exited' }]);
});
