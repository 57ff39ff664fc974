/**
 * Calendar periods of the time units, for turning a picked mark or a dragged
 * range on a date axis into filter values the engine accepts.
 *
 * Dates and datetimes are naive (no time zone), as in the engine: they are
 * handled as UTC wall-clock times so no local offset creeps in.
 */
import { ISpan, TimeUnit } from './types';

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?/;

/**
 * A date or datetime value (ISO text as the engine and Plotly give it, or
 * milliseconds since 1970) as a UTC `Date`; null when it is neither.
 */
export function parseWallTime(value: unknown): Date | null {
  if (typeof value === 'number') {
    return Number.isFinite(value) ? new Date(value) : null;
  }
  if (typeof value !== 'string') {
    return null;
  }
  const m = ISO.exec(value.trim());
  if (!m) {
    return null;
  }
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  return new Date(
    Date.UTC(
      Number(m[1]),
      Number(m[2]) - 1,
      Number(m[3]),
      Number(m[4] ?? 0),
      Number(m[5] ?? 0),
      Number(m[6] ?? 0),
      ms
    )
  );
}

/**
 * ISO text for a column of `type`: `2024-03-01` for dates, else
 * `2024-03-01T10:00:00` (with milliseconds when there are some).
 */
export function wallTimeText(date: Date, type: string): string {
  const iso = date.toISOString(); // 2024-03-01T10:00:00.000Z
  if (type === 'date') {
    return iso.slice(0, 10);
  }
  return date.getUTCMilliseconds() ? iso.slice(0, 23) : iso.slice(0, 19);
}

/**
 * The start of the period of `unit` holding `date` (weeks start on Monday,
 * as the engine's `date_trunc`).
 */
export function periodStart(date: Date, unit: TimeUnit): Date {
  const y = date.getUTCFullYear();
  const mo = date.getUTCMonth();
  const d = date.getUTCDate();
  switch (unit) {
    case 'year':
      return new Date(Date.UTC(y, 0, 1));
    case 'quarter':
      return new Date(Date.UTC(y, mo - (mo % 3), 1));
    case 'month':
      return new Date(Date.UTC(y, mo, 1));
    case 'week': {
      const sinceMonday = (date.getUTCDay() + 6) % 7;
      return new Date(Date.UTC(y, mo, d - sinceMonday));
    }
    case 'day':
      return new Date(Date.UTC(y, mo, d));
    case 'hour':
      return new Date(Date.UTC(y, mo, d, date.getUTCHours()));
    default:
      return new Date(
        Date.UTC(y, mo, d, date.getUTCHours(), date.getUTCMinutes())
      );
  }
}

/**
 * The start of the period after the one starting at `start`.
 */
export function nextPeriod(start: Date, unit: TimeUnit): Date {
  const y = start.getUTCFullYear();
  const mo = start.getUTCMonth();
  const d = start.getUTCDate();
  const h = start.getUTCHours();
  const mi = start.getUTCMinutes();
  switch (unit) {
    case 'year':
      return new Date(Date.UTC(y + 1, mo, d, h, mi));
    case 'quarter':
      return new Date(Date.UTC(y, mo + 3, d, h, mi));
    case 'month':
      return new Date(Date.UTC(y, mo + 1, d, h, mi));
    case 'week':
      return new Date(Date.UTC(y, mo, d + 7, h, mi));
    case 'day':
      return new Date(Date.UTC(y, mo, d + 1, h, mi));
    case 'hour':
      return new Date(Date.UTC(y, mo, d, h + 1, mi));
    default:
      return new Date(Date.UTC(y, mo, d, h, mi + 1));
  }
}

/**
 * The span of the `unit` period a mark drawn at `value` stands for, as
 * filter values of a column of `type`; null if `value` is not a date.
 */
export function periodSpan(
  value: unknown,
  unit: TimeUnit,
  type: string
): ISpan | null {
  const date = parseWallTime(value);
  if (!date) {
    return null;
  }
  const start = periodStart(date, unit);
  return {
    start: wallTimeText(start, type),
    end: wallTimeText(nextPeriod(start, unit), type),
    closed: false
  };
}

/**
 * The whole `unit` periods whose marks lie in a dragged range `[lo, hi]`,
 * as one span; null when no period starts inside it.
 */
export function periodsInRange(
  lo: unknown,
  hi: unknown,
  unit: TimeUnit,
  type: string
): ISpan | null {
  const a = parseWallTime(lo);
  const b = parseWallTime(hi);
  if (!a || !b) {
    return null;
  }
  let first = periodStart(a, unit);
  if (first < a) {
    first = nextPeriod(first, unit);
  }
  const last = periodStart(b, unit);
  if (first > last) {
    return null;
  }
  return {
    start: wallTimeText(first, type),
    end: wallTimeText(nextPeriod(last, unit), type),
    closed: false
  };
}

/**
 * A dragged range on a date axis as filter values of a column of `type`:
 * for dates, the whole days inside it; null when it holds none.
 */
export function dateRange(
  lo: unknown,
  hi: unknown,
  type: string
): [string, string] | null {
  if (type !== 'date') {
    const a = parseWallTime(lo);
    const b = parseWallTime(hi);
    return a && b ? [wallTimeText(a, type), wallTimeText(b, type)] : null;
  }
  const days = periodsInRange(lo, hi, 'day', 'date');
  if (!days) {
    return null;
  }
  const end = parseWallTime(days.end)!;
  end.setUTCDate(end.getUTCDate() - 1);
  return [days.start as string, wallTimeText(end, 'date')];
}
