import { accessSync, constants } from 'node:fs';
import type { WriteReport } from '../../batcher.js';
import { isClusterDir } from '../../cluster/cluster-config.js';
import type { IndexOptions } from '../../config.js';
import { openIndex, type RuyiIndex } from '../../engine.js';
import { EngineError, isEngineError } from '../../errors.js';
import { type InputFormat, inputSize, type RejectedRecord, readInputsRaw } from '../../ingest/index.js';
import { Rebuild } from '../../rebuild.js';
import { readCurrent } from '../../store/generations.js';
import { heapPeak, type WorkerHeap } from '../../worker-heap.js';
import { EXIT } from '../exit-codes.js';
import { peakRssMb, printError, printJson, printLine, threadCount } from '../output.js';
import { startProgress } from '../progress.js';
import { requireDb, type Settings } from '../settings.js';

export interface IndexReport {
  /** 'rebuild' (a new generation switched in) or 'update' (written into the live index). */
  mode: 'rebuild' | 'update';
  /** Documents written: distinct ids in a rebuild; added plus replaced in an update. */
  docs: number;
  /** Records rejected (bad input) or documents that failed to index. */
  failed: number;
  /** Records whose id came again later in the input: the last one won. */
  duplicates: number;
  bytes: number;
  seconds: number;
  docsPerSecond: number;
  mbPerSecond: number;
  threads: number;
  shards: number;
  maxMemoryMb: number;
  threadsReason: string;
  peakRssMb: number;
  /** The workers' heap at its largest, committed MB (the limit is a backstop: see WORKER_HEAP_LIMIT_MB); null when nothing was written. */
  workerHeapPeakMb?: number | null;
  /** Why the run stopped early, or null when it read everything. */
  stopped: null | 'interrupted' | 'strict' | 'max-errors' | 'empty';
  /** The live generation after the run (a rebuild that stopped leaves the old one). */
  generation: string | null;
  errors: RejectedRecord[];
}

const MAX_LISTED_ERRORS = 100;

export interface IndexCommandFlags extends Settings {
  update?: boolean;
  json?: boolean;
}

function checkReadable(inputs: readonly string[]): void {
  for (const file of inputs) {
    if (file === '-') continue;
    try {
      accessSync(file, constants.R_OK);
    } catch (err) {
      throw new EngineError('E_INPUT', `cannot read ${file}: ${(err as Error).message}`, { cause: err });
    }
  }
}

function indexOptions(s: Settings): IndexOptions {
  return {
    ...(s.threads === undefined ? {} : { threads: s.threads }),
    ...(s.shards === undefined ? {} : { shards: s.shards }),
    ...(s.maxMemory === undefined ? {} : { maxMemory: s.maxMemory }),
    ...(s.maxDocBytes === undefined ? {} : { maxDocBytes: s.maxDocBytes }),
    ...(s.truncate ? { truncateLongDocs: true } : {}),
    ...(s.pinyin === undefined ? {} : { pinyin: s.pinyin }),
    ...(s.traditional === undefined ? {} : { traditional: s.traditional }),
  };
}

/**
 * Ctrl-C stops the run at the next record and throws the new generation away; a second
 * Ctrl-C exits at once (the live index is still intact: it was never written, and LMDB
 * commits are atomic; the next run removes the half-built generation and the stale lock).
 */
function interruptOnSigint(controller: AbortController, quiet: boolean): () => void {
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(EXIT.interrupted);
    if (!quiet) printError('\nstopping: the live index is left as it was (Ctrl-C again to exit at once)');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  return () => process.off('SIGINT', onSigint);
}

/**
 * `ruyi index <inputs...>`: rebuilds the index from the inputs in a new generation and
 * switches to it when complete (or, with --update, adds and replaces into the live index).
 */
