import {
  Clipboard,
  Dialog,
  showDialog,
  showErrorMessage
} from '@jupyterlab/apputils';
import {
  BasicSelectionModel,
  CellRenderer,
  DataGrid,
  TextRenderer
} from '@lumino/datagrid';
import { ISignal, Signal } from '@lumino/signaling';
import { BoxPanel, Menu, SplitPanel, TabPanel, Widget } from '@lumino/widgets';
import { CommandRegistry } from '@lumino/commands';

import { IDataset, ILiveGraphsAPI, IStep } from '../tokens';
import { mayEdit } from './access';
import { GridKeyHandler, GridMouseHandler } from './gridinput';
import { askStep, StepKind } from './dialogs';
import { el, formatValue, TYPE_GLYPHS } from '../dom';
import { DatasetGridModel } from './model';
import { ProfileView } from './profile';
import { ModelView } from './models';
import { RecipeView } from './recipe';
import { SearchHighlight } from './searchbox';
import { ReportView } from './report';

/**
 * A dataset as a main-area view: a status line, the lazily loaded grid, and
 * beside it a side panel with the validation report, the recipe and the
 * selected column's profile. The side panel can be hidden; it starts hidden
 * when the grid beside it would be narrow.
 *
 * The node's `data-lg-version` is the version shown, `data-lg-state` is
 * `busy` while a change runs and `data-lg-side` is `shown` or `hidden`, so
 * tests and styles can follow them.
 */
export class DatasetView extends BoxPanel {
  constructor(options: DatasetView.IOptions) {
    super({ direction: 'top-to-bottom', spacing: 0 });
    this._api = options.api;
    this._dataset = options.dataset;
    this._commands = options.commands;
    this.addClass('jp-LiveGraphs-DatasetView');
    this.id = `livegraphs-dataset-view-${options.dataset.id}`;

    // The status line: what the grid shows, and the side panel's toggle.
    this._info = new Widget({ node: el('div', 'jp-LiveGraphs-viewInfo') });
    this._status = el('span', 'jp-LiveGraphs-viewStatus');
    this._status.setAttribute('role', 'status');
    this._sideToggle = el(
      'button',
      'jp-Button jp-mod-minimal jp-mod-small jp-LiveGraphs-sideToggle',
      'Side Panel'
    );
    this._sideToggle.type = 'button';
    this._sideToggle.title = 'Show or hide the report, recipe and profile';
    this._sideToggle.setAttribute('aria-pressed', 'true');
    this._sideToggle.addEventListener('click', () => this.toggleSidePanel());
    this._info.node.append(this._status, this._sideToggle);

    this.model = new DatasetGridModel({
      api: this._api,
      id: this._dataset.id,
      version: this._dataset.version,
      rows: this._dataset.rows,
      columns: this._dataset.columns,
      blockSize: options.blockSize
    });
    this.grid = new DataGrid({
      defaultSizes: {
        rowHeight: 24,
        columnWidth: DatasetView.COLUMN_WIDTH,
        rowHeaderWidth: DatasetView.ROW_HEADER_WIDTH,
        columnHeaderHeight: 28
      },
      headerVisibility: 'all'
    });
    this.grid.addClass('jp-LiveGraphs-grid');
    this.grid.dataModel = this.model;
    this.grid.selectionModel = new BasicSelectionModel({
      dataModel: this.model,
      selectionMode: 'cell'
    });
    this.grid.keyHandler = new GridKeyHandler(this);
    this.grid.mouseHandler = new GridMouseHandler(this);
    this.grid.copyConfig = {
      separator: '\t',
      format: ({ value }) => (value === null ? '' : formatValue(value)),
      headers: 'none',
      warningThreshold: 1e6
    };
    // Keys reach the grid through its viewport, so that is what takes focus.
    this.grid.viewport.node.tabIndex = 0;
    this.grid.viewport.node.setAttribute(
      'aria-label',
      `Rows of ${this._dataset.name}`
    );
    this.applyTheme();
    this.model.blockLoaded.connect((_, block) => {
      // For tests and for people: when rows first show, and when the last row has.
      this.node.dataset.lgLoaded = 'yes';
      if (block.row + block.count >= this.model.rowCount('body')) {
        this.node.dataset.lgLastRowLoaded = 'yes';
      }
    });
    this.grid.selectionModel!.changed.connect(() => {
      this._setInfo();
      // Moving the cursor with the keyboard selects its column too.
      const cursor = this.grid.selectionModel?.cursorColumn ?? -1;
      const name = this.model.columns[cursor]?.name;
      if (name !== undefined && name !== this._column) {
        this.selectColumn(name);
      }
    });
    this.model.failed.connect((_, error) =>
      this._setInfo(`Could not read rows: ${error.message}`)
    );

    this.report = new ReportView({
      onJump: (row, column) => this.jumpTo(row, column),
      onCast: (column, to) => void this.runStep('cast', column, to),
      onTreatMissing: () => void this.treatMissing()
    });
    this.recipe = new RecipeView({
      onUndo: version => void this.revertTo(version),
      onCopyCode: () => void this.copyCode()
    });
    this.profile = new ProfileView();
    this.models = new ModelView({
      api: this._api,
      onAdded: dataset => this._show(dataset),
      onCopyCode: code => this._showCode(code, 'Model as scikit-learn code')
    });
    this._side = new TabPanel();
    this._side.addClass('jp-LiveGraphs-viewSide');
    this._side.addWidget(this.report);
    this._side.addWidget(this.recipe);
    this._side.addWidget(this.profile);
    this._side.addWidget(this.models);

    this._split = new SplitPanel({ orientation: 'horizontal', spacing: 1 });
    this._split.addClass('jp-LiveGraphs-viewSplit');
    this._split.addWidget(this.grid);
    this._split.addWidget(this._side);

    this.addWidget(this._info);
    this.addWidget(this._split);
    BoxPanel.setStretch(this._info, 0);
    BoxPanel.setStretch(this._split, 1);
    this.node.dataset.lgSide = 'shown';
    this._show(this._dataset);
  }

