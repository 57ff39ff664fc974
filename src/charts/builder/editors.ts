/**
 * The editors a shelf pill opens: its aggregation / bin / time-unit menu and
 * the filter condition form. They return DOM; the builder applies the choice.
 */
import { el, option } from '../../dom';
import {
  parseValue,
  readValue,
  ValueChecklist,
  valueInput,
  writeValue
} from '../filtercontrols';
import { FilterValues } from '../filtervalues';
import { formatValue } from '../text';
import { IFilterCondition } from '../types';
import { IPillOption } from './pills';

/**
 * The filter conditions offered, with their labels.
 */
export const FILTER_CMPS: ReadonlyArray<[string, string]> = [
  ['in', 'is one of'],
  ['not_in', 'is not one of'],
  ['eq', '='],
  ['ne', '≠'],
  ['lt', '<'],
  ['le', '≤'],
  ['gt', '>'],
  ['ge', '≥'],
  ['between', 'between'],
  ['contains', 'contains'],
  ['is_null', 'is empty'],
  ['not_null', 'is not empty']
];

/**
 * One condition on the filter shelf; `value` is null until the user sets it.
 */
export interface IFilterState extends IFilterCondition {
  value: unknown;
}

/**
 * The menu of a pill's options; `onPick` gets the chosen one.
 */
export function pillMenu(
  options: IPillOption[],
  onPick: (choice: IPillOption) => void
): HTMLElement {
  const menu = el('div', 'jp-LiveGraphs-pillMenu', { role: 'menu' });
  let group = '';
  for (const choice of options) {
    if (choice.group !== group) {
      group = choice.group;
      menu.appendChild(el('div', 'jp-LiveGraphs-pillMenuGroup', group));
    }
    const item = el('button', 'jp-LiveGraphs-pillMenuItem', choice.label, {
      type: 'button',
      role: 'menuitemradio',
      'aria-checked': String(choice.checked)
    });
    item.addEventListener('click', () => onPick(choice));
    menu.appendChild(item);
  }
  return menu;
}

/**
 * A filter pill's text, e.g. "region is one of EMEA, APAC".
 */
export function filterText(filter: IFilterState, type: string): string {
  const cmp = FILTER_CMPS.find(([c]) => c === filter.cmp)?.[1] ?? filter.cmp;
  let text = `${filter.column} ${cmp}`;
  if (
    filter.value === null &&
    filter.cmp !== 'is_null' &&
    filter.cmp !== 'not_null'
  ) {
    text += ' …';
  } else if (Array.isArray(filter.value)) {
    text += ` ${filter.value.map(v => formatValue(v, type)).join(filter.cmp === 'between' ? ' and ' : ', ')}`;
  } else if (filter.value !== null && filter.value !== undefined) {
    text += ` ${formatValue(filter.value, type)}`;
  }
  return text;
}

/**
 * The conditions offered for a column of `type`.
 */
export function filterCmps(type: string): ReadonlyArray<[string, string]> {
  const allowed =
    type === 'string'
      ? ['in', 'not_in', 'eq', 'ne', 'contains', 'is_null', 'not_null']
      : type === 'boolean'
        ? ['in', 'not_in', 'eq', 'is_null', 'not_null']
        : FILTER_CMPS.map(([c]) => c).filter(c => c !== 'contains');
  return FILTER_CMPS.filter(([c]) => allowed.includes(c));
}

/**
 * The form that edits a filter's condition with controls of the column's
 * type: a values checklist for "is one of", two bounds for "between", one
 * value otherwise. `values` lists the column's values and extent; without
 * it the lists are typed as text. `onApply` gets the new filter.
 */
