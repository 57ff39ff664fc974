/**
 * The editors a shelf pill opens: its aggregation / bin / time-unit menu and
 * the filter condition form. They return DOM; the builder applies the choice.
 */
import { formatValue } from '../text';
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
 * One filter on the filter shelf; `value` is null until the user sets it.
 */
export interface IFilterState {
  column: string;
  cmp: string;
  value: unknown;
}

/**
 * The menu of a pill's options; `onPick` gets the chosen one.
 */
export function pillMenu(
  options: IPillOption[],
  onPick: (option: IPillOption) => void
): HTMLElement {
  const menu = document.createElement('div');
  menu.className = 'jp-LiveGraphs-pillMenu';
  menu.setAttribute('role', 'menu');
  let group = '';
  for (const option of options) {
    if (option.group !== group) {
      group = option.group;
      const heading = document.createElement('div');
      heading.className = 'jp-LiveGraphs-pillMenuGroup';
      heading.textContent = group;
      menu.appendChild(heading);
    }
    const item = document.createElement('button');
    item.type = 'button';
    item.className = 'jp-LiveGraphs-pillMenuItem';
    item.setAttribute('role', 'menuitemradio');
    item.setAttribute('aria-checked', String(option.checked));
    item.textContent = option.label;
    item.addEventListener('click', () => onPick(option));
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
 * The form that edits a filter's condition; `onApply` gets the new filter.
 */
export function filterEditor(
  filter: IFilterState,
  type: string,
  onApply: (filter: IFilterState) => void
): HTMLFormElement {
  const form = document.createElement('form');
  form.className = 'jp-LiveGraphs-filterEditor';
  form.setAttribute('aria-label', `Filter ${filter.column}`);
  const heading = document.createElement('div');
  heading.className = 'jp-LiveGraphs-pillMenuGroup';
  heading.textContent = filter.column;
  const cmp = document.createElement('select');
  cmp.setAttribute('aria-label', 'Condition');
  for (const [value, label] of FILTER_CMPS) {
    if (value === 'contains' && type !== 'string') {
      continue;
    }
    const option = document.createElement('option');
    option.value = value;
    option.textContent = label;
    cmp.appendChild(option);
  }
  cmp.value = filter.cmp;
  const input = document.createElement('input');
  input.type = 'text';
  input.setAttribute('aria-label', 'Value');
  const show = (value: unknown) =>
    Array.isArray(value)
      ? value.join(', ')
      : value === null
        ? ''
        : String(value);
  input.value = show(filter.value);
  const hint = document.createElement('div');
  hint.className = 'jp-LiveGraphs-filterHint';
  const updateHint = () => {
    const c = cmp.value;
    input.disabled = c === 'is_null' || c === 'not_null';
    hint.textContent =
      c === 'in' || c === 'not_in'
        ? 'Values separated by commas'
        : c === 'between'
          ? 'Two values: low, high'
          : '';
  };
  cmp.addEventListener('change', updateHint);
  updateHint();
  const apply = document.createElement('button');
  apply.type = 'submit';
  apply.textContent = 'Apply';
  form.append(heading, cmp, input, hint, apply);
  form.addEventListener('submit', event => {
    event.preventDefault();
    const parse = (text: string): unknown => {
      const t = text.trim();
      if (type === 'integer' || type === 'float') {
        const n = Number(t);
        return t !== '' && Number.isFinite(n) ? n : t;
      }
      if (type === 'boolean') {
        return t.toLowerCase() === 'true';
      }
      return t;
    };
    const c = cmp.value;
    let value: unknown = null;
    if (c === 'in' || c === 'not_in' || c === 'between') {
      const parts = input.value.split(',').filter(p => p.trim() !== '');
      value = parts.length ? parts.map(parse) : null;
    } else if (c !== 'is_null' && c !== 'not_null') {
      value = input.value.trim() === '' ? null : parse(input.value);
    }
    onApply({ column: filter.column, cmp: c, value });
  });
  return form;
}
