/**
 * Dates in queries: `2019`, `2019-05`, `2019-05-01`, or a full ISO time, read in UTC. A
 * partial date is the whole period it names, so `date:2019-05` is all of May and
 * `date:<=2019` includes 31 December 2019.
 */

const PARTIAL_DATE = /^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$/;

/** [first ms, last ms] of the period `value` names, or null if it is not a date. */
export function datePeriod(value: string): [number, number] | null {
  const m = PARTIAL_DATE.exec(value);
  if (m) {
    const year = Number(m[1]);
    const month = m[2] === undefined ? null : Number(m[2]);
    const day = m[3] === undefined ? null : Number(m[3]);
    if (month !== null && (month < 1 || month > 12)) return null;
    if (month === null) return [Date.UTC(year, 0, 1), Date.UTC(year + 1, 0, 1) - 1];
    if (day === null) return [Date.UTC(year, month - 1, 1), Date.UTC(year, month, 1) - 1];
    const start = Date.UTC(year, month - 1, day);
    if (day < 1 || new Date(start).getUTCMonth() !== month - 1) return null;
    return [start, start + 86_400_000 - 1];
  }
  // A full time is an instant, not a period.
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? [ms, ms] : null;
}

/** A stored document date (ISO string or ms) in ms, or NaN when absent or unreadable. */
export function storedDateMs(date: string | number | null | undefined): number {
  if (typeof date === 'number') return Number.isFinite(date) ? date : Number.NaN;
  if (typeof date !== 'string' || date === '') return Number.NaN;
  const period = datePeriod(date.trim());
  if (period !== null) return period[0];
  const ms = Date.parse(date);
  return Number.isFinite(ms) ? ms : Number.NaN;
}

/**
 * The inclusive range of a `date:` expression: `>=a`, `>a`, `<=a`, `<a`, `a`, `a..b`,
 * `a..`, `..b`. Returns an error message (string) when it cannot be read.
 */
export function parseDateExpression(expr: string): [number, number] | string {
  const op = /^(>=|<=|>|<|=)?(.*)$/.exec(expr) as RegExpExecArray;
  const operator = op[1] ?? '';
  const rest = op[2] as string;
  const bad = (v: string): string => `"${v}" is not a date (use 2019, 2019-05, 2019-05-01 or an ISO time)`;
  if (operator === '' && rest.includes('..')) {
    const [a = '', b = ''] = rest.split('..', 2);
    if (a === '' && b === '') return 'a date range needs at least one end, e.g. date:2019-01..2019-12';
    const from = a === '' ? [Number.NEGATIVE_INFINITY, 0] : datePeriod(a);
    const to = b === '' ? [0, Number.POSITIVE_INFINITY] : datePeriod(b);
    if (from === null) return bad(a);
    if (to === null) return bad(b);
    if ((from[0] as number) > (to[1] as number)) return `date range ${expr} ends before it starts`;
    return [from[0] as number, to[1] as number];
  }
  if (rest === '') return 'date: needs a value, e.g. date:>=2019-01-01';
  const period = datePeriod(rest);
  if (period === null) return bad(rest);
  const [start, end] = period;
  switch (operator) {
    case '>=':
      return [start, Number.POSITIVE_INFINITY];
    case '>':
      return [end + 1, Number.POSITIVE_INFINITY];
    case '<=':
      return [Number.NEGATIVE_INFINITY, end];
    case '<':
      return [Number.NEGATIVE_INFINITY, start - 1];
    default:
      return [start, end];
  }
}
