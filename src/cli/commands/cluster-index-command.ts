import { ClusterIndex } from '../../cluster/cluster-index.js';
import { cutUtf8 } from '../../cluster/cluster-writer.js';
import { EngineError } from '../../errors.js';
import { type InputFormat, inputSize, type RejectedRecord, readInputs } from '../../ingest/index.js';
import { EXIT } from '../exit-codes.js';
import { peakRssMb, printError, printJson, printLine } from '../output.js';
import { startProgress } from '../progress.js';
import type { IndexCommandFlags, IndexReport } from './index-command.js';

const MAX_LISTED_ERRORS = 100;

/**
 * `ruyi index <inputs> --db CLUSTER_DIR`: with --update, the documents are added to (or
 * replace those in) the cluster; without, a rebuild: they fill each shard's other table set,
 * which searches switch to once all are durable (atomic: a run that fails or stops early
 * leaves the live documents as they were; `removed` counts the live ones the input lacked).
 * Exits 0 only after every replica of every shard written has flushed to disk.
 * Records are read and validated here, analyzed by the worker pool, sent per shard.
 */
export async function clusterIndexCommand(db: string, inputs: string[], flags: IndexCommandFlags): Promise<number> {
  const started = performance.now();
  const quiet = flags.quiet === true || flags.json === true;
  const index = await ClusterIndex.open(db, {
    // A load never searches: the query analyzer is not loaded, so the budget does not keep room for it.
    preloadAnalyzer: false,
    ...(flags.threads === undefined ? {} : { threads: flags.threads }),
    ...(flags.maxMemory === undefined ? {} : { maxMemory: flags.maxMemory }),
    ...(flags.truncate ? { truncateLongDocs: true } : {}),
    ...(flags.pinyin === undefined ? {} : { pinyin: flags.pinyin }),
    ...(flags.traditional === undefined ? {} : { traditional: flags.traditional }),
  });
  const errors: RejectedRecord[] = [];
  let failed = 0;
  let accepted = 0;
  let bytes = 0;
  let stopped: IndexReport['stopped'] = null;
  let swept = 0;
  let switched = false;
  const reject = (r: RejectedRecord): void => {
    failed++;
    if (errors.length < MAX_LISTED_ERRORS) errors.push(r);
  };
  // Refused before any input is read, as for a local index.
  const { refusal, maxBodyBytes } = index.memoryPlan;
  if (refusal !== null) {
    await index.close();
    throw new EngineError('E_CONFIG', refusal);
  }
  const progress = startProgress(await inputSize(inputs), !quiet);
  let report: Awaited<ReturnType<ClusterIndex['flush']>>;
  try {
    // A rebuild fills the shards' other table set; searches read the live one until it switches.
    if (!flags.update) await index.beginRebuild();
    const source = readInputs(inputs, {
      ...(flags.format === undefined ? {} : { format: flags.format as InputFormat | 'auto' }),
      ...(flags.fields === undefined ? {} : { fields: flags.fields }),
      ...(flags.html ? { html: true } : {}),
    });
    for await (const item of source) {
      bytes += item.bytes;
      if ('rejected' in item) reject(item.rejected);
      else {
        // A long body comes as UTF-8: with --truncate, cut before it becomes a (twice as large) string.
        if (item.bodyUtf8 !== null) item.doc.body = flags.truncate ? cutUtf8(item.bodyUtf8, maxBodyBytes) : Buffer.from(item.bodyUtf8).toString('utf8');
        await index.enqueue(item.doc, `${item.file}:${item.line}`);
        accepted++;
      }
      progress.update(accepted, bytes);
      if (flags.strict && failed > 0) stopped = 'strict';
      else if (flags.maxErrors !== undefined && failed > flags.maxErrors) stopped = 'max-errors';
      if (stopped !== null) break;
    }
    report = await index.flush();
    // Switched only when the whole input was read: a run stopped early, or one that indexed
    // nothing, leaves the live documents as they were.
    if (!flags.update && stopped === null && report.added > 0) {
      swept = (await index.commitRebuild()).removed;
      switched = true;
    }
  } catch (err) {
    progress.stop();
    await index.close().catch(() => {});
    throw err;
  }
  progress.stop();
  await index.close();
  for (const f of report.failed) reject({ file: inputs.join(' '), line: 0, id: f.id, reason: f.reason });
  failed += report.failedCount - report.failed.length;
  const seconds = (performance.now() - started) / 1000;
  const docs = report.added;
  const out: IndexReport & { cluster: true; removed: number } = {
    mode: flags.update ? 'update' : 'rebuild',
    docs,
    failed,
    duplicates: report.superseded,
    bytes,
    seconds: Math.round(seconds * 1000) / 1000,
    docsPerSecond: Math.round(docs / seconds),
    mbPerSecond: Math.round((bytes / 1e6 / seconds) * 100) / 100,
    threads: index.options.threads,
    shards: index.config.shards.length,
    maxMemoryMb: Math.round(index.options.memory.maxMemory / 2 ** 20),
    threadsReason: index.options.memory.threadsReason,
    peakRssMb: peakRssMb(),
    stopped,
    generation: null,
    errors,
    cluster: true,
    removed: swept,
  };
  if (!flags.update) Object.assign(out, { switched });
  if (flags.json) printJson(out);
  else {
    printLine(
      `indexed ${docs} documents (${(bytes / 1e6).toFixed(1)} MB) into the cluster in ${out.seconds.toFixed(1)} s: ${out.docsPerSecond} docs/s, ${out.mbPerSecond} MB/s, ${out.threads} threads, ${out.shards} shards; durable on every replica${swept > 0 ? `; ${swept} documents not in the input removed` : ''}`,
    );
    if (!flags.update && !switched) printError('the rebuild did not switch: searches still see the documents from before this run');
    if (failed > 0) {
      printError(`${failed} records rejected:`);
      for (const e of errors)
        printError(`  ${e.file}${e.line > 0 ? `:${e.line}` : ''}${e.id === null ? '' : ` (id ${JSON.stringify(e.id)})`}: ${e.reason}`);
    }
  }
  if (stopped !== null) return EXIT.input;
  return failed > 0 && docs === 0 ? EXIT.input : EXIT.ok;
}
