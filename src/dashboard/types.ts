/**
 * The dashboard file's shapes (`docs/charts.md`, "Dashboards").
 */

/**
 * A field on a shelf: a column, maybe aggregated, binned or truncated.
 */
export interface IFieldRef {
  field?: string;
  aggregate?: string;
  bin?: boolean | { maxbins?: number; step?: number };
  timeUnit?: string;
  title?: string;
}

/**
 * One condition of a spec's `filters` (the rows API's filter shape).
 */
export interface IFilterCondition {
  column: string;
  cmp: string;
  value?: unknown;
}

/**
 * Conditions joined by `and` / `or` (groups nest).
 */
export interface IFilterGroup {
  combine: 'and' | 'or';
  conditions: IFilterItem[];
}

export type IFilterItem = IFilterCondition | IFilterGroup;

/**
 * The column values a picked mark stands for: `[start, end)`, or
 * `[start, end]` when `closed` (a histogram's last bin).
 */
export interface ISpan {
  start: unknown;
  end: unknown;
  closed: boolean;
}

/**
 * A chart spec (version 1). Only what dashboards read is typed here.
 */
export interface ISpec {
  version?: number;
  dataset?: { id?: string; name?: string; version?: number } | null;
  mark?: string;
  encoding?: Record<string, IFieldRef>;
  filters?: unknown[];
  title?: string;
  [key: string]: unknown;
}

/**
 * Where a chart sits on the 12-column grid, in cells.
 */
export interface IChartLayout {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface IDashboardChart {
  spec: ISpec;
  layout: IChartLayout;
}

/**
 * A dashboard filter: it restricts every chart on its dataset.
 *
 * `value` is null for "no restriction"; a list of values (dropdown), or
 * `[min, max]` with either bound null (range: numbers, daterange: ISO dates).
 */
export interface IDashboardFilter {
  id: string;
  kind: 'dropdown' | 'range' | 'daterange';
  dataset: string;
  column: string;
  label?: string;
  value: unknown[] | null;
}

export interface IDashboard {
  version: 1;
  title: string;
  crossfilter: boolean;
  filters: IDashboardFilter[];
  charts: Record<string, IDashboardChart>;
}
