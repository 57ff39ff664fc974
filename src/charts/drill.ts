/**
 * Drilling from a chart's mark to its rows: what a client answers, and
 * which row of the chart's result a clicked Plotly point is.
 *
 * The server derives the mark's conditions from the chart (its groups,
 * bins, periods, grid cells), so the client only names the mark: its
 * values by field name and its row in the result. Like everything under
 * `src/charts/`, nothing here imports `@jupyterlab/*`.
 */
import { fieldTitle } from './columns';
import { parseWallTime } from './periods';
import { escapeText, formatValue } from './text';
import { IChartResult, IChartSpec, IFilter } from './types';

/**
 * A page of the rows behind a mark, as the drill routes answer it.
 */
export interface IDrillPage {
  /**
   * The dataset and version the rows are read from.
   */
  dataset: { id: string; version: number };
  /**
   * Conditions that always hold here (a shared chart's own filters).
   */
  fixed: IFilter[];
  /**
   * The editable conditions; those of the mark come last.
   */
  filters: IFilter[];
  /**
   * The mark's conditions alone.
   */
  mark: IFilter[];
  columns: string[];
  /**
   * The column types, when the answer gives them.
   */
  types?: string[];
  rows: unknown[][];
  offset: number;
  limit: number;
  total: number;
}

/**
 * What to drill: a mark of a drawn chart, or a page of an edited list.
 */
export interface IDrillRequest {
  /**
   * The spec drawn, its dataset pinned to the result's id and version.
   */
  spec: IChartSpec;
  /**
   * The mark's values by the result's field names; absent when paging.
   */
  mark?: { [name: string]: unknown };
  /**
   * The mark's row in the result.
   */
  index?: number;
  /**
   * When paging: the page the list came with, and the list as edited.
   */
  from?: IDrillPage;
  filters?: IFilter[];
  offset?: number;
  limit?: number;
  /**
   * As the rows API: `"-price,name"`.
   */
  sort?: string;
}

/**
 * A chart client that can also drill: the REST client of datasets, or a
 * shared document's.
 */
export interface IDrillClient {
  drillRows(
    request: IDrillRequest,
    options?: { signal?: AbortSignal }
  ): Promise<IDrillPage>;
}

/**
 * Whether `client` drills (chart clients that do not, a kernel's, have no
 * "View rows").
 */
export function canDrill(client: unknown): client is IDrillClient {
  return (
    !!client &&
    typeof (client as Partial<IDrillClient>).drillRows === 'function'
  );
}

/**
 * The spec of `result`'s chart over the exact dataset version it drew.
 */
export function pinnedSpec(spec: IChartSpec, result: IChartResult): IChartSpec {
  const drawn = result.dataset;
  return 'id' in drawn && drawn.id
    ? { ...spec, dataset: { id: drawn.id, version: drawn.version } }
    : spec;
}

/**
 * A mark's values by field name: its row of the result.
 */
export function markValues(
  result: IChartResult,
  index: number
): { [name: string]: unknown } {
  const out: { [name: string]: unknown } = {};
  for (const field of result.fields) {
    out[field.name] = result.data[field.name]?.[index] ?? null;
  }
  return out;
}

/**
 * The result's row a clicked Plotly point stands for, or null.
 *
 * Traces carry their rows' indices as `customdata`; a heatmap's cells,
 * which Plotly regrids, are found by the x and y drawn.
 */
export function markIndex(result: IChartResult, point: any): number | null {
  // a pie slice gathers the customdata of its label's rows: one here
  const custom = Array.isArray(point?.customdata)
    ? point.customdata[0]
    : point?.customdata;
  if (typeof custom === 'number' && Number.isInteger(custom)) {
    return custom >= 0 && custom < result.marks ? custom : null;
  }
  if (point?.x === undefined || point?.y === undefined) {
    return null;
  }
  const xs = result.data.x ?? [];
  const ys = result.data.y ?? [];
  for (let i = 0; i < xs.length; i++) {
    if (drawnAs(xs[i], point.x) && drawnAs(ys[i], point.y)) {
      return i;
    }
  }
  return null;
}

/**
 * Whether a result value is what Plotly drew (text escaped, a date
 * possibly in another ISO form).
 */
function drawnAs(value: unknown, drawn: unknown): boolean {
  if (value === null || value === undefined) {
    return drawn === null || drawn === undefined;
  }
  if (typeof value === 'number') {
    return Number(drawn) === value;
  }
  if (typeof value === 'string' && escapeText(value) === drawn) {
    return true;
  }
  const a = parseWallTime(value);
  const b = parseWallTime(drawn);
  return a !== null && b !== null && a.getTime() === b.getTime();
}

/**
 * A mark in words, by the fields that name it: "region: EMEA", a bin as
 * "price: 10 to 20"; "the chart" for a mark of every row (a KPI).
 */
export function markLabel(
  result: IChartResult,
  index: number,
  spec: IChartSpec | null
): string {
  const parts: string[] = [];
  for (const field of result.fields) {
    if (!field.column || field.aggregate || field.stat) {
      continue;
    }
    const value = result.data[field.name]?.[index];
    const end = result.fields.find(
      f => f.channel === field.channel && f.stat === 'bin_end'
    );
    let text = formatValue(value, String(field.type));
    if (end && value !== null && value !== undefined) {
      text += ` to ${formatValue(result.data[end.name]?.[index], String(field.type))}`;
    }
    parts.push(`${fieldTitle(field, spec)}: ${text}`);
  }
  return parts.length ? parts.join('; ') : 'the chart';
}