  readonly grid: DataGrid;
  readonly model: DatasetGridModel;
  readonly report: ReportView;
  readonly recipe: RecipeView;
  readonly profile: ProfileView;
  readonly models: ModelView;

  /**
   * The dataset as last seen.
   */
  get current(): IDataset {
    return this._dataset;
  }

  /**
   * Whether the caller may clean the dataset (false for a viewer on a hub).
   */
  get editable(): boolean {
    return mayEdit(this._dataset);
  }

  /**
   * Emitted when the view moves to another version.
   */
  get changed(): ISignal<this, IDataset> {
    return this._changed;
  }

  /**
   * The selected column's name, if any.
   */
  get selectedColumn(): string | null {
    return this._column;
  }

  /**
   * Whether the side panel (report, recipe, profile) shows.
   */
  get sidePanelShown(): boolean {
    return !this._side.isHidden;
  }

  /**
   * Emitted when the side panel is shown or hidden.
   */
  get sidePanelChanged(): ISignal<this, boolean> {
    return this._sidePanelChanged;
  }

  /**
   * Show or hide the side panel; the view no longer decides it by its width.
   */
  setSidePanel(shown: boolean): void {
    this._sideChosen = true;
    this._setSide(shown);
  }

  /**
   * Show the side panel if hidden, else hide it.
   */
  toggleSidePanel(): void {
    this.setSidePanel(!this.sidePanelShown);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.dispose();
    super.dispose();
  }

  /**
   * Show the report tab (after an upload).
   */
  showReport(): void {
    this.setSidePanel(true);
    this._side.currentWidget = this.report;
  }

  /**
   * Select a column and show its profile.
   */
  selectColumn(name: string | null): void {
    this._column = name;
    this.node.dataset.lgColumn = name ?? '';
    if (name === null) {
      this.profile.showHint('Select a column to see its profile.');
      return;
    }
    const ticket = ++this._profileTicket;
    this.profile.showHint('Loading…');
    this._api
      .getProfile(this._dataset.id, name, this._dataset.version)
      .then(profile => {
        if (ticket === this._profileTicket) {
          this.profile.render(profile);
        }
      })
      .catch(reason => {
        if (ticket === this._profileTicket) {
          this.profile.showHint(`No profile: ${(reason as Error).message}`);
        }
      });
  }

  /**
   * Show the profile tab.
   */
  showProfile(): void {
    this.setSidePanel(true);
    this._side.currentWidget = this.profile;
  }

