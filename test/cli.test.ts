import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SAMPLE_FILE, tempDir } from './helpers.js';

// The built bin, as `npx ruyi` runs it (npm test builds dist/ first: see "pretest").
const BIN = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));

function ruyi(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('ruyi index, search and stats on the shipped sample, with --json', (t) => {
  const db = join(tempDir(t), 'db');
  const indexed = ruyi('index', SAMPLE_FILE, '--db', db, '--threads', '2', '--json');
  assert.equal(indexed.code, 0, indexed.stderr);
  const report = JSON.parse(indexed.stdout);
  assert.equal(report.docs, 350);
  assert.equal(report.failed, 0);
  assert.equal(report.threads, 2);
  assert.equal(report.shards, 4);
  assert.ok(report.bytes > 600_000 && report.seconds > 0 && report.peakRssMb > 0, indexed.stdout);

  const found = ruyi('search', '列出目录内容', '--db', db, '--json', '--limit', '3');
  assert.equal(found.code, 0, found.stderr);
  const result = JSON.parse(found.stdout);
  assert.equal(result.hits[0].id, 'manpages-zh:man1/ls.1');
  assert.equal(result.hits[0].title, 'ls - 列出目录内容');
  assert.ok(result.total >= 1 && result.hits.length === 3 && typeof result.tookMs === 'number');

  const people = ruyi('search', '明月 故乡', '--db', db);
  assert.equal(people.code, 0);
  assert.match(people.stdout, /^\d+ results/);
  const one = ruyi('search', '"列出目录"', '--db', db);
  assert.equal(one.code, 0, one.stderr);
  assert.match(one.stdout, /^1 result \(/);

  const stats = ruyi('stats', '--db', db, '--json');
  assert.equal(stats.code, 0, stats.stderr);
  const s = JSON.parse(stats.stdout);
  assert.equal(s.docs, 350);
  assert.equal(s.shards, 4);
  assert.ok(s.bytesOnDisk > 0);
});

test('bad lines are counted and named by file and line; the good ones are indexed', (t) => {
  const dir = tempDir(t);
  const dump = join(dir, 'dump.ndjson');
  writeFileSync(
    dump,
    [
      JSON.stringify({ id: 'ok-1', title: '第一篇', body: '今天学习了倒排索引。' }),
      '{"id": "broken", "body": "没有结束',
      JSON.stringify({ title: '没有编号', body: '正文' }),
      '',
      JSON.stringify({ id: 'empty', title: '空文章', body: '   ' }),
      JSON.stringify({ id: 7.5, body: '小数编号' }),
      JSON.stringify({ id: 'ok-2', title: '第二篇', body: '全文检索需要分词。', tags: ['搜索'] }),
    ].join('\n'),
  );
  const r = ruyi('index', dump, '--db', join(dir, 'db'), '--threads', '1', '--json');
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.docs, 2);
  assert.equal(report.failed, 4);
  const where = report.errors.map((e: { line: number; reason: string }) => `${e.line}:${e.reason}`);
  assert.match(where[0], /^2:invalid JSON/);
  assert.match(where[1], /^3:missing id/);
  assert.match(where[2], /^5:empty body/);
  assert.match(where[3], /^6:id must be a string or an integer/);
  assert.equal(report.errors[2].id, 'empty');

  const human = ruyi('index', dump, '--db', join(dir, 'db2'), '--threads', '1');
  assert.equal(human.code, 0);
  assert.match(human.stderr, /dump\.ndjson:2: invalid JSON/);

  const search = JSON.parse(ruyi('search', '分词', '--db', join(dir, 'db'), '--json').stdout);
  assert.equal(search.hits[0].id, 'ok-2');
});

test('usage and index errors give documented exit codes and a message on stderr', (t) => {
  const dir = tempDir(t);
  const noDb = ruyi('search', '内存');
  assert.equal(noDb.code, 1);
  assert.match(noDb.stderr, /--db/);

  const badThreads = ruyi('index', SAMPLE_FILE, '--db', join(dir, 'x'), '--threads', 'many');
  assert.equal(badThreads.code, 1);

  const missing = ruyi('search', '内存', '--db', join(dir, 'nothing-here'));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no index at/);

  const db = join(dir, 'db');
  assert.equal(ruyi('index', SAMPLE_FILE, '--db', db, '--shards', '2', '--threads', '1', '--json').code, 0);
  const conflict = ruyi('index', SAMPLE_FILE, '--db', db, '--shards', '3', '--update');
  assert.equal(conflict.code, 3);
  assert.match(conflict.stderr, /2 shards, not 3.*rebuild it/);
  // A rebuild makes a new index, which may have another shard count.
  const reshard = ruyi('index', SAMPLE_FILE, '--db', db, '--shards', '3', '--threads', '1', '--json');
  assert.equal(reshard.code, 0, reshard.stderr);
  assert.equal(JSON.parse(reshard.stdout).shards, 3);

  const nofile = ruyi('index', join(dir, 'nope.ndjson'), '--db', join(dir, 'db3'), '--threads', '1');
  assert.equal(nofile.code, 2);
  assert.match(nofile.stderr, /nope\.ndjson/);
});
