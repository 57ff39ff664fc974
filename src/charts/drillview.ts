/**
 * `DrillDialog`: the rows behind a chart's mark, paged and sortable, under
 * a list of conditions the user can edit, and a record view of one row.
 *
 * Every value is shown as text (`textContent`), never as HTML: a value such
 * as `<a href="javascript:…">` stays those characters and no link is live.
 */
import { Widget } from '@lumino/widgets';

import { button, el, option } from '../dom';
import { FILTER_CMPS, filterText } from './builder/editors';
import { parseValue } from './filtercontrols';
import { IDrillClient, IDrillPage, IDrillRequest } from './drill';
import { formatValue } from './text';
import { IFilter, IFilterCondition } from './types';

/**
 * Rows per page.
 */
export const DRILL_PAGE = 50;

/**
 * The comparisons a condition of one value may be changed to.
 */
const ONE_VALUE = ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'contains'];
const NO_VALUE = ['is_null', 'not_null'];

let dialogs = 0;

/**
 * A dialog over the page: the rows behind one mark.
 *
 * The node's `data-lg-state` is `loading`, `ready` or `error`.
 */
export class DrillDialog extends Widget {
  constructor(options: DrillDialog.IOptions) {
    super();
    this.addClass('jp-LiveGraphs-DrillBackdrop');
    this._client = options.client;
    this._request = options.request;
    const id = `jp-LiveGraphs-DrillTitle-${++dialogs}`;
    const dialog = el('section', 'jp-LiveGraphs-DrillDialog', {
      role: 'dialog',
      'aria-modal': 'true',
      'aria-labelledby': id
    });
    const header = el('header', 'jp-LiveGraphs-DrillHeader');
    header.append(
      el('h2', 'jp-LiveGraphs-DrillTitle', `Rows behind ${options.label}`, {
        id
      }),
      button('Close', 'jp-LiveGraphs-DrillClose', () => this.dispose(), {
        'aria-label': 'Close the rows'
      })
    );
    this._conditions = el('ul', 'jp-LiveGraphs-DrillConditions', {
      'aria-label': 'Conditions'
    });
    this._count = el('div', 'jp-LiveGraphs-DrillCount', { role: 'status' });
    this._error = el('div', 'jp-LiveGraphs-DrillError', { role: 'alert' });
    this._table = el('table', 'jp-LiveGraphs-DrillTable', {
      'aria-label': 'Rows'
    });
    const scroller = el('div', 'jp-LiveGraphs-DrillScroller');
    scroller.appendChild(this._table);
    this._rowsPane = el('div', 'jp-LiveGraphs-DrillRows');
    const pager = el('footer', 'jp-LiveGraphs-DrillPager');
    this._previous = button('Previous', '', () => this._turn(-1), {
      'aria-label': 'Previous page'
    });
    this._next = button('Next', '', () => this._turn(1), {
      'aria-label': 'Next page'
    });
    this._range = el('span', 'jp-LiveGraphs-DrillRange');
    pager.append(this._previous, this._range, this._next);
    this._rowsPane.append(scroller, pager);
    this._record = el('div', 'jp-LiveGraphs-DrillRecord', {
      role: 'region',
      'aria-label': 'Record'
    });
    this._record.hidden = true;
    dialog.append(
      header,
      this._conditions,
      this._count,
      this._error,
      this._rowsPane,
      this._record
    );
    this.node.appendChild(dialog);
    this.node.addEventListener('keydown', this._onKey);
    this.node.addEventListener('pointerdown', event => {
      if (event.target === this.node) {
        this.dispose();
      }
    });
    void this._load(this._request);
  }

  /**
   * Open a dialog over the page and focus it.
   */
  static open(options: DrillDialog.IOptions): DrillDialog {
    const dialog = new DrillDialog(options);
    dialog._opener = document.activeElement as HTMLElement | null;
    Widget.attach(dialog, document.body);
    dialog.node
      .querySelector<HTMLElement>('.jp-LiveGraphs-DrillClose')
      ?.focus();
    return dialog;
  }

