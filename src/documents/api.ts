/**
 * The REST client of shared documents (dashboards and charts kept by the
 * store): `documents`, their shares and the user/group directory.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { LiveGraphsAPIError } from '../api';
import { IDrillPage, IDrillRequest } from '../charts/drill';
import { IChartResult, IFilter } from '../charts/types';

/**
 * The kinds of shared documents.
 */
export type DocumentKind = 'dashboard' | 'chart';

/**
 * What the caller may do with a document.
 */
export type DocumentAccess = 'owner' | 'editor' | 'viewer' | 'admin';

/**
 * A document of the catalog, as `GET documents/{id}` answers it.
 */
export interface IDocumentInfo {
  id: string;
  kind: DocumentKind;
  title: string;
  owner: string;
  access: DocumentAccess;
  created: string;
  updated: string;
  updated_by?: string | null;
}

/**
 * A share of a document with a user or a group.
 */
export interface IDocumentShare {
  kind: 'user' | 'group';
  name: string;
  role: 'viewer' | 'editor';
  created?: string;
  created_by?: string;
}

/**
 * A user or group found in the directory.
 */
export interface IDirectoryEntry {
  kind: 'user' | 'group';
  name: string;
  label?: string;
}

/**
 * The data point a comment thread is pinned to.
 */
export interface ICommentAnchor {
  x: unknown;
  y?: number;
  label?: string;
}

/**
 * One comment of a thread.
 */
export interface IComment {
  id: string;
  author: string;
  text: string;
  created: string;
  edited: string | null;
  can_edit: boolean;
  can_delete: boolean;
}

/**
 * A comment thread on one chart of a document.
 */
export interface ICommentThread {
  id: string;
  chart: string;
  anchor: ICommentAnchor | null;
  resolved: boolean;
  resolved_by: string | null;
  resolved_at: string | null;
  created_by: string;
  created: string;
  can_resolve: boolean;
  comments: IComment[];
}

/**
 * A published snapshot of a dashboard.
 */
export interface ISnapshot {
  id: string;
  number: number;
  title: string;
  charts: number;
  created: string;
  created_by: string;
}

/**
 * A link to a dashboard's snapshot; `token` and `url` only when just made.
 */
export interface IPublicationLink {
  id: string;
  kind: 'public' | 'signed_in';
  /** The snapshot's number; null: always the newest. */
  snapshot: number | null;
  expires: string | null;
  revoked: string | null;
  state: 'active' | 'expired' | 'revoked';
  created: string;
  created_by: string;
  token?: string;
  url?: string;
}

/**
 * The file extension of each kind of document.
 */
export const EXTENSIONS: Record<DocumentKind, string> = {
  dashboard: '.lgdash',
  chart: '.lgchart'
};

/**
 * The documents REST client, over `ServerConnection`.
 */
export class DocumentsAPI {
  constructor(serverSettings?: ServerConnection.ISettings) {
    this.serverSettings = serverSettings ?? ServerConnection.makeSettings();
  }

  readonly serverSettings: ServerConnection.ISettings;

  async list(kind?: DocumentKind): Promise<IDocumentInfo[]> {
    const body = await this._request<{ documents: IDocumentInfo[] }>(
      ['documents'],
      kind ? { kind } : {}
    );
    return body.documents;
  }

  create(
    kind: DocumentKind,
    options: { title?: string; content?: unknown } = {}
  ): Promise<IDocumentInfo> {
    return this._send<IDocumentInfo>('POST', ['documents'], {
      kind,
      ...options
    });
  }

  get(id: string): Promise<IDocumentInfo> {
    return this._request<IDocumentInfo>(['documents', id]);
  }

  rename(id: string, title: string): Promise<IDocumentInfo> {
    return this._send<IDocumentInfo>('PATCH', ['documents', id], { title });
  }

  remove(id: string): Promise<void> {
    return this._send<void>('DELETE', ['documents', id]);
  }

  async shares(id: string): Promise<IDocumentShare[]> {
    const body = await this._request<{ shares: IDocumentShare[] }>([
      'documents',
      id,
      'shares'
    ]);
    return body.shares;
  }

