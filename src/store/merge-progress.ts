import type { SegmentWriterState } from './segment-writer.js';
import type { ShardDbs } from './shard-store.js';

/**
 * A merge in progress, recorded in the shard's state database under MERGE_PROGRESS_KEY and
 * committed with every step, so that a merge can span environment openings (each step's
 * mapped pages go when the environment is closed) and survive a crash (kill -9): the next
 * step carries on from the record. Readers never look at it: the sources stay listed in the
 * shard's state until the merged segment is complete and swapped in, in one transaction.
 */
export interface WritingMerge extends SegmentWriterState {
  phase: 'writing';
  /** The merged segment's id, reserved (nextSeg was raised past it) when the merge began. */
  target: number;
  /** Ids of the adjacent segments merged, in docNum order. */
  sources: number[];
  first: number;
  last: number;
  /** Deleted docNums in first..last when the merge began: the merge drops their postings. */
  dead: number[];
  /** Steps committed so far. */
  steps: number;
}

/** Segments no state references any more (merged away, or a discarded merge's target) whose keys are being removed. */
export interface FreeingSegments {
  phase: 'freeing';
  ids: number[];
  steps: number;
}

export type MergeProgress = WritingMerge | FreeingSegments;

export const MERGE_PROGRESS_KEY = 'merge';

export function readMergeProgress(dbs: ShardDbs): MergeProgress | null {
  return (dbs.state.get(MERGE_PROGRESS_KEY) as MergeProgress | undefined) ?? null;
}

/** Inside a write transaction: records the progress, or clears it when null. */
export function putMergeProgress(dbs: ShardDbs, progress: MergeProgress | null): void {
  if (progress === null) dbs.state.removeSync(MERGE_PROGRESS_KEY);
  else dbs.state.putSync(MERGE_PROGRESS_KEY, progress);
}

/** Segment ids that have keys but are neither live nor orphans above nextSeg: what a merge record accounts for. */
export function mergeHeldIds(progress: MergeProgress | null): number[] {
  if (progress === null) return [];
  return progress.phase === 'writing' ? [progress.target] : progress.ids;
}
