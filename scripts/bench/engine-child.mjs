// One engine in its own process (so its peak RSS is its own). Prints one JSON line.
//   index <engine> <corpus.ndjson> <dir> <spec.json>   build, save to <dir>, then MRR and
//                                               latency on the index just built (reopened if on disk)
//   open <engine> <dir> <query text>            load time and first query in a fresh process
//   query <engine> <dir> <spec.json>            load, first query, MRR and latency
//   serve <engine> <dir> <queries.tsv> <mode>   load, print "ready", on stdin "go" run
//                                               queries until stdin says "stop"; print the count
// Plain JavaScript: no loader in the measured process.
import { once } from 'node:events';
import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { flexsearch } from './engines/flexsearch.mjs';
import { lunrEngine } from './engines/lunr.mjs';
import { minisearch } from './engines/minisearch.mjs';
import { orama } from './engines/orama.mjs';
import { ruyi } from './engines/ruyi.mjs';
import { fts5Jieba, fts5Trigram } from './engines/sqlite.mjs';
import { loadTokenizer } from './tokenizer.mjs';

const ENGINES = Object.fromEntries([minisearch, flexsearch, orama, lunrEngine, fts5Jieba, fts5Trigram, ruyi].map((e) => [e.name, e]));
const LIMIT = 10;

const peakRssMb = () => process.resourceUsage().maxRSS / 1024;
const print = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);

async function* readDocs(file) {
  for await (const line of createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY })) {
    if (line.trim() === '') continue;
    const d = JSON.parse(line);
    yield { id: d.id, title: d.title ?? '', body: d.body };
  }
}

function bytesUnder(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(join(entry.parentPath ?? entry.path, entry.name)).size;
  }
  return total;
}

export function readQueries(file) {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.includes('\t'))
    .map((l) => {
      const [text, id] = l.split('\t');
      return { text, id };
    });
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function indexCommand(engine, corpus, dir, spec) {
  const started = performance.now();
  const tokenize = loadTokenizer();
  await engine.prepare?.();
  let docs = 0;
  const counted = (async function* () {
    for await (const d of readDocs(corpus)) {
      docs++;
      yield d;
    }
  })();
  const built = await engine.build(counted, tokenize, dir);
  const indexSeconds = (performance.now() - started) / 1000;
  const buildPeakRssMb = peakRssMb();
  const heapMb = process.memoryUsage().heapUsed / 2 ** 20;
  const saveStarted = performance.now();
  await engine.save(built, dir);
  const saveSeconds = (performance.now() - saveStarted) / 1000;
  const bytesOnDisk = bytesUnder(dir);
  // Deserializing can take longer than indexing (MiniSearch): the queries run on the index
  // as built; an on-disk engine is reopened read-only, as a search process would.
  const state = engine.onDisk ? await engine.load(dir, tokenize) : built;
  const query = runQueries(engine, state, JSON.parse(readFileSync(spec, 'utf8')), tokenize);
  print({ docs, indexSeconds, saveSeconds, buildPeakRssMb, heapMb, peakRssMb: peakRssMb(), bytesOnDisk, query });
}

async function openCommand(engine, dir, text) {
  const tokenize = engine.name === 'ruyi' ? null : loadTokenizer();
  const importStarted = performance.now();
  await engine.prepare?.();
  const importMs = performance.now() - importStarted;
  const loadStarted = performance.now();
  const state = await engine.load(dir, tokenize);
  const loadMs = performance.now() - loadStarted;
  const firstStarted = performance.now();
  engine.search(state, text, engine.modes[0], LIMIT, tokenize);
  const firstQueryMs = performance.now() - firstStarted;
  print({ importMs, loadMs, firstQueryMs, peakRssMb: peakRssMb() });
  await engine.close?.(state);
}

async function queryCommand(engine, dir, spec) {
  const tokenize = engine.name === 'ruyi' ? null : loadTokenizer();
  const importStarted = performance.now();
  await engine.prepare?.();
  const importMs = performance.now() - importStarted;
  const loadStarted = performance.now();
  const state = await engine.load(dir, tokenize);
  const loadMs = performance.now() - loadStarted;
  const parsed = JSON.parse(readFileSync(spec, 'utf8'));
  const firstStarted = performance.now();
  engine.search(state, readQueries(parsed.sets[0].file)[0].text, engine.modes[0], LIMIT, tokenize);
  const firstQueryMs = performance.now() - firstStarted;
  print({ importMs, loadMs, firstQueryMs, ...runQueries(engine, state, parsed, tokenize) });
  await engine.close?.(state);
}