  share(
    id: string,
    kind: IDocumentShare['kind'],
    name: string,
    role: IDocumentShare['role']
  ): Promise<IDocumentShare> {
    return this._send<IDocumentShare>('PUT', ['documents', id, 'shares'], {
      kind,
      name,
      role
    });
  }

  unshare(id: string, kind: IDocumentShare['kind'], name: string) {
    return this._send<void>('DELETE', ['documents', id, 'shares', kind, name]);
  }

  /**
   * Freeze a dashboard and its dataset versions into a new snapshot.
   */
  publish(id: string): Promise<ISnapshot> {
    return this._send<ISnapshot>('POST', ['documents', id, 'publish']);
  }

  async snapshots(id: string): Promise<ISnapshot[]> {
    const body = await this._request<{ snapshots: ISnapshot[] }>([
      'documents',
      id,
      'snapshots'
    ]);
    return body.snapshots;
  }

  async links(id: string): Promise<IPublicationLink[]> {
    const body = await this._request<{ links: IPublicationLink[] }>([
      'documents',
      id,
      'links'
    ]);
    return body.links;
  }

  /**
   * A new link to snapshot `snapshot` (null: always the newest), expiring at
   * `expires` (an ISO time; null: never); its token and URL come this once.
   */
  createLink(
    id: string,
    kind: IPublicationLink['kind'],
    options: { snapshot?: number | null; expires?: string | null } = {}
  ): Promise<IPublicationLink> {
    return this._send<IPublicationLink>('POST', ['documents', id, 'links'], {
      kind,
      snapshot: options.snapshot ?? null,
      expires: options.expires ?? null
    });
  }

  revokeLink(id: string, linkId: string): Promise<void> {
    return this._send<void>('DELETE', ['documents', id, 'links', linkId]);
  }

  /**
   * The data of a dashboard's chart (`chartId`) or of a chart document
   * (null), as its stored spec restricted by `filters` (the dashboard filter
   * values and cross-filter selections): readers of the document see it
   * without access to the dataset.
   */
  queryChart(
    id: string,
    chartId: string | null,
    filters: IFilter[],
    options: { signal?: AbortSignal } = {}
  ): Promise<IChartResult> {
    const path = chartId
      ? ['documents', id, 'charts', chartId, 'query']
      : ['documents', id, 'query'];
    return this._request<IChartResult>(
      path,
      {},
      {
        method: 'POST',
        body: JSON.stringify({ filters }),
        headers: { 'Content-Type': 'application/json' },
        signal: options.signal
      }
    );
  }

  /**
   * The rows behind a mark of a dashboard's chart (`chartId`) or of a chart
   * document (null), or a page of the list of conditions as edited: readers
   * of the document drill without access to the dataset.
   */
  drill(
    id: string,
    chartId: string | null,
    request: IDrillRequest,
    extra: IFilter[],
    options: { signal?: AbortSignal } = {}
  ): Promise<IDrillPage> {
    const path = chartId
      ? ['documents', id, 'charts', chartId, 'drill']
      : ['documents', id, 'drill'];
    const { mark, index, offset, limit, sort } = request;
    const filters = mark !== undefined ? extra : (request.filters ?? []);
    return this._request<IDrillPage>(
      path,
      {},
      {
        method: 'POST',
        body: JSON.stringify({ filters, mark, index, offset, limit, sort }),
        headers: { 'Content-Type': 'application/json' },
        signal: options.signal
      }
    );
  }

  /**
   * A dashboard filter's values (`search` narrowing them) or extent, as the
   * chart result `FilterValues` reads.
   */
  queryFilter(
    id: string,
    filterId: string,
    what: 'values' | 'extent',
    search = ''
  ): Promise<IChartResult> {
    return this._request<IChartResult>(
      ['documents', id, 'filters', filterId, 'query'],
      {},
      {
        method: 'POST',
        body: JSON.stringify(what === 'values' ? { what, search } : { what }),
        headers: { 'Content-Type': 'application/json' }
      }
    );
  }

