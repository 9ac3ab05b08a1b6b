import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { resolveSettings } from '../src/cli/settings.js';
import { openIndex, Rebuild, rebuildIndex, verifyIndex } from '../src/index.js';
import { SAMPLE_FILE, sampleDocs, tempDir } from './helpers.js';

const BIN = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));

function ruyi(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const LINES = readFileSync(SAMPLE_FILE, 'utf8').trim().split('\n');
const POEMS = LINES.filter((l) => !l.includes('"manpages-zh:'));

/** Two dumps that answer "列出目录内容" differently: with the man pages, and without them. */
function dumps(dir: string): { withMan: string; withoutMan: string } {
  const withMan = join(dir, 'with-man.ndjson');
  const withoutMan = join(dir, 'without-man.ndjson');
  writeFileSync(withMan, `${LINES.join('\n')}\n`);
  writeFileSync(withoutMan, `${POEMS.join('\n')}\n`);
  return { withMan, withoutMan };
}

function generations(db: string): string[] {
  return readdirSync(db).filter((n) => n.startsWith('gen-'));
}

test('a rebuild replaces the whole content in a new generation and removes the old one', async (t) => {
  const dir = tempDir(t);
  const db = join(dir, 'db');
  const { withMan, withoutMan } = dumps(dir);
  assert.equal(ruyi('index', withMan, '--db', db, '--threads', '1', '--quiet').code, 0);
  assert.deepEqual(generations(db), ['gen-000001']);
  const r = ruyi('index', withoutMan, '--db', db, '--threads', '1', '--json');
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.mode, 'rebuild');
  assert.equal(report.docs, POEMS.length);
  assert.equal(report.generation, 'gen-000002');
  assert.deepEqual(generations(db), ['gen-000002']);
  const index = await openIndex(db, { create: false });
  t.after(() => index.close());
  assert.equal(index.stats().docs, POEMS.length);
  assert.equal(index.has('manpages-zh:man1/ls.1'), false);
  assert.equal(index.search('列出目录内容').hits.length, 0);
});

test('a reader opened before a rebuild answers from the old generation until the switch, then from the new one', async (t) => {
  const dir = tempDir(t);
  const db = join(dir, 'db');
  const docs = sampleDocs();
  await rebuildIndex(db, docs, { threads: 1 });
  const reader = await openIndex(db, { create: false });
  t.after(() => reader.close());
  assert.equal(reader.search('列出目录内容').hits[0]?.id, 'manpages-zh:man1/ls.1');

  const rebuild = Rebuild.begin(db, { threads: 1 });
  await rebuild.index.add(docs.filter((d) => !d.id.startsWith('manpages-zh:')));
  await rebuild.index.flush();
  // Written but not switched: the reader still sees the old index, whole.
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(reader.search('列出目录内容').hits[0]?.id, 'manpages-zh:man1/ls.1');
  assert.equal(reader.stats().docs, docs.length);
  await rebuild.commit();
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(reader.search('列出目录内容').hits.length, 0);
  assert.equal(reader.stats().generation, 'gen-000002');
  assert.equal(reader.get('manpages-zh:man1/ls.1'), undefined);
});

test('searches in other processes keep working during a rebuild: old results, then new ones, never an error', async (t) => {
  const dir = tempDir(t);
  const db = join(dir, 'db');
  const { withMan, withoutMan } = dumps(dir);
  // A bigger dump makes the rebuild last long enough to search during it.
  const big = join(dir, 'big.ndjson');
  const poems = POEMS.map((l) => JSON.parse(l) as { id: string });
  const copies: string[] = [];
  for (let k = 0; k < 6; k++) for (const p of poems) copies.push(JSON.stringify({ ...p, id: `${p.id}#${k}` }));
  writeFileSync(big, `${copies.join('\n')}\n`);
  assert.equal(ruyi('index', withMan, '--db', db, '--threads', '1', '--quiet').code, 0);
  void withoutMan;

  const child = spawn(process.execPath, [BIN, 'index', big, '--db', db, '--threads', '1', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b) => {
    out += b;
  });
  const done = new Promise<number | null>((r) => child.on('close', r));
  let finished = false;
  void done.then(() => {
    finished = true;
  });
  const seen: number[] = [];
  while (!finished) {
    const r = ruyi('search', '列出目录内容', '--db', db, '--json', '--limit', '1');
    assert.equal(r.code, 0, r.stderr);
    seen.push(JSON.parse(r.stdout).hits.length);
    // spawnSync blocks the event loop: let the child's close event through.
    await new Promise((res) => setImmediate(res));
  }
  assert.equal(await done, 0, out);
  const after = ruyi('search', '列出目录内容', '--db', db, '--json');
  seen.push(JSON.parse(after.stdout).hits.length);
  assert.ok(seen.length >= 2, `only ${seen.length} searches ran`);
  // Old answers (1 hit) then new ones (0): once switched, never back.
  const firstNew = seen.indexOf(0);
  assert.ok(firstNew > 0, `${seen}`);
  assert.ok(
    seen.slice(firstNew).every((n) => n === 0),
    `${seen}`,
  );
  assert.ok(
    seen.slice(0, firstNew).every((n) => n === 1),
    `${seen}`,
  );
});