  /**
   * Scroll to a 1-based data row and select it.
   */
  jumpTo(row: number, column: string | null = null): void {
    const r = Math.max(0, Math.min(row - 1, this.model.rowCount('body') - 1));
    const c = Math.max(
      0,
      column === null
        ? 0
        : this.model.columns.findIndex(col => col.name === column)
    );
    this.grid.scrollToRow(r);
    this.grid.scrollToColumn(c);
    this.grid.selectionModel?.select({
      r1: r,
      c1: c,
      r2: r,
      c2: c,
      cursorRow: r,
      cursorColumn: c,
      clear: 'all'
    });
    this.grid.viewport.node.focus();
  }

  /**
   * Copy the selected cells once their rows are loaded (up to 10,000 rows).
   */
  async copySelection(): Promise<void> {
    const selection = this.grid.selectionModel?.currentSelection();
    if (!selection) {
      return;
    }
    const first = Math.max(0, Math.min(selection.r1, selection.r2));
    const last = Math.min(
      Math.max(selection.r1, selection.r2),
      first + DatasetView.MAX_COPY_ROWS - 1
    );
    const blocks: Promise<void>[] = [];
    for (let row = first; row <= last; row++) {
      if (!this.model.isLoaded(row)) {
        blocks.push(this.model.load(row));
      }
    }
    await Promise.all(blocks);
    this.grid.copyToClipboard();
  }

  /**
   * Toggle the sort of a column: ascending, descending, none.
   */
  toggleSort(column: string): void {
    delete this.node.dataset.lgLoaded;
    delete this.node.dataset.lgLastRowLoaded;
    const now = this.model.sortOf(column);
    if (now === null) {
      this.model.setSort(column, 'asc');
    } else if (now === 'asc') {
      this.model.setSort(column, 'desc');
    } else {
      this.model.setSort(null);
    }
    this._setInfo();
  }

  /**
   * Ask for a step in a dialog, then apply it.
   */
  async runStep(
    kind: StepKind,
    column?: string | null,
    to?: string
  ): Promise<void> {
    if (!this.editable) {
      return;
    }
    const step = await askStep(kind, {
      api: this._api,
      id: this._dataset.id,
      version: this._dataset.version,
      columns: this._dataset.columns,
      column: column ?? this._column ?? undefined,
      to
    });
    if (step) {
      await this.apply(step);
    }
  }

  /**
   * Apply a step on the server, as a new version, and show it.
   */
  async apply(step: IStep): Promise<void> {
    await this._busy(async () => {
      const next = await this._api.applyStep(
        this._dataset.id,
        step,
        this._dataset.version
      );
      this._show(next);
      if (next.problems?.length) {
        this.showReport();
      }
    });
  }

  /**
   * Treat missing-value markers (NA, N/A, …) as missing in every text column,
   * in one step, and show what it did in the report.
   */
  async treatMissing(): Promise<void> {
    if (!this.editable) {
      return;
    }
    const before = this._dataset.version;
    await this.apply({ op: 'markers_to_null' });
    if (this._dataset.version !== before) {
      this.showReport();
    }
  }

  /**
   * Make `version` current again (an undo).
   */
  async revertTo(version: number): Promise<void> {
    if (!this.editable) {
      return;
    }
    await this._busy(async () => {
      this._show(await this._api.revert(this._dataset.id, version));
    });
  }

  /**
   * Undo the last step: back to the current version's parent.
   */
  async undo(): Promise<void> {
    const versions = await this._api.getVersions(this._dataset.id);
    const current = versions.find(v => v.version === this._dataset.version);
    if (current?.parent) {
      await this.revertTo(current.parent);
    }
  }

  /**
   * Copy the recipe as pandas code, and show it.
   */
  async copyCode(): Promise<string> {
    const code = await this._api.getRecipeCode(
      this._dataset.id,
      this._dataset.version
    );
    this._showCode(code, 'Recipe as pandas code');
    return code;
  }

  /**
   * Show the Model panel in the side panel.
   */
  showModels(): void {
    this.setSidePanel(true);
    this._side.currentWidget = this.models;
  }

  private _showCode(code: string, title: string): void {
    Clipboard.copyToSystem(code);
    const body = el('pre', 'jp-LiveGraphs-code', code);
    body.setAttribute(
      'aria-label',
      title.startsWith('Recipe') ? 'Recipe code' : 'Model code'
    );
    void showDialog({
      title: `${title} (copied)`,
      body: new Widget({ node: body }),
      buttons: [Dialog.okButton({ label: 'Close' })]
    });
  }

