/**
 * npm run bench:serve [-- --mb 100 --quick --seconds 10 --max-memory 512M]
 *
 * `ruyi serve` under load, on loopback only, every point bounded in time (10 s, 3 s with --quick):
 *  1. index the scale corpus (../shared/corpus make-scale-corpus.py, --mb MB) through
 *     POST /indexes/:uid/documents (NDJSON, streamed) and wait for its task;
 *  2. search QPS and latency p50/p99 with autocannon at 1, 8 and 64 connections, the request
 *     bodies rotating over the dev corpus's known-item titles (make-queries.py);
 *  3. the in-process library on the same index directory (read-only open while the server is
 *     idle): the same queries with the options the server uses, on one thread. A synchronous
 *     search has no concurrency to exploit in one process, so its QPS serves as the baseline for
 *     both 1 and 8 connections, and the ratio is the cost of HTTP;
 *  4. search at 8 connections again while the dev corpus is uploaded over and over to the
 *     same index (bulk writes and searches at once);
 *  5. the server's peak RSS (VmHWM of the child process) against its --max-memory.
 * Prints a table with the targets' pass/fail and writes bench-results/bench-serve.json.
 * The numbers are printed, never asserted: they depend on the machine.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import {
  copyFileSync,
  createReadStream,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  type WriteStream,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { defaultMaxMemory, parseBytes } from '../src/config.js';
import { openIndex, type SearchOptions } from '../src/index.js';
import { benchRequire } from './bench/setup.js';
import { devCorpus, devQueries, scaleCorpus } from './corpus-cache.js';

function flag(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : undefined;
}
const quick = process.argv.includes('--quick');
const mb = Number(flag('mb') ?? 100);
const seconds = Number(flag('seconds') ?? (quick ? 3 : 10));
const maxMemoryFlag = flag('max-memory');
const budgetBytes = maxMemoryFlag ? parseBytes(maxMemoryFlag) : defaultMaxMemory();
const UID = 'bench';
const LIMIT = 10;
// What the library's hits carry: asking the server for the same makes the ratio the cost of HTTP,
// not of shipping whole documents (man pages of up to 200 KB) that the library never returns.
const RETRIEVED = ['id', 'title', 'tags', 'date'];
const TASK_TIMEOUT_MS = 30 * 60_000;
/** No CPU used for this long with a task unfinished: stuck. */
const STALL_MS = 60_000;
// One upload per 32 MB: well under the server's default payload limit, as a client would batch.
const CHUNK_BYTES = 32e6;
const root = fileURLToPath(new URL('../', import.meta.url));
const cli = join(root, 'dist/src/cli/main.js');
const work = mkdtempSync(join(os.tmpdir(), 'ruyi-bench-serve-'));
process.once('exit', () => rmSync(work, { recursive: true, force: true }));

/** The part of autocannon's API used here (it ships no types). */
interface Histogram {
  p50: number;
  p99: number;
  average: number;
}
interface CannonResult {
  requests: Histogram & { total: number };
  latency: Histogram;
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
}
interface CannonRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  setupRequest?: (req: CannonRequest) => CannonRequest;
}
type Autocannon = (opts: { url: string; connections: number; duration: number; requests: CannonRequest[] }) => Promise<CannonResult>;
const autocannon = benchRequire('autocannon') as Autocannon;

// --- the server as a child process --------------------------------------------------------------

interface Server {
  url: string;
  child: ChildProcess;
  /** Peak RssAnon seen by sampling (MiB): memory the process holds, without mapped index pages. */
  peakAnonMb: () => number;
}

function statusKb(pid: number, field: string): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
}

async function startServer(db: string): Promise<Server> {
  const args = ['serve', '--db', db, '--host', '127.0.0.1', '--port', '0'];
  if (maxMemoryFlag) args.push('--max-memory', maxMemoryFlag);
  // The access log goes to a file: a pipe nobody drains would stall the server.
  const log = openSync(join(work, 'serve.log'), 'w');
  // The bin itself, as a user runs it: its shebang sets the allocator and heap flags that the budget counts on.
  const child = spawn(cli, args, { stdio: ['ignore', 'pipe', log] });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) => resolve(line.trim()));
    child.once('exit', (code) => reject(new Error(`ruyi serve exited (${code}); see ${join(work, 'serve.log')}`)));
  });
  let anonKb = 0;
  const sampler = setInterval(() => {
    try {
      anonKb = Math.max(anonKb, statusKb(child.pid as number, 'RssAnon'));
    } catch {
      // exited
    }
  }, 100);
  child.once('exit', () => clearInterval(sampler));
  // A failed run must not leave a server behind.
  process.once('exit', () => child.kill('SIGKILL'));
  return { url, child, peakAnonMb: () => anonKb / 1024 };
}

