/**
 * The chart spec and the chart result, as documented in `docs/charts.md`.
 *
 * This module, like everything under `src/charts/`, imports nothing from
 * `@jupyterlab/*`, so the notebook widget bundle can use it too.
 */

/**
 * The marks a chart can draw.
 */
export type Mark =
  | 'bar'
  | 'line'
  | 'area'
  | 'scatter'
  | 'pie'
  | 'heatmap'
  | 'histogram'
  | 'box'
  | 'map'
  | 'kpi'
  | 'table';

export const MARKS: ReadonlyArray<Mark> = [
  'bar',
  'line',
  'area',
  'scatter',
  'pie',
  'heatmap',
  'histogram',
  'box',
  'map',
  'kpi',
  'table'
];

export type Aggregate =
  'sum' | 'mean' | 'median' | 'min' | 'max' | 'count' | 'distinct';

export const AGGREGATES: ReadonlyArray<Aggregate> = [
  'sum',
  'mean',
  'median',
  'min',
  'max',
  'count',
  'distinct'
];

export type TimeUnit =
  'year' | 'quarter' | 'month' | 'week' | 'day' | 'hour' | 'minute';

export const TIME_UNITS: ReadonlyArray<TimeUnit> = [
  'year',
  'quarter',
  'month',
  'week',
  'day',
  'hour',
  'minute'
];

/**
 * A column type, as the store reports it.
 */
export type ColumnType =
  'integer' | 'float' | 'boolean' | 'date' | 'datetime' | 'string';

/**
 * A reference to a column on one encoding channel.
 */
export interface IFieldRef {
  /**
   * The column name; absent only for `{"aggregate": "count"}`.
   */
  field?: string;
  aggregate?: Aggregate;
  bin?: boolean | { maxbins?: number; step?: number };
  timeUnit?: TimeUnit;
  title?: string;
}

/**
 * The single-field channels.
 */
export type Channel =
  | 'x'
  | 'y'
  | 'color'
  | 'size'
  | 'row'
  | 'column'
  | 'label'
  | 'latitude'
  | 'longitude'
  | 'location';

export interface IEncoding {
  x?: IFieldRef;
  y?: IFieldRef;
  color?: IFieldRef;
  size?: IFieldRef;
  row?: IFieldRef;
  column?: IFieldRef;
  label?: IFieldRef;
  latitude?: IFieldRef;
  longitude?: IFieldRef;
  location?: IFieldRef;
  tooltip?: IFieldRef[];
}

/**
 * One condition on a column (the rows API's filter shape).
 */
export interface IFilterCondition {
  column: string;
  cmp: string;
  value?: unknown;
  ignore_case?: boolean;
}

/**
 * Conditions joined by `and` / `or` (groups nest).
 */
export interface IFilterGroup {
  combine: 'and' | 'or';
  conditions: IFilter[];
}

/**
 * A filter condition: the same shapes as the rows API and the filter step.
 */
export type IFilter = IFilterCondition | IFilterGroup | { formula: string };

/**
 * The column values a picked mark stands for: `[start, end)`, or
 * `[start, end]` when `closed` (a histogram's last bin holds its end edge).
 */
export interface ISpan {
  start: unknown;
  end: unknown;
  closed: boolean;
}

export interface IChartOptions {
  stack?: 'grouped' | 'stacked' | 'normalized';
  orientation?: 'vertical' | 'horizontal';
  hole?: number;
  map?: {
    kind?: 'points' | 'choropleth';
    locations?: 'country' | 'us-state';
  };
  delta?: { compare?: 'previous_period' };
  [key: string]: unknown;
}

/**
 * A trend line over a scatter or line chart: least squares or LOESS.
 */
export interface ITrendOverlay {
  kind: 'trend';
  method?: 'linear' | 'loess';
}

/**
 * A forecast of a line chart over time: `periods` ahead, with a prediction
 * interval of `interval` coverage.
 */
export interface IForecastOverlay {
  kind: 'forecast';
  periods?: number;
  seasonality?: 'auto' | number;
  interval?: number;
}

export type IOverlay = ITrendOverlay | IForecastOverlay;

/**
 * A chart spec (version 1).
 */
