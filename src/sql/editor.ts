import { InputDialog } from '@jupyterlab/apputils';
import { CodeEditor, CodeEditorWrapper } from '@jupyterlab/codeeditor';
import {
  BasicSelectionModel,
  CellRenderer,
  DataGrid,
  TextRenderer
} from '@lumino/datagrid';
import { ISignal, Signal } from '@lumino/signaling';
import { BoxPanel, SplitPanel, Widget } from '@lumino/widgets';

import { LiveGraphsAPIError } from '../api';
import { el, formatValue, TYPE_GLYPHS } from '../dom';
import { IDataset, ILiveGraphsAPI } from '../tokens';
import { DatasetGridModel } from '../workspace/model';
import { ISqlPage, SqlClient } from './client';

/**
 * A SQL editor over the datasets the user may read: the query above, its
 * result below in a lazily paged grid, and the error at its line and column.
 *
 * The node's `data-lg-state` is `idle`, `running`, `ready` or `error`, and
 * `data-lg-rows` the result's row count, so tests and styles can follow it.
 */
export class SqlEditor extends SplitPanel {
  constructor(options: SqlEditor.IOptions) {
    super({ orientation: 'vertical', spacing: 1 });
    this.addClass('jp-LiveGraphs-SqlEditor');
    this._api = options.api;
    this._client = options.client;
    this._blockSize = options.blockSize ?? 500;

    this.model = new CodeEditor.Model({ mimeType: options.mimeType });
    this.model.sharedModel.setSource(options.sql ?? '');
    this.input = new CodeEditorWrapper({
      factory: options.factory,
      model: this.model,
      editorOptions: { config: { lineNumbers: true, lineWrap: true } }
    });
    this.input.addClass('jp-LiveGraphs-sqlInput');
    this.input.node.setAttribute('aria-label', 'SQL query');

    this._status = el('div', 'jp-LiveGraphs-sqlStatus');
    this._status.setAttribute('role', 'status');
    this._error = el('div', 'jp-LiveGraphs-sqlError');
    this._error.setAttribute('role', 'alert');
    this._error.hidden = true;
    const messages = new Widget({
      node: el('div', 'jp-LiveGraphs-sqlMessages')
    });
    messages.node.append(this._status, this._error);

    this.grid = new DataGrid({
      defaultSizes: {
        rowHeight: 24,
        columnWidth: 140,
        rowHeaderWidth: 64,
        columnHeaderHeight: 28
      },
      headerVisibility: 'all'
    });
    this.grid.addClass('jp-LiveGraphs-grid');
    this.grid.viewport.node.tabIndex = 0;
    this.grid.viewport.node.setAttribute('aria-label', 'Query result');
    this.grid.copyConfig = {
      separator: '\t',
      format: ({ value }) => (value === null ? '' : formatValue(value)),
      headers: 'none',
      warningThreshold: 1e6
    };
    this.applyTheme();

    const results = new BoxPanel({ direction: 'top-to-bottom', spacing: 0 });
    results.addClass('jp-LiveGraphs-sqlResults');
    results.addWidget(messages);
    results.addWidget(this.grid);
    BoxPanel.setStretch(messages, 0);
    BoxPanel.setStretch(this.grid, 1);

    this.addWidget(this.input);
    this.addWidget(results);
    this.setRelativeSizes([1, 2]);
    this.node.dataset.lgState = 'idle';
    this._status.textContent = 'Run the query (Shift+Enter) to see its result.';
  }

  readonly model: CodeEditor.IModel;
  readonly input: CodeEditorWrapper;
  readonly grid: DataGrid;

  /**
   * The query's text.
   */
  get sql(): string {
    return this.model.sharedModel.getSource();
  }

  /**
   * Emitted when the query was saved as a dataset.
   */
  get saved(): ISignal<this, IDataset> {
    return this._saved;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._abort?.abort();
    this._result?.dispose();
    this.model.dispose();
    super.dispose();
  }

  /**
   * Run the query: its first page, and the row count; later pages as the grid scrolls.
   */
  async run(): Promise<void> {
    const sql = this.sql;
    if (!sql.trim()) {
      return;
    }
    this._abort?.abort();
    const abort = (this._abort = new AbortController());
    this._showError(null);
    this.node.dataset.lgState = 'running';
    delete this.node.dataset.lgRows;
    this._status.textContent = 'Running…';
    let first: ISqlPage;
    try {
      first = await this._client.query(
        sql,
        { offset: 0, limit: this._blockSize, count: true },
        abort.signal
      );
    } catch (reason) {
      if (!abort.signal.aborted) {
        this._showError(reason as Error);
      }
      return;
    }
    if (abort.signal.aborted || this.isDisposed) {
      return;
    }
    const total = first.total ?? first.rows.length;
    const columns = first.columns.map(c => ({ ...c, nulls: 0 }));
    let firstPage: ISqlPage | null = first;
    const model = new DatasetGridModel({
      api: this._api,
      id: 'sql',
      version: 0,
      rows: total,
      columns,
      blockSize: this._blockSize,
      fetchRows: async ({ offset = 0, limit = this._blockSize }) => {
        if (offset === 0 && firstPage) {
          const page = firstPage;
          firstPage = null;
          return page;
        }
        return this._client.query(
          sql,
          { offset, limit, count: false },
          abort.signal
        );
      }
    });
    model.failed.connect((_, error) => this._showError(error));
    this._result?.dispose();
    this._result = model;
    this.grid.dataModel = model;
    this.grid.selectionModel = new BasicSelectionModel({
      dataModel: model,
      selectionMode: 'cell'
    });
    const from = first.sources.map(s => `${s.owner}/${s.dataset}`);
    this._status.textContent =
      `${total.toLocaleString('en-US')} rows · ${columns.length} columns` +
      (from.length ? ` · from ${[...new Set(from)].join(', ')}` : '');
    this.node.dataset.lgRows = String(total);
    this.node.dataset.lgState = 'ready';
  }

