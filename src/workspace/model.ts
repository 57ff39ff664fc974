import { DataModel } from '@lumino/datagrid';
import { ISignal, Signal } from '@lumino/signaling';

import { IColumn, ILiveGraphsAPI, IRowsPage, ISearchInfo } from '../tokens';

/**
 * A DataGrid model over one version of a dataset, fetching rows lazily.
 *
 * Rows are read in blocks of `blockSize` as the grid asks for them. Blocks
 * are kept in a bounded LRU cache, a block is fetched once however often it is
 * asked for while in flight, and at most `concurrency` fetches run at once,
 * newest first, so a fast drag to the end loads the rows in view, not every
 * block passed on the way.
 */
export class DatasetGridModel extends DataModel {
  constructor(options: DatasetGridModel.IOptions) {
    super();
    this._api = options.api;
    this._id = options.id;
    this._version = options.version;
    this._total = options.rows;
    this._rows = options.rows;
    this._columns = [...options.columns];
    this._blockSize = Math.max(10, options.blockSize ?? 500);
    this._maxBlocks = options.maxBlocks ?? 200;
    this._fetchRows = options.fetchRows ?? null;
  }

  /**
   * The dataset's columns, in order.
   */
  get columns(): ReadonlyArray<IColumn> {
    return this._columns;
  }

  /**
   * The version the model reads.
   */
  get version(): number {
    return this._version;
  }

  /**
   * The current sort, e.g. `-price`, or the empty string.
   */
  get sort(): string {
    return this._sort;
  }

  /**
   * The full-text search the rows are of, or the empty string.
   */
  get query(): string {
    return this._q;
  }

  /**
   * The search as the server last read it (null without a search).
   */
  get searchInfo(): ISearchInfo | null {
    return this._q ? this._searchInfo : null;
  }

  /**
   * Emitted when a page of a search arrives, with the number of matches.
   */
  get searched(): ISignal<this, { total: number; search: ISearchInfo }> {
    return this._searched;
  }

  /**
   * Show only the rows that match a full-text search (the empty string: all
   * rows); the count comes with the first page.
   */
  setSearch(q: string): void {
    const next = q.trim();
    if (next === this._q) {
      return;
    }
    this._q = next;
    this._searchInfo = null;
    this._total = next ? 0 : this._rows;
    this._reset();
    if (next) {
      void this.load(0).catch(() => undefined);
    }
  }

  /**
   * The sort key per column name, `asc` or `desc`.
   */
  sortOf(column: string): 'asc' | 'desc' | null {
    return this._sortKey?.column === column ? this._sortKey.order : null;
  }

  /**
   * Emitted when a block of rows arrives, with its first row and length.
   */
  get blockLoaded(): ISignal<this, { row: number; count: number }> {
    return this._blockLoaded;
  }

  /**
   * Emitted when a block cannot be read.
   */
  get failed(): ISignal<this, Error> {
    return this._failed;
  }

  rowCount(region: DataModel.RowRegion): number {
    return region === 'body' ? this._total : 1;
  }

  columnCount(region: DataModel.ColumnRegion): number {
    return region === 'body' ? this._columns.length : 1;
  }

  data(region: DataModel.CellRegion, row: number, column: number): any {
    switch (region) {
      case 'column-header':
        return this._columns[column]?.name ?? '';
      case 'row-header':
        return row + 1;
      case 'corner-header':
        return '#';
      default:
        break;
    }
    const index = Math.floor(row / this._blockSize);
    const block = this._blocks.get(index);
    if (block) {
      // Refresh the block's place in the LRU order.
      this._blocks.delete(index);
      this._blocks.set(index, block);
      const cells = block[row - index * this._blockSize];
      return cells === undefined ? undefined : cells[column];
    }
    this._want(index);
    return DatasetGridModel.LOADING;
  }

  metadata(
    region: DataModel.CellRegion,
    row: number,
    column: number
  ): DataModel.Metadata {
    if (region === 'body' || region === 'column-header') {
      const col = this._columns[column];
      return col ? { type: col.type, name: col.name } : {};
    }
    return {};
  }

  /**
   * Whether the row's block is loaded.
   */
  isLoaded(row: number): boolean {
    return this._blocks.has(Math.floor(row / this._blockSize));
  }

  /**
   * The loaded values of one row, or null if its block is not loaded yet.
   */
  rowValues(row: number): ReadonlyArray<unknown> | null {
    const index = Math.floor(row / this._blockSize);
    return this._blocks.get(index)?.[row - index * this._blockSize] ?? null;
  }

  /**
   * Resolves once the block holding `row` is loaded.
   */
  load(row: number): Promise<void> {
    const index = Math.floor(row / this._blockSize);
    if (this._blocks.has(index)) {
      return Promise.resolve();
    }
    return this._fetch(index);
  }

  /**
   * Sort by one column (or clear with `null`); the cache starts afresh.
   */
  setSort(column: string | null, order: 'asc' | 'desc' = 'asc'): void {
    this._sortKey = column === null ? null : { column, order };
    this._sort =
      column === null
        ? ''
        : `${order === 'desc' ? '-' : ''}[${column.replace(/\]/g, ']]')}]`;
    this._reset();
  }

  /**
   * Point the model at another version (after a change or an undo).
   */
  setVersion(version: number, rows: number, columns: ReadonlyArray<IColumn>) {
    this._version = version;
    this._rows = rows;
    this._total = this._q ? 0 : rows;
    this._columns = [...columns];
    if (
      this._sortKey &&
      !this._columns.some(c => c.name === this._sortKey?.column)
    ) {
      this._sortKey = null;
      this._sort = '';
    }
    this._reset();
    if (this._q) {
      void this.load(0).catch(() => undefined);
    }
  }