  /**
   * Users and groups matching `query`, or null when the server has no
   * directory to search (then names are typed in full).
   */
  async directory(query: string): Promise<IDirectoryEntry[] | null> {
    let body: any;
    try {
      body = await this._request<any>(['directory'], { q: query });
    } catch (e) {
      if (e instanceof LiveGraphsAPIError && [404, 405].includes(e.status)) {
        return null;
      }
      throw e;
    }
    const out: IDirectoryEntry[] = [];
    const add = (kind: IDirectoryEntry['kind'], item: any) => {
      const name = typeof item === 'string' ? item : item?.name;
      if (typeof name === 'string' && name) {
        const label = item?.display_name ?? item?.label;
        out.push({ kind, name, label: typeof label === 'string' ? label : '' });
      }
    };
    for (const item of body?.users ?? []) {
      add('user', item);
    }
    for (const item of body?.groups ?? []) {
      add('group', item);
    }
    for (const item of body?.entries ?? body?.results ?? []) {
      add(item?.kind === 'group' ? 'group' : 'user', item);
    }
    return out;
  }

  /**
   * A document's content: the JSON of its `.lgdash` / `.lgchart` file.
   */
  content(id: string): Promise<unknown> {
    return this._request<unknown>(['documents', id, 'content']);
  }

  /**
   * Where to download a document as a `.lgdash` / `.lgchart` file.
   */
  downloadUrl(id: string): string {
    return this._url(['documents', id, 'content'], { download: 1 });
  }

  /**
   * The WebSocket URL of a document's room without its last part ("room"),
   * and the query parameters to send, as JupyterLab's own sockets do.
   */
  room(id: string): { serverUrl: string; params: Record<string, string> } {
    const settings = this.serverSettings;
    const serverUrl = URLExt.join(
      settings.wsUrl,
      'livegraphs',
      'api',
      'documents',
      encodeURIComponent(id)
    );
    const params: Record<string, string> = {};
    if (settings.appendToken && settings.token) {
      params.token = settings.token;
    }
    return { serverUrl, params };
  }

  /**
   * The comment threads of a document (`documents/{id}/comments`).
   */
  async threads(id: string): Promise<ICommentThread[]> {
    const body = await this._request<{ threads: ICommentThread[] }>([
      'documents',
      id,
      'comments'
    ]);
    return body.threads;
  }

  /**
   * Start a thread on a chart ("" on a chart document), maybe at a point.
   */
  startThread(
    id: string,
    chart: string,
    text: string,
    anchor: ICommentAnchor | null = null
  ): Promise<ICommentThread> {
    return this._send('POST', ['documents', id, 'comments'], {
      chart,
      text,
      anchor
    });
  }

  reply(id: string, thread: string, text: string): Promise<ICommentThread> {
    return this._send(
      'POST',
      ['documents', id, 'comments', thread, 'replies'],
      { text }
    );
  }

  resolve(
    id: string,
    thread: string,
    resolved: boolean
  ): Promise<ICommentThread> {
    return this._send('PATCH', ['documents', id, 'comments', thread], {
      resolved
    });
  }

  editComment(
    id: string,
    thread: string,
    comment: string,
    text: string
  ): Promise<ICommentThread> {
    return this._send('PATCH', ['documents', id, 'comments', thread, comment], {
      text
    });
  }

  deleteComment(id: string, thread: string, comment: string): Promise<void> {
    return this._send('DELETE', ['documents', id, 'comments', thread, comment]);
  }

  private _send<T>(method: string, path: string[], body?: unknown) {
    return this._request<T>(
      path,
      {},
      body === undefined
        ? { method }
        : {
            method,
            body: JSON.stringify(body),
            headers: { 'Content-Type': 'application/json' }
          }
    );
  }

  private async _request<T>(
    path: string[],
    query: Record<string, string | number> = {},
    init: RequestInit = {}
  ): Promise<T> {
    const response = await ServerConnection.makeRequest(
      this._url(path, query),
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

  private _url(path: string[], query: Record<string, string | number> = {}) {
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