export async function indexCommand(inputs: string[], flags: IndexCommandFlags): Promise<number> {
  const started = performance.now();
  const db = requireDb(flags);
  // Checked before anything is opened, so a mistyped path leaves nothing behind.
  checkReadable(inputs);
  // Issue 15: a cluster directory (cluster.json) is written through its nodes.
  if (isClusterDir(db)) return (await import('./cluster-index-command.js')).clusterIndexCommand(db, inputs, flags);
  const quiet = flags.quiet === true || flags.json === true;
  const controller = new AbortController();
  const stopListening = interruptOnSigint(controller, quiet);

  const options = indexOptions(flags);
  let rebuild: Rebuild | null = null;
  let index: RuyiIndex;
  // Writing only: the query analyzer stays unloaded (the memory budget leaves it no room).
  if (flags.update) index = await openIndex(db, { ...options, preloadAnalyzer: false });
  else {
    rebuild = Rebuild.begin(db, options);
    index = rebuild.index;
  }

  // Refused before any input is read: a budget that cannot be kept names its minimum.
  const { refusal } = index.options.memory;
  if (refusal !== null) {
    if (rebuild !== null) await rebuild.abort();
    else await index.close();
    stopListening();
    throw new EngineError('E_CONFIG', refusal);
  }

  let accepted = 0;
  let failed = 0;
  let bytes = 0;
  let stopped: IndexReport['stopped'] = null;
  const errors: RejectedRecord[] = [];
  const reject = (r: RejectedRecord): void => {
    failed++;
    if (errors.length < MAX_LISTED_ERRORS) errors.push(r);
  };
  // Records the workers rejected count as they are reported (they parse NDJSON lines).
  const failedSoFar = (): number => failed + index.rejectedSoFar;
  const overErrorLimit = (): IndexReport['stopped'] => {
    if (flags.strict && failedSoFar() > 0) return 'strict';
    if (flags.maxErrors !== undefined && failedSoFar() > flags.maxErrors) return 'max-errors';
    return null;
  };
  const progress = startProgress(await inputSize(inputs), !quiet);
  let written: WriteReport | null = null;
  try {
    // NDJSON lines go to the workers as bytes: parsing and validation happen there.
    const source = readInputsRaw(inputs, {
      signal: controller.signal,
      ...(flags.format === undefined ? {} : { format: flags.format as InputFormat | 'auto' }),
      ...(flags.fields === undefined ? {} : { fields: flags.fields }),
      ...(flags.html ? { html: true } : {}),
      // The engine's limit (the option, or what the budget can hold): a longer line is skipped unread.
      maxDocBytes: index.options.maxDocBytes,
      // Records over the limit reach the engine, which cuts them, instead of being skipped.
      ...(flags.truncate ? { maxRecordBytes: Number.POSITIVE_INFINITY } : {}),
    });
    const rawOptions = { ...(flags.fields === undefined ? {} : { fields: flags.fields }), ...(flags.html ? { html: true } : {}) };
    try {
      for await (const item of source) {
        bytes += item.bytes;
        if ('rejected' in item) reject(item.rejected);
        else if ('raws' in item) {
          for (const { raw, line } of item.raws) await index.enqueueRaw(raw, item.file, line, rawOptions);
          accepted += item.raws.length;
        } else {
          try {
            await index.enqueue(item.doc, item.bodyUtf8, `${item.file}:${item.line}`, true);
            accepted++;
          } catch (err) {
            if (!isEngineError(err, 'E_INPUT')) throw err;
            reject({ file: item.file, line: item.line, id: item.doc.id, reason: err.detail ?? err.message });
          }
        }
        progress.update(accepted, bytes);
        stopped = controller.signal.aborted ? 'interrupted' : overErrorLimit();
        if (stopped !== null) break;
      }
    } catch (err) {
      // The reader gives up with an AbortError once Ctrl-C aborted it: that is the stop itself.
      if (!controller.signal.aborted) throw err;
      stopped = 'interrupted';
    }
    if (stopped === null && controller.signal.aborted) stopped = 'interrupted';
    if (stopped === null || flags.update) {
      written = await index.flush();
      for (const f of written.failed) reject({ file: inputs.join(' '), line: 0, id: f.id, reason: f.reason });
      failed += written.failedCount - written.failed.length;
      for (const r of written.rejected) if (errors.length < MAX_LISTED_ERRORS) errors.push(r);
      stopped ??= overErrorLimit();
    }
    if (rebuild !== null && stopped === null && written !== null && written.added === 0) stopped = 'empty';
    if (rebuild !== null) {
      if (stopped === null) {
        const last = await rebuild.commit();
        written = addReports(written as WriteReport, last);
      } else await rebuild.abort();
    } else await index.close();
  } catch (err) {
    if (rebuild !== null) await rebuild.abort();
    else await index.close().catch(() => {});
    throw err;
  } finally {
    progress.stop();
    stopListening();
  }

  const seconds = (performance.now() - started) / 1000;
  const failedTotal = failedSoFar();
  // Workers report their rejections as batches complete: list them in input order.
  errors.sort((a, b) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1));
  const w = written ?? { added: 0, replaced: 0, superseded: 0 };
  const docs = rebuild !== null ? (stopped === null ? w.added : 0) : w.added + w.replaced;
  const report: IndexReport = {
    mode: rebuild === null ? 'update' : 'rebuild',
    docs,
    failed: failedTotal,
    duplicates: rebuild !== null ? w.replaced + w.superseded : w.superseded,
    bytes,
    seconds: Math.round(seconds * 1000) / 1000,
    docsPerSecond: Math.round(docs / seconds),
    mbPerSecond: Math.round((bytes / 1e6 / seconds) * 100) / 100,
    threads: index.options.threads,
    shards: index.meta.shards,
    maxMemoryMb: Math.round(index.options.memory.maxMemory / 2 ** 20),
    threadsReason: index.options.memory.threadsReason,
    peakRssMb: peakRssMb(),
    workerHeapPeakMb: written?.workerHeap === undefined ? null : Math.round(written.workerHeap.committedBytes / 2 ** 20),
    stopped,
    generation: liveGeneration(db),
    errors,
  };
  if (flags.json) printJson(report);
  else printHuman(report);
  if (stopped === 'interrupted') return EXIT.interrupted;
  if (stopped !== null) return EXIT.input;
  return failedTotal > 0 && docs === 0 ? EXIT.input : EXIT.ok;
}

