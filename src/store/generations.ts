import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { EngineError } from '../errors.js';
import { writeFileDurably } from './durable-file.js';

/*
 * An index directory holds generations: complete, self-contained indexes (ruyi.json and the
 * shard environments) in gen-NNNNNN directories, and a CURRENT file naming the live one.
 * A rebuild writes a new generation beside the live one and switches CURRENT with one
 * rename, so readers see the old index or the new one, never a mix, and a failed or killed
 * rebuild leaves only a directory that the next writer removes.
 *
 *   <db>/CURRENT       "gen-000003\n"
 *   <db>/gen-000003/   the live index
 *   <db>/gen-000004/   a rebuild in progress (or left by a killed one)
 *   <db>/LOCK          the writer lock (see writer-lock.ts)
 */

export const CURRENT_FILE = 'CURRENT';
const GENERATION = /^gen-(\d{6})$/;
/** Everything an index directory may hold; anything else means it is not ours. */
const OURS = /^(CURRENT|CURRENT\.tmp|LOCK|LOCK\.\d+\.tmp(\.stale)?|gen-\d{6}(\.trash)?)$/;

export function generationName(n: number): string {
  return `gen-${String(n).padStart(6, '0')}`;
}

/** The live generation's name, or null when none was ever switched in. */
export function readCurrent(db: string): string | null {
  let text: string;
  try {
    text = readFileSync(join(db, CURRENT_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new EngineError('E_SHARD_IO', `cannot read ${join(db, CURRENT_FILE)}: ${(err as Error).message}`, { cause: err });
  }
  const name = text.trim();
  if (!GENERATION.test(name))
    throw new EngineError('E_META_MISMATCH', `${join(db, CURRENT_FILE)} is corrupt: ${JSON.stringify(text.slice(0, 40))}`);
  return name;
}

/**
 * A cheap token that changes whenever CURRENT is switched (rename gives the file a new
 * inode): a reader compares it to notice a rebuild without reading the file each query.
 */
export function currentToken(db: string): string {
  try {
    const st = statSync(join(db, CURRENT_FILE));
    return `${st.ino}:${st.mtimeMs}`;
  } catch {
    return 'none';
  }
}

/** Refuses a directory that holds anything but ruyi's files: we never write into it. */
export function checkIndexDir(db: string): void {
  if (!existsSync(db)) return;
  if (!statSync(db).isDirectory()) throw new EngineError('E_META_MISMATCH', `${db} is not a directory`);
  const foreign = readdirSync(db).filter((name) => !OURS.test(name));
  if (foreign.length === 0) return;
  const legacy = foreign.includes('ruyi.json') ? ' (it looks like an index of an older ruyi layout: delete it and reindex)' : '';
  throw new EngineError(
    'E_META_MISMATCH',
    `${db} is not a ruyi index: it holds ${foreign
      .slice(0, 3)
      .map((f) => JSON.stringify(f))
      .join(', ')}${foreign.length > 3 ? ', ...' : ''}${legacy}; refusing to write into it`,
  );
}

/** Generation numbers present on disk, live or not, in ascending order. */
function generationNumbers(db: string): number[] {
  if (!existsSync(db)) return [];
  return readdirSync(db)
    .map((name) => GENERATION.exec(name.replace(/\.trash$/, ''))?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

/** A new, empty generation directory numbered above every existing one. */
export function createGeneration(db: string): string {
  mkdirSync(db, { recursive: true });
  const numbers = generationNumbers(db);
  const name = generationName((numbers.at(-1) ?? 0) + 1);
  mkdirSync(join(db, name));
  return name;
}

/**
 * Makes `name` the live generation: CURRENT is replaced durably (writeFileDurably), so after
 * a crash it names the old generation or the new one, whole.
 */
export function switchCurrent(db: string, name: string): void {
  writeFileDurably(join(db, CURRENT_FILE), `${name}\n`);
}

/**
 * Removes every generation but the live one (and `keep`): rebuilds that failed or were
 * killed, and old generations whose removal was interrupted. Call only with the writer
 * lock held. A reader still holding an old generation open keeps its (unlinked) files
 * until it closes them or notices the switch.
 */
export function removeStaleGenerations(db: string, keep?: string): string[] {
  if (!existsSync(db)) return [];
  const live = readCurrent(db);
  const removed: string[] = [];
  for (const name of readdirSync(db)) {
    const base = name.replace(/\.trash$/, '');
    if (!GENERATION.test(base) || name === live || name === keep) continue;
    // Renamed first, so that a removal cut short is recognisable and never half-read as a generation.
    const trash = name.endsWith('.trash') ? name : `${name}.trash`;
    if (trash !== name) renameSync(join(db, name), join(db, trash));
    rmSync(join(db, trash), { recursive: true, force: true });
    removed.push(base);
  }
  // A switch cut short leaves its temporary file (CURRENT.tmp before writeFileDurably named them by pid).
  for (const name of readdirSync(db)) if (/^CURRENT\.(\d+\.)?tmp$/.test(name)) rmSync(join(db, name), { force: true });
  return removed;
}
