/**
 * Dashboard filters and cross-filtering, applied the one way the brief of
 * record allows: as extra conditions in each chart's spec `filters`, before
 * the spec is queried. No rows travel between charts.
 */
import {
  Channel,
  IChartDraft,
  IFieldRef,
  IFilter,
  IFilterCondition,
  ISpan
} from '../charts/types';
import { formatValue } from '../charts/text';
import { RULES } from '../rules';
import { IDashboardFilter } from './types';

/**
 * A selection made in one chart (a clicked mark, a dragged range).
 */
export interface ISelection {
  /**
   * The dataset of the chart it was made in (id or name).
   */
  dataset: string;

  /**
   * The conditions it stands for.
   */
  conditions: IFilter[];
}

/**
 * Whether `spec` draws from `dataset` (an id or a name).
 */
export function onDataset(spec: IChartDraft, dataset: string): boolean {
  const ref = spec.dataset;
  return !!ref && (ref.id === dataset || ref.name === dataset);
}

/**
 * The dataset key of a spec (its id, else its name), or null.
 */
export function datasetKey(spec: IChartDraft): string | null {
  return spec.dataset?.id ?? spec.dataset?.name ?? null;
}

/**
 * How one bound of a filter becomes a condition.
 */
interface IBoundRule {
  cmp: string;
  nextDay?: boolean;
}

/**
 * How a kind of filter becomes a condition: the values picked (`list`), or
 * `[from, to]` bounds.
 */
interface IKindRule {
  list?: string;
  from?: IBoundRule;
  to?: IBoundRule;
  both?: string;
}

const CONDITIONS = RULES.filterConditions;
const KINDS: Readonly<Record<string, IKindRule>> = CONDITIONS.kinds;

/**
 * The day after an ISO date (`2024-03-31` → `2024-04-01`); the value as it
 * is when it is not a date.
 */
function dayAfter(value: unknown): unknown {
  const m =
    typeof value === 'string' && /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) {
    return value;
  }
  const [y, mo, d] = [Number(m[1]), Number(m[2]) - 1, Number(m[3])];
  const day = new Date(Date.UTC(2000, mo, d));
  day.setUTCFullYear(y);
  if (day.getUTCMonth() !== mo || day.getUTCDate() !== d) {
    return value; // not a real day, like 2024-02-30
  }
  day.setUTCDate(d + 1);
  const text = day.toISOString().slice(0, 10);
  return y >= 1 && day.getUTCFullYear() <= 9999 ? text : value;
}

function bound(column: string, rule: IBoundRule, value: unknown): IFilter {
  return {
    column,
    cmp: rule.cmp,
    value: rule.nextDay ? dayAfter(value) : value
  };
}

/**
 * The condition a dashboard filter stands for, or null when it restricts
 * nothing; the rules are the table in `RULES.filterConditions`, shared with
 * the kernel's `filter_condition`.
 *
 * A date range holds both of its days whole, also on a datetime column:
 * `[from, to]` is `column >= from and column < the day after to`.
 */
export function filterCondition(filter: IDashboardFilter): IFilter | null {
  const value: unknown = filter.value;
  if (!Array.isArray(value)) {
    return null;
  }
  const kind = KINDS[filter.kind] ?? KINDS[CONDITIONS.default];
  const column = filter.column;
  if (kind.list) {
    return value.length ? { column, cmp: kind.list, value } : null;
  }
  const [lo, hi] = [value[0], value[1]].map(v =>
    v === '' || v === undefined ? null : v
  );
  if (lo !== null && hi !== null) {
    return kind.both === 'and'
      ? {
          combine: 'and',
          conditions: [
            bound(column, kind.from!, lo),
            bound(column, kind.to!, hi)
          ]
        }
      : { column, cmp: kind.both!, value: [lo, hi] };
  }
  if (lo !== null) {
    return bound(column, kind.from!, lo);
  }
  if (hi !== null) {
    return bound(column, kind.to!, hi);
  }
  return null;
}

/**
 * The spec a dashboard cell queries: the chart's own spec, plus the dashboard
 * filters on its dataset, plus the cross-filter selections made in the
 * *other* charts on its dataset.
 */