  dispose(): void {
    this._disposed = true;
    this._generation++;
    this._blocks.clear();
    this._pending = [];
    Signal.clearData(this);
  }

  private _reset(): void {
    this._generation++;
    this._blocks.clear();
    this._inflight.clear();
    this._pending = [];
    this.emitChanged({ type: 'model-reset' });
  }

  private _want(index: number): void {
    if (this._inflight.has(index)) {
      return;
    }
    void this._fetch(index).catch(() => undefined);
  }

  private _fetch(index: number): Promise<void> {
    const known = this._inflight.get(index);
    if (known) {
      return known;
    }
    const generation = this._generation;
    const promise = new Promise<void>((resolve, reject) => {
      this._pending.push({ index, resolve, reject });
      // Forget the oldest wishes: the grid asks again for what is still in view.
      while (this._pending.length > DatasetGridModel.MAX_PENDING) {
        const dropped = this._pending.shift()!;
        this._inflight.delete(dropped.index);
        dropped.resolve();
      }
    }).finally(() => {
      if (generation === this._generation) {
        this._inflight.delete(index);
      }
    });
    this._inflight.set(index, promise);
    this._pump();
    return promise;
  }

  private _pump(): void {
    while (
      this._running < DatasetGridModel.CONCURRENCY &&
      this._pending.length
    ) {
      const job = this._pending.pop()!;
      this._running++;
      void this._read(job.index)
        .then(job.resolve, job.reject)
        .finally(() => {
          this._running--;
          this._pump();
        });
    }
  }

  private async _read(index: number): Promise<void> {
    const generation = this._generation;
    const offset = index * this._blockSize;
    try {
      const options = {
        offset,
        limit: this._blockSize,
        version: this._version,
        sort: this._sort || undefined,
        q: this._q || undefined
      };
      const page = this._fetchRows
        ? await this._fetchRows(options)
        : await this._api.getRows(this._id, options);
      if (generation !== this._generation || this.isDisposed) {
        return;
      }
      this._blocks.set(index, page.rows);
      // a search page (the dataset's rows route; a query's result has none)
      const found = page as Partial<IRowsPage>;
      if (this._q && found.search) {
        const total = found.total ?? this._total;
        this._searchInfo = found.search;
        if (total !== this._total) {
          this._total = total;
          this.emitChanged({ type: 'model-reset' });
        }
        this._searched.emit({ total, search: found.search });
      }
      while (this._blocks.size > this._maxBlocks) {
        const oldest = this._blocks.keys().next().value as number;
        this._blocks.delete(oldest);
      }
      const count = page.rows.length;
      if (count) {
        this.emitChanged({
          type: 'cells-changed',
          region: 'body',
          row: offset,
          column: 0,
          rowSpan: count,
          columnSpan: this._columns.length
        });
      }
      this._blockLoaded.emit({ row: offset, count });
    } catch (reason) {
      if (generation === this._generation && !this.isDisposed) {
        this._failed.emit(
          reason instanceof Error ? reason : new Error(String(reason))
        );
      }
      throw reason;
    }
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  private _api: ILiveGraphsAPI;
  private _fetchRows: DatasetGridModel.FetchRows | null;
  private _id: string;
  private _version: number;
  private _total: number;
  private _rows: number;
  private _q = '';
  private _searchInfo: ISearchInfo | null = null;
  private _searched = new Signal<this, { total: number; search: ISearchInfo }>(
    this
  );
  private _columns: IColumn[];
  private _blockSize: number;
  private _maxBlocks: number;
  private _sort = '';
  private _sortKey: { column: string; order: 'asc' | 'desc' } | null = null;
  private _blocks = new Map<number, ReadonlyArray<ReadonlyArray<unknown>>>();
  private _inflight = new Map<number, Promise<void>>();
  private _pending: Array<{
    index: number;
    resolve: () => void;
    reject: (reason: unknown) => void;
  }> = [];
  private _running = 0;
  private _generation = 0;
  private _disposed = false;
  private _blockLoaded = new Signal<this, { row: number; count: number }>(this);
  private _failed = new Signal<this, Error>(this);
}

/**
 * A namespace for `DatasetGridModel` statics.
 */
export namespace DatasetGridModel {
  /**
   * What a cell shows until its block arrives.
   */
  export const LOADING = '…';

  /**
   * Fetches run at once.
   */
  export const CONCURRENCY = 4;

  /**
   * Wishes kept waiting; older ones are dropped.
   */
  export const MAX_PENDING = 8;

  /**
   * The options used to create a model.
   */
  export interface IOptions {
    api: ILiveGraphsAPI;
    id: string;
    version: number;
    rows: number;
    columns: ReadonlyArray<IColumn>;

    /**
     * Rows per fetched block; 500 when omitted.
     */
    blockSize?: number;

    /**
     * Blocks kept in the cache; 200 when omitted.
     */
    maxBlocks?: number;

    /**
     * Reads a block of rows of something other than a stored version (a
     * query's result); the dataset's rows route when omitted.
     */
    fetchRows?: FetchRows;
  }

  /**
   * Reads the rows `offset` to `offset + limit` of a grid's data.
   */
  export type FetchRows = (
    options: ILiveGraphsAPI.IRowsOptions
  ) => Promise<{ rows: ReadonlyArray<ReadonlyArray<unknown>> }>;
}
