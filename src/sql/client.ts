import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { LiveGraphsAPIError } from '../api';
import { IDataset } from '../tokens';

/**
 * A column of a query's result, typed as a dataset saved from it would be.
 */
export interface ISqlColumn {
  readonly name: string;
  readonly type: string;
  readonly timezone?: string;
}

/**
 * A dataset a query read, at the version it read.
 */
export interface ISqlSource {
  readonly name: string;
  readonly id: string;
  readonly owner: string;
  readonly dataset: string;
  readonly version: number;
}

/**
 * One page of a query's result (`POST sql/query`).
 */
export interface ISqlPage {
  readonly columns: ReadonlyArray<ISqlColumn>;
  readonly rows: ReadonlyArray<ReadonlyArray<unknown>>;
  readonly offset: number;
  readonly limit: number;

  /**
   * Rows of the whole result; null when not counted.
   */
  readonly total: number | null;
  readonly sources: ReadonlyArray<ISqlSource>;
}

/**
 * The query behind a dataset, and whether its sources moved on (`GET datasets/{id}/refresh`).
 */
export interface ISqlSources {
  /**
   * Null for a dataset not made by a query.
   */
  readonly sql: string | null;
  readonly stale: boolean;
  readonly sources: ReadonlyArray<{
    readonly name: string;
    readonly id: string;
    readonly version: number;
    readonly current: number | null;
    readonly readable: boolean;
  }>;
}

/**
 * A dataset after `POST datasets/{id}/refresh`.
 */
export interface IRefreshed extends IDataset {
  readonly refreshed: boolean;
}

/**
 * The SQL routes of the livegraphs REST API (`docs/sql.md`).
 */
export class SqlClient {
  constructor(options: SqlClient.IOptions = {}) {
    this.serverSettings =
      options.serverSettings ?? ServerConnection.makeSettings();
  }

  readonly serverSettings: ServerConnection.ISettings;

  /**
   * A page of a query's result; `count` asks for the whole result's row count.
   */
  query(
    sql: string,
    options: { offset?: number; limit?: number; count?: boolean } = {},
    signal?: AbortSignal
  ): Promise<ISqlPage> {
    return this._post<ISqlPage>(['sql', 'query'], { sql, ...options }, signal);
  }

  /**
   * Save a query's whole result as a new dataset of the caller's.
   */
  save(sql: string, name: string): Promise<IDataset> {
    return this._post<IDataset>(['sql', 'datasets'], { sql, name });
  }

  /**
   * The query behind a dataset and whether its sources moved on.
   */
  async sources(id: string): Promise<ISqlSources> {
    return this._request<ISqlSources>(['datasets', id, 'refresh'], {});
  }

  /**
   * Run a dataset's query again over its sources' current versions.
   */
  refresh(id: string): Promise<IRefreshed> {
    return this._request<IRefreshed>(['datasets', id, 'refresh'], {
      method: 'POST'
    });
  }

  private _post<T>(
    path: string[],
    body: unknown,
    signal?: AbortSignal
  ): Promise<T> {
    return this._request<T>(path, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json' },
      signal
    });
  }

  private async _request<T>(path: string[], init: RequestInit): Promise<T> {
    const url = URLExt.join(
      this.serverSettings.baseUrl,
      'livegraphs',
      'api',
      ...path.map(encodeURIComponent)
    );
    const response = await ServerConnection.makeRequest(
      url,
      init,
      this.serverSettings
    );
    if (!response.ok) {
      throw await LiveGraphsAPIError.fromResponse(response);
    }
    return (await response.json()) as T;
  }
}

/**
 * A namespace for `SqlClient` statics.
 */
export namespace SqlClient {
  /**
   * The options used to create a client.
   */
  export interface IOptions {
    /**
     * The server settings; JupyterLab's defaults when omitted.
     */
    serverSettings?: ServerConnection.ISettings;
  }
}
