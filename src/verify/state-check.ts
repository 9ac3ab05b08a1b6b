import type { SegmentInfo, ShardState } from '../store/shard-store.js';
import type { Findings } from './report.js';

const COUNTERS = ['version', 'docs', 'sumTitleLen', 'sumBodyLen', 'nextDoc', 'nextSeg'] as const;
const SEGMENT_FIELDS = ['id', 'first', 'last', 'docs', 'bytes', 'blocks'] as const;

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/** The segment whose docNum range holds `n`, by binary search over segments sorted by `first`. */
export function segmentOf(sorted: readonly SegmentInfo[], n: number): SegmentInfo | undefined {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = sorted[mid] as SegmentInfo;
    if (n < s.first) hi = mid - 1;
    else if (n > s.last) lo = mid + 1;
    else return s;
  }
  return undefined;
}

/**
 * Checks the shape of a shard's state record and what it says about itself: the version key
 * matches, segments partition docNums [0, nextDoc) in order (each batch takes the next
 * range; a merge replaces adjacent ranges by their union), segment ids are below nextSeg,
 * and the deleted list holds distinct docNums inside live segments. Returns the state when
 * its shape allows the rest of the checks, else null.
 */
export function checkState(raw: unknown, version: unknown, shard: number, findings: Findings): ShardState | null {
  const problem = (message: string, extra: { segment?: number; doc?: number } = {}): void =>
    findings.problem({ check: 'state', shard, key: "state 'state'", ...extra, message });
  if (typeof raw !== 'object' || raw === null) {
    problem(`the state record is ${raw === undefined ? 'missing' : `not an object (${typeof raw})`}`);
    return null;
  }
  const s = raw as Record<string, unknown>;
  let usable = true;
  for (const field of COUNTERS) {
    if (!isCount(s[field])) {
      problem(`${field} is ${JSON.stringify(s[field])}, not a non-negative integer`);
      usable = false;
    }
  }
  if (!Array.isArray(s.segments) || !Array.isArray(s.dead)) {
    problem('segments and dead must be arrays');
    return null;
  }
  for (const seg of s.segments as unknown[]) {
    const fields = (seg ?? {}) as Record<string, unknown>;
    const bad = SEGMENT_FIELDS.filter((k) => !isCount(fields[k]));
    if (bad.length > 0) {
      problem(`segment entry ${JSON.stringify(seg)}: ${bad.join(', ')} not non-negative integers`);
      usable = false;
    }
  }
  if (!usable) return null;
  const state = raw as ShardState;
  if (version !== state.version) {
    findings.problem({
      check: 'state',
      shard,
      key: "state 'version'",
      message: `version key is ${JSON.stringify(version)}, the state says ${state.version}`,
    });
  }

  const ids = new Set<number>();
  let expectedFirst = 0;
  for (const seg of state.segments) {
    const at = { segment: seg.id };
    if (ids.has(seg.id)) problem('segment id listed twice', at);
    ids.add(seg.id);
    if (seg.id >= state.nextSeg) problem(`segment id is not below nextSeg ${state.nextSeg}`, at);
    if (seg.last < seg.first) problem(`docNum range ${seg.first}..${seg.last} is empty`, at);
    if (seg.first !== expectedFirst) {
      problem(
        seg.first > expectedFirst
          ? `docNums ${expectedFirst}..${seg.first - 1} belong to no segment`
          : `docNum range ${seg.first}..${seg.last} overlaps the previous segment's (which ends at ${expectedFirst - 1})`,
        at,
      );
    }
    if (seg.docs > seg.last - seg.first + 1) problem(`says ${seg.docs} documents in a range of ${seg.last - seg.first + 1} docNums`, at);
    expectedFirst = Math.max(expectedFirst, seg.last + 1);
  }
  if (expectedFirst !== state.nextDoc) {
    problem(
      expectedFirst < state.nextDoc
        ? `docNums ${expectedFirst}..${state.nextDoc - 1} (below nextDoc ${state.nextDoc}) belong to no segment`
        : `segments reach docNum ${expectedFirst - 1}, not below nextDoc ${state.nextDoc}`,
    );
  }

  const sorted = [...state.segments].sort((a, b) => a.first - b.first);
  const seen = new Set<number>();
  for (const n of state.dead as unknown[]) {
    if (!isCount(n)) {
      problem(`deleted list holds ${JSON.stringify(n)}, not a docNum`);
      continue;
    }
    if (seen.has(n)) problem('docNum is on the deleted list twice', { doc: n });
    seen.add(n);
    if (n >= state.nextDoc) problem(`deleted docNum is not below nextDoc ${state.nextDoc}`, { doc: n });
    else if (segmentOf(sorted, n) === undefined)
      problem('deleted docNum lies in no live segment (a merge should have dropped it)', { doc: n });
  }
  return state;
}