function addReports(a: WriteReport, b: WriteReport): WriteReport {
  return {
    added: a.added + b.added,
    replaced: a.replaced + b.replaced,
    superseded: a.superseded + b.superseded,
    removed: a.removed + b.removed,
    missing: a.missing + b.missing,
    failed: [...a.failed, ...b.failed].slice(0, MAX_LISTED_ERRORS),
    failedCount: a.failedCount + b.failedCount,
    rejected: [...a.rejected, ...b.rejected].slice(0, MAX_LISTED_ERRORS),
    rejectedCount: a.rejectedCount + b.rejectedCount,
    ...withHeap(heapPeak(a.workerHeap, b.workerHeap)),
  };
}

function withHeap(workerHeap: WorkerHeap | undefined): { workerHeap?: WorkerHeap } {
  return workerHeap === undefined ? {} : { workerHeap };
}

function liveGeneration(db: string): string | null {
  try {
    return readCurrent(db);
  } catch {
    return null;
  }
}

const STOP_REASONS: Record<NonNullable<IndexReport['stopped']>, string> = {
  interrupted: 'interrupted',
  strict: 'stopped at the first bad record (--strict)',
  'max-errors': 'stopped: more bad records than --max-errors',
  empty: 'no valid documents in the input',
};

function printHuman(r: IndexReport): void {
  if (r.stopped !== null) {
    printError(
      `${STOP_REASONS[r.stopped]}; ${r.mode === 'rebuild' ? 'nothing was switched: the live index is as it was' : 'documents sent before the stop are kept'}`,
    );
  } else {
    printLine(
      `${r.mode === 'rebuild' ? 'rebuilt the index with' : 'indexed'} ${r.docs} documents (${(r.bytes / 1e6).toFixed(1)} MB) in ${r.seconds.toFixed(1)} s: ` +
        `${r.docsPerSecond} docs/s, ${r.mbPerSecond} MB/s, ${threadCount(r.threads)}, ${r.shards} shards, peak RSS ${r.peakRssMb} MB`,
    );
    if (r.duplicates > 0) printLine(`${r.duplicates} duplicate ids: the last record of each won`);
    printLine(`memory budget ${r.maxMemoryMb} MB; threads: ${r.threadsReason}`);
  }
  if (r.failed > 0) {
    printError(`${r.failed} records rejected:`);
    for (const e of r.errors)
      printError(`  ${e.file}${e.line > 0 ? `:${e.line}` : ''}${e.id === null ? '' : ` (id ${JSON.stringify(e.id)})`}: ${e.reason}`);
    if (r.failed > r.errors.length) printError(`  ... and ${r.failed - r.errors.length} more`);
  }
}
