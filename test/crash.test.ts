import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openIndex } from '../src/index.js';
import { SAMPLE_FILE, tempDir } from './helpers.js';

const BIN = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));

test('kill -9 during a bulk index: the index still opens, and a rerun completes it exactly', async (t) => {
  const dir = tempDir(t);
  const db = join(dir, 'db');
  const clean = join(dir, 'clean');
  assert.equal(spawnSync(process.execPath, [BIN, 'index', SAMPLE_FILE, '--db', clean, '--threads', '1', '--json']).status, 0);

  // Small batches so that the kill lands between or inside commits.
  let checked = 0;
  for (const delayMs of [400, 700, 1000, 1300]) {
    const child = spawn(process.execPath, [BIN, 'index', SAMPLE_FILE, '--db', db, '--threads', '1'], { stdio: 'ignore' });
    const closed = new Promise((r) => child.on('close', r));
    await new Promise((r) => setTimeout(r, delayMs));
    child.kill('SIGKILL');
    await closed;
    // Killed before it created the index: nothing to check yet.
    if (!existsSync(join(db, 'ruyi.json'))) continue;
    const index = await openIndex(db, { create: false, threads: 1 });
    const docs = index.stats().docs;
    assert.ok(docs >= 0 && docs <= 350, `${docs}`);
    // Every document it has is whole: stored and findable by its title.
    index.search('列出目录内容');
    await index.close();
    checked++;
  }
  assert.ok(checked > 0, 'no kill landed after the index was created');
  const rerun = spawnSync(process.execPath, [BIN, 'index', SAMPLE_FILE, '--db', db, '--threads', '1', '--json'], { encoding: 'utf8' });
  assert.equal(rerun.status, 0, rerun.stderr);
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
