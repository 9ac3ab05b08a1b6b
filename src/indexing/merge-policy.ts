import type { SegmentInfo } from '../store/shard-store.js';

/** How many segments of one size class are merged at once (LogMergePolicy's mergeFactor). */
export const MERGE_FACTOR = 8;
/** Segments below this many postings bytes all count as the smallest size class. */
export const LEVEL_FLOOR_BYTES = 64 * 1024;
/**
 * Postings bytes one merge made while indexing reads at most (the default of the plan's
 * mergeBytes). Such a merge runs in one opening of the environment, and every page it
 * touches through LMDB's memory map stays in the process's resident memory until the
 * environment is closed; so while indexing, merges stop at segments of about this size
 * (Lucene's maxMergedSegmentMB). optimize() then merges everything into one segment in
 * bounded steps across openings.
 */
export const MAX_MERGE_BYTES = 4 * 1024 * 1024;

export function levelOf(segment: SegmentInfo): number {
  const ratio = Math.max(segment.bytes, 1) / LEVEL_FLOOR_BYTES;
  return ratio <= 1 ? 0 : Math.floor(Math.log(ratio) / Math.log(MERGE_FACTOR));
}

function sumBytes(segments: readonly SegmentInfo[]): number {
  return segments.reduce((sum, s) => sum + s.bytes, 0);
}

/** The longest prefix (of at least 2) of `run` that fits in maxBytes, or null. */
function fittingPrefix(run: SegmentInfo[], maxBytes: number): SegmentInfo[] | null {
  let bytes = 0;
  let n = 0;
  while (n < run.length && bytes + (run[n] as SegmentInfo).bytes <= maxBytes) bytes += (run[n++] as SegmentInfo).bytes;
  return n >= 2 ? run.slice(0, n) : null;
}

/**
 * The next merge, or null: the oldest MERGE_FACTOR adjacent segments of the same size class,
 * cut to the longest prefix that reads at most maxMergeBytes. Only adjacent segments merge,
 * so every segment keeps a contiguous docNum range and the cost of indexing n bytes stays
 * O(n log n): each posting is rewritten once per level, and not at all past maxMergeBytes.
 */
export function pickMerge(segments: readonly SegmentInfo[], maxMergeBytes = MAX_MERGE_BYTES): SegmentInfo[] | null {
  let runStart = 0;
  for (let i = 1; i <= segments.length; i++) {
    const sameLevel = i < segments.length && levelOf(segments[i] as SegmentInfo) === levelOf(segments[runStart] as SegmentInfo);
    if (sameLevel) {
      if (i - runStart + 1 === MERGE_FACTOR) {
        const run = segments.slice(runStart, i + 1);
        const pick = fittingPrefix(run, maxMergeBytes);
        if (pick !== null) return pick;
        // Too big to merge together: the run's oldest segment is as large as it gets.
        runStart++;
      }
    } else {
      runStart = i;
    }
  }
  return null;
}

/**
 * The merge optimize() makes, or null when the shard is optimized: every segment at once, so
 * a shard ends as one segment whatever its size (the merge streams in bounded steps, see
 * streaming-merge.ts), or a lone segment that holds deleted documents, to drop them.
 */
export function pickOptimizeMerge(segments: readonly SegmentInfo[], dead: readonly number[]): SegmentInfo[] | null {
  if (segments.length > 1) return [...segments];
  const only = segments[0];
  if (only !== undefined && dead.some((n) => n >= only.first && n <= only.last)) return [only];
  return null;
}

/** Postings bytes a merge of these segments reads. */
export const mergeSourceBytes = sumBytes;