export function filterEditor(
  filter: IFilterState,
  type: string,
  onApply: (filter: IFilterState) => void,
  values: FilterValues | null = null
): HTMLFormElement {
  const form = el('form', 'jp-LiveGraphs-filterEditor', {
    'aria-label': `Filter ${filter.column}`
  });
  const heading = el('div', 'jp-LiveGraphs-pillMenuGroup', filter.column);
  const cmp = el('select', '', { 'aria-label': 'Condition' });
  const cmps = [...filterCmps(type)];
  // A condition the spec already holds stays on offer.
  const held = FILTER_CMPS.find(([c]) => c === filter.cmp);
  if (held && !cmps.includes(held)) {
    cmps.push(held);
  }
  cmp.append(...cmps.map(([value, label]) => option(value, label)));
  cmp.value = cmps.some(([c]) => c === filter.cmp) ? filter.cmp : cmps[0][0];
  const body = el('div', 'jp-LiveGraphs-filterBody');
  let read: () => unknown = () => null;
  // What the user set is carried across condition changes where it fits.
  let current: unknown = filter.value;

  const show = () => {
    const c = cmp.value;
    if (c === 'is_null' || c === 'not_null') {
      body.replaceChildren();
      read = () => null;
    } else if (c === 'in' || c === 'not_in') {
      [read] = listControl(body, filter.column, type, current, values);
    } else if (c === 'between') {
      [read] = boundsControl(body, filter.column, type, current, values);
    } else {
      [read] = singleControl(body, type, current);
    }
  };
  cmp.addEventListener('change', () => {
    current = read();
    show();
  });
  show();
  const apply = el('button', '', 'Apply', { type: 'submit' });
  form.append(heading, cmp, body, apply);
  form.addEventListener('submit', event => {
    event.preventDefault();
    let c = cmp.value;
    let value = c === 'is_null' || c === 'not_null' ? null : read();
    if (c === 'between' && Array.isArray(value)) {
      // One bound is a one-sided condition.
      const [lo, hi] = value;
      if (lo === null && hi === null) {
        value = null;
      } else if (hi === null) {
        [c, value] = ['ge', lo];
      } else if (lo === null) {
        [c, value] = ['le', hi];
      }
    }
    onApply({ column: filter.column, cmp: c, value });
  });
  return form;
}

/**
 * "Is one of": the values checklist, or a comma-separated list when no
 * values can be fetched.
 */
function listControl(
  body: HTMLElement,
  column: string,
  type: string,
  current: unknown,
  values: FilterValues | null
): [() => unknown] {
  const selected = Array.isArray(current)
    ? current
    : current === null || current === undefined
      ? []
      : [current];
  if (values) {
    const list = new ValueChecklist({
      load: search => values.values(column, search),
      type,
      selected
    });
    body.replaceChildren(list.node);
    return [() => list.selected];
  }
  const input = el('input', '', { type: 'text', 'aria-label': 'Value' });
  input.value = selected.join(', ');
  const hint = el(
    'div',
    'jp-LiveGraphs-filterHint',
    'Values separated by commas'
  );
  body.replaceChildren(input, hint);
  return [
    () => {
      const typed = input.value
        .split(',')
        .filter(p => p.trim() !== '')
        .map(p => parseValue(p, type));
      return typed.length ? typed : null;
    }
  ];
}

/**
 * "Between": two inputs of the column's type, filled with its smallest and
 * largest values until the user sets them.
 */
function boundsControl(
  body: HTMLElement,
  column: string,
  type: string,
  current: unknown,
  values: FilterValues | null
): [() => unknown] {
  const lo = valueInput(type, 'Minimum');
  const hi = valueInput(type, 'Maximum');
  const pair = Array.isArray(current) && current.length === 2 ? current : null;
  if (pair) {
    writeValue(lo, pair[0], type);
    writeValue(hi, pair[1], type);
  } else if (values) {
    void values.extent(column).then(
      extent => {
        // Only fill what the user has not typed into meanwhile.
        if (lo.value === '' && hi.value === '') {
          writeValue(lo, extent.min, type);
          writeValue(hi, extent.max, type);
        }
      },
      () => undefined
    );
  }
  const and = el('span', 'jp-LiveGraphs-filterHint', 'and');
  body.replaceChildren(lo, and, hi);
  return [() => [readValue(lo, type), readValue(hi, type)]];
}

/**
 * One value: an input of the column's type, or true / false.
 */
function singleControl(
  body: HTMLElement,
  type: string,
  current: unknown
): [() => unknown] {
  const value = Array.isArray(current) ? current[0] : current;
  if (type === 'boolean') {
    const select = el('select', '', { 'aria-label': 'Value' });
    select.append(option('true'), option('false'));
    select.value = value === false ? 'false' : 'true';
    body.replaceChildren(select);
    return [() => select.value === 'true'];
  }
  const input = valueInput(type, 'Value');
  writeValue(input, value, type);
  body.replaceChildren(input);
  return [() => readValue(input, type)];
}
