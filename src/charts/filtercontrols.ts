/**
 * Typed filter controls, shared by the builder's filter editor and the
 * dashboard filters: a checklist of a column's values (with their counts, a
 * search box and select all / none) and inputs of the column's type
 * (numbers, dates, dates with times). Values keep their types: numbers stay
 * numbers, dates are ISO text the engine accepts.
 */
import { el } from '../dom';
import { IValueList, VALUES_LIMIT } from './filtervalues';
import { formatValue } from './text';

/**
 * The `<input type>` for values of a column type.
 */
export function inputType(type: string): string {
  if (type === 'integer' || type === 'float') {
    return 'number';
  }
  if (type === 'date') {
    return 'date';
  }
  return type === 'datetime' ? 'datetime-local' : 'text';
}

/**
 * An input for one value of a column of `type`.
 */
export function valueInput(type: string, label: string): HTMLInputElement {
  const input = el('input', '', {
    type: inputType(type),
    'aria-label': label
  });
  if (type === 'integer') {
    input.step = '1';
  } else if (type === 'float') {
    input.step = 'any';
  } else if (type === 'datetime') {
    input.step = '1';
  }
  return input;
}

/**
 * The value an input holds, typed for the column; null when empty or not
 * a value of the type.
 */
export function readValue(input: HTMLInputElement, type: string): unknown {
  return parseValue(input.value, type);
}

/**
 * Text typed for a column of `type` as a typed value; null when empty or
 * not a number where one is needed.
 */
export function parseValue(raw: string, type: string): unknown {
  const text = raw.trim();
  if (text === '') {
    return null;
  }
  if (type === 'integer' || type === 'float') {
    const n = Number(text);
    return Number.isFinite(n) ? n : null;
  }
  if (type === 'boolean') {
    return text.toLowerCase() === 'true';
  }
  if (type === 'datetime' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(text)) {
    return `${text}:00`;
  }
  return text;
}

/**
 * Show a typed value in an input of the column's type.
 */
export function writeValue(
  input: HTMLInputElement,
  value: unknown,
  type: string
): void {
  if (value === null || value === undefined) {
    input.value = '';
  } else if (type === 'date') {
    input.value = String(value).slice(0, 10);
  } else if (type === 'datetime') {
    input.value = String(value).replace(' ', 'T').slice(0, 19);
  } else {
    input.value = String(value);
  }
}

const key = (value: unknown) => JSON.stringify(value);

/**
 * A "filter by values" list: a checkbox per value with its count.
 *
 * The list loads itself; values picked that the list does not hold (kept
 * from before, or past the cut) stay picked and are listed first.
 */
export class ValueChecklist {
  constructor(options: ValueChecklist.IOptions) {
    this._load = options.load;
    this._type = options.type ?? '';
    this._onChange = options.onChange ?? null;
    for (const value of options.selected) {
      this._selected.set(key(value), value);
    }
    const node = el('div', 'jp-LiveGraphs-valueList', {
      role: 'group',
      'aria-label': 'Values'
    });
    this.node = node;

    this._search = el('input', '', {
      type: 'search',
      placeholder: 'Search',
      'aria-label': 'Search values'
    });
    this._search.addEventListener('input', () => this._onSearch());
    this._search.addEventListener('keydown', event => {
      // Enter searches; it does not submit the editor around the list.
      if (event.key === 'Enter') {
        event.preventDefault();
      }
    });
    const actions = el('div', 'jp-LiveGraphs-valueListActions');
    const all = this._button('All', 'Select all values', true);
    const none = this._button('None', 'Select no values', false);
    actions.append(all, none);
    this._status = el('div', 'jp-LiveGraphs-filterHint', { role: 'status' });
    this._list = el('ul', 'jp-LiveGraphs-valueListItems');
    node.append(this._search, actions, this._status, this._list);
    void this._fetch('');
  }

  readonly node: HTMLElement;

  /**
   * The values picked, typed as the data holds them.
   */
  get selected(): unknown[] {
    return [...this._selected.values()];
  }

  /**
   * Resolves when the list on show has loaded.
   */
  get ready(): Promise<void> {
    return this._pending;
  }

