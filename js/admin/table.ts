/**
 * A table of rows whose column headers sort it on click.
 */
import { el } from '../../src/dom';
import { cell } from './page';

/**
 * One column: the row's `key` shown as text unless `render` draws the cell.
 */
export interface IColumn<R> {
  key: string;
  label: string;
  render?: (row: R) => string | number | Node | null | undefined;
  /**
   * The value to sort by, when not the row's `key`.
   */
  sort?: (row: R) => unknown;
  sortable?: boolean;
}

/**
 * The sort order of a table, kept across redraws.
 */
export interface ISortState {
  sort: string;
  desc: boolean;
  redraw(): void;
}

function compare(x: any, y: any): number {
  if (x === y) {
    return 0;
  }
  if (x === null || x === undefined) {
    return -1;
  }
  if (y === null || y === undefined) {
    return 1;
  }
  return x < y ? -1 : 1;
}

/**
 * A `table.lg-admin-table` of `rows`, sorted as `state` says.
 */
export function sortableTable<R extends Record<string, any>>(
  caption: string,
  columns: IColumn<R>[],
  rows: R[],
  state: ISortState
): HTMLTableElement {
  const by = columns.find(c => c.key === state.sort) ?? columns[0];
  const get = by.sort ?? ((r: R) => r[by.key]);
  const sorted = [...rows].sort((a, b) => {
    const order = compare(get(a), get(b));
    return state.desc ? -order : order;
  });

  const head = el('tr');
  for (const col of columns) {
    if (col.sortable === false) {
      head.append(cell(col.label, true));
      continue;
    }
    const current = state.sort === col.key;
    const th = cell(null, true);
    th.setAttribute(
      'aria-sort',
      current ? (state.desc ? 'descending' : 'ascending') : 'none'
    );
    const sort = el(
      'button',
      'lg-admin-sort',
      col.label + (current ? (state.desc ? ' ▼' : ' ▲') : '')
    );
    sort.type = 'button';
    sort.addEventListener('click', () => {
      state.desc = current ? !state.desc : false;
      state.sort = col.key;
      state.redraw();
    });
    th.append(sort);
    head.append(th);
  }

  const body = el('tbody');
  for (const row of sorted) {
    const line = el('tr');
    for (const col of columns) {
      line.append(cell(col.render ? col.render(row) : row[col.key]));
    }
    body.append(line);
  }

  const table = el('table', 'lg-admin-table');
  const thead = el('thead');
  thead.append(head);
  table.append(el('caption', undefined, caption), thead, body);
  return table;
}
