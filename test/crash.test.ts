import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Doc, openIndex } from '../src/index.js';
import { SAMPLE_FILE, sampleDocs, tempDir } from './helpers.js';

const BIN = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));

function index(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, 'index', ...args, '--threads', '1', '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

/**
 * Kills `ruyi index` delayMs after it started, or after `ready` exists when given (a slow
 * start then does not matter). Resolves true if the kill landed, false if the run had ended.
 */
async function killAfter(args: string[], delayMs: number, ready?: string): Promise<boolean> {
  const child = spawn(process.execPath, [BIN, 'index', ...args, '--threads', '1'], { stdio: 'ignore' });
  let exited = false;
  const closed = new Promise((r) =>
    child.on('close', () => {
      exited = true;
      r(null);
    }),
  );
  while (ready !== undefined && !exited && !existsSync(ready)) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, delayMs));
  const landed = !exited;
  child.kill('SIGKILL');
  await closed;
  return landed;
}

test('kill -9 during a rebuild leaves the live index exactly as it was; a rerun completes it exactly', async (t) => {
  const dir = tempDir(t);
  const db = join(dir, 'db');
  const clean = join(dir, 'clean');
  const poems = join(dir, 'poems.ndjson');
  const lines = readFileSync(SAMPLE_FILE, 'utf8').trim().split('\n');
  const poemLines = lines.filter((l) => !l.includes('"manpages-zh:'));
  writeFileSync(poems, `${poemLines.join('\n')}\n`);
  index(SAMPLE_FILE, '--db', clean);
  index(poems, '--db', db);

  let landed = 0;
  for (const delayMs of [300, 600, 900, 1200]) {
    if (!(await killAfter([SAMPLE_FILE, '--db', db], delayMs))) break; // the rebuild finished first
    const live = await openIndex(db, { create: false, threads: 1 });
    // A kill can land after the switch, while the process removes the old generation and
    // exits: then the rebuild is complete, and must be whole.
    if (live.stats().generation !== 'gen-000001') {
      assert.equal(live.stats().docs, lines.length, `switched before a kill at ${delayMs} ms`);
      assert.equal(live.search('列出目录内容').hits[0]?.id, 'manpages-zh:man1/ls.1');
      await live.close();
      break;
    }
    landed++;
    assert.equal(live.stats().docs, poemLines.length, `after a kill at ${delayMs} ms`);
    assert.equal(live.stats().generation, 'gen-000001');
    assert.equal(live.search('列出目录内容').total, 0);
    await live.close();
  }
  assert.ok(landed > 0, 'every rebuild finished before its kill');
  index(SAMPLE_FILE, '--db', db);
  const a = await openIndex(db, { create: false, threads: 1 });
  const b = await openIndex(clean, { create: false, threads: 1 });
  t.after(async () => {
    await a.close();
    await b.close();
  });
  assert.equal(a.stats().docs, 350);
  for (const q of ['列出目录内容', '内存', '明月 故乡', 'tcp 连接']) {
    assert.deepEqual(
      a.search(q, { limit: 20 }).hits.map((h) => [h.id, h.score]),
      b.search(q, { limit: 20 }).hits.map((h) => [h.id, h.score]),
      q,
    );
  }
});

test('kill -9 during --update: the index opens and every document in it is whole', async (t) => {
  const dir = tempDir(t);
  const db = join(dir, 'db');
  const docs = new Map(sampleDocs().map((d): [string, Doc] => [d.id, d]));
  let checked = 0;
  for (const delayMs of [0, 150, 400]) {
    await killAfter([SAMPLE_FILE, '--db', db, '--update'], delayMs, join(db, 'CURRENT'));
    let live: Awaited<ReturnType<typeof openIndex>>;
    try {
      live = await openIndex(db, { create: false, threads: 1 });
    } catch {
      continue; // killed before it created the index
    }
    const n = live.stats().docs;
    assert.ok(n >= 0 && n <= 350, `${n}`);
    let present = 0;
    for (const [id, doc] of docs) {
      const got = live.get(id);
      if (got === undefined) continue;
      present++;
      assert.equal(got.body, doc.body, id);
      assert.equal(got.title, doc.title ?? '', id);
    }
    assert.equal(present, n);
    await live.close();
    checked++;
  }
  assert.ok(checked > 0, 'no kill landed after the index was created');
  index(SAMPLE_FILE, '--db', db, '--update');
  const live = await openIndex(db, { create: false, threads: 1 });
  t.after(() => live.close());
  assert.equal(live.stats().docs, 350);
  assert.equal(live.search('列出目录内容').hits[0]?.id, 'manpages-zh:man1/ls.1');
});
