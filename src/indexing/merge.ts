import { readMergeProgress } from '../store/merge-progress.js';
import type { SegmentInfo, ShardDbs } from '../store/shard-store.js';
import { beginMerge, freeStep, mergeStep } from './streaming-merge.js';

/** A merge commits its output in transactions of about this size, so no transaction holds a whole shard. */
export const MERGE_TXN_BYTES = 4 * 1024 * 1024;

/**
 * Merges adjacent segments into one, dropping the postings of deleted documents, in this
 * opening of the environment: the merges made while indexing, whose sources the policy
 * keeps within the plan's mergeBytes. It is the streaming merge run in one step (see
 * streaming-merge.ts): written in bounded transactions under a reserved id, swapped in by
 * one transaction, the old segments' keys removed after. optimize() runs the same merge in
 * steps across openings instead.
 */
export function mergeSegments(dbs: ShardDbs, segments: readonly SegmentInfo[], txnBytes = MERGE_TXN_BYTES): SegmentInfo {
  const merged = mergeStep(dbs, beginMerge(dbs, segments), { readBytes: Number.POSITIVE_INFINITY, txnBytes });
  if (!('id' in merged)) throw new Error('an unbounded merge step ended before its last term');
  const freeing = readMergeProgress(dbs);
  if (freeing?.phase === 'freeing') freeStep(dbs, freeing, Number.POSITIVE_INFINITY);
  return merged;
}