test('--strict and --max-errors stop the rebuild and leave the live index as it was', async (t) => {
  const dir = tempDir(t);
  const db = join(dir, 'db');
  const { withMan } = dumps(dir);
  assert.equal(ruyi('index', withMan, '--db', db, '--threads', '1', '--quiet').code, 0);
  const bad = join(dir, 'bad.ndjson');
  writeFileSync(
    bad,
    `${POEMS.slice(0, 50).join('\n')}\n{"id": "坏的", "body": \n${POEMS.slice(50, 60).join('\n')}\n{"id": 3.5, "body": "x"}\n`,
  );

  const strict = ruyi('index', bad, '--db', db, '--threads', '1', '--strict', '--json');
  assert.equal(strict.code, 2, strict.stderr);
  const s = JSON.parse(strict.stdout);
  assert.equal(s.stopped, 'strict');
  assert.equal(s.generation, 'gen-000001');
  assert.equal(s.errors[0].line, 51);
  assert.match(s.errors[0].reason, /invalid JSON/);

  const limited = ruyi('index', bad, '--db', db, '--threads', '1', '--max-errors', '1', '--json');
  assert.equal(limited.code, 2);
  assert.equal(JSON.parse(limited.stdout).stopped, 'max-errors');
  assert.deepEqual(generations(db), ['gen-000001']);

  const index = await openIndex(db, { create: false });
  t.after(() => index.close());
  assert.equal(index.stats().docs, LINES.length);
  assert.equal(index.search('列出目录内容').hits[0]?.id, 'manpages-zh:man1/ls.1');

  // Within the limit the rebuild goes on and switches; the report counts what was rejected.
  const tolerated = ruyi('index', bad, '--db', db, '--threads', '1', '--max-errors', '2', '--json');
  assert.equal(tolerated.code, 0, tolerated.stderr);
  const tr = JSON.parse(tolerated.stdout);
  assert.equal(tr.failed, 2);
  assert.equal(tr.docs, 60);
});

test('duplicate ids in one dump: the last record wins and the report counts them', async (t) => {
  const dir = tempDir(t);
  const db = join(dir, 'db');
  const dump = join(dir, 'dup.ndjson');
  const rows = [
    { id: 'a', title: '初稿', body: '第一版正文：内存泄漏的排查。' },
    { id: 'b', title: '另一篇', body: '倒排索引的压缩。' },
    { id: 'a', title: '定稿', body: '第二版正文：内存溢出的排查。' },
  ];
  writeFileSync(dump, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
  const r = ruyi('index', dump, '--db', db, '--threads', '1', '--json');
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.docs, 2);
  assert.equal(report.duplicates, 1);
  const index = await openIndex(db, { create: false });
  t.after(() => index.close());
  assert.equal(index.get('a')?.title, '定稿');
  assert.equal(index.search('泄漏').total, 0);
});

test('--update adds into the live index; ruyi remove deletes; both durable when they exit', async (t) => {
  const dir = tempDir(t);
  const db = join(dir, 'db');
  const { withMan } = dumps(dir);
  assert.equal(ruyi('index', withMan, '--db', db, '--threads', '1', '--quiet').code, 0);
  const extra = join(dir, 'extra.ndjson');
  writeFileSync(extra, `${JSON.stringify({ id: 'new-1', title: '新文章', body: '布隆过滤器用于快速判断元素是否存在。' })}\n`);
  const u = ruyi('index', extra, '--db', db, '--update', '--json');
  assert.equal(u.code, 0, u.stderr);
  assert.equal(JSON.parse(u.stdout).mode, 'update');
  const rm = ruyi('remove', 'manpages-zh:man1/ls.1', 'no-such-id', '--db', db, '--json');
  assert.equal(rm.code, 0, rm.stderr);
  assert.deepEqual(JSON.parse(rm.stdout), { removed: 1, missing: 1, failed: [] });
  const index = await openIndex(db, { create: false });
  t.after(() => index.close());
  assert.equal(index.stats().docs, LINES.length);
  assert.equal(index.search('布隆过滤器').hits[0]?.id, 'new-1');
  assert.equal(index.has('manpages-zh:man1/ls.1'), false);
  assert.equal(index.stats().generation, 'gen-000001');
});