  /**
   * Ask for a name and save the query's whole result as a dataset.
   */
  async save(): Promise<IDataset | null> {
    const sql = this.sql;
    if (!sql.trim()) {
      return null;
    }
    const answer = await InputDialog.getText({
      title: 'Save query as dataset',
      label: 'Dataset name',
      okLabel: 'Save'
    });
    if (!answer.button.accept || !answer.value?.trim()) {
      return null;
    }
    this._showError(null);
    this.node.dataset.lgState = 'running';
    this._status.textContent = 'Saving…';
    try {
      const dataset = await this._client.save(sql, answer.value.trim());
      this.node.dataset.lgState = 'ready';
      this._status.textContent = `Saved as ${dataset.name}: ${dataset.rows.toLocaleString('en-US')} rows`;
      this._saved.emit(dataset);
      return dataset;
    } catch (reason) {
      this._showError(reason as Error);
      return null;
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
      selectionBorderColor: v('--jp-brand-color1'),
      cursorBorderColor: v('--jp-brand-color1'),
      scrollShadow: undefined
    };
    const font = `${v('--jp-code-font-size') || '13px'} ${v('--jp-code-font-family') || 'monospace'}`;
    const muted = v('--jp-content-font-color3');
    const text = v('--jp-content-font-color1');
    this.grid.cellRenderers.update({
      body: new TextRenderer({
        font,
        textColor: ({ value }) =>
          value === null || value === DatasetGridModel.LOADING ? muted : text,
        horizontalAlignment: ({ metadata }) =>
          metadata.type === 'integer' || metadata.type === 'float'
            ? 'right'
            : 'left',
        format: ({ value }) => (value === undefined ? '' : formatValue(value))
      }),
      'column-header': new TextRenderer({
        font: `bold ${v('--jp-ui-font-size1') || '13px'} ${v('--jp-ui-font-family') || 'sans-serif'}`,
        textColor: v('--jp-ui-font-color1'),
        format: ({ value, metadata }) =>
          `${TYPE_GLYPHS[metadata.type as string] ?? ''} ${String(value ?? '')}`
      }),
      'row-header': new TextRenderer({
        font,
        textColor: muted,
        horizontalAlignment: 'right'
      }),
      'corner-header': new TextRenderer({ font }) as CellRenderer
    });
  }

  /**
   * Show an error (null hides it); one that names a line and column selects that place in the query.
   */
  private _showError(error: Error | null): void {
    if (error === null) {
      this._error.hidden = true;
      this._error.textContent = '';
      return;
    }
    this.node.dataset.lgState = 'error';
    this._status.textContent = 'The query did not run.';
    this._error.hidden = false;
    this._error.textContent = error.message;
    const detail =
      error instanceof LiveGraphsAPIError ? error.errors[0] : undefined;
    const line = detail?.row;
    const column = Number(detail?.column);
    if (typeof line !== 'number' || !Number.isInteger(column) || column < 1) {
      return;
    }
    this._error.dataset.lgLine = String(line);
    this._error.dataset.lgColumn = String(column);
    const width = typeof detail?.value === 'string' ? detail.value.length : 1;
    const start = { line: line - 1, column: column - 1 };
    const end = { line: line - 1, column: column - 1 + Math.max(1, width) };
    const editor = this.input.editor;
    editor.setSelection({ start, end });
    editor.revealPosition(start);
  }

  private _api: ILiveGraphsAPI;
  private _client: SqlClient;
  private _blockSize: number;
  private _status: HTMLElement;
  private _error: HTMLElement;
  private _result: DatasetGridModel | null = null;
  private _abort: AbortController | null = null;
  private _saved = new Signal<this, IDataset>(this);
}

/**
 * A namespace for `SqlEditor` statics.
 */
export namespace SqlEditor {
  /**
   * The options used to create an editor.
   */
  export interface IOptions {
    api: ILiveGraphsAPI;
    client: SqlClient;

    /**
     * Makes the CodeMirror editor (JupyterLab's editor services).
     */
    factory: CodeEditor.Factory;

    /**
     * The editor's language, e.g. `text/x-sql`.
     */
    mimeType: string;

    /**
     * The query to start with.
     */
    sql?: string;

    /**
     * Rows per fetched page of the result.
     */
    blockSize?: number;
  }
}
