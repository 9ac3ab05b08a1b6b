import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ANALYZER_VERSION } from '../analysis/analyzer.js';
import { dictionaryFingerprint } from '../analysis/dictionary.js';
import { ROUTER_HASH } from '../router.js';
import { FORMAT, FORMAT_VERSION, META_FILE } from '../store/index-meta.js';
import { KEY_LAYOUT_VERSION } from '../store/shard-store.js';
import type { Findings } from './report.js';

const SHARD_DIR = /^shard-(\d{3,})$/;

export interface MetaCheck {
  /** Shards to verify: from ruyi.json, or the shard directories found when it is unusable. */
  shardCount: number;
  /** Whether the count came from a valid ruyi.json (the router check needs the real count). */
  fromMeta: boolean;
}

/**
 * Checks ruyi.json (it parses; format, hash, analyzer version, dictionary fingerprint and
 * key layout are the ones this build reads and writes) and the directory beside it: a
 * shard-NNN directory for each shard below the count and none above it. A missing shard
 * directory is a note: a shard gets its environment with its first document.
 */
export function checkMeta(dir: string, findings: Findings): MetaCheck {
  const file = join(dir, META_FILE);
  const problem = (message: string): void => findings.problem({ check: 'meta', key: META_FILE, message });
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    findings.problem({ check: 'meta', message: `${dir} is not a directory` });
    return { shardCount: 0, fromMeta: false };
  }
  const shardDirs = new Set<number>();
  for (const name of readdirSync(dir)) {
    const m = SHARD_DIR.exec(name);
    if (m) shardDirs.add(Number(m[1]));
    else if (name === 'tmp') {
      if (readdirSync(join(dir, name), { recursive: true }).length > 0) {
        findings.note({
          check: 'meta',
          key: 'tmp/',
          message: 'spilled runs of a batch a crash cut short: removed when that shard is next written',
        });
      }
    } else if (name !== META_FILE)
      findings.note({ check: 'meta', message: `unexpected entry ${JSON.stringify(name)} in the index directory` });
  }
  const found = shardDirs.size === 0 ? 0 : Math.max(...shardDirs) + 1;

  let meta: Record<string, unknown> | null = null;
  if (!existsSync(file)) problem(`${META_FILE} is missing`);
  else {
    try {
      const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) problem(`${META_FILE} is not a JSON object`);
      else meta = parsed as Record<string, unknown>;
    } catch (err) {
      problem(`${META_FILE} is not valid JSON: ${(err as Error).message}`);
    }
  }
  if (meta === null) return { shardCount: found, fromMeta: false };

  const expected: Record<string, unknown> = {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    hash: ROUTER_HASH,
    analyzerVersion: ANALYZER_VERSION,
    dictionary: dictionaryFingerprint(),
    keyLayout: KEY_LAYOUT_VERSION,
  };
  for (const [field, want] of Object.entries(expected)) {
    if (meta[field] !== want) {
      problem(`${field} is ${JSON.stringify(meta[field])}, this version of ruyi uses ${JSON.stringify(want)}: reindex`);
    }
  }
  if (typeof meta.createdAt !== 'string' || Number.isNaN(Date.parse(meta.createdAt))) {
    problem(`createdAt is ${JSON.stringify(meta.createdAt)}, not a date`);
  }
  const shards = meta.shards;
  if (!Number.isInteger(shards) || (shards as number) < 1) {
    problem(`shards is ${JSON.stringify(shards)}, not a positive integer`);
    return { shardCount: found, fromMeta: false };
  }
  const count = shards as number;
  for (const s of shardDirs) {
    if (s >= count) {
      findings.problem({
        check: 'meta',
        shard: s,
        message: `directory shard-${String(s).padStart(3, '0')} exists but ${META_FILE} says ${count} shards: its documents are unreachable`,
      });
    }
  }
  for (let s = 0; s < count; s++) {
    if (!shardDirs.has(s)) {
      findings.note({ check: 'meta', shard: s, message: 'shard directory does not exist: no document was ever written to this shard' });
    }
  }
  return { shardCount: count, fromMeta: true };
}
