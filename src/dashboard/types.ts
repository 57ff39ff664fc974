/**
 * The dashboard file's shapes (`docs/charts.md`, "Dashboards"). Its charts'
 * specs are the chart spec types of `../charts/types`.
 */
import { IChartDraft } from '../charts/types';

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
  spec: IChartDraft;
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