  /**
   * Reload the dataset (after a change elsewhere); keeps the view if unchanged.
   */
  async reload(): Promise<void> {
    const next = await this._api.getDataset(this._dataset.id);
    if (
      next.version !== this._dataset.version ||
      next.name !== this._dataset.name
    ) {
      this._show(next);
    }
  }

  /**
   * Read the grid's colours from the theme's CSS variables.
   */
  applyTheme(): void {
    const css = getComputedStyle(document.body);
    const v = (name: string) => css.getPropertyValue(name).trim();
    this.grid.style = {
      ...DataGrid.defaultStyle,
      voidColor: v('--jp-layout-color0'),
      backgroundColor: v('--jp-layout-color0'),
      rowBackgroundColor: i =>
        i % 2 === 0 ? v('--jp-layout-color0') : v('--jp-layout-color1'),
      headerBackgroundColor: v('--jp-layout-color2'),
      gridLineColor: v('--jp-border-color3'),
      headerGridLineColor: v('--jp-border-color2'),
      selectionFillColor: v('--jp-brand-color3')
        ? 'rgba(33, 150, 243, 0.2)'
        : undefined,
      selectionBorderColor: v('--jp-brand-color1'),
      cursorBorderColor: v('--jp-brand-color1'),
      headerSelectionFillColor: 'rgba(33, 150, 243, 0.2)',
      headerSelectionBorderColor: v('--jp-brand-color1'),
      scrollShadow: undefined
    };
    const font = `${v('--jp-code-font-size') || '13px'} ${v('--jp-code-font-family') || 'monospace'}`;
    const headerFont = `bold ${v('--jp-ui-font-size1') || '13px'} ${v('--jp-ui-font-family') || 'sans-serif'}`;
    const textColor = v('--jp-content-font-color1');
    const muted = v('--jp-content-font-color3');
    const body = new TextRenderer({
      font,
      textColor: ({ value }) =>
        value === null || value === DatasetGridModel.LOADING
          ? muted
          : textColor,
      horizontalAlignment: ({ metadata }) =>
        metadata.type === 'integer' || metadata.type === 'float'
          ? 'right'
          : 'left',
      format: ({ value }) => (value === undefined ? '' : formatValue(value))
    });
    const header = new TextRenderer({
      font: headerFont,
      textColor: v('--jp-ui-font-color1'),
      format: ({ value, metadata }) => {
        const name = String(value ?? '');
        const sort = this.model.sortOf(name);
        const arrow = sort === 'asc' ? ' ▲' : sort === 'desc' ? ' ▼' : '';
        return `${TYPE_GLYPHS[metadata.type as string] ?? ''} ${name}${arrow}`;
      }
    });
    const rowHeader = new TextRenderer({
      font,
      textColor: muted,
      horizontalAlignment: 'right'
    });
    this.grid.cellRenderers.update({
      body: new SearchHighlight(
        body,
        this.model,
        v('--jp-search-selected-match-background-color')
      ),
      'column-header': header,
      'row-header': rowHeader,
      'corner-header': rowHeader as CellRenderer
    });
  }

  protected onResize(msg: Widget.ResizeMessage): void {
    super.onResize(msg);
    const width = msg.width >= 0 ? msg.width : this.node.offsetWidth;
    // Until someone chooses, the side panel follows the room the grid has.
    if (!this._sideChosen && width > 0) {
      this._setSide(
        !DatasetView.isNarrow(width, this._dataset.columns.length),
        width
      );
    }
  }

  private _setSide(shown: boolean, width = this.node.offsetWidth): void {
    const changed = shown === this._side.isHidden;
    this._side.setHidden(!shown);
    this.node.dataset.lgSide = shown ? 'shown' : 'hidden';
    this._sideToggle.setAttribute('aria-pressed', String(shown));
    if (shown && changed && width > DatasetView.SIDE_WIDTH) {
      this._split.setRelativeSizes([
        width - DatasetView.SIDE_WIDTH,
        DatasetView.SIDE_WIDTH
      ]);
    }
    if (changed) {
      this._sidePanelChanged.emit(shown);
    }
  }

  private async _busy(work: () => Promise<void>): Promise<void> {
    this.node.dataset.lgState = 'busy';
    this._setInfo('Working…');
    try {
      await work();
    } catch (reason) {
      await showErrorMessage('The change was not made', reason as Error);
    } finally {
      this.node.dataset.lgState = 'ready';
      this._setInfo();
    }
  }

