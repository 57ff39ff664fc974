/**
 * The dashboard editor: a toolbar, the filter bar and a 12-column grid of
 * charts, all drawn from (and written to) the shared `DashboardDoc`.
 */
import { Message } from '@lumino/messaging';
import { ISignal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { AWARENESS_FIELD, peerBadge, peersOf } from '../presence';
import { AGGREGATES, IChartClient, MARKS } from '../charts/types';
import { effectiveSpec, ISelection, selectionFor } from './crossfilter';
import { valueControls, valuesSummary } from './filtervalues';
import { DashboardDoc, GRID_COLUMNS } from './model';
import {
  IChartLayout,
  IDashboardFilter,
  IFieldRef,
  ISpan,
  ISpec
} from './types';

export { AWARENESS_FIELD };

const SHELVES = ['x', 'y', 'color', 'size'];
const INLINE_AGGREGATES = ['', ...AGGREGATES];

/**
 * What a dashboard cell draws its chart with: a widget with a settable spec.
 * `ChartView` is one; it may also report cross-filter selections.
 */
export interface IChartCellView extends Widget {
  spec: ISpec | null;
  readonly selectionChanged?: ISignal<any, IChartCellView.IPick | null>;
}

/**
 * A namespace for `IChartCellView` types.
 */
export namespace IChartCellView {
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
 * The view used when no chart renderer is given: a text summary of the spec.
 */
export class SpecSummary extends Widget implements IChartCellView {
  constructor() {
    super();
    this.addClass('jp-LiveGraphs-DashboardSummary');
  }

  get spec(): ISpec | null {
    return this._spec;
  }
  set spec(spec: ISpec | null) {
    this._spec = spec;
    const enc = spec?.encoding ?? {};
    const shelves = Object.entries(enc).map(
      ([channel, ref]) =>
        `${channel}: ${ref.aggregate ? `${ref.aggregate}(${ref.field ?? ''})` : (ref.field ?? '')}`
    );
    const conditions = (spec?.filters ?? []).length;
    this.node.textContent = [
      spec?.mark ?? 'bar',
      ...shelves,
      conditions ? `${conditions} filter(s)` : ''
    ]
      .filter(Boolean)
      .join(' · ');
    this.node.dataset.spec = JSON.stringify(spec);
  }

  private _spec: ISpec | null = null;
}

interface ICell {
  node: HTMLElement;
  header: HTMLElement;
  title: HTMLElement;
  badges: HTMLElement;
  shelves: HTMLElement;
  body: HTMLElement;
  view: IChartCellView;
  lastSpec: string;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  attrs: Record<string, string> = {}
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  for (const [k, v] of Object.entries(attrs)) {
    node.setAttribute(k, v);
  }
  return node;
}

function button(label: string, className: string, onClick: () => void) {
  const b = el('button', `jp-Button jp-mod-minimal ${className}`, {
    type: 'button'
  });
  b.textContent = label;
  b.addEventListener('click', onClick);
  return b;
}

/**
 * A dashboard: a grid of charts with filters, edited by everyone in the room.
 */
export class DashboardPanel extends Widget {
  constructor(options: DashboardPanel.IOptions) {
    super();
    this.addClass('jp-LiveGraphs-Dashboard');
    this._doc = options.doc;
    this._createView = options.createChartView ?? (() => new SpecSummary());
    this._openInBuilder = options.openInBuilder ?? null;
    this._client = options.client ?? null;

    const toolbar = el('div', 'jp-LiveGraphs-DashboardToolbar');
    this._titleInput = el('input', 'jp-LiveGraphs-DashboardTitle', {
      'aria-label': 'Dashboard title'
    });
    this._titleInput.addEventListener('change', () => {
      this._doc.title = this._titleInput.value;
    });
    this._datasetInput = el('input', 'jp-LiveGraphs-DashboardDataset', {
      'aria-label': 'Dataset for new charts and filters',
      placeholder: 'dataset'
    });
    const crossLabel = el('label', 'jp-LiveGraphs-DashboardCross');
    this._crossInput = el('input', '', { type: 'checkbox' });
    this._crossInput.addEventListener('change', () => {
      this._doc.crossfilter = this._crossInput.checked;
      if (!this._crossInput.checked) {
        this._selections.clear();
      }
      this._render();
    });
    crossLabel.append(
      this._crossInput,
      document.createTextNode(' Cross-filter')
    );
    this._people = el('div', 'jp-LiveGraphs-DashboardPeople', {
      'aria-label': 'People here'
    });
    toolbar.append(
      this._titleInput,
      this._datasetInput,
      button('Add chart', 'jp-LiveGraphs-DashboardAddChart', () =>
        this.addChart()
      ),
      button('Add filter', 'jp-LiveGraphs-DashboardAddFilter', () =>
        this._addFilter()
      ),
      crossLabel,
      this._people
    );

    this._filterBar = el('div', 'jp-LiveGraphs-DashboardFilters', {
      role: 'group',
      'aria-label': 'Dashboard filters'
    });
    this._grid = el('div', 'jp-LiveGraphs-DashboardGrid');
    this._grid.style.setProperty('--lg-grid-columns', String(GRID_COLUMNS));
    this.node.append(toolbar, this._filterBar, this._grid);

    this._doc.changed.connect(this._render, this);
    this._doc.awareness?.on('change', this._onAwareness);
    this._render();
  }

  get doc(): DashboardDoc {
    return this._doc;
  }

  /**
   * The cross-filter selections by the chart they were made in (this
   * viewer's own; they are not saved in the file).
   */
  get selections(): ReadonlyMap<string, ISelection> {
    return this._selections;
  }

  /**
   * Set (or clear, with null) the selection made in a chart.
   */
  setSelection(chartId: string, selection: ISelection | null): void {
    if (selection && this._doc.crossfilter) {
      this._selections.set(chartId, selection);
    } else {
      this._selections.delete(chartId);
    }
    this._render();
  }

  /**
   * Add a chart on the dataset named in the toolbar; answers its id.
   */
  addChart(spec?: ISpec): string {
    const dataset = this._datasetInput.value.trim();
    const id = this._doc.addChart(
      spec ?? {
        version: 1,
        dataset: dataset ? { name: dataset } : null,
        mark: 'bar',
        encoding: {}
      }
    );
    this._setEditing(id);
    return id;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._doc.changed.disconnect(this._render, this);
    this._doc.awareness?.off('change', this._onAwareness);
    for (const cell of this._cells.values()) {
      cell.view.dispose();
    }
    this._cells.clear();
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    for (const cell of this._cells.values()) {
      if (!cell.view.isAttached) {
        Widget.attach(cell.view, cell.body);
      }
    }
  }

  protected onBeforeDetach(msg: Message): void {
    this._setEditing(null);
    super.onBeforeDetach(msg);
  }

  private _onAwareness = (): void => {
    this._renderPeople();
  };

  private _renderPeople(): void {
    const me = this._doc.awareness?.clientID;
    const peers = peersOf(this._doc.awareness);
    this._people.replaceChildren(...peers.map(p => peerBadge(p)));
    for (const [id, cell] of this._cells) {
      const editors = peers.filter(p => p.chart === id && p.clientId !== me);
      cell.badges.replaceChildren(...editors.map(p => peerBadge(p)));
      cell.node.classList.toggle('jp-mod-peerEditing', editors.length > 0);
    }
  }

  private _setEditing(chartId: string | null): void {
    this._editing = chartId;
    this._doc.awareness?.setLocalStateField(AWARENESS_FIELD, {
      chart: chartId
    });
    this._render();
  }

  private _render(): void {
    if (this.isDisposed) {
      return;
    }
    const doc = this._doc;
    if (document.activeElement !== this._titleInput) {
      this._titleInput.value = doc.title;
    }
    this._crossInput.checked = doc.crossfilter;
    this.node.dataset.crossfilter = String(doc.crossfilter);
    const filters = doc.getFilters();
    this._renderFilters(filters);

    const ids = doc.chartIds();
    for (const [id, cell] of this._cells) {
      if (!ids.includes(id)) {
        cell.view.dispose();
        cell.node.remove();
        this._cells.delete(id);
        this._selections.delete(id);
      }
    }
    ids.forEach((id, index) => {
      const chart = doc.getChart(id)!;
      let cell = this._cells.get(id);
      if (!cell) {
        cell = this._createCell(id);
        this._cells.set(id, cell);
      }
      // DOM order = reading order. Move a node only when out of place: a node
      // taken out of the document loses its pointer capture, which would end
      // a drag of its header whenever a remote edit arrived.
      const slot = this._grid.children[index] ?? null;
      if (slot !== cell.node) {
        this._grid.insertBefore(cell.node, slot);
      }
      // A cell being dragged shows where it would land, not the stored layout.
      this._placeCell(cell, this._dragging.get(id) ?? chart.layout);
      cell.title.textContent = chart.spec.title || chart.spec.mark || 'Chart';
      cell.node.classList.toggle('jp-mod-editing', this._editing === id);
      this._renderShelves(id, cell, chart.spec);
      const spec = effectiveSpec(id, chart.spec, filters, this._selections);
      const key = JSON.stringify(spec);
      if (key !== cell.lastSpec) {
        cell.lastSpec = key;
        cell.body.dataset.spec = key;
        cell.view.spec = spec;
      }
    });
    this._renderPeople();
  }

  private _placeCell(cell: ICell, layout: IChartLayout): void {
    cell.node.style.gridColumn = `${layout.x + 1} / span ${layout.w}`;
    cell.node.style.gridRow = `${layout.y + 1} / span ${layout.h}`;
    cell.node.dataset.layout = `${layout.x},${layout.y},${layout.w},${layout.h}`;
  }

  private _createCell(id: string): ICell {
    const node = el('section', 'jp-LiveGraphs-DashboardCell', {
      'data-chart-id': id,
      'aria-label': 'Chart'
    });
    const header = el('header', 'jp-LiveGraphs-DashboardCellHeader', {
      title: 'Drag to move'
    });
    const title = el('span', 'jp-LiveGraphs-DashboardCellTitle');
    const badges = el('span', 'jp-LiveGraphs-DashboardCellBadges');
    const edit = button('Edit', 'jp-LiveGraphs-DashboardEdit', () =>
      this._setEditing(this._editing === id ? null : id)
    );
    const remove = button('Remove', 'jp-LiveGraphs-DashboardRemove', () => {
      if (this._editing === id) {
        this._setEditing(null);
      }
      this._doc.removeChart(id);
    });
    edit.setAttribute('aria-label', 'Edit chart');
    remove.setAttribute('aria-label', 'Remove chart');
    header.append(title, badges, edit);
    const openInBuilder = this._openInBuilder;
    if (openInBuilder) {
      const open = button('Builder', 'jp-LiveGraphs-DashboardOpenBuilder', () =>
        openInBuilder(id)
      );
      open.setAttribute('aria-label', 'Open in builder');
      open.title = 'Open this chart in the drag-and-drop builder';
      header.append(open);
    }
    header.append(remove);
    const shelves = el('div', 'jp-LiveGraphs-DashboardShelves', {
      role: 'group',
      'aria-label': 'Shelves'
    });
    const body = el('div', 'jp-LiveGraphs-DashboardCellBody');
    const resize = el('div', 'jp-LiveGraphs-DashboardResize', {
      title: 'Drag to resize',
      'aria-label': 'Resize chart'
    });
    node.append(header, shelves, body, resize);

    const view = this._createView();
    view.selectionChanged?.connect((_, pick) => {
      const spec = this._doc.getChart(id)?.spec;
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
    if (this.isAttached) {
      this._grid.appendChild(node);
      Widget.attach(view, body);
    }
    this._dragHandle(id, header, node, 'move');
    this._dragHandle(id, resize, node, 'resize');
    return { node, header, title, badges, shelves, body, view, lastSpec: '' };
  }

  /**
   * Move (header) or resize (corner) a chart by whole grid cells; the layout
   * is written once, when the pointer is released.
   */
  private _dragHandle(
    id: string,
    handle: HTMLElement,
    node: HTMLElement,
    mode: 'move' | 'resize'
  ): void {
    handle.addEventListener('pointerdown', (event: PointerEvent) => {
      if (
        event.button !== 0 ||
        (event.target as HTMLElement).closest('button')
      ) {
        return;
      }
      const start = this._doc.getChart(id)?.layout;
      if (!start) {
        return;
      }
      event.preventDefault();
      handle.setPointerCapture?.(event.pointerId);
      const grid = this._grid.getBoundingClientRect();
      const colWidth = grid.width / GRID_COLUMNS;
      const rowHeight = DashboardPanel.ROW_HEIGHT + DashboardPanel.GAP;
      const x0 = event.clientX;
      const y0 = event.clientY;
      let next = start;
      this._dragging.set(id, start);
      node.classList.add('jp-mod-dragging');
      const onMove = (e: PointerEvent) => {
        const dx = Math.round((e.clientX - x0) / colWidth);
        const dy = Math.round((e.clientY - y0) / rowHeight);
        next =
          mode === 'move'
            ? { ...start, x: start.x + dx, y: start.y + dy }
            : { ...start, w: start.w + dx, h: start.h + dy };
        next = {
          x: Math.max(0, Math.min(GRID_COLUMNS - 1, next.x)),
          y: Math.max(0, next.y),
          w: Math.max(1, next.w),
          h: Math.max(1, next.h)
        };
        next.w = Math.min(next.w, GRID_COLUMNS - next.x);
        this._dragging.set(id, next);
        this._placeCell(this._cells.get(id)!, next);
      };
      const onUp = () => {
        handle.removeEventListener('pointermove', onMove);
        handle.removeEventListener('pointerup', onUp);
        handle.removeEventListener('pointercancel', onUp);
        handle.removeEventListener('lostpointercapture', onUp);
        this._dragging.delete(id);
        node.classList.remove('jp-mod-dragging');
        if (!this._doc.getChart(id)) {
          return; // removed by someone else meanwhile
        }
        this._doc.setLayout(id, next);
        this._render();
      };
      handle.addEventListener('pointermove', onMove);
      handle.addEventListener('pointerup', onUp);
      handle.addEventListener('pointercancel', onUp);
      handle.addEventListener('lostpointercapture', onUp);
    });
  }

  private _renderShelves(id: string, cell: ICell, spec: ISpec): void {
    if (this._editing !== id) {
      cell.shelves.replaceChildren();
      return;
    }
    if (!cell.shelves.childElementCount) {
      cell.shelves.append(...this._createShelves(id));
    }
    // Show others' edits without disturbing the field being typed in.
    for (const input of Array.from(
      cell.shelves.querySelectorAll<HTMLInputElement | HTMLSelectElement>(
        '[data-key]'
      )
    )) {
      if (input === document.activeElement) {
        continue;
      }
      const [kind, channel, part] = input.dataset.key!.split(':');
      let value = '';
      if (kind === 'spec') {
        const v = channel === 'dataset' ? spec.dataset?.name : spec[channel];
        value = typeof v === 'string' ? v : '';
      } else {
        const ref = spec.encoding?.[channel];
        value = String((ref as any)?.[part] ?? '');
      }
      if (input.value !== value) {
        input.value = value;
      }
    }
  }

  private _createShelves(id: string): HTMLElement[] {
    const rows: HTMLElement[] = [];
    const field = (label: string, control: HTMLElement) => {
      const wrap = el('label', 'jp-LiveGraphs-DashboardShelf');
      const text = el('span');
      text.textContent = label;
      wrap.append(text, control);
      rows.push(wrap);
    };
    const title = el('input', '', {
      'aria-label': 'Chart title',
      'data-key': 'spec:title'
    });
    title.addEventListener('change', () =>
      this._doc.setSpecField(id, 'title', title.value || undefined)
    );
    field('Title', title);
    const dataset = el('input', '', {
      'aria-label': 'Chart dataset',
      'data-key': 'spec:dataset'
    });
    dataset.addEventListener('change', () =>
      this._doc.setSpecField(
        id,
        'dataset',
        dataset.value ? { name: dataset.value } : undefined
      )
    );
    field('Dataset', dataset);
    const mark = el('select', '', {
      'aria-label': 'Mark',
      'data-key': 'spec:mark'
    });
    for (const m of MARKS) {
      const option = el('option');
      option.value = option.textContent = m;
      mark.appendChild(option);
    }
    mark.addEventListener('change', () =>
      this._doc.setSpecField(id, 'mark', mark.value)
    );
    field('Mark', mark);
    for (const channel of SHELVES) {
      const wrap = el('span', 'jp-LiveGraphs-DashboardShelfPair');
      const input = el('input', '', {
        'aria-label': `${channel} field`,
        'data-key': `enc:${channel}:field`,
        placeholder: 'column'
      });
      const agg = el('select', '', {
        'aria-label': `${channel} aggregate`,
        'data-key': `enc:${channel}:aggregate`
      });
      for (const a of INLINE_AGGREGATES) {
        const option = el('option');
        option.value = a;
        option.textContent = a || '—';
        agg.appendChild(option);
      }
      const write = () => {
        const ref: IFieldRef = {};
        if (input.value.trim()) {
          ref.field = input.value.trim();
        }
        if (agg.value) {
          ref.aggregate = agg.value;
        }
        this._doc.setEncoding(
          id,
          channel,
          ref.field || ref.aggregate === 'count' ? ref : null
        );
      };
      input.addEventListener('change', write);
      agg.addEventListener('change', write);
      wrap.append(input, agg);
      field(channel, wrap);
    }
    return rows;
  }

  private _addFilter(): void {
    const dataset = this._datasetInput.value.trim();
    this._doc.addFilter({
      kind: 'dropdown',
      dataset,
      column: '',
      value: null
    });
  }

  private _renderFilters(filters: IDashboardFilter[]): void {
    const existing = new Map<string, HTMLElement>();
    for (const node of Array.from(
      this._filterBar.querySelectorAll<HTMLElement>('[data-filter-id]')
    )) {
      existing.set(node.dataset.filterId!, node);
    }
    const nodes = filters.map(f => {
      const node = existing.get(f.id) ?? this._createFilter(f.id);
      existing.delete(f.id);
      this._updateFilter(node, f);
      return node;
    });
    this._filterBar.replaceChildren(...nodes);
  }

  private _createFilter(id: string): HTMLElement {
    const node = el('div', 'jp-LiveGraphs-DashboardFilter', {
      'data-filter-id': id
    });
    return node;
  }

  /**
   * (Re)build a filter's controls when its kind or column changes; otherwise
   * only refresh values not being edited.
   */
  private _updateFilter(node: HTMLElement, f: IDashboardFilter): void {
    const shape = `${f.kind}|${f.dataset}|${f.column}`;
    if (node.dataset.shape !== shape) {
      node.dataset.shape = shape;
      node.replaceChildren(...this._filterControls(f));
    }
    const value = f.value ?? [];
    const inputs = node.querySelectorAll<HTMLInputElement>('[data-part]');
    inputs.forEach(input => {
      if (input === document.activeElement) {
        return;
      }
      const part = input.dataset.part!;
      const v =
        part === 'values'
          ? (value as unknown[]).join(', ')
          : String(value[Number(part)] ?? '');
      if (input.value !== v) {
        input.value = v;
      }
    });
    const summary = node.querySelector<HTMLElement>('[data-summary]');
    if (summary) {
      summary.textContent = valuesSummary(f.value);
    }
    node.dataset.active = String(Array.isArray(f.value) && f.value.length > 0);
  }

  private _filterControls(f: IDashboardFilter): HTMLElement[] {
    const doc = this._doc;
    const kind = el('select', '', { 'aria-label': 'Filter kind' });
    for (const k of ['dropdown', 'range', 'daterange']) {
      const option = el('option');
      option.value = option.textContent = k;
      kind.appendChild(option);
    }
    kind.value = f.kind;
    kind.addEventListener('change', () => {
      doc.transact(() => {
        const yf = this._yfilter(f.id);
        yf?.set('kind', kind.value);
        yf?.set('value', null);
      });
    });
    const column = el('input', '', {
      'aria-label': 'Filter column',
      placeholder: 'column'
    });
    column.value = f.column;
    column.addEventListener('change', () =>
      this._yfilter(f.id)?.set('column', column.value.trim())
    );
    const dataset = el('input', '', {
      'aria-label': 'Filter dataset',
      placeholder: 'dataset'
    });
    dataset.value = f.dataset;
    dataset.addEventListener('change', () =>
      this._yfilter(f.id)?.set('dataset', dataset.value.trim())
    );
    const controls: HTMLElement[] = [
      kind,
      dataset,
      column,
      ...valueControls(
        f,
        this._client,
        () => this._doc.getFilters().find(g => g.id === f.id)?.value ?? null,
        value => doc.setFilterValue(f.id, value)
      )
    ];
    controls.push(
      button('Remove', 'jp-LiveGraphs-DashboardRemoveFilter', () =>
        doc.removeFilter(f.id)
      )
    );
    return controls;
  }

  private _yfilter(id: string) {
    return (this._doc.ydoc.getArray('filters').toArray() as any[]).find(
      m => m.get('id') === id
    );
  }

  private _doc: DashboardDoc;
  private _createView: () => IChartCellView;
  private _openInBuilder: ((chartId: string) => void) | null;
  private _client: IChartClient | null;
  private _titleInput: HTMLInputElement;
  private _datasetInput: HTMLInputElement;
  private _crossInput: HTMLInputElement;
  private _people: HTMLElement;
  private _filterBar: HTMLElement;
  private _grid: HTMLElement;
  private _cells = new Map<string, ICell>();
  private _editing: string | null = null;
  private _selections = new Map<string, ISelection>();
  private _dragging = new Map<string, IChartLayout>();
}

export namespace DashboardPanel {
  export interface IOptions {
    /**
     * The shared dashboard document.
     */
    doc: DashboardDoc;

    /**
     * Make the view a cell draws its chart with; a text summary when omitted.
     */
    createChartView?: () => IChartCellView;

    /**
     * Open a chart in the drag-and-drop builder; without it, cells offer
     * only their inline shelves.
     */
    openInBuilder?: (chartId: string) => void;

    /**
     * What dashboard filters ask for a column's values and range; without
     * one, a dropdown's values are typed as text.
     */
    client?: IChartClient | null;
  }

  /**
   * The height of one grid row, in pixels (matches the stylesheet).
   */
  export const ROW_HEIGHT = 64;

  /**
   * The gap between grid cells, in pixels (matches the stylesheet).
   */
  export const GAP = 8;
}
