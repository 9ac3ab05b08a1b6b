import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isEngineError, openIndex, verifyIndex } from '../src/index.js';
import { formatFinding } from '../src/verify/report.js';
import { apply, docId, makeDoc, POOL, type State, step, versionOf } from './crash/plan.js';
import { mulberry32 } from './prng.js';

/**
 * Crash trials (the durability contract, tested): kill -9 a writer at a random moment,
 * during a bulk rebuild (`ruyi index`) or a run of incremental updates (add/remove then
 * flush, "ACK k" printed after each flush resolves), then open the index and check that
 * it is consistent (ruyi verify), that every acknowledged document is there with its latest content,
 * and that no acknowledged removal came back.
 *
 * usage: node --import tsx scripts/crash-trials.ts [trials=50] [seed=1]
 */

const BIN = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
const WRITER = fileURLToPath(new URL('./crash/writer.ts', import.meta.url));
const STEPS = 40;
const PADDING = 1500;

export interface TrialResult {
  trial: number;
  kind: 'rebuild' | 'update';
  killedAtMs: number;
  /** rebuild: whether the new generation was already switched in; update: the last acknowledged step. */
  outcome: string;
  docs: number;
}

/** Reads the whole pool back: id -> version, after checking every document present is whole. */
async function readState(db: string): Promise<State> {
  const report = await verifyIndex(db);
  if (!report.ok)
    throw new Error(`ruyi verify: ${report.problemCount} problems: ${report.problems.slice(0, 3).map(formatFinding).join('; ')}`);
  const index = await openIndex(db, { create: false, threads: 1 });
  try {
    const state: State = new Map();
    for (let i = 0; i < POOL; i++) {
      const id = docId(i);
      const doc = index.get(id);
      if (doc === undefined) continue;
      const version = versionOf(doc.title ?? '');
      if (version === null) throw new Error(`${id}: title ${JSON.stringify(doc.title)} has no version`);
      const whole = makeDoc(id, version);
      if (doc.body !== whole.body) throw new Error(`${id} at version ${version}: body is not the one written`);
      // Its postings are there too: the document is found by its own title.
      if (!index.search(doc.title ?? '', { limit: 50 }).hits.some((h) => h.id === id)) throw new Error(`${id}: not found by its title`);
      state.set(id, version);
    }
    // A switched-in rebuild also brought its padding documents, all of them.
    const padding = index.has('pad-0') ? PADDING : 0;
    const docs = index.stats().docs;
    if (docs !== state.size + padding) throw new Error(`stats says ${docs} documents, the pool has ${state.size} (+ ${padding} padding)`);
    return state;
  } finally {
    await index.close();
  }
}

/** Before the first commit there is no index at all: an empty pool. Any other failure is the trial's. */
function noIndexYet(err: unknown): State {
  if (isEngineError(err, 'E_CONFIG') && /no index at/.test(err.message)) return new Map();
  throw err;
}

function same(a: State, b: State): boolean {
  return a.size === b.size && [...a].every(([id, v]) => b.get(id) === v);
}

/**
 * Runs a writer to the end: how long it took, and when it printed its first line (the
 * update writer's first ACK: before it, a process is mostly starting up).
 */
async function timed(args: string[]): Promise<{ totalMs: number; firstOutputMs: number }> {
  const t0 = performance.now();
  let first = 0;
  await runKilled(args, 10 * 60_000, () => {
    first ||= performance.now() - t0;
  });
  const totalMs = performance.now() - t0;
  return { totalMs, firstOutputMs: first || totalMs };
}

/** Runs `node <args>` to its end (at most 10 minutes); resolves with its stdout, rejects on a non-zero exit. */
export function runChild(args: string[]): Promise<string> {
  return runKilled(args, 10 * 60_000);
}

function runKilled(args: string[], killAtMs: number, onOutput?: () => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b) => {
      out += b;
      onOutput?.();
    });
    child.stderr.on('data', (b) => {
      err += b;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), killAtMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal === null && code !== 0) reject(new Error(`writer exited ${code}: ${err.slice(-500)}`));
      else resolve(out);
    });
  });
}

async function rebuildTrial(db: string, work: string, trial: number, killAtMs: number): Promise<TrialResult> {
  const before = await readState(db).catch(noIndexYet);
  const dump = join(work, 'dump.ndjson');
  const version = `R${trial}`;
  const target: State = new Map();
  const lines: string[] = [];
  for (let i = 0; i < POOL; i++) {
    lines.push(JSON.stringify(makeDoc(docId(i), version)));
    target.set(docId(i), version);
  }
  // Padding so that the rebuild takes long enough to be killed in the middle.
  // Titles of their own: 1,500 copies of one title would make a pool document's title search a tie.
  for (let i = 0; i < PADDING; i++) lines.push(JSON.stringify({ ...makeDoc(docId(0), version), id: `pad-${i}`, title: `填充${i}` }));
  writeFileSync(dump, `${lines.join('\n')}\n`);
  await runKilled([BIN, 'index', dump, '--db', db, '--threads', '1', '--quiet'], killAtMs);
  const after = await readState(db).catch(noIndexYet);
  // All or nothing: the live index is the dump (switched in) or exactly what it was.
  const switched = same(after, target);
  if (!switched && !same(after, before)) throw new Error(`trial ${trial}: the live index is neither what it was nor the dump`);
  return { trial, kind: 'rebuild', killedAtMs: killAtMs, outcome: switched ? 'switched' : 'not switched', docs: after.size };
}

