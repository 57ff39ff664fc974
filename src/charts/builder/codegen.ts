/**
 * The Python line that recreates a chart: `lg.chart("sales", mark="bar", ...)`.
 */
import { refShorthand } from '../text';
import { IChartSpec, IFieldRef } from '../types';

/**
 * A Python string literal (JSON's escapes are valid Python escapes).
 */
function pyString(text: string): string {
  return JSON.stringify(text);
}

/**
 * A Python literal for a JSON value.
 */
function pyValue(value: unknown): string {
  if (value === null || value === undefined) {
    return 'None';
  }
  if (value === true) {
    return 'True';
  }
  if (value === false) {
    return 'False';
  }
  if (typeof value === 'string') {
    return pyString(value);
  }
  if (typeof value === 'number') {
    return Number.isFinite(value) ? String(value) : 'None';
  }
  if (Array.isArray(value)) {
    return `[${value.map(pyValue).join(', ')}]`;
  }
  const entries = Object.entries(value as object).map(
    ([k, v]) => `${pyString(k)}: ${pyValue(v)}`
  );
  return `{${entries.join(', ')}}`;
}

const SHORTHAND_SAFE = /^[^()]*$/;

/**
 * A channel's value: the shorthand string when it reads back unambiguously,
 * the field-reference dict otherwise.
 */
function pyRef(ref: IFieldRef): string {
  const plain =
    !ref.title &&
    (ref.bin === undefined || ref.bin === true) &&
    SHORTHAND_SAFE.test(ref.field ?? '') &&
    (ref.field !== undefined || ref.aggregate === 'count');
  return plain ? pyString(refShorthand(ref)) : pyValue(ref);
}

/**
 * The Python line for a spec; `dataset` is the name the user knows it by.
 */
export function pythonCode(spec: IChartSpec, dataset?: string): string {
  const name = dataset ?? spec.dataset.name ?? spec.dataset.id ?? '';
  const args: string[] = [pyString(name), `mark=${pyString(spec.mark)}`];
  const enc = spec.encoding;
  for (const channel of [
    'x',
    'y',
    'color',
    'size',
    'row',
    'column',
    'label',
    'latitude',
    'longitude',
    'location'
  ] as const) {
    const ref = enc[channel];
    if (ref) {
      args.push(`${channel}=${pyRef(ref)}`);
    }
  }
  if (enc.tooltip?.length) {
    args.push(`tooltip=[${enc.tooltip.map(pyRef).join(', ')}]`);
  }
  if (spec.filters?.length) {
    args.push(`filters=${pyValue(spec.filters)}`);
  }
  if (spec.sort) {
    args.push(`sort=${pyValue(spec.sort)}`);
  }
  if (spec.limit !== undefined) {
    args.push(`limit=${spec.limit}`);
  }
  if (spec.options && Object.keys(spec.options).length) {
    args.push(`options=${pyValue(spec.options)}`);
  }
  if (spec.title) {
    args.push(`title=${pyString(spec.title)}`);
  }
  if (spec.dataset.version !== undefined) {
    args.push(`version=${spec.dataset.version}`);
  }
  return `lg.chart(${args.join(', ')})`;
}
