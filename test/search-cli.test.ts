import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from './helpers.js';

// The built bin, as `npx ruyi` runs it (npm test builds dist/ first: see "pretest").
const BIN = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));

function ruyi(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('ruyi search: the query language, its options, malformed queries searched as words (--strict-syntax: exit 4 with a caret)', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'posts.ndjson');
  writeFileSync(
    file,
    [
      { id: 'a', title: '一次内存溢出的排查', body: 'Go 服务内存溢出，原因是 goroutine 泄漏。', tags: ['go'], date: '2019-05-01' },
      { id: 'b', title: 'beego 的会话', body: '会话存在内存里，最后溢出。', tags: ['go', 'beego'], date: '2018-11-20' },
      { id: 'c', title: '内存数据库 Redis', body: 'Redis 把数据放在内存中。', tags: ['数据库'], date: '2020-11-11' },
    ]
      .map((d) => JSON.stringify(d))
      .join('\n'),
  );
  const db = join(dir, 'db');
  assert.equal(ruyi('index', file, '--db', db, '--threads', '1').code, 0);
  const json = (...args: string[]) => {
    const r = ruyi('search', ...args, '--db', db, '--json');
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as { total: number; hits: { id: string }[]; partial: boolean; relaxed: boolean; syntax: string };
  };
  assert.deepEqual(
    json('"内存溢出" -beego').hits.map((h) => h.id),
    ['a'],
  );
  assert.deepEqual(
    json('内存 date:>=2020').hits.map((h) => h.id),
    ['c'],
  );
  assert.deepEqual(
    json('内存', '--sort', 'date').hits.map((h) => h.id),
    ['c', 'a', 'b'],
  );
  assert.equal(json('内存数', '--prefix').hits[0]?.id, 'c');
  // --plain: the quotes and the minus are text, so beego is a word to find.
  assert.deepEqual(
    json('"内存溢出" -beego', '--plain').hits.map((h) => h.id),
    ['b'],
  );
  const count = ruyi('search', '内存', '--db', db, '--count');
  assert.equal(count.stdout.trim(), '3');

  // By default a malformed query is searched as plain words, with a note on stderr.
  const loose = ruyi('search', '内存 (溢出', '--db', db);
  assert.equal(loose.code, 0, loose.stderr);
  assert.match(loose.stdout, /^2 results/); // 内存 and 溢出: a and b
  assert.match(loose.stderr, /not valid query syntax, searched as plain words: character 4: this "\(" is never closed/);
  assert.match(loose.stderr, /内存 \(溢出\n {7}\^/);
  const looseJson = JSON.parse(ruyi('search', 'foo:bar 内存', '--db', db, '--json').stdout);
  assert.equal(looseJson.syntax, 'plain');
  assert.equal(looseJson.syntaxError.position, 0);
  assert.equal(json('"内存溢出"').syntax, 'query');
  // Its own wall time: from the process's start, so more than opening and searching, which it includes.
  const timed = JSON.parse(ruyi('search', '内存', '--db', db, '--json').stdout) as { tookMs: number; wallMs: number; openMs: number };
  assert.ok(timed.openMs > 0 && timed.tookMs > 0, JSON.stringify(timed));
  assert.ok(timed.wallMs > timed.openMs + timed.tookMs, JSON.stringify(timed));
  assert.match(loose.stderr, /\nwall \d+ ms from process start to results \(open \d+ ms, search \d+\.\d ms\)\n/);

  const bad = ruyi('search', '内存 (溢出', '--db', db, '--strict-syntax');
  assert.equal(bad.code, 4);
  assert.match(bad.stderr, /query error at character 4: this "\(" is never closed/);
  assert.match(bad.stderr, /内存 \(溢出\n {7}\^/);
  const badJson = ruyi('search', 'foo:bar', '--db', db, '--json', '--strict-syntax');
  assert.equal(badJson.code, 4);
  assert.deepEqual(JSON.parse(badJson.stdout).error.position, 0);
});
