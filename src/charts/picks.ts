/**
 * What a pick in a drawn chart stands for in the data: on a binned axis a
 * clicked bar is a bin `[start, end)`, on a time-unit axis a mark is a whole
 * period (a month…), and a range dragged over a date axis is a date range
 * in the column's own form. Read from the result's fields, not the spec, so
 * the bins are the ones the engine drew.
 */
import {
  dateRange,
  parseWallTime,
  periodSpan,
  periodsInRange
} from './periods';
import { IChartResult, IResultField, ISpan, TimeUnit } from './types';

type Pick = { values: unknown[] } | { range: [unknown, unknown] };

/**
 * The pick with what it means: `spans` for binned and time-unit axes, a
 * range in the column's form for date axes. Null when the pick covers no
 * mark (a range between two periods).
 */
export function pickMeaning(
  result: IChartResult,
  channel: string,
  pick: Pick
): (Pick & { spans?: ISpan[] }) | null {
  const field = result.fields.find(f => f.channel === channel && !f.stat);
  if (!field) {
    return pick;
  }
  const type = String(field.type);
  if (field.timeUnit) {
    const unit = field.timeUnit as TimeUnit;
    if ('values' in pick) {
      const spans = pick.values
        .map(v => periodSpan(v, unit, type))
        .filter((s): s is ISpan => s !== null);
      return spans.length ? { ...pick, spans } : pick;
    }
    const span = periodsInRange(pick.range[0], pick.range[1], unit, type);
    return span ? { ...pick, spans: [span] } : null;
  }
  const endField = result.fields.find(
    f => f.channel === channel && f.stat === 'bin_end'
  );
  if (endField) {
    const bins = binsOf(result, field, endField);
    if ('values' in pick) {
      const spans = pick.values
        .map(v => bins.find(b => sameValue(b.start, v)))
        .filter((b): b is ISpan => b !== undefined);
      return spans.length ? { ...pick, spans } : pick;
    }
    const [lo, hi] = pick.range.map(toNumber);
    const inside = bins.filter(
      b => toNumber(b.start) < hi && toNumber(b.end) > lo
    );
    if (!inside.length) {
      return null;
    }
    const first = inside.reduce((a, b) =>
      toNumber(b.start) < toNumber(a.start) ? b : a
    );
    const last = inside.reduce((a, b) =>
      toNumber(b.end) > toNumber(a.end) ? b : a
    );
    return {
      ...pick,
      spans: [{ start: first.start, end: last.end, closed: last.closed }]
    };
  }
  if ('range' in pick && (type === 'date' || type === 'datetime')) {
    const range = dateRange(pick.range[0], pick.range[1], type);
    return range ? { range } : null;
  }
  return pick;
}

/**
 * The distinct bins of a binned channel. The last bin is closed when the
 * engine says so (`bin.last`: its maximum lies on the last edge).
 */
function binsOf(
  result: IChartResult,
  field: IResultField,
  endField: IResultField
): ISpan[] {
  const starts = result.data[field.name] ?? [];
  const ends = result.data[endField.name] ?? [];
  const last = (field.bin as { last?: unknown } | undefined)?.last;
  const seen = new Map<string, ISpan>();
  starts.forEach((start, i) => {
    if (start === null || start === undefined) {
      return;
    }
    const key = String(start);
    if (!seen.has(key)) {
      seen.set(key, {
        start,
        end: ends[i],
        closed: last !== undefined && sameValue(start, last)
      });
    }
  });
  return [...seen.values()];
}

function toNumber(value: unknown): number {
  if (typeof value === 'number') {
    return value;
  }
  const date = parseWallTime(value);
  return date ? date.getTime() : Number(value);
}

/**
 * Whether two values drawn on an axis are the same point (Plotly may hand
 * back a date in another ISO form than the result holds).
 */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) {
    return true;
  }
  const x = toNumber(a);
  return Number.isFinite(x) && x === toNumber(b);
}
