import { Token } from '@lumino/coreutils';

import { IChartResult, IChartSpec } from './charts/types';

/**
 * The type of one column of a dataset, as the server reports it.
 */
export interface IColumn {
  /**
   * The column name.
   */
  readonly name: string;

  /**
   * The column's logical type, e.g. `int64`, `float64`, `string`.
   */
  readonly type: string;

  /**
   * How many values in the column are null.
   */
  readonly nulls: number;
}

/**
 * A dataset stored by the livegraphs server extension.
 */
export interface IDataset {
  readonly id: string;
  readonly name: string;
  readonly rows: number;
  readonly version: number;
  readonly columns: ReadonlyArray<IColumn>;

  /**
   * The stored size in bytes.
   */
  readonly size: number;
  readonly owner: string;

  /**
   * ISO 8601 timestamps.
   */
  readonly created: string;
  readonly updated: string;
}

/**
 * One page of a dataset's rows.
 */
export interface IRowsPage {
  readonly columns: ReadonlyArray<IColumn>;
  readonly rows: ReadonlyArray<ReadonlyArray<unknown>>;
  readonly offset: number;
  readonly limit: number;

  /**
   * The number of rows in the whole dataset.
   */
  readonly total: number;
}

/**
 * A client for the livegraphs REST API.
 *
 * Every method rejects with a `LiveGraphsAPIError` when the server answers
 * with an error status, and with a `ServerConnection.NetworkError` when it
 * cannot be reached.
 */
export interface ILiveGraphsAPI {
  /**
   * List every dataset the current user can see.
   */
  listDatasets(): Promise<IDataset[]>;

  /**
   * Get one dataset's metadata.
   */
  getDataset(id: string): Promise<IDataset>;

  /**
   * Upload a file as a new dataset.
   *
   * @param name - the dataset name.
   * @param body - the raw file content (CSV, Parquet, ...).
   */
  uploadDataset(
    name: string,
    body: Blob | ArrayBuffer | string
  ): Promise<IDataset>;

  /**
   * Delete a dataset.
   */
  deleteDataset(id: string): Promise<void>;

  /**
   * Read a page of a dataset's rows.
   */
  getRows(
    id: string,
    options?: ILiveGraphsAPI.IRowsOptions
  ): Promise<IRowsPage>;

  /**
   * Run a chart spec on the server and answer its result (`docs/charts.md`).
   */
  queryChart(
    spec: IChartSpec,
    options?: { signal?: AbortSignal }
  ): Promise<IChartResult>;
}

/**
 * A namespace for `ILiveGraphsAPI` statics.
 */
export namespace ILiveGraphsAPI {
  /**
   * Hints sent with an upload; the server sniffs the format without them.
   */
  export interface IUploadOptions {
    /**
     * The original file name; a `File` body's own name when omitted.
     */
    filename?: string;

    /**
     * The media type, e.g. `text/csv`; a `Blob` body's own type when omitted.
     */
    contentType?: string;
  }

  /**
   * Which rows to read.
   */
  export interface IRowsOptions {
    /**
     * The index of the first row; the server's default when omitted.
     */
    offset?: number;

    /**
     * The most rows to return; the server's default when omitted.
     */
    limit?: number;
  }
}

/**
 * The livegraphs REST client token.
 */
export const ILiveGraphsAPI = new Token<ILiveGraphsAPI>(
  'livegraphs-ext:ILiveGraphsAPI',
  'A client for the livegraphs datasets REST API.'
);
