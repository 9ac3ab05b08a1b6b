import { accessSync, constants } from 'node:fs';
import { openIndex } from '../../engine.js';
import { EngineError, isEngineError } from '../../errors.js';
import { type RejectedRecord, readNdjson } from '../../ingest/ndjson.js';
import { EXIT } from '../exit-codes.js';
import { peakRssMb, printError, printJson, printLine } from '../output.js';

export interface IndexCommandOptions {
  db: string;
  threads?: number;
  shards?: number;
  maxMemory?: number;
  maxDocBytes?: number;
  truncate?: boolean;
  json?: boolean;
}

export interface IndexReport {
  docs: number;
  failed: number;
  bytes: number;
  seconds: number;
  docsPerSecond: number;
  mbPerSecond: number;
  threads: number;
  shards: number;
  maxMemoryMb: number;
  threadsReason: string;
  peakRssMb: number;
  errors: RejectedRecord[];
}

const MAX_LISTED_ERRORS = 100;

/** `ruyi index <file.ndjson>`: adds (or replaces) every valid line's document, then optimizes. */
export async function indexCommand(file: string, o: IndexCommandOptions): Promise<number> {
  const started = performance.now();
  // Checked before the index is opened, so a mistyped path does not leave an empty index behind.
  if (file !== '-') {
    try {
      accessSync(file, constants.R_OK);
    } catch (err) {
      throw new EngineError('E_INPUT', `cannot read ${file}: ${(err as Error).message}`, { cause: err });
    }
  }
  const index = await openIndex(o.db, {
    deferMerges: true,
    ...(o.threads === undefined ? {} : { threads: o.threads }),
    ...(o.shards === undefined ? {} : { shards: o.shards }),
    ...(o.maxMemory === undefined ? {} : { maxMemory: o.maxMemory }),
    ...(o.maxDocBytes === undefined ? {} : { maxDocBytes: o.maxDocBytes }),
    ...(o.truncate ? { truncateLongDocs: true } : {}),
  });
  let accepted = 0;
  let failed = 0;
  let bytes = 0;
  const errors: RejectedRecord[] = [];
  const reject = (r: RejectedRecord): void => {
    failed++;
    if (errors.length < MAX_LISTED_ERRORS) errors.push(r);
  };
  try {
    for await (const item of readNdjson(file)) {
      bytes += item.bytes;
      if ('rejected' in item) reject(item.rejected);
      else {
        try {
          await index.enqueue(item.doc, item.bodyUtf8, `${file}:${item.line}`, true);
          accepted++;
        } catch (err) {
          if (!isEngineError(err, 'E_INPUT')) throw err;
          reject({ file, line: item.line, id: item.doc.id, reason: err.detail ?? err.message });
        }
      }
    }
    const written = await index.flush();
    for (const f of written.failed) reject({ file, line: 0, id: f.id, reason: f.reason });
    failed += written.failedCount - written.failed.length;
    accepted -= written.failedCount;
    await index.optimize();
  } finally {
    await index.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const report: IndexReport = {
    docs: accepted,
    failed,
    bytes,
    seconds: Math.round(seconds * 1000) / 1000,
    docsPerSecond: Math.round(accepted / seconds),
    mbPerSecond: Math.round((bytes / 1e6 / seconds) * 100) / 100,
    threads: index.options.threads,
    shards: index.meta.shards,
    maxMemoryMb: Math.round(index.options.memory.maxMemory / 2 ** 20),
    threadsReason: index.options.memory.threadsReason,
    peakRssMb: peakRssMb(),
    errors,
  };
  if (o.json) printJson(report);
  else {
    printLine(
      `indexed ${report.docs} documents (${(bytes / 1e6).toFixed(1)} MB) in ${report.seconds.toFixed(1)} s: ` +
        `${report.docsPerSecond} docs/s, ${report.mbPerSecond} MB/s, ${report.threads} threads, ${report.shards} shards, peak RSS ${report.peakRssMb} MB`,
    );
    printLine(`memory budget ${report.maxMemoryMb} MB; threads: ${report.threadsReason}`);
    if (failed > 0) {
      printError(`${failed} records rejected:`);
      for (const e of errors) printError(`  ${e.file}:${e.line}${e.id === null ? '' : ` (id ${JSON.stringify(e.id)})`}: ${e.reason}`);
      if (failed > errors.length) printError(`  ... and ${failed - errors.length} more`);
    }
  }
  return failed > 0 && accepted === 0 ? EXIT.input : EXIT.ok;
}