async function stopServer(server: Server): Promise<void> {
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  await Promise.race([exited, sleep(30_000, undefined, { ref: false }).then(() => server.child.kill('SIGKILL'))]);
}

// --- the HTTP API -------------------------------------------------------------------------------

/**
 * Copies an NDJSON corpus into files of at most CHUNK_BYTES (the server refuses bodies over its
 * --max-payload, 100 MiB by default), with Meilisearch ids: [A-Za-z0-9_-], which the corpora's
 * ids (scale:1:0, manpages-zh:man1/ls.1) are not.
 */
async function meiliChunks(src: string, prefix: string): Promise<string[]> {
  const files: string[] = [];
  let out: WriteStream | undefined;
  let bytes = 0;
  for await (const line of createInterface({ input: createReadStream(src), crlfDelay: Number.POSITIVE_INFINITY })) {
    if (line.trim() === '') continue;
    const doc = JSON.parse(line) as { id: string };
    doc.id = doc.id.replace(/[^A-Za-z0-9_-]/g, '_');
    const text = `${JSON.stringify(doc)}\n`;
    if (out === undefined || bytes + text.length > CHUNK_BYTES) {
      if (out !== undefined) await endStream(out);
      files.push(`${prefix}-${files.length}.ndjson`);
      out = createWriteStream(files.at(-1) as string);
      bytes = 0;
    }
    bytes += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, 'drain');
  }
  if (out !== undefined) await endStream(out);
  return files;
}

function endStream(out: WriteStream): Promise<void> {
  return new Promise((resolve) => out.end(() => resolve()));
}

const bytesOf = (files: string[]) => files.reduce((n, f) => n + statSync(f).size, 0);

/** Uploads the files in order and waits for the last task (an index applies its tasks in order). */
async function uploadAll(base: string, files: string[]): Promise<void> {
  let last = -1;
  for (const file of files) last = await upload(base, file);
  await waitForTask(base, last);
}

