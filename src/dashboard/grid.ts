/**
 * The dashboard grid both hosts draw, the JupyterLab dashboard panel and the
 * notebook `lg.Dashboard` widget: chart cells placed on a 12-column grid of
 * 64 px rows, their titles, the spec each cell queries (its own, plus the
 * dashboard filters and the other charts' selections), the cross-filter
 * wiring, and the filter bar's bookkeeping.
 *
 * Like `../charts/`, it imports nothing from `@jupyterlab/*`, so the widget
 * bundle uses it too; each host adds only what is its own.
 */
import { MessageLoop } from '@lumino/messaging';
import { ISignal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { IChartDraft, ISpan } from '../charts/types';
import { el, setChildren } from '../dom';
import {
  describeSelection,
  effectiveSpec,
  ISelection,
  selectionFor
} from './crossfilter';
import { IChartLayout, IDashboardChart, IDashboardFilter } from './types';

/**
 * The number of grid columns of a dashboard.
 */
export const GRID_COLUMNS = 12;

/**
 * The height of one grid row, in pixels (matches the stylesheet).
 */
export const ROW_HEIGHT = 64;

/**
 * The gap between grid cells, in pixels (matches the stylesheet).
 */
export const GAP = 8;

/**
 * What a dashboard cell draws its chart with: a widget with a settable spec.
 * `ChartView` is one; it may also report cross-filter selections.
 */
export interface IChartCellView extends Widget {
  spec: IChartDraft | null;
  readonly selectionChanged?: ISignal<any, IChartCellView.IPick | null>;
  /**
   * A mark was clicked (its x value, and where on the page).
   */
  readonly pointClicked?: ISignal<any, IChartCellView.IPoint>;
  /**
   * Markers to draw at x values (pinned comment threads).
   */
  markers?: { x: unknown; label: string }[];
  /**
   * Forget the marks picked in it (it then reports a null pick).
   */
  clearSelection?(): void;
}

/**
 * A namespace for `IChartCellView` types.
 */
export namespace IChartCellView {
  /**
   * A clicked mark.
   */
  export interface IPoint {
    x: unknown;
    y?: number;
    clientX: number;
    clientY: number;
  }

  /**
   * Marks picked in a chart: values of one channel's field, or a range.
   */
  export interface IPick {
    channel: string;
    values?: unknown[];
    range?: [unknown, unknown];
    /**
     * On binned and time-unit axes, the values each picked mark stands for.
     */
    spans?: ISpan[];
  }
}

/**
 * One chart cell: a section with a header (the title) and a body the view
 * is attached to.
 */
export interface IGridCell<V extends IChartCellView = IChartCellView> {
  id: string;
  node: HTMLElement;
  header: HTMLElement;
  title: HTMLElement;
  body: HTMLElement;
  view: V;
  /**
   * The effective spec last given to the view, as JSON.
   */
  lastSpec: string;
}

/**
 * The cells of a dashboard on the grid, and the selections made in them.
 *
 * `T` is what a host adds to each cell (its buttons, shelves…), `V` the
 * view its cells draw with.
 */
export class DashboardGrid<
  T extends object = object,
  V extends IChartCellView = IChartCellView
> {
  constructor(options: DashboardGrid.IOptions<T, V>) {
    this._options = options;
    this.node = el('div', 'jp-LiveGraphs-DashboardGrid');
    this.node.style.setProperty('--lg-grid-columns', String(GRID_COLUMNS));
  }

  /**
   * The grid element.
   */
  readonly node: HTMLElement;

  /**
   * The cross-filter selections by the chart they were made in (this
   * viewer's own; they are not saved in the file).
   */
  get selections(): ReadonlyMap<string, ISelection> {
    return this._selections;
  }

  /**
   * The cells, in reading order of the last render.
   */
  get cells(): ReadonlyMap<string, IGridCell<V> & T> {
    return this._cells;
  }

  /**
   * Set (or clear, with null) the selection made in a chart; a selection is
   * kept only while the dashboard cross-filters. Tells the host.
   */
  setSelection(chartId: string, selection: ISelection | null): void {
    if (selection && this._options.crossfilter()) {
      this._selections.set(chartId, selection);
    } else {
      this._selections.delete(chartId);
    }
    this._options.onSelection();
  }

  /**
   * Forget the selection made in a chart, and the marks picked in it.
   */
  clearSelection(chartId: string): void {
    const view = this._cells.get(chartId)?.view;
    if (view?.clearSelection) {
      view.clearSelection(); // reports a null pick: setSelection(id, null)
    }
    if (this._selections.has(chartId)) {
      this.setSelection(chartId, null);
    }
  }

  /**
   * Forget every selection and the marks picked in every chart (the host
   * redraws).
   */
  clearSelections(): void {
    this._selections.clear();
    for (const cell of this._cells.values()) {
      cell.view.clearSelection?.();
    }
  }

  /**
   * Draw the charts in the order given (reading order), each on its layout,
   * with its effective spec; cells of charts no longer given go.
   */
  render(
    charts: ReadonlyArray<[string, IDashboardChart]>,
    filters: ReadonlyArray<IDashboardFilter>
  ): void {
    const ids = new Set(charts.map(([id]) => id));
    for (const [id, cell] of this._cells) {
      if (!ids.has(id)) {
        cell.view.dispose();
        cell.node.remove();
        this._cells.delete(id);
        this._selections.delete(id);
      }
    }
    charts.forEach(([id, { spec, layout }], index) => {
      let cell = this._cells.get(id);
      if (!cell) {
        cell = this._createCell(id);
        this._cells.set(id, cell);
      }
      // DOM order = reading order. Move a node only when out of place: a node
      // taken out of the document loses its pointer capture, which would end
      // a drag of its header whenever a remote edit arrived.
      const slot = this.node.children[index] ?? null;
      if (slot !== cell.node) {
        this.node.insertBefore(cell.node, slot);
      }
      this.place(cell, layout);
      cell.title.textContent = spec.title || spec.mark || 'Chart';
      const effective = effectiveSpec(id, spec, filters, this._selections);
      const key = JSON.stringify(effective);
      if (key !== cell.lastSpec) {
        cell.lastSpec = key;
        cell.body.dataset.spec = key;
        cell.view.spec = effective;
      }
    });
  }

  /**
   * Put a cell on the grid at `layout` (in cells).
   */
  place(cell: IGridCell<V>, layout: IChartLayout): void {
    cell.node.style.gridColumn = `${layout.x + 1} / span ${layout.w}`;
    cell.node.style.gridRow = `${layout.y + 1} / span ${layout.h}`;
    cell.node.dataset.layout = `${layout.x},${layout.y},${layout.w},${layout.h}`;
  }

  /**
   * Attach the views not attached yet (call once the host is in the page).
   */
  attachViews(): void {
    for (const cell of this._cells.values()) {
      if (!cell.view.isAttached) {
        Widget.attach(cell.view, cell.body);
      }
    }
  }

  /**
   * Tell the attached views their size may have changed.
   */
  resizeViews(): void {
    for (const cell of this._cells.values()) {
      if (cell.view.isAttached) {
        MessageLoop.sendMessage(cell.view, Widget.ResizeMessage.UnknownSize);
      }
    }
  }

  dispose(): void {
    for (const cell of this._cells.values()) {
      cell.view.dispose();
    }
    this._cells.clear();
  }

  private _createCell(id: string): IGridCell<V> & T {
    const node = el('section', 'jp-LiveGraphs-DashboardCell', {
      'data-chart-id': id,
      'aria-label': 'Chart'
    });
    const header = el('header', 'jp-LiveGraphs-DashboardCellHeader');
    const title = el('span', 'jp-LiveGraphs-DashboardCellTitle');
    header.append(title);
    const body = el('div', 'jp-LiveGraphs-DashboardCellBody');
    node.append(header, body);
    const view = this._options.createView(id);
    view.selectionChanged?.connect((_, pick) => {
      const spec = this._options.specOf(id);
      const selection =
        pick && spec
          ? selectionFor(spec, pick.channel, {
              ...(pick.range
                ? { range: pick.range }
                : { values: pick.values ?? [] }),
              spans: pick.spans
            })
          : null;
      this.setSelection(id, selection);
    });
    const base: IGridCell<V> = {
      id,
      node,
      header,
      title,
      body,
      view,
      lastSpec: ''
    };
    const cell = Object.assign(base, this._options.decorate(base));
    this.node.appendChild(node);
    if (this._options.isAttached()) {
      Widget.attach(view, body);
    }
    return cell;
  }

  private _options: DashboardGrid.IOptions<T, V>;
  private _cells = new Map<string, IGridCell<V> & T>();
  private _selections = new Map<string, ISelection>();
}

/**
 * A namespace for `DashboardGrid` options.
 */
export namespace DashboardGrid {
  export interface IOptions<T, V extends IChartCellView> {
    /**
     * Make the view a chart's cell draws with.
     */
    createView: (chartId: string) => V;

    /**
     * Add the host's own parts to a new cell; answers them, to be kept on it.
     */
    decorate: (cell: IGridCell<V>) => T;

    /**
     * A chart's own spec as stored, or null once it is gone.
     */
    specOf: (chartId: string) => IChartDraft | null;

    /**
     * Whether the dashboard cross-filters now.
     */
    crossfilter: () => boolean;

    /**
     * Whether the host is in the page (new views are attached at once).
     */
    isAttached: () => boolean;

    /**
     * Called after a selection changed: the host redraws.
     */
    onSelection: () => void;
  }
}

/**
 * The cross-filter selections of a dashboard as chips, each with a button
 * that removes it, and a button that clears them all; hidden while there
 * is none.
 */
export class SelectionBar {
  constructor(options: SelectionBar.IOptions) {
    this._options = options;
    this.node = el('div', 'jp-LiveGraphs-DashboardSelections', {
      role: 'group',
      'aria-label': 'Filtered by'
    });
    this.node.hidden = true;
  }

  readonly node: HTMLElement;

  /**
   * Show `selections` (by the chart they were made in); `titleOf` names a
   * chart.
   */
  render(
    selections: ReadonlyMap<string, ISelection>,
    titleOf: (chartId: string) => string
  ): void {
    const key = JSON.stringify([...selections]);
    if (key === this._key) {
      return;
    }
    this._key = key;
    this.node.hidden = selections.size === 0;
    const chips = [...selections].map(([id, selection]) => {
      const text = describeSelection(selection);
      const chip = el('span', 'jp-LiveGraphs-DashboardChip', {
        'data-chart-id': id,
        title: `Picked in ${titleOf(id)}`
      });
      const label = el('span', 'jp-LiveGraphs-DashboardChipLabel', text);
      const remove = el('button', 'jp-LiveGraphs-DashboardChipRemove', '×', {
        type: 'button',
        'aria-label': `Remove selection ${text}`,
        title: 'Remove this selection'
      });
      remove.addEventListener('click', () => this._options.remove(id));
      chip.append(label, remove);
      return chip;
    });
    const clear = el(
      'button',
      'jp-Button jp-mod-minimal jp-LiveGraphs-DashboardClearSelections',
      'Clear',
      {
        type: 'button',
        'aria-label': 'Clear selections',
        title: 'Clear every cross-filter selection (Escape)'
      }
    );
    clear.addEventListener('click', () => this._options.clear());
    this.node.replaceChildren(
      el('span', 'jp-LiveGraphs-DashboardSelectionsLabel', 'Filtered by'),
      ...chips,
      clear
    );
  }

  private _options: SelectionBar.IOptions;
  private _key = '';
}

/**
 * A namespace for `SelectionBar` options.
 */
export namespace SelectionBar {
  export interface IOptions {
    /**
     * Remove the selection made in a chart.
     */
    remove: (chartId: string) => void;

    /**
     * Remove every selection.
     */
    clear: () => void;
  }
}

/**
 * Let Escape clear a dashboard's selections: `host` takes the focus when a
 * chart in it is clicked (Plotly's plot does not), and on Escape calls
 * `clear`, which answers whether there was anything to clear.
 */
export function clearOnEscape(host: HTMLElement, clear: () => boolean): void {
  if (host.tabIndex < 0 && !host.hasAttribute('tabindex')) {
    host.tabIndex = -1;
  }
  host.addEventListener('pointerdown', event => {
    const target = event.target as Element | null;
    if (
      target?.closest('.jp-LiveGraphs-chartPlot') &&
      !host.contains(document.activeElement)
    ) {
      host.focus({ preventScroll: true });
    }
  });
  host.addEventListener('keydown', event => {
    // Escape in a box being typed in is that box's.
    const field = (event.target as Element | null)?.closest(
      'input, select, textarea'
    );
    if (event.key === 'Escape' && !field && clear()) {
      event.preventDefault();
      event.stopPropagation();
    }
  });
}

/**
 * The filter bar: one control group per dashboard filter, kept while its
 * shape (kind, column…) stays the same so that values being typed survive.
 */
export class FilterBar {
  constructor(options: FilterBar.IOptions) {
    this._options = options;
    this.node = el('div', 'jp-LiveGraphs-DashboardFilters', {
      role: 'group',
      'aria-label': 'Dashboard filters'
    });
  }

  readonly node: HTMLElement;

  render(filters: ReadonlyArray<IDashboardFilter>): void {
    const existing = new Map<string, HTMLElement>();
    for (const node of Array.from(
      this.node.querySelectorAll<HTMLElement>('[data-filter-id]')
    )) {
      existing.set(node.dataset.filterId!, node);
    }
    const nodes = filters.map(f => {
      let node = existing.get(f.id);
      const shape = this._options.shape(f);
      if (!node || node.dataset.shape !== shape) {
        node = el('div', 'jp-LiveGraphs-DashboardFilter', {
          'data-filter-id': f.id,
          'data-shape': shape
        });
        node.append(...this._options.controls(f));
      }
      this._options.update(node, f);
      return node;
    });
    setChildren(this.node, nodes);
  }

  private _options: FilterBar.IOptions;
}

/**
 * A namespace for `FilterBar` options.
 */
export namespace FilterBar {
  export interface IOptions {
    /**
     * What, when it changes, rebuilds a filter's controls.
     */
    shape: (filter: IDashboardFilter) => string;

    /**
     * A filter's controls.
     */
    controls: (filter: IDashboardFilter) => Node[];

    /**
     * Show a filter's value in its controls (those not being edited).
     */
    update: (node: HTMLElement, filter: IDashboardFilter) => void;
  }
}
