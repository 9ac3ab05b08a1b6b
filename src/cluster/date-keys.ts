/**
 * Dates as keywords of a shard's `dates` field, so that a `date:` inside OR or a group (which
 * a SphinxQL filter cannot express: filters apply to the whole query) is a MATCH expression.
 * A document's date is the keywords of the periods holding its UTC day: its millennium,
 * century, decade, year, month and day (`k2 c20 x201 y2019 m201905 d20190501`). A range of
 * whole days is the fewest periods that cover it exactly, so the MATCH finds the documents
 * the local engine's range does. A range that starts or ends inside a day (an ISO time) has
 * no exact cover: the caller keeps it out (see match-query.ts).
 */

const DAY_MS = 86_400_000;
/** Years a partial date can name (`date:` takes four digits); dates outside have no keywords. */
const MIN_DAY = dayOfUtc(0, 0, 1);
const MAX_DAY = dayOfUtc(9999, 11, 31);
/** A keyword no document holds: the cover of a range outside every date's years. */
export const NO_DATE_KEY = 'dnone';

function dayOfUtc(year: number, month: number, day: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month, day);
  d.setUTCHours(0, 0, 0, 0);
  return d.getTime() / DAY_MS;
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

interface Unit {
  /** The keyword of the period holding that date (year, month 0-11, day). */
  key(y: number, m: number, d: number): string;
  /** Whether a period of this unit starts on that date. */
  startsOn(y: number, m: number, d: number): boolean;
  /** The last day of the period starting on that date. */
  lastDay(y: number, m: number): number;
}

const yearsUnit = (size: number, prefix: string): Unit => ({
  key: (y) => `${prefix}${Math.floor(y / size)}`,
  startsOn: (y, m, d) => y % size === 0 && m === 0 && d === 1,
  lastDay: (y) => dayOfUtc(y + size, 0, 1) - 1,
});

/** Largest first. */
const UNITS: Unit[] = [
  yearsUnit(1000, 'k'),
  yearsUnit(100, 'c'),
  yearsUnit(10, 'x'),
  yearsUnit(1, 'y'),
  { key: (y, m) => `m${pad(y, 4)}${pad(m + 1, 2)}`, startsOn: (_y, _m, d) => d === 1, lastDay: (y, m) => dayOfUtc(y, m + 1, 1) - 1 },
];
const dayKey = (y: number, m: number, d: number): string => `d${pad(y, 4)}${pad(m + 1, 2)}${pad(d, 2)}`;

function ymd(day: number): [number, number, number] {
  const date = new Date(day * DAY_MS);
  return [date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()];
}

/** The keywords of a stored date (ms), or none when it has no date or lies outside years 0000-9999. */
export function dateKeys(ms: number): string[] {
  if (!Number.isFinite(ms)) return [];
  const day = Math.floor(ms / DAY_MS);
  if (day < MIN_DAY || day > MAX_DAY) return [];
  const [y, m, d] = ymd(day);
  return [...UNITS.map((u) => u.key(y, m, d)), dayKey(y, m, d)];
}

/** Whether [from, to] (inclusive ms, infinite ends allowed) is made of whole UTC days. */
export function isWholeDays(from: number, to: number): boolean {
  return (from === Number.NEGATIVE_INFINITY || from % DAY_MS === 0) && (to === Number.POSITIVE_INFINITY || (to + 1) % DAY_MS === 0);
}

/**
 * The fewest period keywords whose union is exactly the days of [from, to] (whole days, see
 * isWholeDays) within years 0000-9999: greedily, the largest period that starts at the next
 * uncovered day and ends within the range. At most about 150 keywords.
 */
export function coverKeys(from: number, to: number): string[] {
  let day = Math.max(MIN_DAY, from === Number.NEGATIVE_INFINITY ? MIN_DAY : Math.floor(from / DAY_MS));
  const last = Math.min(MAX_DAY, to === Number.POSITIVE_INFINITY ? MAX_DAY : Math.floor(to / DAY_MS));
  const keys: string[] = [];
  while (day <= last) {
    const [y, m, d] = ymd(day);
    const unit = UNITS.find((u) => u.startsOn(y, m, d) && u.lastDay(y, m) <= last);
    if (unit === undefined) {
      keys.push(dayKey(y, m, d));
      day++;
    } else {
      keys.push(unit.key(y, m, d));
      day = unit.lastDay(y, m) + 1;
    }
  }
  return keys.length === 0 ? [NO_DATE_KEY] : keys;
}
