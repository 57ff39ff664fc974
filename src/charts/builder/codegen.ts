/**
 * The Python line that recreates a chart: `lg.chart("sales", mark="bar", ...)`,
 * written by the rules in `RULES.pythonCode`, shared with the kernel's
 * `python_code`.
 */
import { RULES } from '../../rules';
import { IChartSpec, IFieldRef } from '../types';
import { given } from './showme';

const CODE = RULES.pythonCode;
const SKIP = new Set(CODE.skip.map(v => JSON.stringify(v)));

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

/**
 * The shorthand of a field reference (`sum(revenue)`, `count()`), or null
 * when only a dict says it exactly.
 */
function shorthand(ref: IFieldRef): string | null {
  const rule = CODE.shorthand;
  const field = ref.field;
  if (field === undefined || field === null) {
    return JSON.stringify(ref) === JSON.stringify(rule.noField)
      ? 'count()'
      : null;
  }
  const keys: ReadonlyArray<string> = rule.keys;
  if (
    Object.keys(ref).some(k => !keys.includes(k)) ||
    (ref.bin !== undefined && ref.bin !== null && ref.bin !== true) ||
    typeof field !== 'string' ||
    [...rule.reserved].some(c => field.includes(c))
  ) {
    return null;
  }
  let text = field;
  for (const key of rule.wrap) {
    const v = ref[key as keyof IFieldRef];
    if (v) {
      // bin(…) is named by its key, the others by their value: sum(…), month(…)
      text = `${v === true ? key : v}(${text})`;
    }
  }
  return text;
}

function pyRef(ref: IFieldRef): string {
  const short = shorthand(ref);
  return short === null ? pyValue(ref) : pyString(short);
}

/**
 * The Python line for a spec; `dataset` is the name the user knows it by.
 */
export function pythonCode(spec: IChartSpec, dataset?: string): string {
  const name = dataset || spec.dataset?.name || spec.dataset?.id || '';
  const mark = spec.mark || CODE.defaultMark;
  // a query's chart: lg.chart(sql="select ...", ...)
  const data = spec.dataset?.sql
    ? `sql=${pyString(spec.dataset.sql)}`
    : pyString(name);
  const args: string[] = [data, `mark=${pyString(mark)}`];
  const enc = (spec.encoding ?? {}) as Record<string, unknown>;
  for (const channel of CODE.channels) {
    const ref = enc[channel];
    if (given(ref)) {
      args.push(`${channel}=${pyRef(ref as IFieldRef)}`);
    }
  }
  for (const channel of CODE.listChannels) {
    const refs = enc[channel] as IFieldRef[] | undefined;
    if (refs?.length) {
      args.push(`${channel}=[${refs.map(pyRef).join(', ')}]`);
    }
  }
  for (const keyword of CODE.keywords) {
    let value: unknown = spec;
    for (const step of keyword.path) {
      value =
        value && typeof value === 'object' && !Array.isArray(value)
          ? (value as Record<string, unknown>)[step]
          : undefined;
    }
    if (!SKIP.has(JSON.stringify(value ?? null))) {
      args.push(`${keyword.name}=${pyValue(value)}`);
    }
  }
  return `${CODE.call}(${args.join(', ')})`;
}
