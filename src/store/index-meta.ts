import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AnalysisOptions, analysisFingerprint, resolveAnalysis } from '../analysis/analysis-options.js';
import { ANALYZER_VERSION } from '../analysis/analyzer.js';
import { dictionaryFingerprint } from '../analysis/dictionary.js';
import { EngineError } from '../errors.js';
import { ROUTER_HASH } from '../router.js';
import { writeFileDurably } from './durable-file.js';
import { KEY_LAYOUT_VERSION } from './shard-store.js';

export const META_FILE = 'ruyi.json';
export const FORMAT = 'ruyi-index';
/** 2: every postings and body value ends with a CRC32C. 3: postings in blocks of 128 with skip data (postings-codec.ts). */
export const FORMAT_VERSION = 3;

/** Everything that decides where a document lives and how text becomes terms. */
export interface IndexMeta {
  format: typeof FORMAT;
  formatVersion: number;
  shards: number;
  hash: string;
  analyzerVersion: number;
  dictionary: string;
  keyLayout: number;
  createdAt: string;
  /**
   * Per-index analysis options and what they add to the analyzer (analysisFingerprint).
   * Absent in indexes made before the options existed: both off.
   */
  analysis?: RecordedAnalysis;
}

export interface RecordedAnalysis extends AnalysisOptions {
  fingerprint: string;
}

/** The analysis options an index was built with: documents and queries must use these. */
export function analysisOf(meta: IndexMeta): AnalysisOptions {
  return resolveAnalysis(meta.analysis);
}

function recordAnalysis(options: AnalysisOptions): RecordedAnalysis {
  return { pinyin: options.pinyin, traditional: options.traditional, fingerprint: analysisFingerprint(options) };
}

function currentMeta(shards: number, analysis: AnalysisOptions): IndexMeta {
  return {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    shards,
    hash: ROUTER_HASH,
    analyzerVersion: ANALYZER_VERSION,
    dictionary: dictionaryFingerprint(),
    keyLayout: KEY_LAYOUT_VERSION,
    createdAt: new Date().toISOString(),
    analysis: recordAnalysis(analysis),
  };
}

/**
 * Reads the index metadata, or creates it for a new index. Refuses a directory that holds
 * something else (never writes into it) and an index made with other settings or format.
 * `wantAnalysis` options are fixed at creation like the shard count: an option left
 * undefined takes the recorded value, one that differs from it is refused.
 */
export function openMeta(
  dir: string,
  wantShards: number | undefined,
  defaultShards: number,
  create: boolean,
  wantAnalysis: Partial<AnalysisOptions> = {},
): IndexMeta {
  const file = join(dir, META_FILE);
  if (!existsSync(file)) {
    if (existsSync(dir) && readdirSync(dir).length > 0) {
      throw new EngineError('E_META_MISMATCH', `${dir} is not empty and is not a ruyi index (no ${META_FILE}); refusing to write into it`);
    }
    if (!create) throw new EngineError('E_CONFIG', `no index at ${dir}`);
    mkdirSync(dir, { recursive: true });
    const meta = currentMeta(wantShards ?? defaultShards, resolveAnalysis(wantAnalysis));
    // Durably: an index whose data survived a power cut without its metadata could not be opened.
    writeFileDurably(file, `${JSON.stringify(meta, null, 2)}\n`);
    return meta;
  }
  let meta: IndexMeta;
  try {
    meta = JSON.parse(readFileSync(file, 'utf8')) as IndexMeta;
  } catch (err) {
    throw new EngineError('E_META_MISMATCH', `${file} is unreadable: ${(err as Error).message}`, { cause: err });
  }
  const recorded = analysisOf(meta);
  const expected = currentMeta(meta.shards, recorded);
  const reindex = `; rebuild it (ruyi index <dump> --db <dir>, without --update)`;
  if (meta.format !== FORMAT) throw new EngineError('E_META_MISMATCH', `${file} is not ruyi index metadata`);
  for (const key of ['formatVersion', 'hash', 'analyzerVersion', 'dictionary', 'keyLayout'] as const) {
    if (meta[key] !== expected[key]) {
      throw new EngineError(
        'E_META_MISMATCH',
        `${dir} was built with ${key} ${JSON.stringify(meta[key])}, this version uses ${JSON.stringify(expected[key])}${reindex}`,
      );
    }
  }
  const fingerprint = meta.analysis?.fingerprint ?? analysisFingerprint(recorded);
  if (fingerprint !== expected.analysis?.fingerprint) {
    throw new EngineError(
      'E_META_MISMATCH',
      `${dir} was built with analysis ${JSON.stringify(fingerprint)}, this version uses ${JSON.stringify(expected.analysis?.fingerprint)}${reindex}`,
    );
  }
  for (const key of ['pinyin', 'traditional'] as const) {
    const want = wantAnalysis[key];
    if (want !== undefined && want !== recorded[key]) {
      throw new EngineError(
        'E_META_MISMATCH',
        `${dir} was created with ${key}: ${recorded[key]}, not ${want}: analysis options are fixed at creation${reindex}`,
      );
    }
  }
  if (wantShards !== undefined && wantShards !== meta.shards) {
    throw new EngineError(
      'E_META_MISMATCH',
      `${dir} has ${meta.shards} shards, not ${wantShards}: the shard count is fixed at creation${reindex}`,
    );
  }
  return meta;
}
