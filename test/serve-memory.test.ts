/**
 * `ruyi serve` as a small server runs it: the bin with default flags inside a real memory
 * cgroup, indexing an upload while readers search. It keeps its budget (the query side's
 * jieba and its requests are counted in it) or refuses to start, naming the minimum; it is
 * never killed.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { planMemory } from '../src/config.js';
import { SERVE_HOST_BYTES } from '../src/serve/server.js';
import { tempDir } from './helpers.js';
import { cgroupForTest, writeDump } from './memory-helpers.js';
import { BIN, startBin } from './serve-helpers.js';

const MiB = 1024 * 1024;

/** The bin itself (its shebang's allocator and heap flags), entering the cgroup first. */
function serveIn(procs: string, db: string): ChildProcess {
  return spawn('sh', ['-c', `echo $$ > ${procs} && exec "$@"`, 'sh', BIN, 'serve', '--db', db, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function rssAnonBytes(pid: number): number {
  const m = /RssAnon:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) * 1024;
}

async function waitForTask(url: string, uid: number): Promise<{ status: string; error?: unknown }> {
  for (;;) {
    const task = (await (await fetch(`${url}/tasks/${uid}`)).json()) as { status: string; error?: unknown };
    if (task.status !== 'enqueued' && task.status !== 'processing') return task;
    await new Promise((r) => setTimeout(r, 100));
  }
}

for (const mb of [160, 256]) {
  test(`ruyi serve with default flags in a ${mb} MB container indexes while it searches within its budget, or refuses up front`, async (t) => {
    const cgroup = cgroupForTest(t, `ruyi-serve-test-${process.pid}-${mb}`, mb);
    if (cgroup === null) return;
    const dir = tempDir(t);
    const child = serveIn(cgroup.procs, join(dir, 'db'));
    t.after(() => child.kill('SIGKILL'));
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const exited = once(child, 'exit');
    const first = await Promise.race([
      once(createInterface({ input: child.stdout as NodeJS.ReadableStream }), 'line').then(([l]) => String(l).trim()),
      exited.then(() => null),
    ]);
    const plan = planMemory(undefined, undefined, mb * MiB, 2, true, SERVE_HOST_BYTES);
    if (plan.refusal !== null) {
      assert.equal(first, null, `started although ${plan.refusal}`);
      const [code, signal] = await exited;
      assert.notEqual(signal, 'SIGKILL', `killed in a ${mb} MB cgroup: ${cgroup.events()}`);
      assert.equal(code, 1, stderr);
      assert.match(stderr, new RegExp(`needs at least .*--max-memory ${Math.ceil(plan.minimumBytes / MiB)}M`));
      return;
    }
    assert.ok(first !== null, `exited at start: ${stderr}`);
    const url = first;
    const pid = child.pid as number;
    let peakAnon = rssAnonBytes(pid);
    const sampler = setInterval(() => {
      try {
        peakAnon = Math.max(peakAnon, rssAnonBytes(pid));
      } catch {
        // exited: the assertions below say how
      }
    }, 50);
    t.after(() => clearInterval(sampler));

    const dump = join(dir, 'upload.ndjson');
    writeDump(dump, 6, 0.5);
    const posted = await fetch(`${url}/indexes/posts/documents?primaryKey=id`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: readFileSync(dump),
    });
    assert.equal(posted.status, 202, await posted.clone().text());
    const { taskUid } = (await posted.json()) as { taskUid: number };
    // Readers search all along: the first search builds the query side's jieba in the middle of the indexing.
    let done = false;
    let searches = 0;
    const reader = async () => {
      while (!done) {
        const res = await fetch(`${url}/indexes/posts/search`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ q: '内存', limit: 20, attributesToHighlight: ['body'], attributesToCrop: ['body'] }),
        });
        assert.ok(res.status === 200 || res.status === 404, `search answered ${res.status}`);
        await res.arrayBuffer();
        searches++;
      }
    };
    const readers = [reader(), reader(), reader(), reader()];
    const task = await waitForTask(url, taskUid);
    done = true;
    await Promise.all(readers);
    assert.equal(task.status, 'succeeded', JSON.stringify(task));
    assert.ok(searches > 0);

    const found = (await (
      await fetch(`${url}/indexes/posts/search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ q: '一篇很长的文章', limit: 5 }),
      })
    ).json()) as { hits: { id: string }[] };
    assert.ok(
      found.hits.some((h) => h.id === 'long'),
      'the long article is found by its title',
    );
    assert.equal(child.exitCode, null, `the server exited: ${stderr.slice(-2000)}`);
    t.diagnostic(`peak anonymous RSS ${Math.round(peakAnon / MiB)} MB of a ${Math.round(plan.maxMemory / MiB)} MB budget (${plan.threads} thread); ${searches} searches during the upload`);
    // Anonymous memory is what a container cannot reclaim: the index's mapped pages are page
    // cache, which the kernel takes back before it kills (and this cgroup would have killed).
    assert.ok(peakAnon <= plan.maxMemory, `peak anonymous RSS ${Math.round(peakAnon / MiB)} MB over the ${Math.round(plan.maxMemory / MiB)} MB budget`);
    child.kill('SIGTERM');
    const [code, signal] = await exited;
    assert.notEqual(signal, 'SIGKILL', `killed in a ${mb} MB cgroup: ${cgroup.events()}`);
    assert.equal(code, 0, stderr.slice(-2000));
  });
}

test('an upload holding one document larger than the budget can index fails whole, naming it; nothing of it is written', async (t) => {
  const dir = tempDir(t);
  // 242 MB is a server's least budget for one thread: it holds documents of 1 MiB, and the
  // server's parse limit (4 MiB) lets a 2 MiB one through to the index.
  const server = await startBin(join(dir, 'db'), ['--max-memory', '242M']);
  t.after(() => server.stop());
  const long = '内存预算由测量得来。'.repeat(Math.ceil((2 * MiB) / 30));
  const docs = [
    { id: 'a', title: '第一篇短文', body: '中文分词测试' },
    { id: 'b', title: '第二篇短文', body: '全文检索' },
    { id: 'huge', title: '很长的文章', body: long },
    { id: 'c', title: '第三篇短文', body: '倒排索引' },
  ];
  const posted = await fetch(`${server.url}/indexes/posts/documents?primaryKey=id`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body: docs.map((d) => JSON.stringify(d)).join('\n'),
  });
  assert.equal(posted.status, 202, await posted.clone().text());
  const task = await waitForTask(server.url, ((await posted.json()) as { taskUid: number }).taskUid);
  assert.equal(task.status, 'failed', JSON.stringify(task));
  const error = task.error as { code: string; message: string };
  assert.equal(error.code, 'invalid_document_fields');
  assert.match(error.message, /document 2 \(id "huge"\): document is 2\.\d MiB, over what the 242\.0 MiB memory budget can hold/);
  const found = (await (await fetch(`${server.url}/indexes/posts/documents?limit=10`)).json()) as { results: unknown[] };
  assert.deepEqual(found.results, []);
});
