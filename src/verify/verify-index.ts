import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AnalysisOptions, resolveAnalysis } from '../analysis/analysis-options.js';
import { Analyzer } from '../analysis/analyzer.js';
import { CURRENT_FILE, readCurrent } from '../store/generations.js';
import { META_FILE } from '../store/index-meta.js';
import { MERGE_PROGRESS_KEY, type MergeProgress, mergeHeldIds } from '../store/merge-progress.js';
import type { SegmentNorms } from '../store/postings-codec.js';
import { emptyShardState, type SegmentInfo, type ShardState, shardDir } from '../store/shard-store.js';
import { compareSampledDocs, DEEP_MAX_BODY_BYTES } from './deep-check.js';
import { checkSegmentDocuments, checkShardDocuments, type DocumentsTally, type SampledDoc } from './docs-check.js';
import { checkMeta } from './meta-check.js';
import { Findings, keyName, type ShardReport, type VerifyProgress, type VerifyReport } from './report.js';
import { checkSegmentPostings, type RecordedTerms, readSegmentNorms } from './segment-check.js';
import { ShardSnapshot } from './shard-snapshot.js';
import { checkState } from './state-check.js';

export interface VerifyOptions {
  /** Also re-analyze a sample of documents and compare terms, positions and lengths. Default false. */
  deep?: boolean;
  /** --deep: documents re-analyzed per shard, spread evenly over docNums. Default 200. */
  deepSample?: number;
  /** Called as each shard and segment starts. */
  onProgress?: (progress: VerifyProgress) => void;
}

export const DEFAULT_DEEP_SAMPLE = 200;

/**
 * An index directory names its live generation in CURRENT: that is what is checked. Other
 * generations (a rebuild in progress, or left by a killed one) are notes. A directory
 * without CURRENT is taken to be a generation itself.
 */
function liveGeneration(dir: string, findings: Findings): string {
  if (!existsSync(join(dir, CURRENT_FILE))) return dir;
  let live: string | null;
  try {
    live = readCurrent(dir);
  } catch (err) {
    findings.problem({ check: 'meta', key: CURRENT_FILE, message: (err as Error).message.replace(/^ruyi: /, '') });
    return dir;
  }
  for (const name of readdirSync(dir)) {
    if (name.startsWith('gen-') && name !== live) {
      findings.note({
        check: 'meta',
        key: name,
        message: 'a generation that is not live: a rebuild in progress, or left by a killed one (the next writer removes it)',
      });
    }
  }
  const generation = join(dir, live as string);
  if (!existsSync(generation)) findings.problem({ check: 'meta', key: CURRENT_FILE, message: `names ${live}, which does not exist` });
  return generation;
}

/** The analysis options ruyi.json records (pinyin, traditional), for --deep's re-analysis. */
function recordedAnalysis(dir: string): AnalysisOptions {
  try {
    return resolveAnalysis((JSON.parse(readFileSync(join(dir, META_FILE), 'utf8')) as { analysis?: Partial<AnalysisOptions> }).analysis);
  } catch {
    return resolveAnalysis(undefined);
  }
}

/**
 * Checks the internal consistency of the index in `dir` (the directory holding ruyi.json
 * and the shard-NNN environments) without changing it. Each shard is read in one LMDB
 * read transaction, so a writer in another process does not make it see half a batch.
 * Memory: one block, one document and a few bytes per docNum of the segment being checked
 * (as a search's accumulators); findings are capped at MAX_FINDINGS each (all are counted).
 */
export async function verifyIndex(indexDir: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  let dir = indexDir;
  const started = performance.now();
  const findings = new Findings();
  const deep = options.deep === true;
  const progress = options.onProgress ?? (() => {});
  dir = liveGeneration(dir, findings);
  const meta = checkMeta(dir, findings);
  const analyzer = deep ? Analyzer.load(recordedAnalysis(dir)) : null;
  const shards: ShardReport[] = [];
  let analyzedDocs = 0;
  for (let shard = 0; shard < meta.shardCount; shard++) {
    progress({ shard, shards: meta.shardCount, stage: 'open' });
    const report: ShardReport = {
      shard,
      exists: existsSync(shardDir(dir, shard)),
      version: null,
      docs: 0,
      segments: 0,
      deleted: 0,
      terms: 0,
      postings: 0,
      bodyChunks: 0,
      problems: 0,
      notes: 0,
    };
    if (report.exists) {
      const run: ShardRun = {
        findings,
        analyzer,
        deepSample: options.deepSample ?? DEFAULT_DEEP_SAMPLE,
        progress,
        shardCount: meta.shardCount,
        routerShards: meta.fromMeta ? meta.shardCount : null,
      };
      analyzedDocs += await verifyShard(dir, shard, report, run);
    }
    Object.assign(report, findings.of(shard));
    shards.push(report);
  }
  progress({ shard: meta.shardCount, shards: meta.shardCount, stage: 'done' });
  return {
    ok: findings.problemCount === 0,
    dir,
    docs: shards.reduce((sum, s) => sum + s.docs, 0),
    shards,
    problems: findings.problems,
    notes: findings.notes,
    problemCount: findings.problemCount,
    noteCount: findings.noteCount,
    deep,
    analyzedDocs,
    ms: Math.round(performance.now() - started),
  };
}

interface ShardRun {
  findings: Findings;
  analyzer: Analyzer | null;
  deepSample: number;
  progress: (p: VerifyProgress) => void;
  shardCount: number;
  /** The shard count ids hash over, or null when ruyi.json does not give it. */
  routerShards: number | null;
}

