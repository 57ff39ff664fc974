import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { IDrillPage, IDrillRequest } from './charts/drill';
import { IChartResult, IChartSpec } from './charts/types';
import {
  ICompare,
  ICompletion,
  IDataset,
  IFormulaCheck,
  ILiveGraphsAPI,
  IModelReport,
  IModelSpec,
  IProfile,
  IRecipeStep,
  IRowsPage,
  ISearchResults,
  IStep,
  IVersion
} from './tokens';

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

  resolveDataset(name: string): Promise<IDataset> {
    return this._request<IDataset>(['datasets', 'resolve'], { name });
  }

  searchDatasets(
    q: string,
    options: { rows?: number; signal?: AbortSignal } = {}
  ): Promise<ISearchResults> {
    const query: Record<string, string | number> = { q };
    if (options.rows !== undefined) {
      query.rows = options.rows;
    }
    return this._request<ISearchResults>(['datasets', 'search'], query, {
      signal: options.signal
    });
  }

  /**
   * Upload over XMLHttpRequest, the one browser API that reports upload
   * progress; a `File` body is streamed from disk, never read into memory.
   */
  uploadDataset(
    name: string,
    body: Blob | ArrayBuffer | string,
    options: ILiveGraphsAPI.IUploadOptions = {}
  ): Promise<IDataset> {
    const query: Record<string, string> = { name };
    const filename =
      options.filename ?? (body instanceof File ? body.name : undefined);
    if (filename) {
      query.filename = filename;
    }
    if (options.badValues) {
      query.bad_values = options.badValues;
    }
    return this._send(this._url(['datasets'], query), body, options);
  }

  newData(
    id: string,
    body: Blob | ArrayBuffer | string,
    options: ILiveGraphsAPI.INewDataOptions
  ): Promise<IDataset> {
    const query: Record<string, string> = { mode: options.mode };
    if (options.baseVersion !== undefined) {
      query.base_version = String(options.baseVersion);
    }
    if (options.ontoVersion !== undefined) {
      query.onto_version = String(options.ontoVersion);
    }
    const filename =
      options.filename ?? (body instanceof File ? body.name : undefined);
    if (filename) {
      query.filename = filename;
    }
    if (options.badValues) {
      query.bad_values = options.badValues;
    }
    return this._send(
      this._url(['datasets', id, 'data'], query),
      body,
      options
    );
  }

  compareVersions(id: string, from?: number, to?: number): Promise<ICompare> {
    const query: Record<string, number> = {};
    if (from !== undefined) {
      query.from = from;
    }
    if (to !== undefined) {
      query.to = to;
    }
    return this._request<ICompare>(['datasets', id, 'compare'], query);
  }

  private _send(
    url: string,
    body: Blob | ArrayBuffer | string,
    options: ILiveGraphsAPI.IUploadOptions
  ): Promise<IDataset> {
    const blobType = body instanceof Blob ? body.type : '';
    const contentType =
      options.contentType || blobType || 'application/octet-stream';
    const settings = this.serverSettings;
    return new Promise<IDataset>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      const signal = options.signal;
      const onAbort = () => xhr.abort();
      if (signal?.aborted) {
        reject(new DOMException('The upload was cancelled', 'AbortError'));
        return;
      }
      signal?.addEventListener('abort', onAbort);
      xhr.open('POST', url);
      xhr.setRequestHeader('Content-Type', contentType);
      for (const [key, value] of Private.authHeaders(settings)) {
        xhr.setRequestHeader(key, value);
      }
      xhr.withCredentials = true;
      xhr.responseType = 'text';
      xhr.upload.onprogress = event => {
        if (event.lengthComputable) {
          options.onProgress?.(event.loaded, event.total);
        }
      };
      const done = () => signal?.removeEventListener('abort', onAbort);
      xhr.onload = () => {
        done();
        if (xhr.status >= 200 && xhr.status < 300) {
          resolve(JSON.parse(xhr.responseText) as IDataset);
          return;
        }
        const response = new Response(xhr.responseText || null, {
          status: xhr.status,
          statusText: xhr.statusText
        });
        void LiveGraphsAPIError.fromResponse(response).then(reject);
      };
      xhr.onerror = () => {
        done();
        reject(
          new LiveGraphsAPIError({
            status: 0,
            message: 'The server could not be reached'
          })
        );
      };
      xhr.onabort = () => {
        done();
        reject(new DOMException('The upload was cancelled', 'AbortError'));
      };
      xhr.send(body);
    });
  }

  importFile(
    path: string,
    name: string,
    options: { signal?: AbortSignal } = {}
  ): Promise<IDataset> {
    return this._request<IDataset>(
      ['datasets', 'import'],
      {},
      {
        method: 'POST',
        body: JSON.stringify({ path, name }),
        signal: options.signal
      }
    );
  }

  async listDatasetsIfChanged(
    etag: string | null
  ): Promise<{ datasets: IDataset[]; etag: string | null } | null> {
    const headers: Record<string, string> = {};
    if (etag) {
      headers['If-None-Match'] = etag;
    }
    const response = await ServerConnection.makeRequest(
      this._url(['datasets']),
      { headers, cache: 'no-store' },
      this.serverSettings
    );
    if (response.status === 304) {
      return null;
    }
    if (!response.ok) {
      throw await LiveGraphsAPIError.fromResponse(response);
    }
    const body = (await response.json()) as { datasets: IDataset[] };
    return { datasets: body.datasets, etag: response.headers.get('Etag') };
  }

  renameDataset(id: string, name: string): Promise<IDataset> {
    return this._request<IDataset>(
      ['datasets', id],
      {},
      { method: 'PATCH', body: JSON.stringify({ name }) }
    );
  }

  async getVersions(id: string): Promise<IVersion[]> {
    const body = await this._request<{ versions: IVersion[] }>([
      'datasets',
      id,
      'versions'
    ]);
    return body.versions;
  }

  applyStep(id: string, step: IStep, baseVersion: number): Promise<IDataset> {
    return this._request<IDataset>(
      ['datasets', id, 'transforms'],
      {},
      {
        method: 'POST',
        body: JSON.stringify({ step, base_version: baseVersion })
      }
    );
  }

  fitModel(
    id: string,
    spec: IModelSpec,
    options: { version?: number; signal?: AbortSignal } = {}
  ): Promise<IModelReport> {
    return this._request<IModelReport>(
      ['datasets', id, 'models'],
      {},
      {
        method: 'POST',
        body: JSON.stringify({ spec, version: options.version }),
        headers: { 'Content-Type': 'application/json' },
        signal: options.signal
      }
    );
  }

  addPredictions(
    id: string,
    spec: IModelSpec,
    baseVersion: number
  ): Promise<IDataset> {
    return this._request<IDataset>(
      ['datasets', id, 'models', 'predictions'],
      {},
      {
        method: 'POST',
        body: JSON.stringify({ spec, base_version: baseVersion }),
        headers: { 'Content-Type': 'application/json' }
      }
    );
  }

  revert(id: string, version: number): Promise<IDataset> {
    return this._request<IDataset>(
      ['datasets', id, 'revert'],
      {},
      { method: 'POST', body: JSON.stringify({ version }) }
    );
  }

  async getRecipe(id: string, version?: number): Promise<IRecipeStep[]> {
    const body = await this._request<{ steps: IRecipeStep[] }>(
      ['datasets', id, 'recipe'],
      Private.versionQuery(version, { format: 'json' })
    );
    return body.steps;
  }

  async getRecipeCode(id: string, version?: number): Promise<string> {
    const body = await this._request<{ code: string }>(
      ['datasets', id, 'recipe'],
      Private.versionQuery(version, { format: 'python' })
    );
    return body.code;
  }

  getProfile(id: string, column: string, version?: number): Promise<IProfile> {
    return this._request<IProfile>(
      ['datasets', id, 'profile'],
      Private.versionQuery(version, { column })
    );
  }

  async getCompletions(id: string, version?: number): Promise<ICompletion[]> {
    const body = await this._request<{ completions: ICompletion[] }>(
      ['datasets', id, 'formula'],
      Private.versionQuery(version, {})
    );
    return body.completions;
  }

  checkFormula(
    id: string,
    formula: string,
    version?: number
  ): Promise<IFormulaCheck> {
    return this._request<IFormulaCheck>(
      ['datasets', id, 'formula'],
      {},
      { method: 'POST', body: JSON.stringify({ formula, version }) }
    );
  }

  exportUrl(id: string, format: string, version?: number): string {
    return this._url(
      ['datasets', id, 'export'],
      Private.versionQuery(version, { format })
    );
  }

  async deleteDataset(id: string): Promise<void> {
    await this._request<void>(['datasets', id], {}, { method: 'DELETE' });
  }

  getRows(
    id: string,
    options: ILiveGraphsAPI.IRowsOptions = {}
  ): Promise<IRowsPage> {
    const query: Record<string, string | number> = {};
    if (options.offset !== undefined) {
      query.offset = options.offset;
    }
    if (options.limit !== undefined) {
      query.limit = options.limit;
    }
    if (options.version !== undefined) {
      query.version = options.version;
    }
    if (options.sort) {
      query.sort = options.sort;
    }
    if (options.q) {
      query.q = options.q;
    }
    return this._request<IRowsPage>(['datasets', id, 'rows'], query, {
      signal: options.signal
    });
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
   * The rows behind a mark of a chart (`POST datasets/{id}/drill`), or a
   * page of the list of conditions as the user edited it.
   */
  drillRows(
    request: IDrillRequest,
    options: { signal?: AbortSignal } = {}
  ): Promise<IDrillPage> {
    const dataset = request.from?.dataset ?? request.spec.dataset;
    const spec = { ...request.spec, dataset };
    const body =
      request.mark !== undefined
        ? { spec, mark: request.mark, index: request.index }
        : { spec, filters: request.filters ?? [] };
    const { offset, limit, sort } = request;
    return this._request<IDrillPage>(
      ['datasets', dataset.id ?? '', 'drill'],
      {},
      {
        method: 'POST',
        body: JSON.stringify({ ...body, offset, limit, sort }),
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
    const url = this._url(path, query);
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

  /**
   * `{baseUrl}livegraphs/api/{...path}?{query}`, path parts URL-encoded.
   */
  private _url(
    path: string[],
    query: Record<string, string | number> = {}
  ): string {
    return (
      URLExt.join(
        this.serverSettings.baseUrl,
        'livegraphs',
        'api',
        ...path.map(encodeURIComponent)
      ) + URLExt.objectToQueryString(query)
    );
  }
}

/**
 * Helpers private to this module.
 */
namespace Private {
  /**
   * `query` plus `version` when one is given.
   */
  export function versionQuery(
    version: number | undefined,
    query: Record<string, string | number>
  ): Record<string, string | number> {
    return version === undefined ? query : { ...query, version };
  }

  /**
   * The headers `ServerConnection.makeRequest` would add: the token, and the
   * XSRF cookie's value for a state-changing request.
   */
  export function authHeaders(
    settings: ServerConnection.ISettings
  ): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    if (settings.token) {
      out.push(['Authorization', `token ${settings.token}`]);
    }
    const match = document.cookie.match('\\b_xsrf=([^;]*)\\b');
    if (match) {
      out.push(['X-XSRFToken', match[1]]);
    }
    return out;
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