export interface IChartSpec {
  version: 1;
  /**
   * A dataset (`id` or `name`, and a `version` to pin), or a SQL query whose
   * result is charted without being saved (`sql`, docs/sql.md).
   */
  dataset: { id?: string; name?: string; version?: number; sql?: string };
  mark: Mark;
  encoding: IEncoding;
  filters?: IFilter[];
  sort?: { by: string; order: 'ascending' | 'descending' };
  limit?: number;
  options?: IChartOptions;
  overlays?: IOverlay[];
  title?: string;
  axes?: { x?: { title?: string }; y?: { title?: string } };
  max_marks?: number;
}

/**
 * A spec that may not draw yet: the builder's before the shelves suggest a
 * mark, a dashboard chart's before it has a dataset or any field. What chart
 * files and dashboards store.
 */
export interface IChartDraft extends Partial<
  Omit<IChartSpec, 'dataset' | 'mark'>
> {
  dataset?: IChartSpec['dataset'] | null;
  mark?: Mark;
}

/**
 * One column of a chart result.
 */
export interface IResultField {
  /**
   * The key of the column in `data`.
   */
  name: string;
  channel: string;
  column?: string | null;
  type: ColumnType | string;
  aggregate?: Aggregate | null;
  timeUnit?: TimeUnit | null;
  bin?: unknown;
  title?: string | null;
  [key: string]: unknown;
}

/**
 * What the engine did to stay within the mark budget.
 */
export interface IReduction {
  kind: 'aggregated' | 'binned' | 'downsampled' | 'top_n' | 'sampled' | string;
  method?: string | null;
  message: string;
}

/**
 * One group's fit of an overlay (the whole chart's when it has no color
 * groups): the curve's points, and for a forecast its interval.
 */
export interface IOverlaySeries {
  group?: unknown;
  n: number;
  x?: unknown[];
  y?: (number | null)[];
  equation?: string;
  r2?: number | null;
  slope?: number;
  intercept?: number;
  model?: string;
  seasonality?: number | null;
  start?: { x: unknown; y: number };
  lower?: (number | null)[];
  upper?: (number | null)[];
  /**
   * Why this group has no curve.
   */
  message?: string;
}

/**
 * An overlay as the engine computed it.
 */
export interface IOverlayResult {
  kind: 'trend' | 'forecast';
  method?: string;
  model?: string;
  periods?: number;
  interval?: number;
  series: IOverlaySeries[];
  message?: string;
}

/**
 * A chart result: columnar data for the fields, and what was done to it.
 */
export interface IChartResult {
  spec_version: number;
  /**
   * The dataset version read; for a chart of a query, the query and the
   * dataset versions its names were bound to.
   */
  dataset:
    { id: string; version: number } | { sql: string; sources: unknown[] };
  fields: IResultField[];
  data: { [name: string]: unknown[] };
  marks: number;
  source_rows: number;
  reduction: IReduction | null;
  cached?: boolean;
  overlays?: IOverlayResult[];
  [key: string]: unknown;
}

/**
 * Whatever can run a chart spec: the REST client in JupyterLab, the kernel
 * in a notebook widget.
 */
export interface IChartClient {
  /**
   * Run a spec and answer its result; rejects with an error whose `message`
   * says what is wrong with the spec.
   */
  queryChart(
    spec: IChartSpec,
    options?: { signal?: AbortSignal }
  ): Promise<IChartResult>;
}

/**
 * A dataset column as the builder lists it.
 */
export interface IFieldInfo {
  name: string;
  type: ColumnType | string;
  /**
   * How many values are missing.
   */
  nulls?: number;
  /**
   * How many values an integer column holds, when it has few (month, day,
   * size); absent otherwise.
   */
  distinct?: number;
}

/**
 * What the builder needs to know about a dataset.
 */
export interface IDatasetInfo {
  id: string;
  name: string;
  /**
   * The query whose result is the data (then `id` is empty), for a chart of
   * a SQL query.
   */
  sql?: string;
  version?: number;
  /**
   * The row count, which tells a column of few repeated values (a
   * category) from a short column of numbers.
   */
  rows?: number;
  columns: ReadonlyArray<IFieldInfo>;
}