test('a second writer gets "locked by pid N"; a lock left by a killed process is recovered', async (t) => {
  const dir = tempDir(t);
  const db = join(dir, 'db');
  const { withMan } = dumps(dir);
  const host = await openIndex(db, { threads: 1 });
  await host.add({ id: 'p1', title: '博客文章', body: '今天写了一个中文搜索引擎。' });
  await host.flush();
  const r = ruyi('index', withMan, '--db', db, '--quiet');
  assert.equal(r.code, 5, r.stderr);
  assert.match(r.stderr, new RegExp(`locked by pid ${process.pid}`));
  // Reading needs no lock.
  assert.equal(ruyi('search', '搜索引擎', '--db', db, '--json').code, 0);
  await host.close();

  // A rebuild killed with SIGKILL leaves its lock and its half-built generation behind.
  const child = spawn(process.execPath, [BIN, 'index', withMan, '--db', db, '--threads', '1'], { stdio: 'ignore' });
  const closed = new Promise((res) => child.on('close', res));
  for (let i = 0; i < 1000 && !existsSync(join(db, 'gen-000002')); i++) await new Promise((res) => setTimeout(res, 10));
  child.kill('SIGKILL');
  await closed;
  assert.ok(existsSync(join(db, 'LOCK')) && existsSync(join(db, 'gen-000002')), 'the kill landed before the rebuild began');
  const check = await verifyIndex(db);
  assert.equal(check.ok, true, JSON.stringify(check.problems));
  assert.ok(check.notes.some((n) => n.key === 'gen-000002' && /not live/.test(n.message)));
  const after = await openIndex(db, { create: false });
  assert.equal(after.stats().docs, 1);
  assert.equal(after.stats().generation, 'gen-000001');
  await after.close();
  const again = ruyi('index', withMan, '--db', db, '--threads', '1', '--json');
  assert.equal(again.code, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout).docs, LINES.length);
  assert.deepEqual(generations(db), ['gen-000003']);
  assert.equal(existsSync(join(db, 'LOCK')), false);
});

test('Ctrl-C stops a rebuild cleanly: exit 130, the live index untouched, nothing left behind', async (t) => {
  const dir = tempDir(t);
  const db = join(dir, 'db');
  const { withMan } = dumps(dir);
  assert.equal(ruyi('index', withMan, '--db', db, '--threads', '1', '--quiet').code, 0);
  const big = join(dir, 'big.ndjson');
  const copies: string[] = [];
  for (let k = 0; k < 60; k++) for (const l of POEMS) copies.push(l.replace(/"id": ?"/, `"id": "${k}-`));
  writeFileSync(big, `${copies.join('\n')}\n`);
  const child = spawn(process.execPath, [BIN, 'index', big, '--db', db, '--threads', '1', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b) => {
    out += b;
  });
  const closed = new Promise<number | null>((res) => child.on('close', res));
  for (let i = 0; i < 1000 && !existsSync(join(db, 'gen-000002')); i++) await new Promise((res) => setTimeout(res, 10));
  child.kill('SIGINT');
  const code = await closed;
  assert.equal(code, 130, out);
  assert.equal(JSON.parse(out).stopped, 'interrupted');
  assert.deepEqual(generations(db), ['gen-000001']);
  assert.equal(existsSync(join(db, 'LOCK')), false);
  const index = await openIndex(db, { create: false });
  t.after(() => index.close());
  assert.equal(index.stats().docs, LINES.length);
});

test('settings: flags win over RUYI_* variables, which win over the config file', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'ruyi.config.json');
  writeFileSync(file, JSON.stringify({ db: '/from/file', threads: 2, maxMemory: '512M', fields: { id: 'article_id' } }));
  const env = { RUYI_CONFIG: file, RUYI_THREADS: '3', RUYI_DB: '/from/env' };
  assert.deepEqual(resolveSettings({}, env), { db: '/from/env', threads: 3, maxMemory: 512 * 2 ** 20, fields: { id: 'article_id' } });
  assert.deepEqual(resolveSettings({ threads: 1, db: '/from/flag' }, env), {
    db: '/from/flag',
    threads: 1,
    maxMemory: 512 * 2 ** 20,
    fields: { id: 'article_id' },
  });
  writeFileSync(file, JSON.stringify({ thread: 2 }));
  assert.throws(() => resolveSettings({}, env), /config file .*thread/);
  assert.throws(() => resolveSettings({}, { RUYI_THREADS: 'many' }), /RUYI_THREADS/);
  // A bad setting reaches the user as a usage error (exit 1) that names it.
  const r = spawnSync(process.execPath, [BIN, 'index', SAMPLE_FILE, '--db', join(dir, 'db')], {
    encoding: 'utf8',
    env: { ...process.env, RUYI_MAX_MEMORY: 'lots' },
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /RUYI_MAX_MEMORY/);
});

test('a directory that is not a ruyi index is refused and left untouched', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'notes.txt'), '我的笔记');
  const r = ruyi('index', SAMPLE_FILE, '--db', dir, '--quiet');
  assert.equal(r.code, 3);
  assert.match(r.stderr, /not a ruyi index.*notes\.txt/);
  assert.deepEqual(readdirSync(dir), ['notes.txt']);
});