/** Returns the number of documents re-analyzed. */
async function verifyShard(dir: string, shard: number, report: ShardReport, run: ShardRun): Promise<number> {
  const { findings } = run;
  let snap: ShardSnapshot;
  try {
    const opened = ShardSnapshot.open(shardDir(dir, shard));
    if (!(opened instanceof ShardSnapshot)) {
      if (opened.unwritten) {
        findings.note({ check: 'shard', shard, message: 'shard holds no committed batch (no data file or no state database yet)' });
        return 0;
      }
      findings.problem({ check: 'shard', shard, message: `missing from the shard's environment: ${opened.missing.join(', ')}` });
      return 0;
    }
    snap = opened;
  } catch (err) {
    findings.problem({ check: 'shard', shard, message: `LMDB cannot open the shard: ${(err as Error).message}` });
    return 0;
  }
  try {
    let raw = snap.state.get('state', snap.at);
    let version = snap.state.get('version', snap.at);
    if (raw === undefined && version === undefined) {
      // No batch committed yet; keys a first batch cut short are then checked as orphans.
      findings.note({ check: 'shard', shard, message: 'shard environment holds no committed batch yet' });
      raw = emptyShardState();
      version = 0;
    }
    const state = checkState(raw, version, shard, findings);
    if (state === null) return 0;
    report.version = state.version;
    report.segments = state.segments.length;
    report.deleted = state.dead.length;
    return verifyShardContents(snap, shard, state, report, run);
  } catch (err) {
    // A check that throws is a bug in the checker or an LMDB failure: either way, not a clean index.
    findings.problem({ check: 'shard', shard, message: `verification stopped: ${(err as Error).stack ?? err}` });
    return 0;
  } finally {
    await snap.close();
  }
}

function verifyShardContents(snap: ShardSnapshot, shard: number, state: ShardState, report: ShardReport, run: ShardRun): number {
  const { findings, analyzer } = run;
  const sorted = [...state.segments].sort((a, b) => a.first - b.first);
  const dead = new Set(state.dead);
  checkSegmentIds(snap, shard, state, findings);
  const tally: DocumentsTally = { live: 0, bodyChunks: 0 };
  const every = Math.max(1, Math.floor(state.docs / Math.max(1, run.deepSample)));
  let analyzed = 0;
  for (const seg of sorted) {
    run.progress({ shard, shards: run.shardCount, stage: 'segments', segment: seg.id });
    const norms = readSegmentNorms(snap, shard, seg, findings);
    const sampled: SampledDoc[] = [];
    const sample = analyzer === null ? null : { every, maxBodyBytes: DEEP_MAX_BODY_BYTES, into: sampled };
    const docs = checkSegmentDocuments(snap, shard, run.routerShards, seg, norms, dead, tally, findings, sample);
    const recorded: RecordedTerms | null = analyzer === null ? null : new Map(sampled.map((d) => [d.n, new Map()]));
    const counts = checkSegmentPostings(snap, shard, seg, norms ?? unknownNorms(seg), docs, findings, recorded);
    report.terms += counts.terms;
    report.postings += counts.postings;
    if (analyzer !== null && recorded !== null) analyzed += compareSampledDocs(snap, shard, seg.id, sampled, recorded, analyzer, findings);
  }
  run.progress({ shard, shards: run.shardCount, stage: 'documents' });
  checkShardDocuments(snap, shard, state, sorted, tally, findings);
  report.docs = tally.live;
  report.bodyChunks = tally.bodyChunks;
  return analyzed;
}

/** Norms that disable the position checks, for a segment whose norms are missing (already a problem). */
function unknownNorms(seg: SegmentInfo): SegmentNorms {
  const span = seg.last - seg.first + 1;
  return { title: new Uint16Array(span).fill(0xffff), body: new Uint32Array(span).fill(0xffffffff) };
}

/**
 * Segment ids that have keys in the postings database but are not in the state: at or above
 * nextSeg they are a batch or merge a crash cut short, which the next write removes (notes);
 * below it, nothing ever removes them (problems).
 */
function checkSegmentIds(snap: ShardSnapshot, shard: number, state: ShardState, findings: Findings): void {
  const live = new Set(state.segments.map((s) => s.id));
  // A merge in progress (merge-progress.ts) holds its target's keys, or the old segments' it frees.
  const merge = (snap.state.get(MERGE_PROGRESS_KEY, snap.at) as MergeProgress | undefined) ?? null;
  const held = new Set(mergeHeldIds(merge));
  let start: (string | number)[] = [0];
  for (;;) {
    const next = [...snap.postings.getKeys({ start, limit: 1, ...snap.at })][0];
    if (next === undefined) return;
    const id = next[0];
    if (typeof id !== 'number') {
      findings.problem({
        check: 'segment',
        shard,
        key: keyName('postings', next),
        message: 'postings key does not start with a segment id',
      });
      return;
    }
    if (!live.has(id)) {
      if (held.has(id)) {
        findings.note({
          check: 'segment',
          shard,
          segment: id,
          message:
            merge?.phase === 'writing'
              ? `keys of the segment a merge is writing (step ${merge.steps}, not yet swapped in, never read): the next optimize() carries on`
              : 'keys of a segment merged away and being freed: the next optimize() or write removes them',
        });
      } else if (id >= state.nextSeg) {
        findings.note({
          check: 'segment',
          shard,
          segment: id,
          message: `keys of an unpublished segment (nextSeg is ${state.nextSeg}): a batch or merge a crash cut short; the next write removes them`,
        });
      } else {
        findings.problem({
          check: 'segment',
          shard,
          segment: id,
          message: 'keys of a segment the state does not list: leaked, never read or removed',
        });
      }
    }
    start = [id + 1];
  }
}
