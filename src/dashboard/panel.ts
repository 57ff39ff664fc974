/**
 * The dashboard editor: a toolbar, the filter bar and the 12-column grid of
 * charts (`grid.ts`), all drawn from (and written to) the shared
 * `DashboardDoc`. What is the editor's own: editing together (presence,
 * filter settings), dragging cells to move and resize them, adding charts
 * (new, copied from a chart document or file, or dropped from a builder),
 * and editing a chart, which opens the drag-and-drop builder on its spec.
 */
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { CHART_MIME } from '../charts/doc/widget';
import { AWARENESS_FIELD, peerBadge, peersOf } from '../presence';
import { IChartClient, IChartDraft, IFieldRef } from '../charts/types';
import { button, el, option } from '../dom';
import { IDataset } from '../tokens';
import { datasetKey, ISelection } from './crossfilter';
import {
  askDataset,
  datasetChoices,
  datasetOf,
  fillSelect,
  IDatasetChoice,
  usualDataset
} from './datasets';
import { datasetRef, valueControls, valuesSummary } from './filtervalues';
import {
  clearOnEscape,
  DashboardGrid,
  FilterBar,
  GAP,
  GRID_COLUMNS,
  IChartCellView,
  IGridCell,
  ROW_HEIGHT,
  SelectionBar
} from './grid';
import { CommentsModel } from '../documents/comments';
import {
  commentButton,
  CommentsPane,
  pointAnchor,
  showChartComments,
  showPointMenu
} from '../documents/commentspane';
import { DashboardDoc } from './model';
import { DashboardData, IDocumentSource } from '../documents/data';
import {
  appliedFilters,
  exportButtons,
  gridCharts,
  IExportDashboard
} from '../export/dashboardpdf';
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
    this._pickChart = options.pickChart ?? null;
    this._client = options.client ?? null;
    this._listDatasets = options.listDatasets ?? null;
    this._data = new DashboardData({
      direct: this._client,
      stored: id => this._doc.getChart(id)?.spec ?? null
    });

    const toolbar = el('div', 'jp-LiveGraphs-DashboardToolbar');
    this._titleInput = el('input', 'jp-LiveGraphs-DashboardTitle', {
      'aria-label': 'Dashboard title'
    });
    // Typing marks the box as being edited; until it is committed (change), a
    // remote title does not overwrite it. A box that only has focus follows.
    this._titleInput.addEventListener('input', () => {
      this._titleTyped = true;
    });
    this._titleInput.addEventListener('change', () => {
      this._titleTyped = false;
      this._doc.title = this._titleInput.value;
    });
    // New charts and filters go on this dataset; none picked: Add chart asks.
    this._datasetInput = el('select', 'jp-LiveGraphs-DashboardDataset', {
      'aria-label': 'Dataset for new charts and filters',
      'data-datasets': ''
    });
    this._datasetInput.addEventListener('change', () => {
      this._chosenDataset = this._datasetInput.value;
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
      // A new chart opens in the builder, its editor.
      toolButton(
        'Add chart',
        'jp-LiveGraphs-DashboardAddChart',
        () => void this.addNewChart()
      ),
      ...(this._pickChart
        ? [
            toolButton(
              'Add existing chart',
              'jp-LiveGraphs-DashboardAddExisting',
              () => void this.addExistingChart()
            )
          ]
        : []),
      toolButton('Add filter', 'jp-LiveGraphs-DashboardAddFilter', () =>
        this._addFilter()
      ),
      crossLabel,
      ...exportButtons(() => this.exportData()),
      this._people
    );

    this._filterBar = new FilterBar({
      shape: f => `${f.kind}|${f.dataset}|${f.column}`,
      controls: f => this._filterControls(f),
      update: (node, f) => this._updateFilter(node, f)
    });
    this._grid = new DashboardGrid<ICellParts>({
      createView: id => {
        const view = createView(id, this._data.chartClient(id));
        this._views.set(id, view);
        return view;
      },
      decorate: cell => this._decorate(cell),
      specOf: id => this._doc.getChart(id)?.spec ?? null,
      crossfilter: () => this._doc.crossfilter,
      isAttached: () => this.isAttached,
      onSelection: () => this._render()
    });
    this._selectionBar = new SelectionBar({
      remove: id => this._grid.clearSelection(id),
      clear: () => this.clearSelections()
    });
    this._pane = new CommentsPane({
      chartTitle: id => {
        const spec: any = this._doc.getChart(id)?.spec;
        return typeof spec?.title === 'string' && spec.title ? spec.title : id;
      }
    });
    this.node.append(
      toolbar,
      this._selectionBar.node,
      this._filterBar.node,
      this._grid.node,
      this._pane.node
    );
    // Anywhere on the dashboard (an empty grid is only its padding high).
    this.node.addEventListener('dragover', this._onDragOver);
    this.node.addEventListener('drop', this._onDrop);
    clearOnEscape(this.node, () => {
      const any = this._grid.selections.size > 0;
      this.clearSelections();
      return any;
    });
    // The dataset lists are fetched again when opened, as datasets come and go.
    this.node.addEventListener('focusin', event => {
      if ((event.target as HTMLElement).matches?.('select[data-datasets]')) {
        void this._loadDatasets();
      }
    });

    this._doc.changed.connect(this._render, this);
    this._doc.awareness?.on('change', this._onAwareness);
    this._render();
    void this._loadDatasets();
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
   * The store document this dashboard is, if it is one: its charts and
   * filter values then come through it when the caller may not read their
   * datasets.
   */
  get documentSource(): IDocumentSource | null {
    return this._data.source;
  }
  set documentSource(source: IDocumentSource | null) {
    this._data.source = source;
    for (const [id, view] of this._views) {
      if (view.isDisposed) {
        this._views.delete(id);
      } else {
        // A cell's view, or the chart view inside it (DerivedChartView).
        const chart = ((view as { view?: unknown }).view ?? view) as {
          refresh?: () => Promise<void>;
        };
        void chart.refresh?.();
      }
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
    // A viewer still filters, for themself: the values they pick are their own
    // (as cross-filter selections are), never written to the document.
    this._filterBar.node
      .querySelectorAll<HTMLSelectElement | HTMLButtonElement>('[data-design]')
      .forEach(control => (control.disabled = value));
    if (!value && this._choices.size) {
      this._choices.clear();
      this._render();
    }
  }

  /**
   * The filters as this person sees them: a viewer's own picks in place of
   * the saved values.
   */
  private _filters(): IDashboardFilter[] {
    return this._doc
      .getFilters()
      .map(f =>
        this._choices.has(f.id) ? { ...f, value: this._choices.get(f.id)! } : f
      );
  }

  /**
   * Set filter `id`'s value: in the document, or a viewer's own pick.
   */
  private _setFilterValue(id: string, value: unknown[] | null): void {
    if (!this._readOnly) {
      this._doc.setFilterValue(id, value);
      return;
    }
    this._choices.set(id, value);
    this._render();
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
   * Forget every cross-filter selection of this viewer.
   */
  clearSelections(): void {
    this._grid.clearSelections();
    this._render();
  }

  /**
   * The dashboard as drawn now, for "Export PDF" and "Export PNG".
   */
  exportData(): IExportDashboard {
    const doc = this._doc;
    return {
      title: doc.title || 'Dashboard',
      filters: appliedFilters(this._filters(), this._grid.selections, id => {
        const spec = doc.getChart(id)?.spec;
        return spec?.title || spec?.mark || 'a chart';
      }),
      charts: gridCharts(this._grid.node),
      width: this._grid.node.clientWidth
    };
  }

  /**
   * Add a chart on the dataset picked in the toolbar (or a copy of `spec`,
   * at `layout` when given); answers its id.
   */
  addChart(spec?: IChartDraft, layout?: Partial<IChartLayout>): string {
    const dataset = this._datasetInput.value;
    return this._doc.addChart(
      // No mark: it stays automatic until someone picks one.
      spec ?? {
        version: 1,
        dataset: dataset ? datasetRef(dataset) : null,
        encoding: {}
      },
      layout
    );
  }

  /**
   * "Add chart": a new chart on the toolbar's dataset, or, when none is
   * picked, on the one the user is asked for; it opens in the builder.
   * Answers its id (null when no dataset was given).
   */
  async addNewChart(): Promise<string | null> {
    if (!this._datasetInput.value) {
      await this._loadDatasets();
      const key = await askDataset(this._datasetChoices());
      if (!key || this.isDisposed || this._readOnly) {
        return null;
      }
      this._chosenDataset = key;
      this._renderDatasetPicker();
    }
    const id = this.addChart();
    this._openInBuilder?.(id);
    return id;
  }

  /**
   * Ask for a chart document or file and add a copy of its spec below the
   * others; answers the new chart's id (null when nothing was picked).
   */
  async addExistingChart(): Promise<string | null> {
    const spec = this._pickChart ? await this._pickChart() : null;
    if (!spec || this.isDisposed || this._readOnly) {
      return null;
    }
    return this.addChart(spec);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._doc.changed.disconnect(this._render, this);
    this._doc.awareness?.off('change', this._onAwareness);
    this._datasetsLoading = null;
    this.comments = null;
    this._grid.dispose();
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._grid.attachViews();
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

  /**
   * A chart dragged from a builder may be dropped on the grid.
   */
  private _onDragOver = (event: DragEvent): void => {
    if (this._readOnly || !event.dataTransfer?.types.includes(CHART_MIME)) {
      return;
    }
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
  };

  /**
   * Add a copy of the dropped chart with its top left corner at the grid
   * cell under the pointer (the server moves it down if it overlaps one).
   */
  private _onDrop = (event: DragEvent): void => {
    const data = event.dataTransfer?.getData(CHART_MIME);
    if (this._readOnly || !data) {
      return;
    }
    event.preventDefault();
    let spec: IChartDraft;
    try {
      spec = JSON.parse(data);
    } catch {
      return;
    }
    if (!spec || typeof spec !== 'object' || Array.isArray(spec)) {
      return;
    }
    const grid = this._grid.node;
    const rect = grid.getBoundingClientRect();
    const style = getComputedStyle(grid);
    const left = rect.left + (parseFloat(style.paddingLeft) || 0);
    const top = rect.top + (parseFloat(style.paddingTop) || 0);
    const inner =
      grid.clientWidth -
      (parseFloat(style.paddingLeft) || 0) -
      (parseFloat(style.paddingRight) || 0);
    const w = 6;
    const x = Math.floor(
      (event.clientX - left) / ((inner + GAP) / GRID_COLUMNS)
    );
    const y = Math.floor((event.clientY - top) / (ROW_HEIGHT + GAP));
    this.addChart(spec, {
      x: Math.max(0, Math.min(GRID_COLUMNS - w, x)),
      y: Math.max(0, y),
      w,
      h: 4
    });
  };

  private _render(): void {
    if (this.isDisposed) {
      return;
    }
    const doc = this._doc;
    if (!this._titleTyped || document.activeElement !== this._titleInput) {
      this._titleTyped = false;
      this._titleInput.value = doc.title;
    }
    this._crossInput.checked = doc.crossfilter;
    this.node.dataset.crossfilter = String(doc.crossfilter);
    // A value saved in the document changed: it replaces a viewer's own pick.
    for (const f of doc.getFilters()) {
      const saved = JSON.stringify(f.value ?? null);
      if (this._saved.has(f.id) && this._saved.get(f.id) !== saved) {
        this._choices.delete(f.id);
      }
      this._saved.set(f.id, saved);
    }
    const filters = this._filters();
    this._filterBar.render(filters);

    // A cell being dragged shows where it would land, not the stored layout.
    const charts = doc.chartIds().map(id => {
      const chart = doc.getChart(id)!;
      const layout = this._dragging.get(id) ?? chart.layout;
      return [id, { ...chart, layout }] as [string, typeof chart];
    });
    this._grid.render(charts, filters);
    this._selectionBar.render(this._grid.selections, id => {
      const spec = doc.getChart(id)?.spec;
      return spec?.title || spec?.mark || 'a chart';
    });
    this._renderDatasetPicker();
    this._renderPeople();
    this._renderComments();
  }

  /**
   * The datasets to pick from: the charts' and the readable ones.
   */
  private _datasetChoices(): IDatasetChoice[] {
    const specs = this._doc.chartIds().map(id => this._doc.getChart(id)!.spec);
    return datasetChoices(specs, this._datasets);
  }

  /**
   * The toolbar's dataset: the one picked, else the one the charts use.
   */
  private _renderDatasetPicker(): void {
    const choices = this._datasetChoices();
    const specs = this._doc.chartIds().map(id => this._doc.getChart(id)!.spec);
    const value = this._chosenDataset ?? usualDataset(specs);
    fillSelect(this._datasetInput, 'Choose a dataset', choices, value);
    // The filters' lists too (each keeps its filter's dataset).
    const lists = this._filterBar.node.querySelectorAll<HTMLSelectElement>(
      'select[data-datasets]'
    );
    for (const select of Array.from(lists)) {
      fillSelect(select, 'Choose a dataset', choices, select.value);
    }
  }

  /**
   * Fetch the datasets the user can read (one request at a time).
   */
  private _loadDatasets(): Promise<void> {
    const list = this._listDatasets;
    if (!list) {
      return Promise.resolve();
    }
    if (!this._datasetsLoading) {
      const loading = list()
        .then(
          datasets => {
            if (this._datasetsLoading === loading) {
              this._datasets = datasets;
              this._renderDatasetPicker();
              this._refreshColumnLists();
            }
          },
          () => undefined // the lists keep what they have
        )
        .finally(() => {
          if (this._datasetsLoading === loading) {
            this._datasetsLoading = null;
          }
        });
      this._datasetsLoading = loading;
    }
    return this._datasetsLoading;
  }

  /**
   * The columns of a dataset: as listed, else those the charts on it use.
   */
  private _columnsOf(key: string): string[] {
    const dataset = datasetOf(key, this._datasets);
    if (dataset) {
      return dataset.columns.map(c => c.name);
    }
    const names = new Set<string>();
    for (const id of this._doc.chartIds()) {
      const spec = this._doc.getChart(id)!.spec;
      if (datasetKey(spec) === key) {
        for (const ref of Object.values(spec.encoding ?? {})) {
          for (const r of Array.isArray(ref) ? ref : [ref]) {
            if (r?.field) {
              names.add(r.field);
            }
          }
        }
      }
    }
    return [...names];
  }

  /**
   * Fill the filters' column lists from their datasets' columns.
   */
  private _refreshColumnLists(): void {
    const filters =
      this._filterBar.node.querySelectorAll<HTMLElement>('[data-filter-id]');
    for (const node of Array.from(filters)) {
      const dataset = node.querySelector<HTMLSelectElement>(
        'select[data-datasets]'
      );
      const column = node.querySelector<HTMLSelectElement>(
        'select[data-columns]'
      );
      if (dataset && column) {
        const choices = this._columnsOf(dataset.value).map(name => ({
          key: name,
          label: name
        }));
        fillSelect(column, 'Choose a column', choices, column.value);
      }
    }
  }

  /**
   * Comment counts (open threads) on the cells, markers at pinned points,
   * and the pane.
   */
  private _renderComments(): void {
    const model = this._comments;
    for (const [id, cell] of this._grid.cells) {
      const threads = model ? model.threadsOf(id) : [];
      showChartComments(cell.comments, cell.view as IChartCellView, threads);
    }
    if (this._pane.chart !== null && !this._doc.getChart(this._pane.chart)) {
      this._pane.close();
    }
    this._pane.render();
  }

  /**
   * The editor's parts of a cell: presence badges, its buttons and the
   * resize corner; the header moves the cell. A chart is edited in the
   * drag-and-drop builder, bound to its spec in the shared dashboard.
   */
  private _decorate(cell: IGridCell): ICellParts {
    const { id, node, header } = cell;
    header.title = 'Drag to move';
    const badges = el('span', 'jp-LiveGraphs-DashboardCellBadges');
    const remove = toolButton('Remove', 'jp-LiveGraphs-DashboardRemove', () =>
      this._doc.removeChart(id)
    );
    remove.setAttribute('aria-label', 'Remove chart');
    const comments = commentButton(() => this.showComments(id));
    cell.view.pointClicked?.connect((_, point) => {
      if (this._comments) {
        showPointMenu(comments, () =>
          this.showComments(id, pointAnchor(point))
        );
      }
    });
    header.append(badges, comments);
    const openInBuilder = this._openInBuilder;
    if (openInBuilder) {
      const edit = toolButton('Edit', 'jp-LiveGraphs-DashboardEdit', () =>
        openInBuilder(id)
      );
      edit.setAttribute('aria-label', 'Edit chart');
      edit.title = 'Edit this chart in the drag-and-drop builder';
      header.append(edit);
    }
    header.append(remove);
    const resize = el('div', 'jp-LiveGraphs-DashboardResize', {
      title: 'Drag to resize',
      'aria-label': 'Resize chart'
    });
    node.append(resize);
    this._dragHandle(id, header, node, 'move');
    this._dragHandle(id, resize, node, 'resize');
    return { badges, comments };
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

  private _addFilter(): void {
    const dataset = this._datasetInput.value;
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
    // The filter's design (kind, dataset, column, removal) is the editors';
    // its value anyone may pick.
    const design = { 'data-design': '' };
    const kind = el('select', '', { 'aria-label': 'Filter kind', ...design });
    kind.append(...['dropdown', 'range', 'daterange'].map(k => option(k)));
    kind.value = f.kind;
    kind.addEventListener('change', () => {
      doc.transact(() => {
        const yf = this._yfilter(f.id);
        yf?.set('kind', kind.value);
        yf?.set('value', null);
      });
    });
    // The dataset and the column are picked from lists; a new one starts
    // the filter afresh.
    const dataset = el('select', '', {
      'aria-label': 'Filter dataset',
      'data-datasets': '',
      ...design
    });
    fillSelect(dataset, 'Choose a dataset', this._datasetChoices(), f.dataset);
    dataset.addEventListener('change', () => {
      doc.transact(() => {
        const yf = this._yfilter(f.id);
        yf?.set('dataset', dataset.value);
        yf?.set('column', '');
        yf?.set('value', null);
      });
    });
    const column = el('select', '', {
      'aria-label': 'Filter column',
      'data-columns': '',
      ...design
    });
    fillSelect(
      column,
      'Choose a column',
      this._columnsOf(f.dataset).map(name => ({ key: name, label: name })),
      f.column
    );
    column.addEventListener('change', () => {
      doc.transact(() => {
        const yf = this._yfilter(f.id);
        yf?.set('column', column.value);
        yf?.set('value', null);
      });
    });
    // What a viewer sees instead of the design's lists
    const label = el(
      'span',
      'jp-LiveGraphs-DashboardFilterLabel jp-LiveGraphs-DashboardViewerLabel',
      f.label || f.column || 'Filter'
    );
    const controls: HTMLElement[] = [
      label,
      kind,
      dataset,
      column,
      ...valueControls(
        f,
        this._client ? this._data.filterClient(f.id) : null,
        () => this._filters().find(g => g.id === f.id)?.value ?? null,
        value => this._setFilterValue(f.id, value)
      )
    ];
    const remove = toolButton(
      'Remove',
      'jp-LiveGraphs-DashboardRemoveFilter',
      () => doc.removeFilter(f.id)
    );
    remove.dataset.design = '';
    controls.push(remove);
    for (const control of [kind, dataset, column, remove]) {
      control.disabled = this._readOnly;
    }
    return controls;
  }

  private _yfilter(id: string) {
    return (this._doc.ydoc.getArray('filters').toArray() as any[]).find(
      m => m.get('id') === id
    );
  }

  private _doc: DashboardDoc;
  private _openInBuilder: ((chartId: string) => void) | null;
  private _pickChart: (() => Promise<IChartDraft | null>) | null;
  private _client: IChartClient | null;
  private _listDatasets: (() => Promise<ReadonlyArray<IDataset>>) | null;
  private _datasets: ReadonlyArray<IDataset> = [];
  private _datasetsLoading: Promise<void> | null = null;
  private _chosenDataset: string | null = null;
  private _selectionBar: SelectionBar;
  private _data: DashboardData;
  private _views = new Map<string, IChartCellView>();
  private _titleInput: HTMLInputElement;
  private _titleTyped = false;
  private _datasetInput: HTMLSelectElement;
  private _crossInput: HTMLInputElement;
  private _people: HTMLElement;
  private _filterBar: FilterBar;
  private _grid: DashboardGrid<ICellParts>;
  private _readOnly = false;
  /**
   * A viewer's own filter values, and the saved values they were picked over.
   */
  private _choices = new Map<string, unknown[] | null>();
  private _saved = new Map<string, string>();
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
    createChartView?: (chartId: string, client: IChartClient) => IChartCellView;

    /**
     * Open a chart in the drag-and-drop builder (its editor); without it,
     * charts are only moved, resized and removed here.
     */
    openInBuilder?: (chartId: string) => void;

    /**
     * Ask which chart document or file to copy ("Add existing chart");
     * without it the button is not shown.
     */
    pickChart?: () => Promise<IChartDraft | null>;

    /**
     * What dashboard filters ask for a column's values and range; without
     * one, a dropdown's values are typed as text.
     */
    client?: IChartClient | null;

    /**
     * The datasets the user can read, to pick new charts' and filters'
     * datasets and columns from; without it, only the charts' datasets
     * are offered.
     */
    listDatasets?: () => Promise<ReadonlyArray<IDataset>>;
  }
}