  /**
   * The page shown, or null before the first one.
   */
  get page(): IDrillPage | null {
    return this._page;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._controller?.abort();
    const opener = this._opener;
    super.dispose();
    opener?.focus?.();
  }

  /**
   * Ask for a page (the mark's first, or one of the list as edited) and show it.
   */
  private async _load(request: IDrillRequest): Promise<void> {
    this._controller?.abort();
    const controller = new AbortController();
    this._controller = controller;
    this.node.dataset.lgState = 'loading';
    this._error.textContent = '';
    let page: IDrillPage;
    try {
      page = await this._client.drillRows(request, {
        signal: controller.signal
      });
    } catch (reason) {
      if (!controller.signal.aborted && !this.isDisposed) {
        this.node.dataset.lgState = 'error';
        this._error.textContent =
          reason instanceof Error ? reason.message : String(reason);
      }
      return;
    }
    if (controller.signal.aborted || this.isDisposed) {
      return;
    }
    this._page = page;
    this._types = page.types ?? this._types;
    this._filters = [...page.filters];
    this._render();
    this.node.dataset.lgState = 'ready';
  }

  /**
   * The list as edited, from its first row, in the current order.
   */
  private _reload(offset = 0): void {
    if (!this._page) {
      return;
    }
    this._showRows();
    void this._load({
      spec: this._request.spec,
      from: this._page,
      filters: this._filters,
      offset,
      limit: DRILL_PAGE,
      sort: this._sort ?? undefined
    });
  }

  private _turn(step: number): void {
    const page = this._page;
    if (page) {
      this._reload(Math.max(0, page.offset + step * DRILL_PAGE));
    }
  }

  private _render(): void {
    const page = this._page!;
    this._renderConditions(page);
    const first = page.rows.length ? page.offset + 1 : 0;
    const last = page.offset + page.rows.length;
    this._count.textContent = `${page.total.toLocaleString('en-US')} row${page.total === 1 ? '' : 's'}`;
    this._range.textContent = page.total
      ? `Rows ${first.toLocaleString('en-US')}–${last.toLocaleString('en-US')} of ${page.total.toLocaleString('en-US')}`
      : 'No rows';
    this._previous.disabled = page.offset <= 0;
    this._next.disabled = last >= page.total;
    this._renderTable(page);
  }

  private _type(column: string): string {
    const at = this._page?.columns.indexOf(column) ?? -1;
    return at >= 0 ? (this._types[at] ?? '') : '';
  }

  private _renderConditions(page: IDrillPage): void {
    const list = this._conditions;
    list.replaceChildren();
    for (const filter of page.fixed) {
      const item = el('li', 'jp-LiveGraphs-DrillCondition', {
        'data-fixed': 'true'
      });
      item.append(
        el('span', 'jp-LiveGraphs-DrillAlways', 'Always'),
        el('span', 'jp-LiveGraphs-DrillConditionText', describe(filter))
      );
      list.appendChild(item);
    }
    this._filters.forEach((filter, i) =>
      list.appendChild(this._conditionItem(filter, i))
    );
    if (!page.fixed.length && !this._filters.length) {
      list.appendChild(
        el('li', 'jp-LiveGraphs-DrillCondition', 'Every row of the dataset')
      );
    }
  }

