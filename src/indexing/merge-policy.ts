import type { SegmentInfo } from '../store/shard-store.js';

/** How many segments of one size class are merged at once (LogMergePolicy's mergeFactor). */
export const MERGE_FACTOR = 8;
/** Segments below this many postings bytes all count as the smallest size class. */
export const LEVEL_FLOOR_BYTES = 64 * 1024;

export function levelOf(segment: SegmentInfo): number {
  const ratio = Math.max(segment.bytes, 1) / LEVEL_FLOOR_BYTES;
  return ratio <= 1 ? 0 : Math.floor(Math.log(ratio) / Math.log(MERGE_FACTOR));
}

/**
 * The next merge, or null: the oldest MERGE_FACTOR adjacent segments of the same size class.
 * Only adjacent segments merge, so every segment keeps a contiguous docNum range and the
 * cost of indexing n bytes stays O(n log n): each posting is rewritten once per level.
 */
export function pickMerge(segments: readonly SegmentInfo[]): SegmentInfo[] | null {
  let runStart = 0;
  for (let i = 1; i <= segments.length; i++) {
    const sameLevel = i < segments.length && levelOf(segments[i] as SegmentInfo) === levelOf(segments[runStart] as SegmentInfo);
    if (sameLevel) {
      if (i - runStart + 1 === MERGE_FACTOR) return segments.slice(runStart, i + 1);
    } else {
      runStart = i;
    }
  }
  return null;
}
