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

  /**
   * How many values an integer column holds, when it has few; absent for
   * other columns.
   */
  readonly distinct?: number;
}

/**
 * What the caller may do to a dataset on a hub: viewers read, editors also clean and
 * rename, owners and admins also delete and share.
 */
export type DatasetAccess = 'owner' | 'editor' | 'viewer' | 'admin';

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
   * The caller's level on a hub (absent on a laptop, where the one user may do everything).
   */
  readonly access?: DatasetAccess;

  /**
   * ISO 8601 timestamps.
   */
  readonly created: string;
  readonly updated: string;

  /**
   * How many versions the dataset has.
   */
  readonly versions?: number;

  /**
   * The validation report of the current version.
   */
  readonly report?: IReport | null;

  /**
   * Conversion problems of the step that made this version (transforms only).
   */
  readonly problems?: ReadonlyArray<IProblem>;

  /**
   * What new data changed (the answer of an append or replace only).
   */
  readonly changes?: IDataChanges;
}

/**
 * Columns added, removed and retyped between two versions.
 */
export interface IColumnChanges {
  readonly added: ReadonlyArray<{ name: string; type: string }>;
  readonly removed: ReadonlyArray<{ name: string; type: string }>;
  readonly retyped: ReadonlyArray<{ name: string; from: string; to: string }>;
}

/**
 * A shared dashboard or chart whose spec uses a removed or retyped column.
 */
export interface IDocumentUse {
  readonly id: string;
  readonly kind: 'dashboard' | 'chart';
  readonly title: string;
  readonly owner: string;
  readonly columns: ReadonlyArray<string>;
  /**
   * A dashboard's charts using them.
   */
  readonly charts: ReadonlyArray<{
    id: string;
    title?: string | null;
    columns: ReadonlyArray<string>;
  }>;
  /**
   * A dashboard's filters on them.
   */
  readonly filters: ReadonlyArray<{ id: string; column: string }>;
}

/**
 * The documents using removed or retyped columns: those the caller may read
 * named, the others counted.
 */
export interface IDocumentUses {
  readonly documents: ReadonlyArray<IDocumentUse>;
  readonly hidden: number;
  /**
   * The chart and dashboard files of the file browser using them, where the
   * server can read those (a laptop).
   */
  readonly files?: ReadonlyArray<IFileUse>;
  /**
   * False when the server stopped looking through files at its bounds.
   */
  readonly files_complete?: boolean;
}

/**
 * A chart or dashboard file whose spec uses a removed or retyped column.
 */
export interface IFileUse extends Omit<IDocumentUse, 'id' | 'owner'> {
  /**
   * The file's path in the file browser.
   */
  readonly path: string;
}

/**
 * What an append or replace changed.
 */
export interface IDataChanges extends IColumnChanges {
  readonly mode: 'append' | 'replace';
  readonly from_version: number;
  readonly rows_before: number;
  readonly rows_after: number;
  readonly rows_received: number;
  readonly charts: IDocumentUses | null;
  readonly note: string | null;
}

/**
 * What changed between two versions (`GET datasets/{id}/compare`).
 */
export interface ICompare {
  readonly from: number;
  readonly to: number;
  readonly rows: {
    from: number;
    to: number;
    added: number;
    removed: number;
  };
  readonly columns: IColumnChanges;
  readonly charts: IDocumentUses | null;
}

/**
 * One value that did not fit its column's type.
 */
export interface IProblem {
  /**
   * The 1-based data row (the header not counted), if known.
   */
  readonly row: number | null;
  readonly column: string | null;
  readonly value: unknown;
  readonly expected: string;
}

/**
 * What the server found when it read an upload or applied a step.
 */
export interface IReport {
  readonly problems?: ReadonlyArray<IProblem>;
  readonly problem_count?: number;

  /**
   * What the upload or the step that made the version did (values read as
   * missing, columns retyped), one sentence each.
   */
  readonly notes?: ReadonlyArray<string>;
  readonly [key: string]: unknown;
}

/**
 * One version of a dataset.
 */
export interface IVersion {
  readonly version: number;
  readonly parent: number | null;
  /**
   * `append` and `replace`: new data sent for the dataset (its recipe may follow as
   * `transform` versions).
   */
  readonly kind: 'upload' | 'append' | 'replace' | 'transform' | 'revert';
  readonly rows: number;
  readonly size: number;
  readonly columns: ReadonlyArray<IColumn>;
  readonly step: IStep | null;
  readonly description: string;
  readonly created: string;
  readonly created_by: string;
}

/**
 * One cleaning step, e.g. `{"op": "cast", "column": "x", "to": "float"}`.
 */
