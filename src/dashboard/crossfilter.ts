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
 * The day after an ISO date (`2024-03-31` → `2024-04-01`); the text as it
 * is when it is not a date.
 */
function dayAfter(value: unknown): unknown {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(value));
  if (!m) {
    return value;
  }
  const next = new Date(
    Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + 1)
  );
  return next.toISOString().slice(0, 10);
}

/**
 * The condition a dashboard filter stands for, or null when it restricts nothing.
 *
 * A date range holds both of its days whole, also on a datetime column:
 * `[from, to]` is `column >= from and column < the day after to`.
 */
export function filterCondition(filter: IDashboardFilter): IFilter | null {
  const value = filter.value;
  if (!Array.isArray(value)) {
    return null;
  }
  if (filter.kind === 'dropdown') {
    return value.length ? { column: filter.column, cmp: 'in', value } : null;
  }
  const [lo, hi] = value.map(v => (v === '' ? null : v));
  if (filter.kind === 'daterange') {
    const parts: IFilterCondition[] = [];
    if (lo !== null && lo !== undefined) {
      parts.push({ column: filter.column, cmp: 'ge', value: lo });
    }
    if (hi !== null && hi !== undefined) {
      parts.push({ column: filter.column, cmp: 'lt', value: dayAfter(hi) });
    }
    return parts.length > 1
      ? { combine: 'and', conditions: parts }
      : (parts[0] ?? null);
  }
  if (lo !== null && lo !== undefined && hi !== null && hi !== undefined) {
    return { column: filter.column, cmp: 'between', value: [lo, hi] };
  }
  if (lo !== null && lo !== undefined) {
    return { column: filter.column, cmp: 'ge', value: lo };
  }
  if (hi !== null && hi !== undefined) {
    return { column: filter.column, cmp: 'le', value: hi };
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
