import { execFileSync } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BENCH_DIR, benchRequire } from './setup.js';

/** A query as LanceDB's native FTS takes it: the same jieba tokens FTS5 gets, space-joined. */
export interface LanceCase {
  text: string;
  /** All tokens, any token, or the tokens adjacent in order (its index keeps positions). */
  op: 'and' | 'or' | 'phrase';
}

export interface LanceQueries {
  run(c: LanceCase, limit: number): Promise<unknown[]>;
  close(): void;
}

/**
 * LanceDB's table of `corpus`, built by scripts/bench/peer-index.mjs exactly as `npm run
 * bench:index` builds it (the 1-thread run: whitespace tokenizer over the jieba tokens,
 * positions kept), unless `dir` already holds a finished one: the build goes to a sibling
 * directory renamed into place at the end, so that an interrupted build is never reused
 * without its index. Returns the build's JSON line, or null when reused.
 */
export function buildLance(corpus: string, dir: string): { seconds: number; bytesOnDisk: number } | null {
  if (existsSync(dir)) return null;
  const partial = `${dir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  const out = execFileSync(process.execPath, [join(BENCH_DIR, 'peer-index.mjs'), 'lancedb', corpus, partial, '1'], {
    // LanceDB's FTS index build (0.31) never finishes with LANCE_CPU_THREADS=1 (see
    // bench-index.ts); RUST_LOG keeps its per-query deprecation warnings out of stderr.
    env: { ...process.env, LANCE_CPU_THREADS: '2', RUST_LOG: 'error' },
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  renameSync(partial, dir);
  return JSON.parse(out.trim().split('\n').at(-1) as string) as { seconds: number; bytesOnDisk: number };
}

interface Lance {
  connect(uri: string): Promise<{ openTable(name: string): Promise<LanceTable>; close(): void }>;
  MatchQuery: new (text: string, column: string, options: { operator: string }) => unknown;
  PhraseQuery: new (text: string, column: string) => unknown;
  Operator: { And: string; Or: string };
}
interface LanceTable {
  query(): { fullTextSearch(q: unknown): { select(cols: string[]): { limit(n: number): { toArray(): Promise<unknown[]> } } } };
  close(): void;
}

/** The table opened for queries in this process: id only, `limit` rows, ranked by LanceDB's BM25. */
export async function openLance(dir: string): Promise<LanceQueries> {
  // Read by LanceDB's Rust logger when it loads: its deprecation warning comes once a query.
  process.env.RUST_LOG ??= 'error';
  const lance = (await import(pathToFileURL(benchRequire.resolve('@lancedb/lancedb')).href)) as Lance;
  const db = await lance.connect(dir);
  const table = await db.openTable('docs');
  return {
    run(c, limit) {
      const q =
        c.op === 'phrase'
          ? new lance.PhraseQuery(c.text, 'text')
          : new lance.MatchQuery(c.text, 'text', { operator: c.op === 'and' ? lance.Operator.And : lance.Operator.Or });
      return table.query().fullTextSearch(q).select(['id']).limit(limit).toArray();
    },
    close() {
      table.close();
      db.close();
    },
  };
}
