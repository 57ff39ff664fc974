/**
 * The dashboard editor: a toolbar, the filter bar and the 12-column grid of
 * charts (`grid.ts`), all drawn from (and written to) the shared
 * `DashboardDoc`. What is the editor's own: editing together (presence,
 * inline shelves, filter settings), dragging cells to move and resize them,
 * and opening a chart in the builder.
 */
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { AWARENESS_FIELD, peerBadge, peersOf } from '../presence';
import { IChartClient, IChartDraft, IFieldRef } from '../charts/types';
import { button, el, option } from '../dom';
import { ISelection } from './crossfilter';
import { valueControls, valuesSummary } from './filtervalues';
import {
  DashboardGrid,
  FilterBar,
  GAP,
  GRID_COLUMNS,
  IChartCellView,
  IGridCell,
  ROW_HEIGHT
} from './grid';
import { CommentsModel } from '../documents/comments';
import { CommentsPane, showPointMenu } from './comments';
import { DashboardDoc } from './model';
import { createShelves, updateShelves } from './shelves';
import { IChartLayout, IDashboardFilter } from './types';

export { AWARENESS_FIELD };

/**
 * The view used when no chart renderer is given: a text summary of the spec.
 */
export class SpecSummary extends Widget implements IChartCellView {
  constructor() {
    super();
    this.addClass('jp-LiveGraphs-DashboardSummary');
  }

  get spec(): IChartDraft | null {
    return this._spec;
  }
  set spec(spec: IChartDraft | null) {
    this._spec = spec;
    const enc = (spec?.encoding ?? {}) as Record<string, IFieldRef>;
    const shelves = Object.entries(enc).map(
      ([channel, ref]) =>
        `${channel}: ${ref.aggregate ? `${ref.aggregate}(${ref.field ?? ''})` : (ref.field ?? '')}`
    );
    const conditions = (spec?.filters ?? []).length;
    this.node.textContent = [
      spec?.mark ?? 'automatic',
      ...shelves,
      conditions ? `${conditions} filter(s)` : ''
    ]
      .filter(Boolean)
      .join(' · ');
    this.node.dataset.spec = JSON.stringify(spec);
  }

  private _spec: IChartDraft | null = null;
}

/**
 * What the editor adds to a grid cell.
 */
interface ICellParts {
  badges: HTMLElement;
  shelves: HTMLElement;
  comments: HTMLButtonElement;
}

function toolButton(label: string, className: string, onClick: () => void) {
  return button(label, `jp-Button jp-mod-minimal ${className}`, onClick);
}

/**
 * A dashboard: a grid of charts with filters, edited by everyone in the room.
 */
export class DashboardPanel extends Widget {
  constructor(options: DashboardPanel.IOptions) {
    super();
    this.addClass('jp-LiveGraphs-Dashboard');
    this._doc = options.doc;
    const createView = options.createChartView ?? (() => new SpecSummary());
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
        this._grid.clearSelections();
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
      toolButton('Add chart', 'jp-LiveGraphs-DashboardAddChart', () =>
        this.addChart()
      ),
      toolButton('Add filter', 'jp-LiveGraphs-DashboardAddFilter', () =>
        this._addFilter()
      ),
      crossLabel,
      this._people
    );

    this._filterBar = new FilterBar({
      shape: f => `${f.kind}|${f.dataset}|${f.column}`,
      controls: f => this._filterControls(f),
      update: (node, f) => this._updateFilter(node, f)
    });
    this._grid = new DashboardGrid<ICellParts>({
      createView: () => createView(),
      decorate: cell => this._decorate(cell),
      specOf: id => this._doc.getChart(id)?.spec ?? null,
      crossfilter: () => this._doc.crossfilter,
      isAttached: () => this.isAttached,
      onSelection: () => this._render()
    });
    this._pane = new CommentsPane({
      chartTitle: id => {
        const spec: any = this._doc.getChart(id)?.spec;
        return typeof spec?.title === 'string' && spec.title ? spec.title : id;
      }
    });
    this.node.append(
      toolbar,
      this._filterBar.node,
      this._grid.node,
      this._pane.node
    );