  /**
   * One editable condition: its comparison and value for a simple one,
   * its text otherwise; each can be removed.
   */
  private _conditionItem(filter: IFilter, i: number): HTMLElement {
    const item = el('li', 'jp-LiveGraphs-DrillCondition');
    const simple = simpleCondition(filter);
    const remove = button('×', 'jp-LiveGraphs-DrillRemove', () => {
      this._filters.splice(i, 1);
      this._reload();
    });
    if (!simple) {
      remove.setAttribute('aria-label', `Remove condition ${i + 1}`);
      item.append(
        el('span', 'jp-LiveGraphs-DrillConditionText', describe(filter)),
        remove
      );
      return item;
    }
    const column = simple.column;
    remove.setAttribute('aria-label', `Remove the condition on ${column}`);
    const cmp = el('select', 'jp-LiveGraphs-DrillCmp', {
      'aria-label': `Comparison on ${column}`
    });
    const type = this._type(column);
    for (const [value, label] of FILTER_CMPS) {
      const allowed =
        NO_VALUE.includes(value) ||
        (ONE_VALUE.includes(value) &&
          (value !== 'contains' || type === 'string'));
      if (allowed || value === simple.cmp) {
        cmp.appendChild(option(value, label));
      }
    }
    cmp.value = simple.cmp;
    const input = el('input', 'jp-LiveGraphs-DrillValue', {
      type: 'text',
      'aria-label': `Value on ${column}`
    });
    input.value = NO_VALUE.includes(simple.cmp) ? '' : valueText(simple.value);
    input.hidden = NO_VALUE.includes(simple.cmp);
    const apply = () => {
      const next: IFilterCondition = { column, cmp: cmp.value };
      if (!NO_VALUE.includes(cmp.value)) {
        next.value = typedValue(input.value, type, simple.value);
      }
      this._filters[i] = next;
      this._reload();
    };
    cmp.addEventListener('change', () => {
      input.hidden = NO_VALUE.includes(cmp.value);
      if (input.hidden || input.value !== '') {
        apply();
      } else {
        input.focus();
      }
    });
    input.addEventListener('keydown', event => {
      if (event.key === 'Enter') {
        event.preventDefault();
        apply();
      }
    });
    input.addEventListener('change', apply);
    item.append(
      el('span', 'jp-LiveGraphs-DrillColumn', column),
      cmp,
      input,
      remove
    );
    return item;
  }

