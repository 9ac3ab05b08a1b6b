import { execFileSync } from 'node:child_process';
import { BENCH_DIR } from './setup.js';

/** Runs `code` in a child whose cwd is the bench package, so `-e` imports resolve from its node_modules. */
function loads(code: string): boolean {
  try {
    execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: BENCH_DIR, stdio: 'pipe', timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * better-sqlite3's binding is built by an install script that npm may block. If it does not
 * load, `npm rebuild better-sqlite3` builds it (about 2 minutes); if it still does not, the
 * caller skips the FTS5 runs (and says so).
 */
export function sqliteLoads(): boolean {
  const probe = "import D from 'better-sqlite3'; new D(':memory:').prepare('select 1').get();";
  if (loads(probe)) return true;
  console.log("better-sqlite3's native binding does not load: running `npm rebuild better-sqlite3` (about 2 minutes)...");
  try {
    execFileSync('npm', ['rebuild', 'better-sqlite3'], { cwd: BENCH_DIR, stdio: 'inherit' });
  } catch {
    // reported by the caller
  }
  return loads(probe);
}

/** @lancedb/lancedb ships prebuilt binaries per platform (no install script); false if none loads here. */
export function lancedbLoads(): boolean {
  return loads("const l = await import('@lancedb/lancedb'); await l.connect('memory://');");
}
