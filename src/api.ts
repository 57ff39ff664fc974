import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { IChartResult, IChartSpec } from './charts/types';
import { IDataset, ILiveGraphsAPI, IRowsPage } from './tokens';

/**
 * An error answered by the livegraphs REST API.
 *
 * The server's error body is `{"message", "reason", "errors"}`; a body that is
 * not JSON leaves `reason` null and `errors` empty.
 */
export class LiveGraphsAPIError extends Error {
  constructor(options: LiveGraphsAPIError.IOptions) {
    super(options.message);
    this.name = 'LiveGraphsAPIError';
    this.status = options.status;
    this.reason = options.reason ?? null;
    this.errors = options.errors ?? [];
  }

  /**
   * The HTTP status code.
   */
  readonly status: number;

  /**
   * The short machine-readable reason, if the server gave one.
   */
  readonly reason: string | null;

  /**
   * Detailed errors, e.g. one entry per invalid value of an upload.
   */
  readonly errors: ReadonlyArray<LiveGraphsAPIError.IDetail>;
}

/**
 * A namespace for `LiveGraphsAPIError` statics.
 */
export namespace LiveGraphsAPIError {
  /**
   * One detailed error; validation errors name the offending cell.
   */
  export interface IDetail {
    readonly message?: string;
    readonly row?: number;
    readonly column?: string;
    readonly value?: unknown;
    readonly expected?: string;
    readonly [key: string]: unknown;
  }

  /**
   * The options used to create an error.
   */
  export interface IOptions {
    status: number;
    message: string;
    reason?: string | null;
    errors?: ReadonlyArray<IDetail>;
  }

  /**
   * Create an error from a failed response.
   */
  export async function fromResponse(
    response: Response
  ): Promise<LiveGraphsAPIError> {
    const fallback = `${response.status} ${response.statusText}`.trim();
    let body: unknown = null;
    try {
      body = await response.json();
    } catch {
      // Not JSON, e.g. a proxy's HTML error page: keep the status text.
    }
    if (body === null || typeof body !== 'object') {
      return new LiveGraphsAPIError({
        status: response.status,
        message: fallback
      });
    }
    const { message, reason, errors } = body as Record<string, unknown>;
    return new LiveGraphsAPIError({
      status: response.status,
      message: typeof message === 'string' && message ? message : fallback,
      reason: typeof reason === 'string' ? reason : null,
      errors: Array.isArray(errors) ? (errors as IDetail[]) : []
    });
  }
}

/**
 * The livegraphs REST client, over `ServerConnection`.
 */
export class LiveGraphsAPI implements ILiveGraphsAPI {
  constructor(options: LiveGraphsAPI.IOptions = {}) {
    this.serverSettings =
      options.serverSettings ?? ServerConnection.makeSettings();
  }

  /**
   * The server settings used to make requests.
   */
  readonly serverSettings: ServerConnection.ISettings;

  async listDatasets(): Promise<IDataset[]> {
    const body = await this._request<{ datasets: IDataset[] }>(['datasets']);
    return body.datasets;
  }

  getDataset(id: string): Promise<IDataset> {
    return this._request<IDataset>(['datasets', id]);
  }

  uploadDataset(
    name: string,
    body: Blob | ArrayBuffer | string,
    options: ILiveGraphsAPI.IUploadOptions = {}
  ): Promise<IDataset> {
    const blobType = body instanceof Blob ? body.type : '';
    const contentType =
      options.contentType || blobType || 'application/octet-stream';
    const query: Record<string, string> = { name };
    const filename =
      options.filename ?? (body instanceof File ? body.name : undefined);
    if (filename) {
      query.filename = filename;
    }
    return this._request<IDataset>(['datasets'], query, {
      method: 'POST',
      body,
      headers: { 'Content-Type': contentType }
    });
  }

  async deleteDataset(id: string): Promise<void> {
    await this._request<void>(['datasets', id], {}, { method: 'DELETE' });
  }

  getRows(
    id: string,
    options: ILiveGraphsAPI.IRowsOptions = {}
  ): Promise<IRowsPage> {
    const query: Record<string, number> = {};
    if (options.offset !== undefined) {
      query.offset = options.offset;
    }
    if (options.limit !== undefined) {
      query.limit = options.limit;
    }
    return this._request<IRowsPage>(['datasets', id, 'rows'], query);
  }

  queryChart(
    spec: IChartSpec,
    options: { signal?: AbortSignal } = {}
  ): Promise<IChartResult> {
    return this._request<IChartResult>(
      ['charts', 'query'],
      {},
      {
        method: 'POST',
        body: JSON.stringify({ spec }),
        headers: { 'Content-Type': 'application/json' },
        signal: options.signal
      }
    );
  }

  /**
   * Make a request to `{baseUrl}livegraphs/api/{...path}` and parse the JSON
   * answer; path parts are URL-encoded here, so ids may hold any character.
   */
  private async _request<T>(
    path: string[],
    query: Record<string, string | number> = {},
    init: RequestInit = {}
  ): Promise<T> {
    const url =
      URLExt.join(
        this.serverSettings.baseUrl,
        'livegraphs',
        'api',
        ...path.map(encodeURIComponent)
      ) + URLExt.objectToQueryString(query);
    const response = await ServerConnection.makeRequest(
      url,
      init,
      this.serverSettings
    );
    if (!response.ok) {
      throw await LiveGraphsAPIError.fromResponse(response);
    }
    if (response.status === 204) {
      return undefined as T;
    }
    return (await response.json()) as T;
  }
}

/**
 * A namespace for `LiveGraphsAPI` statics.
 */
export namespace LiveGraphsAPI {
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
