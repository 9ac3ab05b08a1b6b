import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Benchmark corpora, rebuilt from Debian's and npm's packages by ../shared/corpus and cached
 * outside the repository (never committed): $RUYI_CORPUS_DIR or ~/.cache/ruyi-corpus.
 */
export const CACHE_DIR = process.env.RUYI_CORPUS_DIR ?? join(homedir(), '.cache', 'ruyi-corpus');
const SHARED = process.env.RUYI_SHARED_CORPUS ?? fileURLToPath(new URL('../../shared/corpus/', import.meta.url));

function run(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
}

export function devCorpus(): string {
  mkdirSync(CACHE_DIR, { recursive: true });
  const file = join(CACHE_DIR, 'corpus-dev.ndjson');
  if (!existsSync(file)) run('bash', [join(SHARED, 'build-dev-corpus.sh'), file]);
  return file;
}

export function devQueries(): string {
  const file = join(CACHE_DIR, 'queries-dev.tsv');
  if (!existsSync(file)) run('python3', [join(SHARED, 'make-queries.py'), devCorpus(), file]);
  return file;
}

export function scaleCorpus(mb: number): string {
  const file = join(CACHE_DIR, `scale-${mb}mb.ndjson`);
  if (!existsSync(file)) run('python3', [join(SHARED, 'make-scale-corpus.py'), devCorpus(), String(mb), file]);
  return file;
}

/** One document of `mib` MiB (../shared/corpus/make-long-doc.py): the "very long article". */
export function longDoc(mib: number): string {
  const file = join(CACHE_DIR, `long-${mib}.ndjson`);
  if (!existsSync(file)) run('python3', [join(SHARED, 'make-long-doc.py'), devCorpus(), String(mib), file]);
  return file;
}

/**
 * The manuals corpus (scripts/corpus/build-manuals-corpus.sh: zh_CN software manuals from
 * Debian's packages, ~8 MB): long HTML-converted pages with much more English, code and
 * markup than the dev corpus. With `mb`, that many MB recombined from its paragraphs by
 * make-scale-corpus.py (the source has ~8 MB; the benches want 100).
 */
export function manualsCorpus(mb?: number): string {
  mkdirSync(CACHE_DIR, { recursive: true });
  const file = join(CACHE_DIR, 'corpus-manuals.ndjson');
  if (!existsSync(file)) run('bash', [fileURLToPath(new URL('./corpus/build-manuals-corpus.sh', import.meta.url)), file]);
  if (mb === undefined) return file;
  const scaled = join(CACHE_DIR, `manuals-${mb}mb.ndjson`);
  if (!existsSync(scaled)) run('python3', [join(SHARED, 'make-scale-corpus.py'), file, String(mb), scaled]);
  return scaled;
}

/** Known-item queries (make-queries.py: 200 unique titles) for the manuals corpus. */
export function manualsQueries(): string {
  const file = join(CACHE_DIR, 'queries-manuals.tsv');
  if (!existsSync(file)) run('python3', [join(SHARED, 'make-queries.py'), manualsCorpus(), file]);
  return file;
}
