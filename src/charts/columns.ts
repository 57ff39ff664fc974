/**
 * Reading a chart result: its columns by channel and statistic, titles, axis
 * types, groups and hover text. Every text value handed out is escaped.
 */
import { escapeText, formatValue, refTitle } from './text';
import { IChartResult, IChartSpec, IResultField } from './types';

/**
 * A Plotly trace or layout; kept loose because the renderer builds many kinds.
 */
export type PlotlyObject = { [key: string]: any };

export const NUMERIC = new Set(['integer', 'float']);
export const TEMPORAL = new Set(['date', 'datetime']);

/**
 * Where a result keeps its columns, with helpers to read them.
 */
export class Columns {
  constructor(readonly result: IChartResult) {
    this.length = 0;
    for (const field of result.fields) {
      const values = result.data[field.name] ?? [];
      this.length = Math.max(this.length, values.length);
    }
  }

  readonly length: number;

  /**
   * The field on a channel; the first one for `tooltip`.
   */
  field(channel: string): IResultField | undefined {
    return (
      this.result.fields.find(f => f.channel === channel && !f.stat) ??
      this.result.fields.find(f => f.name === channel)
    );
  }

  /**
   * A derived field on a channel: `bin_end`, a box statistic, `previous`...
   */
  stat(channel: string, stat: string): IResultField | undefined {
    return this.result.fields.find(
      f => f.channel === channel && f.stat === stat
    );
  }

  fields(channel: string): IResultField[] {
    return this.result.fields.filter(f => f.channel === channel);
  }

  values(field: IResultField | undefined): unknown[] {
    return field ? (this.result.data[field.name] ?? []) : [];
  }

  /**
   * A field's values at `indices`, escaped when they are text.
   */
  pick(field: IResultField | undefined, indices: number[]): unknown[] {
    if (!field) {
      return [];
    }
    const values = this.values(field);
    const text = !NUMERIC.has(field.type) && !TEMPORAL.has(field.type);
    return indices.map(i => {
      const value = values[i];
      if (!text) {
        return value ?? null;
      }
      return value === null || value === undefined
        ? '(null)'
        : escapeText(value);
    });
  }
}

/**
 * The title of a result field, with the spec's own titles first.
 */
export function fieldTitle(
  field: IResultField | undefined,
  spec: IChartSpec | null
): string {
  if (!field) {
    return '';
  }
  const axis =
    field.channel === 'x' || field.channel === 'y'
      ? spec?.axes?.[field.channel]?.title
      : undefined;
  const ref = spec?.encoding?.[field.channel as 'x'];
  return axis || ref?.title || refTitle(field);
}

/**
 * An axis type Plotly should use for a field (never its guess from values).
 */
export function axisType(field: IResultField | undefined): string | undefined {
  if (!field) {
    return undefined;
  }
  if (field.timeUnit || TEMPORAL.has(field.type)) {
    return 'date';
  }
  if (NUMERIC.has(field.type) && !field.aggregate) {
    return field.bin ? 'linear' : 'linear';
  }
  if (NUMERIC.has(field.type)) {
    return 'linear';
  }
  return 'category';
}

/**
 * Group row indices by the distinct values of a field, in first-seen order.
 */
export function groupBy(
  cols: Columns,
  field: IResultField | undefined,
  indices: number[]
): Map<unknown, number[]> {
  const groups = new Map<unknown, number[]>();
  if (!field) {
    groups.set(undefined, indices);
    return groups;
  }
  const values = cols.values(field);
  for (const i of indices) {
    const key = values[i] ?? null;
    let list = groups.get(key);
    if (!list) {
      list = [];
      groups.set(key, list);
    }
    list.push(i);
  }
  return groups;
}

/**
 * Hover text for each index: one escaped `title: value` line per field.
 */
export function hoverText(
  cols: Columns,
  spec: IChartSpec | null,
  indices: number[]
): string[] {
  const seen = new Set<string>();
  const fields = cols.result.fields.filter(f => {
    if (seen.has(f.name)) {
      return false;
    }
    seen.add(f.name);
    return f.channel !== 'row' && f.channel !== 'column';
  });
  const lines = fields.map(f => ({
    title: escapeText(fieldTitle(f, spec)),
    values: cols.values(f),
    type: f.type
  }));
  return indices.map(i =>
    lines
      .map(
        line =>
          `${line.title}: <b>${escapeText(formatValue(line.values[i], line.type))}</b>`
      )
      .join('<br>')
  );
}
