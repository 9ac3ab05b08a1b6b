import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { openIndex } from '../src/index.js';
import { sampleDocs, tempDir } from './helpers.js';

// Issue 12: `await openIndex()` loads the query analyzer, so the first search costs what the
// next ones do; a writing process can leave it out. Times are compared as ratios in one
// process, never against a bound in milliseconds.

const INDEX_JS = new URL('../dist/src/index.js', import.meta.url).href;
const QUERIES = ['列出目录内容', '春风', '文件系统', '网络 接口', '用户 密码', '显示 进程', '明月', '复制 文件', '时间'];

/** In a fresh Node process (the analyzer is cached per process): the first search's time over the median of the next ones. */
function firstSearchRatio(db: string, preload: boolean): { first: number; next: number; ratio: number; openRss: number } {
  const script = `
    const { openIndex } = await import(${JSON.stringify(INDEX_JS)});
    const before = process.memoryUsage.rss();
    const index = await openIndex(${JSON.stringify(db)}, { create: false, threads: 1, preloadAnalyzer: ${preload} });
    const openRss = process.memoryUsage.rss() - before;
    const times = [];
    for (const q of ${JSON.stringify(QUERIES)}) {
      const t0 = performance.now();
      index.search(q, { limit: 10 });
      times.push(performance.now() - t0);
    }
    await index.close();
    const next = times.slice(1).sort((a, b) => a - b)[Math.floor((times.length - 1) / 2)];
    console.log(JSON.stringify({ first: times[0], next, ratio: times[0] / next, openRss }));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as { first: number; next: number; ratio: number; openRss: number };
}

test('the first search after openIndex loads no dictionary: its time is near the next searches, unlike a lazy load', async (t) => {
  const db = join(tempDir(t), 'db');
  const index = await openIndex(db, { threads: 1, shards: 2 });
  await index.add(sampleDocs());
  await index.close();

  // Best of three per mode: the machine is shared, and a stall only ever makes a time longer.
  const runs = (preload: boolean) => [0, 1, 2].map(() => firstSearchRatio(db, preload));
  const lazyRuns = runs(false);
  const preloadedRuns = runs(true);
  const min = (rs: { first: number }[]) => Math.min(...rs.map((r) => r.first));
  const minRatio = (rs: { ratio: number }[]) => Math.min(...rs.map((r) => r.ratio));
  const detail = `preloaded ${JSON.stringify(preloadedRuns)}, lazy ${JSON.stringify(lazyRuns)}`;
  t.diagnostic(detail);
  // The control: without the preload the first search builds jieba's dictionary, many times a search.
  assert.ok(minRatio(lazyRuns) > 15, detail);
  // With it, the first search is a small part of a lazy first search (cold caches and code remain).
  assert.ok(min(preloadedRuns) * 4 < min(lazyRuns), detail);
  assert.ok(minRatio(preloadedRuns) * 2 < minRatio(lazyRuns), detail);
  const [preloaded, lazy] = [preloadedRuns[0], lazyRuns[0]] as [{ openRss: number }, { openRss: number }];
  // What moved: the dictionary is resident after openIndex with the preload, not without it.
  assert.ok(preloaded.openRss > lazy.openRss + 16 * 1024 * 1024, detail);
});
