/**
 * Dashboard filters and cross-filtering, applied the one way the brief of
 * record allows: as extra conditions in each chart's spec `filters`, before
 * the spec is queried. No rows travel between charts.
 */
import { IDashboardFilter, IFieldRef, IFilterCondition, ISpec } from './types';

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
  conditions: IFilterCondition[];
}

/**
 * Whether `spec` draws from `dataset` (an id or a name).
 */
export function onDataset(spec: ISpec, dataset: string): boolean {
  const ref = spec.dataset;
  return !!ref && (ref.id === dataset || ref.name === dataset);
}

/**
 * The dataset key of a spec (its id, else its name), or null.
 */
export function datasetKey(spec: ISpec): string | null {
  return spec.dataset?.id ?? spec.dataset?.name ?? null;
}

/**
 * The condition a dashboard filter stands for, or null when it restricts nothing.
 */
export function filterCondition(
  filter: IDashboardFilter
): IFilterCondition | null {
  const value = filter.value;
  if (!Array.isArray(value)) {
    return null;
  }
  if (filter.kind === 'dropdown') {
    return value.length ? { column: filter.column, cmp: 'in', value } : null;
  }
  const [lo, hi] = value.map(v => (v === '' ? null : v));
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
  spec: ISpec,
  filters: ReadonlyArray<IDashboardFilter>,
  selections: ReadonlyMap<string, ISelection>
): ISpec {
  const extra: IFilterCondition[] = [];
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
  spec: ISpec,
  channel: string,
  pick: { values: unknown[] } | { range: [unknown, unknown] }
): ISelection | null {
  const ref: IFieldRef | undefined = spec.encoding?.[channel];
  const dataset = datasetKey(spec);
  if (!ref?.field || ref.aggregate || !dataset) {
    return null;
  }
  const column = ref.field;
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
    // A binned or truncated mark stands for a range; a click takes its start.
    return null;
  }
  return { dataset, conditions: [{ column, cmp: 'in', value: values }] };
}