async function updateTrial(db: string, trial: number, killAtMs: number): Promise<TrialResult> {
  // Starts from a pool-only index: a rebuild's padding would make the counts ambiguous.
  const before = await readState(db);
  const out = await runKilled(['--import', 'tsx', WRITER, db, String(trial), String(STEPS)], killAtMs);
  const acked = Math.max(0, ...[...out.matchAll(/^ACK (\d+)$/gm)].map((m) => Number(m[1])));
  const states: State[] = [before];
  for (let k = 1; k <= STEPS; k++) states.push(apply(states[k - 1] as State, step(trial, k)));
  const after = await readState(db);
  const ackedState = states[acked] as State;
  const inFlight = states[Math.min(acked + 1, STEPS)] as State;
  // Each document is as of the last acknowledged step, or of the step in flight at the kill.
  for (let i = 0; i < POOL; i++) {
    const id = docId(i);
    const got = after.get(id);
    if (got !== ackedState.get(id) && got !== inFlight.get(id)) {
      throw new Error(
        `trial ${trial}: ${id} is ${got ?? 'absent'}; acknowledged step ${acked} says ${ackedState.get(id) ?? 'absent'}, step ${acked + 1} ${inFlight.get(id) ?? 'absent'}`,
      );
    }
  }
  return { trial, kind: 'update', killedAtMs: killAtMs, outcome: `acknowledged ${acked}/${STEPS} steps`, docs: after.size };
}

/**
 * Runs `trials` trials on one index directory (each starts from what the previous left):
 * updates and rebuilds alternate in pairs, kill moments are random (fixed seed).
 */
export async function runTrials(trials: number, seed = 1, onTrial?: (r: TrialResult) => void): Promise<TrialResult[]> {
  const work = mkdtempSync(join(tmpdir(), 'ruyi-crash-'));
  const db = join(work, 'db');
  const random = mulberry32(seed);
  const results: TrialResult[] = [];
  try {
    // Calibration: one whole update run and one whole rebuild, unkilled (this machine's speed
    // varies a lot; kill moments are drawn over the measured durations).
    const dump = join(work, 'dump.ndjson');
    writeFileSync(
      dump,
      `${Array.from({ length: PADDING }, (_, i) => JSON.stringify({ ...makeDoc(docId(0), 'C'), id: `pad-${i}`, title: `填充${i}` })).join('\n')}\n`,
    );
    const rebuildMs = await timed([BIN, 'index', dump, '--db', db, '--threads', '1', '--quiet']);
    const cleared = await openIndex(db, { threads: 1 });
    await cleared.remove(Array.from({ length: PADDING }, (_, i) => `pad-${i}`));
    await cleared.close();
    const updateMs = await timed(['--import', 'tsx', WRITER, db, String(seed * 1000), String(STEPS)]);
    for (let t = 1; t <= trials; t++) {
      const kind = t % 4 === 1 || t % 4 === 2 ? 'update' : 'rebuild';
      if (kind === 'update') {
        // A rebuild's padding is cleared first (this removal is itself acknowledged work).
        const index = await openIndex(db, { threads: 1 });
        if (index.has('pad-0')) await index.remove(Array.from({ length: PADDING }, (_, i) => `pad-${i}`));
        await index.close();
      }
      // Updates: within the steps (after start-up); rebuilds: from the middle to a little past
      // the end, so that some kills land after the switch.
      const killAt = Math.round(
        kind === 'update'
          ? updateMs.firstOutputMs * 0.8 + random() * (updateMs.totalMs - updateMs.firstOutputMs * 0.8)
          : rebuildMs.totalMs * (0.5 + 0.6 * random()),
      );
      const r = kind === 'update' ? await updateTrial(db, seed * 1000 + t, killAt) : await rebuildTrial(db, work, t, killAt);
      results.push(r);
      onTrial?.(r);
    }
    return results;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const trials = Number(process.argv[2] ?? 50);
  const seed = Number(process.argv[3] ?? 1);
  const started = performance.now();
  const results = await runTrials(trials, seed, (r) =>
    console.log(
      `trial ${String(r.trial).padStart(3)} ${r.kind.padEnd(7)} killed at ${String(r.killedAtMs).padStart(4)} ms: ${r.outcome}, ${r.docs} docs, consistent`,
    ),
  );
  const switched = results.filter((r) => r.outcome === 'switched').length;
  const rebuilds = results.filter((r) => r.kind === 'rebuild').length;
  console.log(
    `${results.length} trials passed in ${((performance.now() - started) / 1000).toFixed(0)} s: ${rebuilds} killed rebuilds (${switched} after the switch), ${results.length - rebuilds} killed update runs`,
  );
}
