// One peer indexing run in its own process (so /usr/bin/time's max RSS is the peer's own), for
// `npm run bench:index`. Prints one JSON line.
//   node peer-index.mjs <fts5|lancedb> <corpus.ndjson> <dir> <threads> [queries.tsv]
// Both peers get the documents tokenized exactly as every peer of `npm run bench` is
// (./tokenizer.mjs: what ruyi's analyzer produces), as space-joined tokens:
//  - threads 1: the main thread reads, tokenizes and writes;
//  - threads N >= 2: N worker threads (./tokenize-worker.mjs) parse and tokenize batches of
//    raw lines while the main thread reads and is the one writer (SQLite has one writer; LanceDB
//    is fed from one thread too). LanceDB's own Rust thread pools are capped with
//    LANCE_CPU_THREADS=N (set by the caller), so its index build uses N cores as well.
// Then, with queries.tsv (`title<TAB>id` known-item queries, make-queries.py): the index is
// reopened read-only and each query runs once to warm up, then twice timed (limit 10).
// The clock (and MB/s) covers loading the tokenizer, reading, tokenizing, writing, building the
// index and making it durable/optimized; like `ruyi index --json`, MB/s counts NDJSON bytes.
// Plain JavaScript: no loader in the measured process.
import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import { fts5Jieba } from './engines/sqlite.mjs';
import { loadTokenizer } from './tokenizer.mjs';

const BATCH_BYTES = 256 * 1024; // raw NDJSON per message to a tokenizing worker
const IN_FLIGHT_PER_WORKER = 2; // enough to keep a worker busy while its last batch comes back
const LANCE_BATCH_DOCS = 5000; // rows per LanceDB add(): each add() writes a fragment
const LIMIT = 10;

const [engineName, corpus, dir, threadsArg, queriesFile] = process.argv.slice(2);
const threads = Number(threadsArg);

async function* lines(file) {
  for await (const line of createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY })) {
    if (line.trim() !== '') yield line;
  }
}

async function* lineBatches(file) {
  let batch = [];
  let size = 0;
  for await (const line of lines(file)) {
    batch.push(line);
    size += line.length;
    if (size >= BATCH_BYTES) {
      yield batch;
      batch = [];
      size = 0;
    }
  }
  if (batch.length > 0) yield batch;
}

