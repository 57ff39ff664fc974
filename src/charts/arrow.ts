/**
 * Decode a chart result sent as Arrow IPC (the widget's `result` bytes, or the
 * query API with `Accept: application/vnd.apache.arrow.stream`).
 */
import { DataType, Table, tableFromIPC } from 'apache-arrow';

import { IChartResult } from './types';

/**
 * The schema metadata key holding the result without its data.
 */
export const METADATA_KEY = 'livegraphs';

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/**
 * An ISO string without zone, the JSON result's datetime form.
 */
function isoFromMillis(ms: number): string {
  const d = new Date(ms);
  const base =
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  const millis = d.getUTCMilliseconds();
  return millis ? `${base}.${pad(millis, 3)}` : base;
}

function plain(value: unknown, type: DataType): unknown {
  if (value === null || value === undefined) {
    return null;
  }
  if (typeof value === 'bigint') {
    return Number(value);
  }
  if (DataType.isTimestamp(type) || DataType.isDate(type)) {
    const ms =
      value instanceof Date ? value.getTime() : Number(value as number);
    const iso = isoFromMillis(ms);
    return DataType.isDate(type) ? iso.slice(0, 10) : iso;
  }
  if (DataType.isDecimal(type)) {
    return Number(String(value));
  }
  return value;
}

/**
 * The columns of an Arrow table as plain JS arrays (numbers, strings, booleans,
 * ISO date strings, null).
 */
export function tableColumns(table: Table): { [name: string]: unknown[] } {
  const data: { [name: string]: unknown[] } = {};
  for (const field of table.schema.fields) {
    const vector = table.getChild(field.name);
    const values: unknown[] = [];
    if (vector) {
      for (const value of vector) {
        values.push(plain(value, field.type));
      }
    }
    data[field.name] = values;
  }
  return data;
}

/**
 * A chart result from Arrow IPC bytes.
 */
export function resultFromArrow(
  bytes: ArrayBuffer | Uint8Array | DataView
): IChartResult {
  const view =
    bytes instanceof Uint8Array
      ? bytes
      : bytes instanceof DataView
        ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
        : new Uint8Array(bytes);
  const table = tableFromIPC(view);
  const meta = table.schema.metadata.get(METADATA_KEY);
  const rest = meta ? (JSON.parse(meta) as Partial<IChartResult>) : {};
  return {
    spec_version: 1,
    dataset: { id: '', version: 0 },
    fields: [],
    marks: table.numRows,
    source_rows: table.numRows,
    reduction: null,
    ...rest,
    data: tableColumns(table)
  } as IChartResult;
}