export interface IStep {
  readonly op: string;
  readonly [key: string]: unknown;
}

/**
 * One step of a recipe: the version it made and what it did.
 */
export interface IRecipeStep {
  readonly version: number;
  readonly step: IStep;
  readonly description: string;
}

/**
 * A column's profile.
 */
export interface IProfile {
  readonly column: string;
  readonly type: string;
  readonly count: number;
  readonly nulls: number;
  readonly distinct: number;
  readonly min: unknown;
  readonly max: unknown;
  readonly mean: number | null;
  readonly histogram: ReadonlyArray<{
    readonly start: number;
    readonly end: number;
    readonly count: number;
  }>;
  readonly top: ReadonlyArray<{
    readonly value: unknown;
    readonly count: number;
  }>;
}

/**
 * The answer to a formula check.
 */
export interface IFormulaCheck {
  readonly valid: boolean;
  readonly type?: string;
  readonly columns?: ReadonlyArray<string>;
  readonly message?: string;
  readonly position?: number | null;
}

/**
 * Something a formula editor may offer.
 */
export interface ICompletion {
  readonly kind: 'function' | 'keyword' | 'column';
  readonly name: string;
  readonly signature: string;
  readonly doc: string;
}

/**
 * One page of a dataset's rows.
 */
export interface IRowsPage {
  /**
   * The column names, in order.
   */
  readonly columns: ReadonlyArray<string>;
  readonly rows: ReadonlyArray<ReadonlyArray<unknown>>;
  readonly offset: number;
  readonly limit: number;

  /**
   * The number of rows in the whole dataset (that match, with a search).
   */
  readonly total: number;

  /**
   * With a search (`q`): the query as the server read it.
   */
  readonly search?: ISearchInfo;
}

/**
 * One part of a search: a word, a prefix (`word*`) or a phrase, normalised
 * (lower case, accents removed) as the server matches it.
 */
export interface ISearchClause {
  readonly words: ReadonlyArray<string>;
  readonly prefix: boolean;
}

/**
 * A search as the server read it (`docs/search.md`).
 */
export interface ISearchInfo {
  readonly q: string;
  readonly clauses: ReadonlyArray<ISearchClause>;

  /**
   * The text columns searched.
   */
  readonly columns?: ReadonlyArray<string>;

  /**
   * Whether the version's index answered (else a scan, while it is built).
   */
  readonly indexed?: boolean;
}

/**
 * What `GET datasets/search` answers: matches grouped by dataset.
 */
export interface ISearchResults {
  readonly search: ISearchInfo;
  readonly results: ReadonlyArray<{
    readonly dataset: IDataset;
    /**
     * Whether the dataset's name matches.
     */
    readonly name: boolean;
    /**
     * The column names that match.
     */
    readonly columns: ReadonlyArray<string>;
    /**
     * The first matching rows and their count (null while the dataset is indexed).
     */
    readonly rows: {
      readonly columns: ReadonlyArray<string>;
      readonly rows: ReadonlyArray<ReadonlyArray<unknown>>;
      readonly total: number;
    } | null;
  }>;
  /**
   * Big datasets not searched yet: their index is being built.
   */
  readonly pending: ReadonlyArray<{ id: string; name: string; owner: string }>;
  readonly truncated: boolean;
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
   * The dataset a name means to the current user: `owner/name`, or a bare
   * name (their own dataset, else the one shared with them). Rejects with
   * 404, or 409 (`Ambiguous name`) whose `errors` list the `owner/name`
   * choices.
   */
  resolveDataset(name: string): Promise<IDataset>;

  /**
   * Search the names, column names and values of every dataset the caller
   * may read; up to `rows` matching rows per dataset.
   */
  searchDatasets(
    q: string,
    options?: { rows?: number; signal?: AbortSignal }
  ): Promise<ISearchResults>;

  /**
   * Upload a file as a new dataset.
   *
   * @param name - the dataset name.
   * @param body - the raw file content (CSV, Parquet, ...).
   */
  uploadDataset(
    name: string,
    body: Blob | ArrayBuffer | string,
    options?: ILiveGraphsAPI.IUploadOptions
  ): Promise<IDataset>;

  /**
   * Make a dataset from a file of the Jupyter file browser (copied on the server).
   */
  importFile(
    path: string,
    name: string,
    options?: { signal?: AbortSignal }
  ): Promise<IDataset>;

  /**
   * List datasets only if the list changed since the answer tagged `etag`.
   *
   * Resolves to `null` when nothing changed.
   */
  listDatasetsIfChanged(
    etag: string | null
  ): Promise<{ datasets: IDataset[]; etag: string | null } | null>;

  /**
   * Rename a dataset.
   */
  renameDataset(id: string, name: string): Promise<IDataset>;