/**
 * MRR@10 and hit@1 per query set and mode (if `mrr`), then latency of every query in the
 * chosen mode (or the best one): a warm-up pass unless the MRR passes warmed up, then `rounds`.
 */
function runQueries(engine, state, { sets, mrr, rounds, mode: chosen }, tokenize) {
  const all = sets.flatMap((s) => readQueries(s.file).map((q) => ({ ...q, set: s.name })));
  const quality = {};
  if (mrr) {
    for (const mode of engine.modes) {
      for (const set of sets) {
        const queries = all.filter((q) => q.set === set.name);
        let rr = 0;
        let hit1 = 0;
        for (const q of queries) {
          const rank = engine.search(state, q.text, mode, LIMIT, tokenize).indexOf(q.id);
          if (rank >= 0) rr += 1 / (rank + 1);
          if (rank === 0) hit1++;
        }
        quality[`${mode}:${set.name}`] = { mrr10: rr / queries.length, hitAt1: hit1 / queries.length, queries: queries.length };
      }
    }
  }
  const mode = chosen ?? bestMode(engine, quality);
  const latencies = [];
  for (let round = mrr ? 1 : 0; round < rounds + 1; round++) {
    for (const q of all) {
      const t0 = performance.now();
      engine.search(state, q.text, mode, LIMIT, tokenize);
      if (round > 0) latencies.push(performance.now() - t0);
    }
  }
  latencies.sort((a, b) => a - b);
  const meanMs = latencies.reduce((s, x) => s + x, 0) / latencies.length;
  return {
    quality,
    mode,
    latency: {
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
      max: latencies.at(-1),
      meanMs,
    },
    histogram: histogram(latencies),
    qps1: 1000 / meanMs,
    peakRssMb: peakRssMb(),
  };
}

/** The mode with the best mean MRR@10 over the query sets (the last mode without quality figures). */
function bestMode(engine, quality) {
  let best = engine.modes[engine.modes.length - 1];
  let bestMrr = -1;
  for (const mode of engine.modes) {
    const sets = Object.entries(quality).filter(([key]) => key.startsWith(`${mode}:`));
    if (sets.length === 0) continue;
    const mean = sets.reduce((s, [, q]) => s + q.mrr10, 0) / sets.length;
    if (mean > bestMrr) [best, bestMrr] = [mode, mean];
  }
  return best;
}

/** Counts per log-spaced latency bucket (upper bounds in ms), for the distribution chart. */
function histogram(sorted) {
  const bounds = [0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, Number.POSITIVE_INFINITY];
  const counts = bounds.map(() => 0);
  for (const x of sorted) counts[bounds.findIndex((b) => x <= b)]++;
  return { bounds: bounds.map((b) => (Number.isFinite(b) ? b : null)), counts };
}

async function serveCommand(engine, dir, queriesFile, mode) {
  const tokenize = engine.name === 'ruyi' ? null : loadTokenizer();
  await engine.prepare?.();
  const state = await engine.load(dir, tokenize);
  const queries = readQueries(queriesFile);
  engine.search(state, queries[0].text, mode, LIMIT, tokenize);
  const input = createInterface({ input: process.stdin });
  print({ ready: true });
  await once(input, 'line');
  let stop = false;
  input.once('line', () => {
    stop = true;
  });
  let count = 0;
  const started = performance.now();
  // Yield to the event loop every 20 queries, so "stop" is seen.
  while (!stop) {
    for (let i = 0; i < 20; i++) engine.search(state, queries[(count + i) % queries.length].text, mode, LIMIT, tokenize);
    count += 20;
    await new Promise((resolve) => setImmediate(resolve));
  }
  print({ count, seconds: (performance.now() - started) / 1000 });
  input.close();
  await engine.close?.(state);
}

const [command, name, ...rest] = process.argv.slice(2);
const engine = ENGINES[name];
if (engine === undefined) throw new Error(`unknown engine ${name}; one of ${Object.keys(ENGINES).join(', ')}`);
if (command === 'index') await indexCommand(engine, rest[0], rest[1], rest[2]);
else if (command === 'open') await openCommand(engine, rest[0], rest[1]);
else if (command === 'query') await queryCommand(engine, rest[0], rest[1]);
else if (command === 'serve') await serveCommand(engine, rest[0], rest[1], rest[2]);
else throw new Error(`unknown command ${command}`);
