/**
 * `npm run bench:setup`: installs the benchmark's peer engines (MiniSearch, FlexSearch, Orama,
 * lunr, SQLite FTS5 through better-sqlite3, LanceDB) and the load generator (autocannon) into
 * scripts/bench/node_modules, from scripts/bench/package.json and its own lock. The bench
 * commands that use them (`npm run bench`, `bench:index`, `bench:serve`) run it first; it
 * installs once, then again only when the manifest or lock changes (a hash check: about 1 s
 * for `npm run bench:setup` when current, most of it npm and tsx starting).
 *
 * They are not in the root package because none of ruyi's code or tests uses them, and
 * better-sqlite3 compiles SQLite from source when no prebuilt binary downloads: about 2 minutes
 * and 350 MB for the compiler alone, which a root `npm ci` on a 512 MB server cannot afford.
 * Files under scripts/bench/ find them by Node's ordinary resolution (the nearest
 * node_modules going up); scripts/bench-serve.ts resolves autocannon from here (`benchRequire`).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const BENCH_DIR = fileURLToPath(new URL('./', import.meta.url));
/** Written after a complete install: the hash of the manifest and lock it installed. */
const STAMP = join(BENCH_DIR, 'node_modules', '.ruyi-bench-installed');

/** `require` as seen from scripts/bench/: finds the peers wherever the importing file is. */
export const benchRequire = createRequire(join(BENCH_DIR, 'package.json'));

function manifestHash(): string {
  const hash = createHash('sha256');
  for (const file of ['package.json', 'package-lock.json']) hash.update(readFileSync(join(BENCH_DIR, file)));
  return hash.digest('hex');
}

/** True if scripts/bench/node_modules holds exactly what the bench package's lock pins. */
export function benchPeersInstalled(): boolean {
  return existsSync(STAMP) && readFileSync(STAMP, 'utf8') === manifestHash();
}

/** Installs the peers with `npm ci` in scripts/bench unless the installed ones match the lock. */
export function setupBenchPeers(): void {
  if (benchPeersInstalled()) return;
  console.log(
    'Installing the benchmark peers into scripts/bench/node_modules (npm ci; better-sqlite3 compiles ' +
      'SQLite when no prebuilt binary downloads, about 2 minutes)...',
  );
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: BENCH_DIR, stdio: 'inherit' });
  writeFileSync(STAMP, manifestHash());
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) setupBenchPeers();
