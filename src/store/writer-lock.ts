import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { EngineError } from '../errors.js';

export const LOCK_FILE = 'LOCK';

/** What a lock file says about its holder. */
export interface LockOwner {
  pid: number;
  host: string;
  /** The holder's start time from /proc, so that a reused pid is not mistaken for it. */
  procStart: string | null;
  since: string;
  command: string;
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), or null off Linux / if gone. */
function procStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function isAlive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true; // another machine (a network file system): cannot tell, assume held
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const start = procStartTime(owner.pid);
  return owner.procStart === null || start === null || start === owner.procStart;
}

function readOwner(file: string): LockOwner | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
  } catch {
    return null; // gone, or half-written by a holder killed mid-write: treated as stale
  }
}

/**
 * The single-writer lock of an index directory: a rebuild and a host app adding documents
 * must not write the same index at once. Readers take no lock. The lock file is created
 * whole and atomically (written aside, then hard-linked into place, which fails if one
 * exists), names its holder, and is recovered when that process is gone (kill -9, crash).
 */
export class WriterLock {
  private released = false;

  private constructor(
    readonly file: string,
    readonly owner: LockOwner,
  ) {}

  /** Takes the lock or throws E_LOCKED naming the live holder. */
  static acquire(db: string): WriterLock {
    mkdirSync(db, { recursive: true });
    const file = join(db, LOCK_FILE);
    const owner: LockOwner = {
      pid: process.pid,
      host: hostname(),
      procStart: procStartTime(process.pid),
      since: new Date().toISOString(),
      command: process.argv.slice(1, 3).join(' '),
    };
    const tmp = join(db, `${LOCK_FILE}.${process.pid}.tmp`);
    writeFileSync(tmp, JSON.stringify(owner));
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          linkSync(tmp, file);
          return new WriterLock(file, owner);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        }
        const holder = readOwner(file);
        if (holder !== null && holder.pid === process.pid && holder.host === owner.host) {
          throw new EngineError('E_LOCKED', `index ${db} is already open for writing in this process`);
        }
        if (holder !== null && isAlive(holder)) {
          throw new EngineError(
            'E_LOCKED',
            `index ${db} is locked by pid ${holder.pid}${holder.command ? ` (${holder.command})` : ''} since ${holder.since}; wait for it to finish or stop it`,
          );
        }
        // Stale: moved aside under a name of our own, so that two recoverers cannot both win.
        const aside = join(db, `${LOCK_FILE}.${process.pid}.tmp.stale`);
        try {
          renameSync(file, aside);
        } catch {
          continue; // someone else moved it first; try again
        }
        const moved = readOwner(aside);
        if (moved !== null && holder !== null && moved.pid !== holder.pid) {
          // We moved a lock taken between our read and our rename: give it back.
          try {
            linkSync(aside, file);
          } catch {}
        }
        rmSync(aside, { force: true });
      }
      throw new EngineError('E_LOCKED', `index ${db}: could not take the writer lock (contended)`);
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  /** Releases the lock if this process still holds it. Safe to call twice. */
  release(): void {
    if (this.released) return;
    this.released = true;
    const holder = readOwner(this.file);
    if (holder !== null && holder.pid === this.owner.pid && holder.since === this.owner.since) rmSync(this.file, { force: true });
  }
}
