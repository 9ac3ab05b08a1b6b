import { execFile } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_DEFAULT_THREADS, planMemory } from '../config.js';
import { type InputOptions, readInputs } from '../ingest/index.js';
import { usableCores } from '../machine.js';

/** One trial reindex of the sample at a thread count. */
export interface TuneTrial {
  threads: number;
  docs: number;
  mbPerSecond: number;
  docsPerSecond: number;
  peakRssMb: number;
  /** Peak RSS within the budget. */
  fits: boolean;
}

export interface TuneResult {
  sampleBytes: number;
  sampleDocs: number;
  maxMemoryMb: number;
  trials: TuneTrial[];
  /** The fastest thread count that stayed within the budget, or null when none did. */
  recommended: number | null;
  /** Why, in one sentence. */
  reason: string;
}

const CLI = fileURLToPath(new URL('./main.js', import.meta.url));

/**
 * Copies the first `sampleBytes` of the inputs (whole records, any input format) into an
 * NDJSON file, so that every trial indexes exactly the same documents.
 */
async function writeSample(
  inputs: readonly string[],
  options: InputOptions,
  sampleBytes: number,
  file: string,
): Promise<{ bytes: number; docs: number }> {
  const out = createWriteStream(file);
  const decoder = new TextDecoder();
  let bytes = 0;
  let docs = 0;
  for await (const item of readInputs(inputs, options)) {
    if ('rejected' in item) continue;
    const { doc, bodyUtf8 } = item;
    const line = `${JSON.stringify({ ...doc, body: bodyUtf8 === null ? doc.body : decoder.decode(bodyUtf8) })}\n`;
    if (!out.write(line)) await new Promise<void>((r) => out.once('drain', () => r()));
    bytes += Buffer.byteLength(line);
    docs++;
    if (bytes >= sampleBytes) break;
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return { bytes, docs };
}

function runTrial(sample: string, db: string, threads: number, maxMemory: number): Promise<Omit<TuneTrial, 'fits'>> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [CLI, 'index', sample, '--db', db, '--threads', String(threads), '--max-memory', String(maxMemory), '--json', '--quiet'],
      { encoding: 'utf8', maxBuffer: 16 * 2 ** 20 },
      (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`trial at ${threads} threads failed: ${stderr.trim() || err.message}`));
          return;
        }
        const r = JSON.parse(stdout) as { docs: number; mbPerSecond: number; docsPerSecond: number; peakRssMb: number };
        resolve({ threads, docs: r.docs, mbPerSecond: r.mbPerSecond, docsPerSecond: r.docsPerSecond, peakRssMb: r.peakRssMb });
      },
    );
  });
}

/**
 * Trial reindexes of a sample at 1..N threads, each in a fresh process (so that peak RSS
 * is the trial's own), under the given memory budget; recommends the fastest thread count
 * whose peak RSS stayed within it. Several rounds, interleaved, damp a noisy machine: a
 * thread count's figure is its best round (the least disturbed).
 */
export async function tune(
  inputs: readonly string[],
  o: {
    maxMemory: number;
    sampleBytes: number;
    maxThreads?: number;
    rounds?: number;
    input?: InputOptions;
    onTrial?: (t: TuneTrial) => void;
  },
): Promise<TuneResult> {
  const work = mkdtempSync(join(tmpdir(), 'ruyi-tune-'));
  try {
    const sample = join(work, 'sample.ndjson');
    const { bytes, docs } = await writeSample(inputs, o.input ?? {}, o.sampleBytes, sample);
    const maxThreads = o.maxThreads ?? Math.min(usableCores(), MAX_DEFAULT_THREADS);
    const best = new Map<number, TuneTrial>();
    const refusals: string[] = [];
    const budgetMb = o.maxMemory / 2 ** 20;
    for (let round = 0; round < (o.rounds ?? 1); round++) {
      for (let threads = 1; threads <= maxThreads; threads++) {
        // A thread count the budget cannot hold is refused by the engine: not worth a run.
        const refusal = planMemory(o.maxMemory, threads).refusal;
        if (refusal !== null) {
          refusals.push(refusal);
          const trial: TuneTrial = { threads, docs: 0, mbPerSecond: 0, docsPerSecond: 0, peakRssMb: 0, fits: false };
          o.onTrial?.(trial);
          best.set(threads, trial);
          continue;
        }
        const db = join(work, `db-${threads}-${round}`);
        const r = await runTrial(sample, db, threads, o.maxMemory);
        rmSync(db, { recursive: true, force: true });
        const trial: TuneTrial = { ...r, fits: r.peakRssMb <= budgetMb };
        o.onTrial?.(trial);
        const prev = best.get(threads);
        best.set(threads, {
          ...trial,
          mbPerSecond: Math.max(trial.mbPerSecond, prev?.mbPerSecond ?? 0),
          docsPerSecond: Math.max(trial.docsPerSecond, prev?.docsPerSecond ?? 0),
          peakRssMb: Math.max(trial.peakRssMb, prev?.peakRssMb ?? 0),
          fits: trial.fits && (prev?.fits ?? true),
        });
      }
    }
    const trials = [...best.values()];
    const fitting = trials.filter((t) => t.fits);
    // A thread count must beat the next smaller one by 10% to be worth its memory.
    let pick: TuneTrial | null = null;
    for (const t of fitting) if (pick === null || t.mbPerSecond > pick.mbPerSecond * 1.1) pick = t;
    const reason =
      pick === null && trials.every((t) => t.peakRssMb === 0)
        ? `${refusals[0] ?? 'no trial ran'} (raise --max-memory)`
        : pick === null
          ? `no thread count stayed within ${Math.round(budgetMb)} MB (least: ${Math.min(...trials.map((t) => t.peakRssMb))} MB at 1 thread): raise --max-memory`
          : `${pick.threads} thread${pick.threads > 1 ? 's' : ''}: ${pick.mbPerSecond} MB/s at a peak of ${pick.peakRssMb} MB, within ${Math.round(budgetMb)} MB` +
            (pick.threads < maxThreads ? '; more threads were not 10% faster or did not fit' : '');
    return { sampleBytes: bytes, sampleDocs: docs, maxMemoryMb: Math.round(budgetMb), trials, recommended: pick?.threads ?? null, reason };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
