import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runTrials } from '../scripts/crash-trials.js';

// The short version of `node --import tsx scripts/crash-trials.ts 50`: kill -9 at random
// moments of incremental updates and of rebuilds, then check every acknowledged document.
test('crash trials: after kill -9, every acknowledged write is there, whole, and nothing removed comes back', async () => {
  const results = await runTrials(4, 11);
  assert.deepEqual(
    results.map((r) => r.kind),
    ['update', 'update', 'rebuild', 'rebuild'],
  );
  for (const r of results) assert.ok(r.docs > 50, JSON.stringify(r));
});