  private _button(text: string, label: string, pick: boolean) {
    const button = el('button', '', text, {
      type: 'button',
      'aria-label': label
    });
    button.addEventListener('click', () => {
      for (const box of this._visibleBoxes()) {
        const value = this._shown.get(box.dataset.key!);
        box.checked = pick;
        if (pick) {
          this._selected.set(box.dataset.key!, value);
        } else {
          this._selected.delete(box.dataset.key!);
        }
      }
      this._changed();
    });
    return button;
  }

  private _visibleBoxes(): HTMLInputElement[] {
    return Array.from(
      this._list.querySelectorAll<HTMLInputElement>('li:not([hidden]) input')
    );
  }

  private _changed(): void {
    this._onChange?.(this.selected);
  }

  private _onSearch(): void {
    const text = this._search.value.trim();
    if (this._cut && this._type === 'string') {
      // The list is cut: ask the engine for values holding the text.
      if (this._timer) {
        clearTimeout(this._timer);
      }
      this._timer = setTimeout(() => void this._fetch(text), 250);
    }
    this._applySearch();
  }

  private _applySearch(): void {
    const text = this._search.value.trim().toLowerCase();
    for (const item of Array.from(this._list.children) as HTMLElement[]) {
      item.hidden = !!text && !item.dataset.text!.toLowerCase().includes(text);
    }
  }

  private async _fetch(search: string): Promise<void> {
    const ticket = ++this._ticket;
    this._status.textContent = 'Loading values…';
    const loading = this._load(search).then(
      list => {
        if (ticket !== this._ticket) {
          return;
        }
        if (!search) {
          this._cut = list.cut;
        }
        this._render(list);
        this._status.textContent = list.cut
          ? `Showing the ${VALUES_LIMIT.toLocaleString('en-US')} most frequent values; search to find others.`
          : list.values.length
            ? ''
            : 'No values.';
      },
      reason => {
        if (ticket === this._ticket) {
          this._status.textContent = `Could not load the values: ${
            reason instanceof Error ? reason.message : String(reason)
          }`;
        }
      }
    );
    this._pending = loading;
    await loading;
  }

  private _render(list: IValueList): void {
    this._type = this._type || list.type;
    const items = [...list.values].sort(
      (a, b) =>
        b.count - a.count ||
        formatValue(a.value, this._type).localeCompare(
          formatValue(b.value, this._type)
        )
    );
    const listed = new Set(items.map(item => key(item.value)));
    const kept = [...this._selected.entries()]
      .filter(([k]) => !listed.has(k))
      .map(([, value]) => ({ value, count: null as number | null }));
    this._shown.clear();
    this._list.replaceChildren(
      ...[...kept, ...items].map(({ value, count }) => {
        const k = key(value);
        this._shown.set(k, value);
        const text = formatValue(value, this._type);
        const item = el('li');
        item.dataset.text = text;
        const label = el('label');
        const box = el('input', '', { type: 'checkbox', 'aria-label': text });
        box.dataset.key = k;
        box.checked = this._selected.has(k);
        box.addEventListener('change', () => {
          if (box.checked) {
            this._selected.set(k, value);
          } else {
            this._selected.delete(k);
          }
          this._changed();
        });
        const name = el('span', 'jp-LiveGraphs-valueListName', text);
        const counted = el(
          'span',
          'jp-LiveGraphs-valueListCount',
          count === null ? '' : count.toLocaleString('en-US')
        );
        label.append(box, name, counted);
        item.appendChild(label);
        return item;
      })
    );
    this._applySearch();
  }

  private _load: (search: string) => Promise<IValueList>;
  private _type: string;
  private _onChange: ((selected: unknown[]) => void) | null;
  private _selected = new Map<string, unknown>();
  private _shown = new Map<string, unknown>();
  private _search: HTMLInputElement;
  private _status: HTMLElement;
  private _list: HTMLUListElement;
  private _cut = false;
  private _ticket = 0;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _pending: Promise<void> = Promise.resolve();
}

/**
 * A namespace for `ValueChecklist` statics.
 */
export namespace ValueChecklist {
  export interface IOptions {
    /**
     * Load the values (narrowed to those containing `search`, if given).
     */
    load: (search: string) => Promise<IValueList>;

    /**
     * The column type, for showing values; by default the one the values
     * come with.
     */
    type?: string;

    /**
     * The values picked to begin with.
     */
    selected: ReadonlyArray<unknown>;

    /**
     * Called after each change with the values picked.
     */
    onChange?: (selected: unknown[]) => void;
  }
}