    this._doc.changed.connect(this._render, this);
    this._doc.awareness?.on('change', this._onAwareness);
    this._render();
  }

  get doc(): DashboardDoc {
    return this._doc;
  }

  /**
   * The comment threads of the dashboard (a dashboard of the store), or null
   * (a file: no comments).
   */
  get comments(): CommentsModel | null {
    return this._comments;
  }
  set comments(model: CommentsModel | null) {
    this._comments?.changed.disconnect(this._renderComments, this);
    this._comments = model;
    model?.changed.connect(this._renderComments, this);
    this._pane.model = model;
    this.toggleClass('jp-mod-comments', model !== null);
    this._renderComments();
  }

  /**
   * Show the comment threads of a chart (with a new thread pinned to
   * `anchor`, if given).
   */
  showComments(
    chartId: string,
    anchor: { x: unknown; y?: number; label?: string } | null = null
  ): void {
    if (this._comments) {
      this._pane.show(chartId, anchor);
    }
  }

  /**
   * Whether the dashboard is only shown (to a viewer): its editing controls
   * are hidden and its charts cannot be moved.
   */
  get readOnly(): boolean {
    return this._readOnly;
  }
  set readOnly(value: boolean) {
    this._readOnly = value;
    this.toggleClass('jp-mod-readOnly', value);
    this._titleInput.readOnly = value;
    this._crossInput.disabled = value;
    this._filterBar.node.inert = value;
    if (value) {
      this._setEditing(null);
    }
  }

  /**
   * The cross-filter selections by the chart they were made in (this
   * viewer's own; they are not saved in the file).
   */
  get selections(): ReadonlyMap<string, ISelection> {
    return this._grid.selections;
  }

  /**
   * Set (or clear, with null) the selection made in a chart.
   */
  setSelection(chartId: string, selection: ISelection | null): void {
    this._grid.setSelection(chartId, selection);
  }

  /**
   * Add a chart on the dataset named in the toolbar; answers its id.
   */
  addChart(spec?: IChartDraft): string {
    const dataset = this._datasetInput.value.trim();
    const id = this._doc.addChart(
      // No mark: it stays automatic until someone picks one.
      spec ?? {
        version: 1,
        dataset: dataset ? { name: dataset } : null,
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
    this.comments = null;
    this._grid.dispose();
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._grid.attachViews();
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
    for (const [id, cell] of this._grid.cells) {
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
    this._filterBar.render(filters);

    // A cell being dragged shows where it would land, not the stored layout.
    const charts = doc.chartIds().map(id => {
      const chart = doc.getChart(id)!;
      const layout = this._dragging.get(id) ?? chart.layout;
      return [id, { ...chart, layout }] as [string, typeof chart];
    });
    this._grid.render(charts, filters);
    for (const [id, { spec }] of charts) {
      const cell = this._grid.cells.get(id)!;
      cell.node.classList.toggle('jp-mod-editing', this._editing === id);
      this._renderShelves(id, cell, spec);
    }
    this._renderPeople();
    this._renderComments();
  }

  /**
   * Comment counts (open threads) on the cells, markers at pinned points,
   * and the pane.
   */
  private _renderComments(): void {
    const model = this._comments;
    for (const [id, cell] of this._grid.cells) {
      const threads = model ? model.threadsOf(id) : [];
      const open = threads.filter(t => !t.resolved);
      cell.comments.textContent = `\u{1F4AC} ${open.length}`;
      cell.comments.dataset.count = String(open.length);
      cell.comments.title = `${open.length} open comment thread${open.length === 1 ? '' : 's'} (${threads.length} in all)`;
      const view = cell.view as IChartCellView;
      view.markers = open
        .filter(t => t.anchor)
        .map(t => ({
          x: t.anchor!.x,
          label: t.comments[0]?.text.slice(0, 80) ?? ''
        }));
    }
    if (this._pane.chart !== null && !this._doc.getChart(this._pane.chart)) {
      this._pane.close();
    }
    this._pane.render();
  }

  /**
   * The editor's parts of a cell: presence badges, its buttons, the inline
   * shelves and the resize corner; the header moves the cell.
   */
  private _decorate(cell: IGridCell): ICellParts {
    const { id, node, header, body } = cell;
    header.title = 'Drag to move';
    const badges = el('span', 'jp-LiveGraphs-DashboardCellBadges');
    const edit = toolButton('Edit', 'jp-LiveGraphs-DashboardEdit', () =>
      this._setEditing(this._editing === id ? null : id)
    );
    const remove = toolButton('Remove', 'jp-LiveGraphs-DashboardRemove', () => {
      if (this._editing === id) {
        this._setEditing(null);
      }
      this._doc.removeChart(id);
    });
    edit.setAttribute('aria-label', 'Edit chart');
    remove.setAttribute('aria-label', 'Remove chart');
    const comments = toolButton(
      '\u{1F4AC} 0',
      'jp-LiveGraphs-CommentButton',
      () => this.showComments(id)
    );
    comments.setAttribute('aria-label', 'Comments');
    cell.view.pointClicked?.connect((_, point) => {
      if (!this._comments) {
        return;
      }
      showPointMenu(node, point.clientX, point.clientY, () =>
        this.showComments(id, {
          x: point.x,
          ...(point.y !== undefined ? { y: point.y } : {})
        })
      );
    });
    header.append(badges, comments, edit);
    const openInBuilder = this._openInBuilder;
    if (openInBuilder) {
      const open = toolButton(
        'Builder',
        'jp-LiveGraphs-DashboardOpenBuilder',
        () => openInBuilder(id)
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
    const resize = el('div', 'jp-LiveGraphs-DashboardResize', {
      title: 'Drag to resize',
      'aria-label': 'Resize chart'
    });
    body.before(shelves);
    node.append(resize);
    this._dragHandle(id, header, node, 'move');
    this._dragHandle(id, resize, node, 'resize');
    return { badges, shelves, comments };
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
        this._readOnly ||
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
      const grid = this._grid.node.getBoundingClientRect();
      const colWidth = grid.width / GRID_COLUMNS;
      const rowHeight = ROW_HEIGHT + GAP;
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
        this._grid.place(this._grid.cells.get(id)!, next);
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

  private _renderShelves(
    id: string,
    cell: ICellParts,
    spec: IChartDraft
  ): void {
    if (this._editing !== id) {
      cell.shelves.replaceChildren();
      return;
    }
    if (!cell.shelves.childElementCount) {
      cell.shelves.append(...createShelves(this._doc, id));
    }
    updateShelves(cell.shelves, spec);
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

  /**
   * Refresh a filter's values not being edited (the filter bar rebuilds its
   * controls when its kind, dataset or column changes).
   */
  private _updateFilter(node: HTMLElement, f: IDashboardFilter): void {
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
    kind.append(...['dropdown', 'range', 'daterange'].map(k => option(k)));
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
      toolButton('Remove', 'jp-LiveGraphs-DashboardRemoveFilter', () =>
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
  private _openInBuilder: ((chartId: string) => void) | null;
  private _client: IChartClient | null;
  private _titleInput: HTMLInputElement;
  private _datasetInput: HTMLInputElement;
  private _crossInput: HTMLInputElement;
  private _people: HTMLElement;
  private _filterBar: FilterBar;
  private _grid: DashboardGrid<ICellParts>;
  private _editing: string | null = null;
  private _readOnly = false;
  private _comments: CommentsModel | null = null;
  private _pane: CommentsPane;
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
}