/** Streams an NDJSON file to the documents route; resolves with the task uid. */
function upload(base: string, file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}/indexes/${UID}/documents?primaryKey=id`,
      { method: 'POST', headers: { 'content-type': 'application/x-ndjson', 'content-length': statSync(file).size } },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => {
          if (res.statusCode !== 202) reject(new Error(`upload: ${res.statusCode} ${text}`));
          else resolve((JSON.parse(text) as { taskUid: number }).taskUid);
        });
      },
    );
    req.on('error', reject);
    createReadStream(file).pipe(req);
  });
}

/** CPU seconds the server has used (all its threads), from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * A task that stays unfinished while the server uses no CPU is stuck, not slow (a stall
 * seen once in a 100 MB upload): the native stacks of every thread go to the work
 * directory (gdb, when installed) for the bug report, and the run fails now.
 */
function stallCheck(pid: number): () => void {
  let last = -1;
  let since = Date.now();
  return () => {
    const cpu = cpuSeconds(pid);
    if (cpu > last + 0.05) {
      last = cpu;
      since = Date.now();
      return;
    }
    if (Date.now() - since < STALL_MS) return;
    const stacks = join(work, 'stall-stacks.txt');
    const gdb = spawnSync('gdb', ['-p', String(pid), '-batch', '-ex', 'thread apply all bt 30'], { encoding: 'utf8', timeout: 60_000 });
    writeFileSync(stacks, gdb.error ? `gdb: ${gdb.error.message}` : `${gdb.stdout}${gdb.stderr}`);
    // The work directory goes with the process: keep the stacks beside the results.
    mkdirSync('bench-results', { recursive: true });
    copyFileSync(stacks, join('bench-results', 'bench-serve-stall-stacks.txt'));
    throw new Error(`the server used no CPU for ${STALL_MS / 1000} s with a task unfinished: stalled (stacks in bench-results/bench-serve-stall-stacks.txt)`);
  };
}

async function waitForTask(base: string, uid: number): Promise<void> {
  const deadline = Date.now() + TASK_TIMEOUT_MS;
  const checkStall = stallCheck(server.child.pid as number);
  while (Date.now() < deadline) {
    checkStall();
    const task = (await (await fetch(`${base}/tasks/${uid}`)).json()) as { status: string; error?: unknown };
    if (task.status === 'succeeded') return;
    if (task.status === 'failed' || task.status === 'canceled') throw new Error(`task ${uid}: ${JSON.stringify(task)}`);
    await sleep(200);
  }
  throw new Error(`task ${uid} not done in ${TASK_TIMEOUT_MS} ms`);
}

// --- measurements -------------------------------------------------------------------------------

interface Point {
  name: string;
  connections: number;
  qps: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

function loadQueries(): string[] {
  return readFileSync(devQueries(), 'utf8')
    .split('\n')
    .filter((l) => l.includes('\t'))
    .map((l) => l.split('\t')[0] as string);
}

async function httpPoint(base: string, name: string, connections: number, queries: string[], duration = seconds): Promise<Point> {
  let next = 0;
  const r = await autocannon({
    url: base,
    connections,
    duration,
    requests: [
      {
        method: 'POST',
        path: `/indexes/${UID}/search`,
        headers: { 'content-type': 'application/json' },
        // One body per request, rotating over the queries across all connections.
        setupRequest: (req) => ({
          ...req,
          body: JSON.stringify({ q: queries[next++ % queries.length], limit: LIMIT, attributesToRetrieve: RETRIEVED }),
        }),
      },
    ],
  });
  return {
    name,
    connections,
    qps: r.requests.total / r.duration,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** The library on the server's index directory, with the options the server passes for `{ q, limit }`. */
async function inProcess(dir: string, queries: string[]): Promise<{ point: Point; shardSegments: number[] }> {
  const index = await openIndex(dir, { create: false, threads: 1 });
  const options: SearchOptions = { syntax: 'plain', prefix: true, limit: LIMIT };
  try {
    for (const q of queries.slice(0, 50)) index.search(q, options); // loads the query-side jieba
    const times: number[] = [];
    const end = performance.now() + seconds * 1000;
    for (let i = 0; performance.now() < end; i++) {
      const t0 = performance.now();
      index.search(queries[i % queries.length] as string, options);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const point = {
      name: 'in-process',
      connections: 1,
      qps: times.length / seconds,
      p50Ms: percentile(times, 50),
      p99Ms: percentile(times, 99),
      non2xx: 0,
      errors: 0,
    };
    // Segments per shard: an index built by many upload tasks may hold more than `ruyi index` leaves.
    return { point, shardSegments: index.stats().shardSegments };
  } finally {
    await index.close();
  }
}

/** Uploads `files` again and again (each round waited for) until `stop` resolves. */
async function bulkUploads(base: string, files: string[], stop: Promise<unknown>): Promise<{ uploads: number; mb: number }> {
  let done = false;
  void stop.then(() => {
    done = true;
  });
  let uploads = 0;
  while (!done) {
    await uploadAll(base, files);
    uploads++;
  }
  return { uploads, mb: (uploads * bytesOf(files)) / 1e6 };
}

// --- the run ------------------------------------------------------------------------------------

const queries = loadQueries();
// Other processes on the machine skew every point; the load average says how much to trust them.
const loadBefore = os.loadavg()[0] as number;
const corpus = await meiliChunks(scaleCorpus(mb), join(work, 'corpus'));
const bulk = await meiliChunks(devCorpus(), join(work, 'bulk'));
const corpusMb = bytesOf(corpus) / 1e6;

const db = join(work, 'db');
const server = await startServer(db);
console.error(
  `server ${server.url} (pid ${server.child.pid}), budget ${(budgetBytes / 2 ** 20).toFixed(0)} MiB; indexing ${corpusMb.toFixed(1)} MB ...`,
);
const t0 = performance.now();
await uploadAll(server.url, corpus);
const indexSeconds = (performance.now() - t0) / 1000;

await httpPoint(server.url, 'warm-up', 8, queries, Math.min(2, seconds));
const points: Point[] = [];
for (const c of [1, 8, 64]) {
  points.push(await httpPoint(server.url, 'http', c, queries));
  console.error(`http ${c} connections: ${points.at(-1)?.qps.toFixed(0)} q/s`);
}
const { point: library, shardSegments } = await inProcess(join(db, UID), queries);
points.push(library);

const during = httpPoint(server.url, 'http + bulk upload', 8, queries);
const uploaded = await bulkUploads(server.url, bulk, during);
points.push(await during);

const peakRssMb = statusKb(server.child.pid as number, 'VmHWM') / 1024;
const peakAnonMb = server.peakAnonMb();
await stopServer(server);

const http8 = points.find((p) => p.name === 'http' && p.connections === 8) as Point;
const http1 = points.find((p) => p.name === 'http' && p.connections === 1) as Point;
const underLoad = points.at(-1) as Point;
const ratio8 = http8.qps / library.qps;
const targets = [
  { target: 'HTTP QPS at 8 connections >= 80% of in-process', value: `${(ratio8 * 100).toFixed(0)}%`, pass: ratio8 >= 0.8 },
  { target: 'p99 < 20 ms during a bulk upload', value: `${underLoad.p99Ms} ms`, pass: underLoad.p99Ms < 20 },
  {
    target: 'no non-2xx responses',
    value: String(points.reduce((n, p) => n + p.non2xx, 0)),
    pass: points.every((p) => p.non2xx === 0),
  },
  {
    // autocannon gives up on a request after 10 s: a queue that long is a failure too.
    target: 'no timeouts or connection errors',
    value: String(points.reduce((n, p) => n + p.errors, 0)),
    pass: points.every((p) => p.errors === 0),
  },
  {
    target: `peak RSS within --max-memory (${(budgetBytes / 2 ** 20).toFixed(0)} MiB)`,
    value: `${peakRssMb.toFixed(0)} MiB`,
    pass: peakRssMb * 2 ** 20 <= budgetBytes,
  },
];

const loadAfter = os.loadavg()[0] as number;
console.log(`\nruyi serve, ${corpusMb.toFixed(1)} MB corpus indexed over HTTP in ${indexSeconds.toFixed(1)} s, ${seconds} s per point`);
console.log(`load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after, on ${os.availableParallelism()} cores`);
console.table(
  points.map((p) => ({
    run: p.name,
    connections: p.connections,
    'q/s': Math.round(p.qps),
    'p50 ms': Number(p.p50Ms.toFixed(2)),
    'p99 ms': Number(p.p99Ms.toFixed(2)),
    'vs in-process': p === library ? '' : `${((p.qps / library.qps) * 100).toFixed(0)}%`,
    non2xx: p.non2xx,
    errors: p.errors,
  })),
);
console.log(
  `bulk uploads during the last point: ${uploaded.uploads} (${uploaded.mb.toFixed(1)} MB); peak RSS ${peakRssMb.toFixed(0)} MiB (RssAnon ${peakAnonMb.toFixed(0)} MiB)`,
);
console.log(`segments per shard after indexing over HTTP: ${shardSegments.join(', ')}`);
console.log(`HTTP/in-process: ${(http1.qps / library.qps).toFixed(2)} at 1 connection, ${ratio8.toFixed(2)} at 8`);
console.table(targets.map((t) => ({ ...t, pass: t.pass ? 'pass' : 'FAIL' })));

const results = {
  date: new Date().toISOString(),
  machine: {
    cpu: os.cpus()[0]?.model,
    cores: os.availableParallelism(),
    ramGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  },
  loadAverage: { before: loadBefore, after: loadAfter },
  corpusMb,
  secondsPerPoint: seconds,
  budgetMb: budgetBytes / 2 ** 20,
  indexSeconds,
  indexMbPerSecond: corpusMb / indexSeconds,
  points,
  bulkUploads: uploaded,
  peakRssMb,
  peakRssAnonMb: peakAnonMb,
  shardSegments,
  ratio: { c1: http1.qps / library.qps, c8: ratio8 },
  targets,
};
mkdirSync(join(root, 'bench-results'), { recursive: true });
writeFileSync(join(root, 'bench-results', 'bench-serve.json'), `${JSON.stringify(results, null, 2)}\n`);
