import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { measureChild } from '../measure-child.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'dist/src/cli/main.js');
const ENGINE_CHILD = join(ROOT, 'scripts/bench/engine-child.mjs');

export interface QuerySet {
  name: string;
  file: string;
}

export interface Quality {
  mrr10: number;
  hitAt1: number;
  queries: number;
}

export interface QueryFigures {
  importMs?: number;
  /** Opening or deserializing the index in a fresh process; undefined if it took over the time limit. */
  loadMs?: number;
  firstQueryMs?: number;
  loadTimedOutSeconds?: number;
  /** When the load was not tried: the dev corpus's load rate times this corpus's size. */
  loadEstimatedMs?: number;
  quality: Record<string, Quality>;
  mode: string;
  latency: { p50: number; p95: number; p99: number; max: number; meanMs: number };
  histogram: { bounds: (number | null)[]; counts: number[] };
  qps1: number;
  peakRssMb: number;
}

/** One engine on one corpus: how it indexed, how big it is, how it answers. */
export interface EngineRun {
  engine: string;
  corpus: string;
  corpusMb: number;
  threads?: number;
  docs?: number;
  /** In-process seconds: reading, tokenizing, indexing (ruyi: also writing and optimizing). */
  indexSeconds?: number;
  /** Serializing an in-memory index to disk (0 for on-disk engines). */
  saveSeconds?: number;
  mbPerSecond?: number;
  docsPerSecond?: number;
  /** /usr/bin/time -v maximum resident set of the indexing process (includes saving). */
  maxRssMb?: number;
  /** Peak RSS when the in-memory index was built, before serializing it. */
  buildPeakRssMb?: number;
  anonMb?: number;
  fileMb?: number;
  bytesOnDisk?: number;
  query?: QueryFigures;
  qpsN?: { clients: number; qps: number };
  error?: string;
}

export function bytesUnder(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(join(entry.parentPath, entry.name)).size;
  }
  return total;
}

function lastJsonLine<T>(stdout: string): T {
  const line = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line) as T;
}

/** `ruyi index` in a fresh process, run as users run it (the bin's shebang V8 flags apply). */
export async function ruyiIndex(corpus: string, corpusName: string, db: string, extraArgs: string[] = []): Promise<EngineRun> {
  const corpusMb = statSync(corpus).size / 1e6;
  const run = await measureChild(CLI, ['index', corpus, '--db', db, '--json', ...extraArgs]);
  if (run.exit !== 0) return { engine: 'ruyi', corpus: corpusName, corpusMb, error: `ruyi index exited with ${run.exit}` };
  const report = lastJsonLine<{ docs: number; seconds: number; mbPerSecond: number; threads: number }>(run.stdout);
  return {
    engine: 'ruyi',
    corpus: corpusName,
    corpusMb,
    threads: report.threads,
    docs: report.docs,
    indexSeconds: report.seconds,
    saveSeconds: 0,
    mbPerSecond: corpusMb / report.seconds,
    docsPerSecond: report.docs / report.seconds,
    maxRssMb: run.maxRssMb,
    anonMb: run.anonMb,
    fileMb: run.fileMb,
    bytesOnDisk: bytesUnder(db),
  };
}

/**
 * A peer builds its index from the corpus with the jieba tokenizer, saves it, and answers
 * the queries, in its own process.
 */
export async function peerIndex(
  engine: string,
  corpus: string,
  corpusName: string,
  dir: string,
  work: string,
  spec: { sets: QuerySet[]; mrr: boolean; rounds: number; mode?: string },
): Promise<EngineRun> {
  const corpusMb = statSync(corpus).size / 1e6;
  mkdirSync(dir, { recursive: true });
  const specFile = join(work, `spec-${engine}-${corpusName}.json`);
  writeFileSync(specFile, JSON.stringify(spec));
  const run = await measureChild(process.execPath, [ENGINE_CHILD, 'index', engine, corpus, dir, specFile]);
  if (run.exit !== 0) return { engine, corpus: corpusName, corpusMb, error: `index exited with ${run.exit}`, maxRssMb: run.maxRssMb };
  const r = lastJsonLine<{
    docs: number;
    indexSeconds: number;
    saveSeconds: number;
    buildPeakRssMb: number;
    bytesOnDisk: number;
    query: QueryFigures;
  }>(run.stdout);
  return {
    engine,
    corpus: corpusName,
    corpusMb,
    threads: 1,
    docs: r.docs,
    indexSeconds: r.indexSeconds,
    saveSeconds: r.saveSeconds,
    mbPerSecond: corpusMb / r.indexSeconds,
    docsPerSecond: r.docs / r.indexSeconds,
    maxRssMb: run.maxRssMb,
    buildPeakRssMb: r.buildPeakRssMb,
    anonMb: run.anonMb,
    fileMb: run.fileMb,
    bytesOnDisk: r.bytesOnDisk,
    query: r.query,
  };
}

/** Load time and first query in a fresh process; gives up after `timeoutSeconds`. */
export async function openRun(
  engine: string,
  dir: string,
  text: string,
  timeoutSeconds: number,
): Promise<{ importMs: number; loadMs: number; firstQueryMs: number } | { timedOut: number }> {
  const child = spawn(process.execPath, [ENGINE_CHILD, 'open', engine, dir, text], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutSeconds * 1000);
  const exit = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  if (exit !== 0) return { timedOut: timeoutSeconds };
  return lastJsonLine(stdout);
}

/** Opens an index in a fresh process: load time, first query, MRR@10 (if asked), latency. */
export async function queryRun(
  engine: string,
  dir: string,
  work: string,
  spec: { sets: QuerySet[]; mrr: boolean; rounds: number; mode?: string },
): Promise<QueryFigures | { error: string }> {
  const specFile = join(work, `spec-${engine}-${Date.now()}.json`);
  writeFileSync(specFile, JSON.stringify(spec));
  const run = await measureChild(process.execPath, [ENGINE_CHILD, 'query', engine, dir, specFile]);
  if (run.exit !== 0) return { error: `query exited with ${run.exit}` };
  return lastJsonLine<QueryFigures>(run.stdout);
}

/**
 * Throughput with `clients` processes querying one index at once: each loads it, says
 * ready, and runs the queries in a loop from "go" to "stop" (`seconds` later).
 */
export async function serveQps(
  engine: string,
  dir: string,
  queries: string,
  mode: string,
  clients: number,
  seconds: number,
): Promise<number> {
  const children = Array.from({ length: clients }, () =>
    spawn(process.execPath, [ENGINE_CHILD, 'serve', engine, dir, queries, mode], { stdio: ['pipe', 'pipe', 'inherit'] }),
  );
  const lines = children.map((child) => {
    const queue: string[] = [];
    const waiters: ((line: string) => void)[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => {
      const waiter = waiters.shift();
      if (waiter) waiter(line);
      else queue.push(line);
    });
    return () => new Promise<string>((resolve) => (queue.length > 0 ? resolve(queue.shift() as string) : waiters.push(resolve)));
  });
  await Promise.all(lines.map((next) => next()));
  for (const child of children) child.stdin.write('go\n');
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  for (const child of children) child.stdin.write('stop\n');
  const results = (await Promise.all(lines.map((next) => next()))).map((l) => JSON.parse(l) as { count: number; seconds: number });
  for (const child of children) child.stdin.end();
  await Promise.all(children.map((c) => new Promise((resolve) => (c.exitCode === null ? c.on('close', resolve) : resolve(null)))));
  const mean = results.reduce((s, r) => s + r.seconds, 0) / results.length;
  return results.reduce((s, r) => s + r.count, 0) / mean;
}