export function effectiveSpec(
  chartId: string,
  spec: IChartDraft,
  filters: ReadonlyArray<IDashboardFilter>,
  selections: ReadonlyMap<string, ISelection>
): IChartDraft {
  const extra: IFilter[] = [];
  for (const filter of filters) {
    const condition = filterCondition(filter);
    if (condition && onDataset(spec, filter.dataset)) {
      extra.push(condition);
    }
  }
  for (const [source, selection] of selections) {
    if (source !== chartId && onDataset(spec, selection.dataset)) {
      extra.push(...selection.conditions);
    }
  }
  if (!extra.length) {
    return spec;
  }
  return { ...spec, filters: [...(spec.filters ?? []), ...extra] };
}

/**
 * The selection for points picked on a channel of a chart: the categories
 * clicked, or the range dragged over (numbers or dates).
 *
 * Answers null when the channel holds an aggregate (a sum cannot filter rows).
 */
export function selectionFor(
  spec: IChartDraft,
  channel: string,
  pick: ({ values: unknown[] } | { range: [unknown, unknown] }) & {
    spans?: ReadonlyArray<ISpan>;
  }
): ISelection | null {
  const ref: IFieldRef | undefined = spec.encoding?.[channel as Channel];
  const dataset = datasetKey(spec);
  if (!ref?.field || ref.aggregate || !dataset) {
    return null;
  }
  const column = ref.field;
  if (pick.spans?.length) {
    const each = pick.spans.map(span => spanConditions(column, span));
    return {
      dataset,
      conditions:
        each.length === 1
          ? each[0]
          : [
              {
                combine: 'or',
                conditions: each.map(c => ({ combine: 'and', conditions: c }))
              }
            ]
    };
  }
  if ('range' in pick) {
    return {
      dataset,
      conditions: [{ column, cmp: 'between', value: pick.range }]
    };
  }
  const values = [...new Set(pick.values)];
  if (!values.length) {
    return null;
  }
  if (ref.bin || ref.timeUnit) {
    // A binned or truncated mark stands for a span the view did not give.
    return null;
  }
  return { dataset, conditions: [{ column, cmp: 'in', value: values }] };
}

/**
 * A span of a picked mark as conditions: `start <= column < end` (`<= end`
 * for a closed span, a histogram's last bin).
 */
export function spanConditions(
  column: string,
  span: ISpan
): IFilterCondition[] {
  return [
    { column, cmp: 'ge', value: span.start },
    { column, cmp: span.closed ? 'le' : 'lt', value: span.end }
  ];
}

/**
 * A value as a chip shows it: a midnight timestamp as its day.
 */
function shown(value: unknown): string {
  const text = formatValue(value);
  return typeof value === 'string'
    ? text.replace(/^(\d{4}-\d{2}-\d{2})T00:00:00(\.0+)?Z?$/, '$1')
    : text;
}

/**
 * The comparisons of a selection's conditions, as people read them.
 */
const SIGNS: Readonly<Record<string, string>> = {
  ge: '≥',
  gt: '>',
  le: '≤',
  lt: '<',
  eq: '=',
  ne: '≠'
};

/**
 * A chart filter's condition in words.
 */
export function describeCondition(condition: IFilter): string {
  if ('formula' in condition) {
    return condition.formula;
  }
  if ('combine' in condition) {
    const parts = condition.conditions;
    // A span: `start ≤ column < end`.
    const [lo, hi] = parts as IFilterCondition[];
    if (
      condition.combine === 'and' &&
      parts.length === 2 &&
      lo?.cmp === 'ge' &&
      (hi?.cmp === 'lt' || hi?.cmp === 'le') &&
      lo.column === hi.column
    ) {
      return `${shown(lo.value)} ≤ ${lo.column} ${SIGNS[hi.cmp]} ${shown(hi.value)}`;
    }
    return parts
      .map(describeCondition)
      .join(condition.combine === 'or' ? ' or ' : ' and ');
  }
  const { column, cmp, value } = condition;
  if (cmp === 'in' && Array.isArray(value)) {
    return `${column} = ${value.map(shown).join(', ')}`;
  }
  if (cmp === 'between' && Array.isArray(value)) {
    return `${column} from ${shown(value[0])} to ${shown(value[1])}`;
  }
  return `${column} ${SIGNS[cmp] ?? cmp} ${shown(value)}`;
}

/**
 * What a selection filters by, in words: "carrier = B6",
 * "2025-01-01 ≤ month < 2025-02-01".
 */
export function describeSelection(selection: ISelection): string {
  const conditions = selection.conditions;
  const [lo, hi] = conditions as IFilterCondition[];
  if (conditions.length === 2 && lo.column && lo.column === hi?.column) {
    return describeCondition({ combine: 'and', conditions });
  }
  return conditions.map(describeCondition).join(' and ');
}
