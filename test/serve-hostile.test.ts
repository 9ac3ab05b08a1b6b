import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { BIN, type ServerProcess, startBin } from './serve-helpers.js';

// Short timeouts and a 1 MiB payload limit so that abuse is cheap to provoke.
const MAX_PAYLOAD = 1024 * 1024;
let server: ServerProcess;
let dir: string;
const agent = new Agent({ keepAlive: true, maxSockets: 8 });

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ruyi-serve-hostile-'));
  server = await startBin(join(dir, 'db'), [
    '--max-payload',
    String(MAX_PAYLOAD),
    '--headers-timeout',
    '500',
    '--body-timeout',
    '500',
    '--keep-alive-timeout',
    '2000',
    '--max-doc-bytes',
    '65536',
  ]);
});

after(async () => {
  agent.destroy();
  assert.equal(await server.stop(), 0, server.stderr());
  rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  text: string;
  headers: Record<string, unknown>;
}

function call(method: string, path: string, body?: string | Buffer, contentType?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const url = new URL(server.url);
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        agent,
        // Node sends a GET or DELETE body without framing unless told its length.
        headers: {
          ...(contentType === undefined ? {} : { 'content-type': contentType }),
          ...(body === undefined ? {} : { 'content-length': Buffer.byteLength(body) }),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function assertError(a: Answer, status: number, code: string): void {
  assert.equal(a.status, status, a.text);
  const body = JSON.parse(a.text);
  assert.equal(body.code, code, a.text);
  assert.equal(typeof body.message, 'string');
  assert.equal(typeof body.type, 'string');
  assert.equal(body.link, `https://docs.meilisearch.com/errors#${code}`);
}

async function waitTask(uid: number): Promise<Record<string, unknown>> {
  for (;;) {
    const t = JSON.parse((await call('GET', `/tasks/${uid}`)).text);
    if (t.status !== 'enqueued' && t.status !== 'processing') return t;
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('malformed bodies are 400 malformed_payload, and nothing of them is written', async () => {
  assertError(await call('POST', '/indexes/bad/documents', '[{"id": 1, "body": "正文"},', 'application/json'), 400, 'malformed_payload');
  assertError(await call('POST', '/indexes/bad/documents', '{"id": 1}\n{"id": 2, ', 'application/x-ndjson'), 400, 'malformed_payload');
  assertError(await call('POST', '/indexes/bad/documents', '[1, 2]', 'application/json'), 400, 'malformed_payload');
  assertError(await call('POST', '/indexes/bad/search', '{"q": ', 'application/json'), 400, 'malformed_payload');
  assertError(await call('POST', '/indexes', '{"uid": "bad"', 'application/json'), 400, 'malformed_payload');
  const huge = JSON.stringify({ id: 1, body: '长'.repeat(40_000) });
  assertError(await call('POST', '/indexes/bad/documents', `${huge}\n`, 'application/x-ndjson'), 400, 'malformed_payload');
  assertError(await call('POST', '/indexes/bad/documents', `[${huge}]`, 'application/json'), 400, 'malformed_payload');
  assertError(await call('GET', '/indexes/bad'), 404, 'index_not_found');
  assertError(await call('POST', '/indexes', JSON.stringify({ uid: 'a b' }), 'application/json'), 400, 'invalid_index_uid');
});

test('wrong content types are 415 invalid_content_type', async () => {
  assertError(await call('POST', '/indexes/ct/documents', '[{"id": 1}]', 'text/plain'), 415, 'invalid_content_type');
  assertError(await call('POST', '/indexes/ct/documents', '[{"id": 1}]'), 415, 'invalid_content_type');
  assertError(await call('POST', '/indexes/ct/search', '{"q": "x"}', 'application/x-www-form-urlencoded'), 415, 'invalid_content_type');
  assertError(await call('PATCH', '/indexes/ct/settings', '<xml/>', 'application/xml'), 415, 'invalid_content_type');
});

/** Streams `chunk` until the server answers; returns the answer and how many bytes were sent. */
async function flood(
  headers: Record<string, string | number>,
  chunk: Buffer,
  cap: number,
): Promise<{ status: number; text: string; sent: number }> {
  const url = new URL(server.url);
  const req = request({ host: url.hostname, port: url.port, method: 'POST', path: '/indexes/flood/documents', headers, agent: false });
  let sent = 0;
  let answered: { status: number; text: string } | null = null;
  const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
    req.on('response', (res) => {
      // Stop sending at once: a client that keeps sending after the answer is cut off by the server.
      answered ??= { status: res.statusCode ?? 0, text: '' };
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('error', (err) => resolve({ status: 0, text: `no answer: ${err.message}` }));
  });
  void response.then((a) => {
    answered = a;
  });
  while (answered === null && sent < cap && !req.destroyed) {
    sent += chunk.length;
    // The server may close the connection under the writer (EPIPE): the answer is what counts.
    if (!req.write(chunk)) await Promise.race([once(req, 'drain').catch(() => {}), response, new Promise((r) => setTimeout(r, 200))]);
    else await new Promise((r) => setImmediate(r));
  }
  const a = await response;
  req.destroy();
  return { ...a, sent };
}

test('a 1 GB upload is refused with 413 without being read: declared by Content-Length, and chunked', async () => {
  const line = Buffer.from(`${JSON.stringify({ id: 'x', body: '内存溢出'.repeat(200) })}\n`.repeat(40));
  const declared = await flood({ 'content-type': 'application/x-ndjson', 'content-length': 2 ** 30 }, line, 2 ** 30);
  assert.equal(declared.status, 413, `declared: ${declared.text} after ${declared.sent} bytes`);
  assert.equal(JSON.parse(declared.text).code, 'payload_too_large');
  assert.ok(declared.sent < 64 * 2 ** 20, `sent ${declared.sent} bytes before the answer`);
  const chunked = await flood({ 'content-type': 'application/x-ndjson', 'transfer-encoding': 'chunked' }, line, 2 ** 30);
  assert.equal(chunked.status, 413, `chunked: ${chunked.text} after ${chunked.sent} bytes`);
  assert.equal(JSON.parse(chunked.text).code, 'payload_too_large');
  assert.ok(chunked.sent < 64 * 2 ** 20, `sent ${chunked.sent} bytes before the answer`);
  assertError(await call('GET', '/indexes/flood'), 404, 'index_not_found');
  assert.equal((await call('GET', '/health')).status, 200);
});

test('slowloris: headers that never end and a body that stalls are cut off', async () => {
  const url = new URL(server.url);
  const socket = connect(Number(url.port), url.hostname);
  await once(socket, 'connect');
  socket.write('GET /health HTTP/1.1\r\nHost: x\r\n');
  let received = '';
  socket.setEncoding('utf8').on('data', (d: string) => {
    received += d;
  });
  // One header byte every 100 ms: each byte is progress, but the headers never complete.
  const drip = setInterval(() => socket.writable && socket.write('X'), 100);
  await once(socket, 'close');
  clearInterval(drip);
  assert.match(received, /^HTTP\/1\.1 408/);

  const slowBody = connect(Number(url.port), url.hostname);
  await once(slowBody, 'connect');
  slowBody.write('POST /indexes/slow/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"q":');
  let answer = '';
  slowBody.setEncoding('utf8').on('data', (d: string) => {
    answer += d;
  });
  await once(slowBody, 'close');
  assert.match(answer, /^HTTP\/1\.1 408/);
  assert.match(answer, /request_timeout/);
  assert.equal((await call('GET', '/health')).status, 200);
});

test('10,000 random requests: every answer is valid or a Meilisearch-shaped error; acknowledged documents survive', async () => {
  const kept = await call(
    'POST',
    '/indexes/kept/documents',
    JSON.stringify([{ id: 1, title: '静夜思', body: '床前明月光' }]),
    'application/json',
  );
  assert.equal(kept.status, 202);
  assert.equal((await waitTask(JSON.parse(kept.text).taskUid)).status, 'succeeded');

  const uid = fc.constantFrom('fuzz', 'fuzz-2', 'no%20such', '..', '%2e%2e', '%', '', 'a%2Fb', 'x'.repeat(500), encodeURIComponent('内存'));
  const segment = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('1', '-1', '%ZZ', '..', '%00', 'settings', 'documents'));
  const path = fc.oneof(
    fc
      .tuple(
        uid,
        fc.constantFrom('search', 'documents', 'settings', 'stats', 'documents/fetch', 'documents/delete-batch', 'documents/delete'),
      )
      .map(([u, r]) => `/indexes/${u}/${r}`),
    fc.tuple(uid, segment).map(([u, s]) => `/indexes/${u}/documents/${encodeURIComponent(s)}`),
    fc.tuple(uid, segment).map(([u, s]) => `/indexes/${u}/settings/${encodeURIComponent(s)}`),
    fc
      .tuple(fc.constantFrom('/tasks', '/keys', '/multi-search', '/health', '/stats', '/version', '/indexes', '/_page'), segment)
      .map(([p, s]) => `${p}/${encodeURIComponent(s)}`),
    fc.constantFrom('/tasks', '/keys', '/multi-search', '/health', '/stats', '/version', '/indexes', '/'),
    fc.array(segment, { maxLength: 4 }).map((parts) => `/${parts.map(encodeURIComponent).join('/')}`),
  );
  const query = fc.oneof(
    fc.constant(''),
    fc
      .dictionary(
        fc.constantFrom('q', 'limit', 'offset', 'filter', 'statuses', 'from', 'fields', 'primaryKey'),
        fc.string({ maxLength: 8 }),
      )
      .map((d) => `?${new URLSearchParams(d)}`),
  );
  const body = fc.oneof(
    fc.constant(undefined),
    fc.json({ maxDepth: 3 }),
    fc.string({ maxLength: 50 }),
    fc
      .record(
        {
          q: fc.string({ maxLength: 10 }),
          filter: fc.string({ maxLength: 20 }),
          limit: fc.integer({ min: -5, max: 5000 }),
          facets: fc.array(fc.string({ maxLength: 5 })),
        },
        { requiredKeys: [] },
      )
      .map((o) => JSON.stringify(o)),
  );
  const contentType = fc.constantFrom(
    undefined,
    'application/json',
    'application/x-ndjson',
    'text/csv',
    'text/plain',
    'application/json; charset=utf-8',
  );
  const method = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS');
  const sample = fc.sample(fc.tuple(method, path, query, body, contentType), { numRuns: 10_000, seed: 42 });
  const allowed = new Set([200, 202, 204, 400, 401, 403, 404, 405, 408, 413, 415]);
  for (let i = 0; i < sample.length; i += 8) {
    await Promise.all(
      sample.slice(i, i + 8).map(async ([m, p, q, b, ct]) => {
        const a = await call(m, `${p}${q}`, b, ct);
        assert.ok(allowed.has(a.status), `${m} ${p}${q} → ${a.status} ${a.text}`);
        if (a.status >= 400 && m !== 'HEAD') {
          const e = JSON.parse(a.text);
          assert.ok(
            typeof e.message === 'string' && typeof e.code === 'string' && typeof e.type === 'string' && typeof e.link === 'string',
            a.text,
          );
        } else if (m !== 'HEAD' && a.status !== 204 && String(a.headers['content-type']).startsWith('application/json')) JSON.parse(a.text);
      }),
    );
  }
  // Searches of any text (quotes, operators, emoji, 2,000 characters) on an index with synonyms: an answer or a 400, never a 500.
  const syn = await call(
    'PATCH',
    '/indexes/kept/settings',
    JSON.stringify({ synonyms: { 明月: ['月亮', '"'] }, stopWords: ['的'] }),
    'application/json',
  );
  assert.equal((await waitTask(JSON.parse(syn.text).taskUid)).status, 'succeeded');
  const texts = fc.sample(
    fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc
        .array(fc.constantFrom('明月', '"', '-', 'OR', '(', ')', 'tag:', 'date:>', '*', '的', ' ', '床前'), { maxLength: 30 })
        .map((p) => p.join(' ')),
      fc.string({ minLength: 1000, maxLength: 2048 }),
    ),
    { numRuns: 500, seed: 7 },
  );
  for (const q of texts) {
    const a = await call(
      'POST',
      '/indexes/kept/search',
      JSON.stringify({ q, attributesToHighlight: ['*'], attributesToCrop: ['body:3'] }),
      'application/json',
    );
    assert.ok(a.status === 200 || a.status === 400, `${JSON.stringify(q)} → ${a.status} ${a.text}`);
  }
  assert.equal((await call('GET', '/health')).status, 200);
  assert.deepEqual(JSON.parse((await call('GET', '/indexes/kept/documents/1')).text), { id: 1, title: '静夜思', body: '床前明月光' });
  const found = JSON.parse((await call('POST', '/indexes/kept/search', '{"q":"明月"}', 'application/json')).text);
  assert.equal(found.hits[0]?.id, 1);
});

test('over --max-requests, requests get 503 too_many_requests and the server stays up', async () => {
  const small = await startBin(join(dir, 'small'), ['--max-requests', '1', '--body-timeout', '5000']);
  try {
    const url = new URL(small.url);
    // One request held open mid-body occupies the only slot.
    const holder = connect(Number(url.port), url.hostname);
    await once(holder, 'connect');
    holder.write('POST /indexes/x/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{"q":');
    await new Promise((r) => setTimeout(r, 200));
    const res = await fetch(`${small.url}/indexes`);
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as { code: string }).code, 'too_many_requests');
    holder.destroy();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await fetch(`${small.url}/health`)).status, 200);
  } finally {
    assert.equal(await small.stop(), 0, small.stderr());
  }
});

test('without a master key the server refuses to bind a public address, and says why', () => {
  const r = spawnSync(process.execPath, [BIN, 'serve', '--db', join(dir, 'public'), '--host', '0.0.0.0', '--port', '0'], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, RUYI_MASTER_KEY: '' },
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /refusing to listen on 0\.0\.0\.0 without a master key/);
  assert.equal(r.stdout, '');
  // RUYI_MASTER_KEY is read (in the settings' precedence), and a short key is refused.
  const short = spawnSync(process.execPath, [BIN, 'serve', '--db', join(dir, 'public'), '--port', '0'], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, RUYI_MASTER_KEY: 'short' },
  });
  assert.equal(short.status, 1);
  assert.match(short.stderr, /at least 16 bytes/);
});
