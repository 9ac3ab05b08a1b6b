import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ANALYZER_VERSION } from '../analysis/analyzer.js';
import { dictionaryFingerprint } from '../analysis/dictionary.js';
import { EngineError } from '../errors.js';
import { ROUTER_HASH } from '../router.js';
import { KEY_LAYOUT_VERSION } from './shard-store.js';

export const META_FILE = 'ruyi.json';
export const FORMAT = 'ruyi-index';
export const FORMAT_VERSION = 1;

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
}

function currentMeta(shards: number): IndexMeta {
  return {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    shards,
    hash: ROUTER_HASH,
    analyzerVersion: ANALYZER_VERSION,
    dictionary: dictionaryFingerprint(),
    keyLayout: KEY_LAYOUT_VERSION,
    createdAt: new Date().toISOString(),
  };
}

/**
 * Reads the index metadata, or creates it for a new index. Refuses a directory that holds
 * something else (never writes into it) and an index made with other settings or format.
 */
export function openMeta(dir: string, wantShards: number | undefined, defaultShards: number, create: boolean): IndexMeta {
  const file = join(dir, META_FILE);
  if (!existsSync(file)) {
    if (existsSync(dir) && readdirSync(dir).length > 0) {
      throw new EngineError('E_META_MISMATCH', `${dir} is not empty and is not a ruyi index (no ${META_FILE}); refusing to write into it`);
    }
    if (!create) throw new EngineError('E_CONFIG', `no index at ${dir}`);
    mkdirSync(dir, { recursive: true });
    const meta = currentMeta(wantShards ?? defaultShards);
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(meta, null, 2)}\n`);
    renameSync(tmp, file);
    return meta;
  }
  let meta: IndexMeta;
  try {
    meta = JSON.parse(readFileSync(file, 'utf8')) as IndexMeta;
  } catch (err) {
    throw new EngineError('E_META_MISMATCH', `${file} is unreadable: ${(err as Error).message}`, { cause: err });
  }
  const expected = currentMeta(meta.shards);
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
  if (wantShards !== undefined && wantShards !== meta.shards) {
    throw new EngineError(
      'E_META_MISMATCH',
      `${dir} has ${meta.shards} shards, not ${wantShards}: the shard count is fixed at creation${reindex}`,
    );
  }
  return meta;
}
