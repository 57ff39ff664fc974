/**
 * The builder's row of chart controls: the mark (automatic or chosen), the
 * mark's options (stack, orientation, donut), the analytics (trend line,
 * forecast), sort, top N and the title.
 */
import { el, option } from '../../dom';
import { IEncoding, Mark, MARKS } from '../types';
import { AnalyticsControl } from './overlays';
import { ColumnOf } from './showme';
import { ShelfState } from './state';

/**
 * The sort choices: `by:order`, or empty for the engine's default order.
 */
const SORTS: ReadonlyArray<[string, string]> = [
  ['', 'Default'],
  ['x:ascending', 'X ascending'],
  ['x:descending', 'X descending'],
  ['y:ascending', 'Y ascending'],
  ['y:descending', 'Y descending']
];

function control(label: string): HTMLLabelElement {
  return el('label', 'jp-LiveGraphs-builderControl', label);
}

/**
 * The controls, writing into a `ShelfState`; `onChange` runs after each edit.
 */
export class ChartControls {
  constructor(state: ShelfState, onChange: () => void) {
    this._state = state;
    this._onChange = onChange;

    const markLabel = control('Mark');
    this._markSelect = el('select', 'jp-LiveGraphs-markPicker');
    this._markSelect.addEventListener('change', () => {
      this._state.mark = this._markSelect.value as Mark | 'auto';
      onChange();
    });
    markLabel.appendChild(this._markSelect);

    const titleLabel = control('Title');
    this._titleInput = el('input', 'jp-LiveGraphs-titleInput', {
      type: 'text',
      placeholder: 'Chart title'
    });
    this._titleInput.addEventListener('change', () => {
      this._state.title = this._titleInput.value.trim();
      onChange();
    });
    titleLabel.appendChild(this._titleInput);

    this._optionsBox = el('div', 'jp-LiveGraphs-markOptions');
    const sortLabel = control('Sort');
    this._sortSelect = el('select', 'jp-LiveGraphs-sortPicker');
    this._sortSelect.append(...SORTS.map(([v, text]) => option(v, text)));
    this._sortSelect.addEventListener('change', () => {
      const [by, order] = this._sortSelect.value.split(':');
      if (by) {
        this._state.carry.sort = {
          by,
          order: order as 'ascending' | 'descending'
        };
      } else {
        delete this._state.carry.sort;
      }
      onChange();
    });
    sortLabel.appendChild(this._sortSelect);

    const limitLabel = control('Top');
    this._limitInput = el('input', 'jp-LiveGraphs-limitInput', {
      type: 'number',
      min: '1',
      placeholder: 'all'
    });
    this._limitInput.addEventListener('change', () => {
      const n = Math.floor(Number(this._limitInput.value));
      if (this._limitInput.value.trim() && Number.isFinite(n) && n > 0) {
        this._state.carry.limit = n;
      } else {
        delete this._state.carry.limit;
      }
      onChange();
    });
    limitLabel.appendChild(this._limitInput);

    this._analytics = new AnalyticsControl(state, onChange);

    this.node = el('div', 'jp-LiveGraphs-builderTop');
    this.node.append(
      markLabel,
      this._optionsBox,
      this._analytics.node,
      sortLabel,
      limitLabel,
      titleLabel
    );
  }

  readonly node: HTMLElement;

  /**
   * Show the state: `suggestion` is the mark the shelves suggest, `mark`
   * the one the chart is drawn with (null: no chart yet).
   */
  render(
    suggestion: Mark | null,
    mark: Mark | null,
    encoding: IEncoding = {},
    columnOf: ColumnOf = () => undefined
  ): void {
    const state = this._state;
    const select = this._markSelect;
    const auto = option(
      'auto',
      suggestion ? `Automatic (${suggestion})` : 'Automatic'
    );
    select.replaceChildren(
      auto,
      ...MARKS.map(m => option(m, m === suggestion ? `${m} (suggested)` : m))
    );
    select.value = state.mark;
    select.dataset.suggested = suggestion ?? '';
    // A remote change does not overwrite what someone is typing.
    if (
      this._titleInput.value !== state.title &&
      document.activeElement !== this._titleInput
    ) {
      this._titleInput.value = state.title;
    }
    const sort = state.carry.sort;
    const sortValue = sort ? `${sort.by}:${sort.order}` : '';
    if (!SORTS.some(([value]) => value === sortValue) && sort) {
      // A sort by another column, from a spec: keep it selectable.
      this._sortSelect.appendChild(
        option(sortValue, `${sort.by} ${sort.order}`)
      );
    }
    this._sortSelect.value = sortValue;
    if (document.activeElement !== this._limitInput) {
      this._limitInput.value =
        state.carry.limit === undefined ? '' : String(state.carry.limit);
    }
    this._renderMarkOptions(mark);
    this._analytics.render(mark, encoding, columnOf);
  }

  private _renderMarkOptions(mark: Mark | null): void {
    const controls: HTMLElement[] = [];
    const choice = (
      label: string,
      key: 'stack' | 'orientation',
      values: string[]
    ) => {
      const wrap = control(label);
      const select = el('select');
      select.append(...values.map(v => option(v)));
      select.value = (this._state.options[key] as string) ?? values[0];
      select.addEventListener('change', () => {
        (this._state.options as any)[key] = select.value;
        this._onChange();
      });
      wrap.appendChild(select);
      controls.push(wrap);
    };
    if (mark === 'bar' || mark === 'area') {
      choice(
        'Stack',
        'stack',
        mark === 'bar'
          ? ['grouped', 'stacked', 'normalized']
          : ['stacked', 'normalized', 'grouped']
      );
    }
    if (mark === 'bar' || mark === 'box') {
      choice('Orientation', 'orientation', ['vertical', 'horizontal']);
    }
    if (mark === 'pie') {
      const wrap = control('');
      const box = el('input', '', { type: 'checkbox' });
      box.checked = !!this._state.options.hole;
      box.addEventListener('change', () => {
        this._state.options.hole = box.checked ? 0.5 : 0;
        this._onChange();
      });
      wrap.append(box, document.createTextNode('Donut'));
      controls.push(wrap);
    }
    this._optionsBox.replaceChildren(...controls);
  }

  private _state: ShelfState;
  private _onChange: () => void;
  private _markSelect: HTMLSelectElement;
  private _titleInput: HTMLInputElement;
  private _sortSelect: HTMLSelectElement;
  private _limitInput: HTMLInputElement;
  private _optionsBox: HTMLElement;
  private _analytics: AnalyticsControl;
}