  /**
   * Append a file's rows to a dataset or replace its data (a new version);
   * the answer carries `changes`.
   */
  newData(
    id: string,
    body: Blob | ArrayBuffer | string,
    options: ILiveGraphsAPI.INewDataOptions
  ): Promise<IDataset>;

  /**
   * What changed between two versions (default: the current one and its parent).
   */
  compareVersions(id: string, from?: number, to?: number): Promise<ICompare>;

  /**
   * Every version of a dataset, oldest first.
   */
  getVersions(id: string): Promise<IVersion[]>;

  /**
   * Apply one cleaning step to the version the caller saw.
   */
  applyStep(id: string, step: IStep, baseVersion: number): Promise<IDataset>;

  /**
   * Make a version's data current again, as a new version.
   */
  revert(id: string, version: number): Promise<IDataset>;

  /**
   * The steps behind a version.
   */
  getRecipe(id: string, version?: number): Promise<IRecipeStep[]>;

  /**
   * The steps behind a version, as pandas code.
   */
  getRecipeCode(id: string, version?: number): Promise<string>;

  /**
   * Fit a model on a version and report it (nothing is kept).
   */
  fitModel(
    id: string,
    spec: IModelSpec,
    options?: { version?: number; signal?: AbortSignal }
  ): Promise<IModelReport>;

  /**
   * A model's predictions as a new column, in a new version.
   */
  addPredictions(
    id: string,
    spec: IModelSpec,
    baseVersion: number
  ): Promise<IDataset>;

  /**
   * One column's profile.
   */
  getProfile(id: string, column: string, version?: number): Promise<IProfile>;

  /**
   * What a formula editor may complete.
   */
  getCompletions(id: string, version?: number): Promise<ICompletion[]>;

  /**
   * Check a formula without applying it.
   */
  checkFormula(
    id: string,
    formula: string,
    version?: number
  ): Promise<IFormulaCheck>;

  /**
   * The download URL of a version in `format` (csv, parquet or json).
   */
  exportUrl(id: string, format: string, version?: number): string;

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

    /**
     * Called as bytes are sent, with the bytes sent and the total.
     */
    onProgress?: (loaded: number, total: number) => void;

    /**
     * Aborts the upload; the server then keeps nothing.
     */
    signal?: AbortSignal;

    /**
     * Values that break their column's type: kept, the column becoming text
     * (`text`, the default), or made missing, the column keeping its type (`null`).
     */
    badValues?: 'text' | 'null';
  }

  /**
   * An upload of new data for a dataset.
   */
  export interface INewDataOptions extends IUploadOptions {
    mode: 'append' | 'replace';

    /**
     * The version the caller saw: refused (409) if the dataset has moved on.
     */
    baseVersion?: number;

    /**
     * An earlier version whose data the new data goes onto, in place of the
     * current one's: what followed it is undone in the same step.
     */
    ontoVersion?: number;
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

    /**
     * The version to read; the current one when omitted.
     */
    version?: number;

    /**
     * Sort keys, e.g. `-price,name`.
     */
    sort?: string;

    /**
     * A full-text search: only the rows that match it.
     */
    q?: string;

    /**
     * Aborts the request.
     */
    signal?: AbortSignal;
  }
}

/**
 * The livegraphs REST client token.
 */
export const ILiveGraphsAPI = new Token<ILiveGraphsAPI>(
  'livegraphs-ext:ILiveGraphsAPI',
  'A client for the livegraphs datasets REST API.'
);

/**
 * What to fit: `POST datasets/{id}/models` (see docs/models.md).
 */
export interface IModelSpec {
  target: string;
  features: string[];
  kind?: 'regression' | 'classification';
  algorithm?: 'linear' | 'boosting';
  evaluation?: 'holdout' | 'cv';
  seed?: number;
}

/**
 * A model's report: metrics beside the baseline, and what explains them.
 */
export interface IModelReport {
  readonly spec: IModelSpec & { kind: string; roles: Record<string, string> };
  readonly time: string | null;
  readonly evaluation: string;
  readonly rows: { with_target: number; used: number; in_dataset: number };
  readonly metrics: {
    model: Record<string, number | null>;
    baseline: Record<string, number | null>;
  };
  readonly importance: ReadonlyArray<{
    feature: string;
    mean: number;
    std: number;
  }>;
  readonly residuals?: {
    histogram: { edges: number[]; counts: number[] };
  };
  readonly confusion?: { labels: string[]; matrix: number[][] };
  readonly warnings: ReadonlyArray<{ kind: string; message: string }>;
  readonly notes: ReadonlyArray<string>;
  readonly code: string;
}