/** Documents with `titleTokens` and `bodyTokens` (space-joined), tokenized on `n` threads. */
async function* tokenizedDocs(file, n) {
  if (n <= 1) {
    const tokenize = loadTokenizer();
    for await (const line of lines(file)) {
      const d = JSON.parse(line);
      const title = d.title ?? '';
      yield { id: d.id, title, body: d.body, titleTokens: tokenize(title).join(' '), bodyTokens: tokenize(d.body).join(' ') };
    }
    return;
  }
  const workers = Array.from({ length: n }, () => new Worker(new URL('./tokenize-worker.mjs', import.meta.url)));
  await Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))));
  const load = new Map(workers.map((w) => [w, 0]));
  const done = [];
  let outstanding = 0;
  let wake = null;
  for (const w of workers) {
    w.on('message', (docs) => {
      done.push(docs);
      load.set(w, load.get(w) - 1);
      outstanding--;
      const resume = wake;
      wake = null;
      resume?.();
    });
  }
  const nextResult = () => new Promise((resolve) => (wake = resolve));
  try {
    for await (const batch of lineBatches(file)) {
      for (;;) {
        while (done.length > 0) yield* done.shift();
        const free = workers.filter((w) => load.get(w) < IN_FLIGHT_PER_WORKER).sort((a, b) => load.get(a) - load.get(b))[0];
        if (free !== undefined) {
          free.postMessage(batch);
          load.set(free, load.get(free) + 1);
          outstanding++;
          break;
        }
        await nextResult();
      }
    }
    while (outstanding > 0 || done.length > 0) {
      while (done.length > 0) yield* done.shift();
      if (outstanding > 0) await nextResult();
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

// ------------------------------------------------------------------ SQLite FTS5 (better-sqlite3)
// The fts5-jieba peer of `npm run bench` itself (./engines/sqlite.mjs: schema, pragmas,
// transactions of 1,000 documents, optimize; all terms, then any term), fed tokenized documents.
const fts5 = {
  async build(docs, target) {
    let count = 0;
    const counted = (async function* () {
      for await (const d of docs) {
        count++;
        yield d;
      }
    })();
    await fts5Jieba.save(await fts5Jieba.build(counted, null, target));
    return count;
  },
  async open(target) {
    const state = await fts5Jieba.load(target);
    return {
      search: async (terms) => fts5Jieba.search(state, terms.join(' '), 'and-or', LIMIT, (text) => text.split(' ')),
      close: () => state.db.close(),
    };
  },
};

// ------------------------------------------------------------------ LanceDB native FTS
// One table: id, title and body (stored, as FTS5's docs table and ruyi store them) and `text`,
// the title's and body's jieba tokens joined by spaces, with LanceDB's inverted index over it:
// whitespace tokenizer, no lower-casing, stemming, stop words or folding (the tokens are final),
// positions kept (FTS5 and ruyi keep them too). Tokens up to 64 characters, as the tokenizer cuts.
const lancedb = {
  async build(docs, target) {
    const lance = await import('@lancedb/lancedb');
    const db = await lance.connect(target);
    let table;
    let rows = [];
    let count = 0;
    const flush = async () => {
      if (rows.length === 0) return;
      if (table === undefined) table = await db.createTable('docs', rows);
      else await table.add(rows);
      rows = [];
    };
    for await (const d of docs) {
      rows.push({ id: d.id, title: d.title, body: d.body, text: `${d.titleTokens} ${d.bodyTokens}` });
      count++;
      if (rows.length >= LANCE_BATCH_DOCS) await flush();
    }
    await flush();
    await table.createIndex('text', {
      config: lance.Index.fts({
        baseTokenizer: 'whitespace',
        lowercase: false,
        stem: false,
        removeStopWords: false,
        asciiFolding: false,
        withPosition: true,
        maxTokenLength: 64,
      }),
    });
    table.close();
    db.close();
    return count;
  },
  async open(target) {
    const lance = await import('@lancedb/lancedb');
    const db = await lance.connect(target);
    const table = await db.openTable('docs');
    const run = async (terms, operator) =>
      (
        await table
          .query()
          .fullTextSearch(new lance.MatchQuery(terms.join(' '), 'text', { operator }))
          .select(['id'])
          .limit(LIMIT)
          .toArray()
      ).map((r) => r.id);
    return {
      // All terms, then any term if nothing matches: the same and-or as FTS5.
      async search(terms) {
        let ids = await run(terms, lance.Operator.And);
        if (ids.length === 0 && terms.length > 1) ids = await run(terms, lance.Operator.Or);
        return ids;
      },
      close: () => {
        table.close();
        db.close();
      },
    };
  },
};

function bytesUnder(target) {
  let total = 0;
  for (const entry of readdirSync(target, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(join(entry.parentPath ?? entry.path, entry.name)).size;
  }
  return total;
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function queryLatency(engine, target, file) {
  const tokenize = loadTokenizer();
  const queries = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.includes('\t'))
    .map((l) => {
      const [text, id] = l.split('\t');
      return { terms: [...new Set(tokenize(text))], id };
    })
    .filter((q) => q.terms.length > 0);
  const index = await engine.open(target);
  const latencies = [];
  let rr = 0;
  for (let round = 0; round < 3; round++) {
    for (const q of queries) {
      const t0 = performance.now();
      const ids = await index.search(q.terms);
      const ms = performance.now() - t0;
      if (round > 0) latencies.push(ms);
      else {
        const rank = ids.indexOf(q.id);
        if (rank >= 0) rr += 1 / (rank + 1);
      }
    }
  }
  index.close();
  latencies.sort((a, b) => a - b);
  return {
    queries: queries.length,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    // Only meaningful when the queries come from this corpus (not from a recombined one).
    mrr10: rr / queries.length,
  };
}

const engine = { fts5, lancedb }[engineName];
if (engine === undefined) throw new Error(`unknown engine ${engineName}: fts5 or lancedb`);
const started = performance.now();
const docs = await engine.build(tokenizedDocs(corpus, threads), dir);
const seconds = (performance.now() - started) / 1000;
const bytes = statSync(corpus).size;
const peakRssMb = process.resourceUsage().maxRSS / 1024;
const query = queriesFile ? await queryLatency(engine, dir, queriesFile) : undefined;
process.stdout.write(
  `${JSON.stringify({ engine: engineName, threads, docs, bytes, seconds, mbPerSecond: bytes / 1e6 / seconds, peakRssMb, bytesOnDisk: bytesUnder(dir), query })}\n`,
);
