/**
 * Text helpers shared by the renderer, the builder and the exports.
 */
import { IChartSpec, IFieldRef, IResultField } from './types';

/**
 * Escape a data-derived string for Plotly.
 *
 * Plotly renders a subset of HTML in every text slot (titles, ticks, legend,
 * hover): `<a href>`, `<span style>`, `<b>`... With `<`, `>` and `&` escaped no
 * tag survives, and Plotly shows the entities as the literal characters.
 */
export function escapeText(value: unknown): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/**
 * Shorten a long label for a tick or a legend entry (hover shows it whole).
 */
export function truncate(text: string, max = 24): string {
  const chars = Array.from(text);
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : text;
}

const AGGREGATE_LABELS: { [key: string]: string } = {
  sum: 'Sum of %1',
  mean: 'Average %1',
  median: 'Median %1',
  min: 'Minimum %1',
  max: 'Maximum %1',
  count: 'Count of %1',
  distinct: 'Distinct %1'
};

/**
 * A human title for a field reference, e.g. "Sum of revenue", "order_date (month)".
 */
export function refTitle(ref: IFieldRef | IResultField): string {
  if (ref.title) {
    return String(ref.title);
  }
  const column =
    ('field' in ref ? ref.field : undefined) ??
    ('column' in ref ? ref.column : undefined);
  const aggregate = ref.aggregate ?? null;
  if (!column) {
    return aggregate === 'count' || !aggregate ? 'Count of records' : '';
  }
  let title = String(column);
  if (ref.timeUnit) {
    title = `${title} (${ref.timeUnit})`;
  }
  if (ref.bin) {
    title = `${title} (binned)`;
  }
  if (aggregate) {
    title = (AGGREGATE_LABELS[aggregate] ?? `${aggregate} %1`).replace(
      '%1',
      title
    );
  }
  return title;
}

/**
 * The compact shorthand of a field reference, as the Python API writes it:
 * `sum(revenue)`, `month(order_date)`, `bin(price)`, `count()`.
 */
export function refShorthand(ref: IFieldRef): string {
  const field = ref.field ?? '';
  let text = field;
  if (ref.bin) {
    text = `bin(${text})`;
  }
  if (ref.timeUnit) {
    text = `${ref.timeUnit}(${text})`;
  }
  if (ref.aggregate) {
    text = `${ref.aggregate}(${text})`;
  }
  return text;
}

/**
 * Format one value for hover text, tables and facet labels (not escaped).
 */
export function formatValue(value: unknown, type?: string): string {
  if (value === null || value === undefined) {
    return '(null)';
  }
  if (typeof value === 'number') {
    if (type === 'integer' || Number.isInteger(value)) {
      return value.toLocaleString('en-US');
    }
    return value.toLocaleString('en-US', { maximumFractionDigits: 4 });
  }
  if (typeof value === 'string' && (type === 'date' || type === 'datetime')) {
    return value.replace(/T00:00:00(\.0+)?$/, '').replace('T', ' ');
  }
  return String(value);
}

const FORMULA_START = /^[=+\-@\t\r\n]/;

/**
 * A CSV of a result's columns: RFC 4180 quoting, and text cells that a
 * spreadsheet would run as a formula prefixed with `'` (like dataset exports).
 */
export function toCSV(
  columns: ReadonlyArray<{ title: string; values: ReadonlyArray<unknown> }>
): string {
  const cell = (value: unknown, isHeader = false): string => {
    if (value === null || value === undefined) {
      return '';
    }
    let text = String(value);
    if ((typeof value === 'string' || isHeader) && FORMULA_START.test(text)) {
      text = `'${text}`;
    }
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const rows = columns.length
    ? Math.max(...columns.map(c => c.values.length))
    : 0;
  const lines = [columns.map(c => cell(c.title, true)).join(',')];
  for (let i = 0; i < rows; i++) {
    lines.push(columns.map(c => cell(c.values[i])).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

/**
 * A file name stem from a chart's title, safe on every OS.
 */
export function fileStem(spec: IChartSpec | null): string {
  const base = (spec?.title || 'chart').replace(/[^\w.\- ]+/g, '_').trim();
  return base.slice(0, 100) || 'chart';
}