  private _renderTable(page: IDrillPage): void {
    const head = el('thead');
    const headRow = el('tr');
    headRow.appendChild(el('th', '', { scope: 'col', 'aria-label': 'Record' }));
    page.columns.forEach(column => {
      const order = sortOrder(this._sort, column);
      const th = el('th', '', {
        scope: 'col',
        'aria-sort': order ?? 'none'
      });
      const sort = button(column, 'jp-LiveGraphs-DrillSort', () => {
        // ascending, then descending, then the file's order
        this._sort =
          order === 'ascending'
            ? `-${sortKey(column)}`
            : order === 'descending'
              ? null
              : sortKey(column);
        this._reload();
      });
      sort.title = `Sort by ${column}`;
      th.appendChild(sort);
      headRow.appendChild(th);
    });
    head.appendChild(headRow);
    const body = el('tbody');
    page.rows.forEach((row, i) => {
      const number = page.offset + i + 1;
      const tr = el('tr');
      const open = button('Open', 'jp-LiveGraphs-DrillOpen', () =>
        this._showRecord(page, i)
      );
      open.setAttribute('aria-label', `Open record ${number}`);
      const cell = el('td');
      cell.appendChild(open);
      tr.appendChild(cell);
      row.forEach((value, j) => {
        const td = el('td', '', formatValue(value, page.types?.[j]));
        td.title = valueText(value);
        if (value === null || value === undefined) {
          td.dataset.null = 'true';
        }
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    this._table.replaceChildren(head, body);
  }

  /**
   * One row with every field; long text wraps and scrolls, as text.
   */
  private _showRecord(page: IDrillPage, i: number): void {
    const number = page.offset + i + 1;
    const record = this._record;
    record.replaceChildren();
    record.setAttribute('aria-label', `Record ${number}`);
    const bar = el('div', 'jp-LiveGraphs-DrillRecordBar');
    const back = button('Back to the rows', '', () => this._showRows());
    bar.append(back, el('span', '', `Record ${number} of ${page.total}`));
    const fields = el('dl', 'jp-LiveGraphs-DrillFields');
    page.columns.forEach((column, j) => {
      const value = page.rows[i][j];
      const dd = el('dd', 'jp-LiveGraphs-DrillField');
      const text = el('div', 'jp-LiveGraphs-DrillFieldValue', valueText(value));
      if (value === null || value === undefined) {
        text.dataset.null = 'true';
      }
      dd.appendChild(text);
      fields.append(el('dt', '', column), dd);
    });
    record.append(bar, fields);
    this._rowsPane.hidden = true;
    record.hidden = false;
    back.focus();
  }

  private _showRows(): void {
    this._record.hidden = true;
    this._rowsPane.hidden = false;
  }

  private _onKey = (event: KeyboardEvent): void => {
    if (event.key === 'Escape') {
      event.stopPropagation();
      if (!this._record.hidden) {
        this._showRows();
      } else {
        this.dispose();
      }
    }
  };

  private _client: IDrillClient;
  private _request: IDrillRequest;
  private _page: IDrillPage | null = null;
  private _types: string[] = [];
  private _filters: IFilter[] = [];
  private _sort: string | null = null;
  private _controller: AbortController | null = null;
  private _opener: HTMLElement | null = null;
  private _conditions: HTMLElement;
  private _count: HTMLElement;
  private _error: HTMLElement;
  private _table: HTMLTableElement;
  private _rowsPane: HTMLElement;
  private _record: HTMLElement;
  private _previous: HTMLButtonElement;
  private _next: HTMLButtonElement;
  private _range: HTMLElement;
}

/**
 * A namespace for `DrillDialog` statics.
 */
export namespace DrillDialog {
  export interface IOptions {
    /**
     * What answers the pages.
     */
    client: IDrillClient;
    /**
     * The mark to drill.
     */
    request: IDrillRequest;
    /**
     * The mark in words, e.g. "region: EMEA".
     */
    label: string;
  }
}

/**
 * A condition of one column with at most one value, or null.
 */
function simpleCondition(filter: IFilter): IFilterCondition | null {
  const c = filter as IFilterCondition;
  if (
    typeof c.column !== 'string' ||
    Array.isArray(c.value) ||
    !(ONE_VALUE.includes(c.cmp) || NO_VALUE.includes(c.cmp))
  ) {
    return null;
  }
  return c;
}

/**
 * A condition in words (groups and formulas included).
 */
function describe(filter: IFilter): string {
  if ('formula' in filter) {
    return filter.formula;
  }
  if ('conditions' in filter) {
    const parts = filter.conditions.map(c => describe(c));
    return `(${parts.join(filter.combine === 'or' ? ' or ' : ' and ')})`;
  }
  return filterText({ ...filter, value: filter.value ?? null }, '');
}

/**
 * A value exactly, as text.
 */
function valueText(value: unknown): string {
  if (value === null || value === undefined) {
    return '(null)';
  }
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/**
 * Text typed for a value: a number or true/false where the column (or the
 * value it replaces) is one, else the text.
 */
function typedValue(text: string, type: string, before: unknown): unknown {
  const kind =
    type ||
    (typeof before === 'number'
      ? 'float'
      : typeof before === 'boolean'
        ? 'boolean'
        : 'string');
  if (kind === 'string' || kind === 'date' || kind === 'datetime') {
    return text.trim();
  }
  return parseValue(text, kind) ?? text;
}

/**
 * A column as a sort key, bracketed so any name reads as one.
 */
function sortKey(column: string): string {
  return `[${column.replace(/]/g, ']]')}]`;
}

function sortOrder(
  sort: string | null,
  column: string
): 'ascending' | 'descending' | null {
  if (sort === sortKey(column)) {
    return 'ascending';
  }
  return sort === `-${sortKey(column)}` ? 'descending' : null;
}
