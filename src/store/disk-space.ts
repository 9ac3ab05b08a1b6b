import { statfsSync } from 'node:fs';
import { EngineError } from '../errors.js';

/** Left free on the index's file system, for LMDB's own growth and everything else on the box. */
export const DISK_HEADROOM_BYTES = 32 * 1024 * 1024;

/**
 * Bytes a batch may write: its bodies, about as much again in postings and positions, and
 * LMDB's page overhead and copy-on-write pages (measured: an index is ~3 times its text on
 * disk before free pages are reused).
 */
export function batchWriteEstimate(textBytes: number): number {
  return textBytes * 4;
}

const mb = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MB`;

/**
 * Refuses to start a write that may not fit. LMDB reaches its data through a memory map:
 * when the file system fills up in the middle of a commit, a later read of a page that
 * could not be written kills the process with SIGBUS instead of returning an error. So
 * the space is checked before each batch and each merge, and a full disk becomes a clear
 * error while the last commit is still whole.
 */
export function checkDiskSpace(dir: string, needBytes: number): void {
  let free: number;
  try {
    const st = statfsSync(dir);
    free = st.bavail * st.bsize;
  } catch {
    return; // no statfs here: LMDB's own error will have to do
  }
  if (free < needBytes + DISK_HEADROOM_BYTES) {
    throw new EngineError(
      'E_DISK_FULL',
      `disk full: ${mb(free)} free on the file system of ${dir}; this write needs about ${mb(needBytes)} plus ${mb(DISK_HEADROOM_BYTES)} kept free. Free some space and run again: the index is as it was after its last commit`,
    );
  }
}
