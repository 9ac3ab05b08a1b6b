import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SAMPLE_FILE } from './helpers.js';

const BIN = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));

function tune(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, 'tune', SAMPLE_FILE, '--sample', '300K', '--max-threads', '2', '--json', ...args], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('ruyi tune measures each thread count on the same sample and recommends one that fits the budget', () => {
  const r = tune('--max-memory', '1G');
  assert.equal(r.code, 0, r.err);
  const result = JSON.parse(r.out);
  assert.ok(result.sampleDocs > 20 && result.sampleBytes >= 300 * 1024, r.out);
  assert.deepEqual(
    result.trials.map((t: { threads: number }) => t.threads),
    [1, 2],
  );
  for (const t of result.trials) {
    // Every trial indexed the whole sample, and measured itself.
    assert.equal(t.docs, result.sampleDocs);
    assert.ok(t.mbPerSecond > 0 && t.peakRssMb > 30 && t.peakRssMb < 1024, JSON.stringify(t));
    assert.equal(t.fits, true);
  }
  assert.ok([1, 2].includes(result.recommended), r.out);
  assert.match(result.reason, /MB\/s at a peak of/);
});

test('ruyi tune says so when no thread count fits the budget (exit 2), instead of recommending one', () => {
  const r = tune('--max-memory', '100M', '--max-threads', '1');
  assert.equal(r.code, 2, r.err);
  const result = JSON.parse(r.out);
  assert.equal(result.recommended, null);
  assert.equal(result.trials[0].fits, false);
  assert.match(result.reason, /raise --max-memory/);
});