  private _show(dataset: IDataset): void {
    const moved = dataset.version !== this.model.version;
    this._dataset = dataset;
    this.title.label = dataset.name;
    this.title.caption = `${dataset.name} (version ${dataset.version})`;
    if (moved) {
      delete this.node.dataset.lgLoaded;
      delete this.node.dataset.lgLastRowLoaded;
      this.model.setVersion(dataset.version, dataset.rows, dataset.columns);
    }
    this.node.dataset.lgVersion = String(dataset.version);
    this.node.dataset.lgRows = String(dataset.rows);
    this.node.dataset.lgState = 'ready';
    this.report.render(dataset);
    this.models.render(dataset, mayEdit(dataset));
    if (this._column && !dataset.columns.some(c => c.name === this._column)) {
      this._column = null;
    }
    this.selectColumn(this._column);
    this._setInfo();
    void Promise.all([
      this._api.getRecipe(dataset.id, dataset.version),
      this._api.getVersions(dataset.id)
    ])
      .then(([steps, versions]) => {
        if (this._dataset.version === dataset.version) {
          this.recipe.render(steps, versions, mayEdit(this._dataset));
        }
      })
      .catch(() => undefined);
    this._changed.emit(dataset);
  }

  private _setInfo(message?: string): void {
    const d = this._dataset;
    const sort = this.model.sort ? ` · sorted by ${this.model.sort}` : '';
    const cursor = this.grid.selectionModel?.cursorRow ?? -1;
    const at =
      cursor >= 0 && cursor < d.rows
        ? `Row ${(cursor + 1).toLocaleString('en-US')} of `
        : '';
    this._status.textContent =
      message ??
      `${at}${d.rows.toLocaleString('en-US')} rows · ${d.columns.length} columns · version ${d.version}${sort}`;
  }

  /**
   * Open the column menu at a point (a header's context menu).
   */
  openColumnMenu(column: string, x: number, y: number): void {
    this.selectColumn(column);
    const menu = new Menu({ commands: this._commands });
    menu.addClass('jp-LiveGraphs-columnMenu');
    for (const id of DatasetView.COLUMN_COMMANDS) {
      if (id === '-') {
        menu.addItem({ type: 'separator' });
      } else {
        menu.addItem({ command: id });
      }
    }
    menu.open(x, y);
  }

  private _api: ILiveGraphsAPI;
  private _commands: CommandRegistry;
  private _dataset: IDataset;
  private _info: Widget;
  private _status: HTMLElement;
  private _sideToggle: HTMLButtonElement;
  private _side: TabPanel;
  private _split: SplitPanel;
  private _sideChosen = false;
  private _sidePanelChanged = new Signal<this, boolean>(this);
  private _column: string | null = null;
  private _profileTicket = 0;
  private _changed = new Signal<this, IDataset>(this);
}

/**
 * A namespace for `DatasetView` statics.
 */
export namespace DatasetView {
  /**
   * The commands of a column header's menu ('-' is a separator); set by the plugin.
   */
  export const COLUMN_COMMANDS: string[] = [];

  /**
   * More commands of a view's toolbar, after its own; set by other plugins.
   * Each is given `{fromView: true, view: <the view's widget id>}`.
   */
  export const TOOLBAR_COMMANDS: string[] = [];

  /**
   * Most rows one copy takes.
   */
  export const MAX_COPY_ROWS = 10_000;

  /**
   * The side panel's width when it opens, in pixels.
   */
  export const SIDE_WIDTH = 360;

  /**
   * The grid's default column and row-header widths, in pixels.
   */
  export const COLUMN_WIDTH = 140;
  export const ROW_HEADER_WIDTH = 72;

  /**
   * The grid is narrow when, beside the side panel, it would show fewer than
   * all its columns and fewer than this many.
   */
  export const MIN_COLUMNS = 6;

  /**
   * Whether a view `width` pixels wide is too narrow for the grid of
   * `columns` columns and the side panel side by side.
   */
  export function isNarrow(width: number, columns: number): boolean {
    const need =
      ROW_HEADER_WIDTH + Math.min(columns, MIN_COLUMNS) * COLUMN_WIDTH;
    return width - SIDE_WIDTH < need;
  }

  /**
   * The options used to create a view.
   */
  export interface IOptions {
    api: ILiveGraphsAPI;
    dataset: IDataset;
    commands: CommandRegistry;

    /**
     * Rows per fetched block.
     */
    blockSize?: number;
  }
}
