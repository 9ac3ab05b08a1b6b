import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from './helpers.js';
import { type Article, articles, BIN, startBin } from './serve-helpers.js';

async function api(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

test('kill -9 during uploads: every task reported succeeded is there after a restart, the rest run, and ruyi verify passes', async (t) => {
  const db = join(tempDir(t, 'ruyi-serve-crash-'), 'db');
  const docs = articles();
  const batches: Article[][] = [];
  for (let i = 0; i < docs.length; i += 25) batches.push(docs.slice(i, i + 25));

  const first = await startBin(db);
  const acknowledged = new Map<number, Article[]>();
  const succeeded = new Set<number>();
  // Upload batch after batch without waiting, and watch the task list; kill once a few have succeeded.
  let next = 0;
  while (next < batches.length) {
    const batch = batches[next++] as Article[];
    const r = await api(first.url, 'POST', '/indexes/crash/documents', batch);
    assert.equal(r.status, 202);
    acknowledged.set(r.json.taskUid as number, batch);
    const done = await api(first.url, 'GET', '/tasks?statuses=succeeded&limit=1000');
    for (const task of done.json.results as { uid: number }[]) succeeded.add(task.uid);
    if (succeeded.size >= 3) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  first.child.kill('SIGKILL');
  await once(first.child, 'exit');
  assert.ok(succeeded.size >= 1, 'some tasks had succeeded before the kill');
  assert.ok(acknowledged.size > succeeded.size || next < batches.length, 'the kill came while uploads were under way');

  const second = await startBin(db);
  try {
    // What was reported succeeded is there at once, before any task resumes (they run in order behind it anyway).
    for (const uid of succeeded) {
      for (const d of acknowledged.get(uid) ?? []) {
        const got = await api(second.url, 'GET', `/indexes/crash/documents/${d.id}`);
        assert.equal(got.status, 200, `document ${d.id} of succeeded task ${uid}`);
        assert.deepEqual(got.json, d);
      }
    }
    // Every acknowledged upload was spooled durably: the tasks left behind run after the restart.
    for (const uid of acknowledged.keys()) {
      for (;;) {
        const task = (await api(second.url, 'GET', `/tasks/${uid}`)).json;
        if (task.status === 'succeeded') break;
        assert.ok(task.status === 'enqueued' || task.status === 'processing', JSON.stringify(task));
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const expected = [...acknowledged.values()].flat();
    const stats = (await api(second.url, 'GET', '/indexes/crash/stats')).json;
    assert.equal(stats.numberOfDocuments, expected.length);
    const probe = expected[expected.length - 1] as Article;
    const found = await api(second.url, 'POST', '/indexes/crash/search', { q: probe.title, limit: 50 });
    assert.ok(
      (found.json.hits as { id: string }[]).some((h) => h.id === probe.id),
      `search finds ${probe.id}`,
    );
  } finally {
    assert.equal(await second.stop(), 0, second.stderr());
  }
  const verify = spawnSync(process.execPath, [BIN, 'verify', '--db', join(db, 'crash'), '--json'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(verify.status, 0, verify.stdout + verify.stderr);
  assert.equal(JSON.parse(verify.stdout).ok, true);
});

test('SIGTERM finishes the queued tasks before exiting', async (t) => {
  const db = join(tempDir(t, 'ruyi-serve-term-'), 'db');
  const docs = articles().slice(0, 60);
  const first = await startBin(db);
  const uids: number[] = [];
  for (let i = 0; i < docs.length; i += 20) {
    const r = await api(first.url, 'POST', '/indexes/term/documents', docs.slice(i, i + 20));
    assert.equal(r.status, 202);
    uids.push(r.json.taskUid as number);
  }
  assert.equal(await first.stop(), 0, first.stderr());
  const second = await startBin(db);
  try {
    // Already finished when the first process exited: nothing had to run again.
    for (const uid of uids) assert.equal((await api(second.url, 'GET', `/tasks/${uid}`)).json.status, 'succeeded');
    assert.equal((await api(second.url, 'GET', '/indexes/term/stats')).json.numberOfDocuments, docs.length);
  } finally {
    assert.equal(await second.stop(), 0, second.stderr());
  }
});
