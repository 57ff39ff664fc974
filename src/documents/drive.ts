/**
 * The LiveGraphs drive: the store's shared documents as files of JupyterLab's
 * contents manager. `mine/<title>.lgdash` are the caller's own documents,
 * `shared/<owner>/<title>.lgchart` the ones shared with them. Opening one
 * makes its shared model and connects it to the document's room; the store
 * keeps every edit, so saving does nothing.
 */
import { ISharedDocument, YDocument } from '@jupyter/ydoc';
import { PathExt } from '@jupyterlab/coreutils';
import { Contents, ServerConnection, User } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

import { LiveGraphsAPIError } from '../api';
import { ChartDoc } from '../charts/doc/model';
import { DashboardDoc } from '../dashboard/model';
import { DocumentKind, DocumentsAPI, EXTENSIONS, IDocumentInfo } from './api';
import { RoomConnection } from './room';

/**
 * The drive's name, the prefix of its paths.
 */
export const DRIVE_NAME = 'LiveGraphs';

/**
 * The folders of the drive and their labels.
 */
export const MINE = 'mine';
export const SHARED = 'shared';
const FOLDER_LABELS: Record<string, string> = {
  [MINE]: 'My dashboards and charts',
  [SHARED]: 'Shared with me'
};

/**
 * The content type of each kind's files (the shared model to make).
 */
const CONTENT_TYPES: Record<DocumentKind, string> = {
  dashboard: 'lgdash',
  chart: 'lgchart'
};

/**
 * An error the contents manager shows ("File Load Error…").
 */
function notFound(path: string): Error {
  return new LiveGraphsAPIError({
    status: 404,
    message: `No document at ${path}`
  });
}

/**
 * The local path of a document.
 */
export function documentPath(doc: IDocumentInfo): string {
  const file = `${doc.title}${EXTENSIONS[doc.kind]}`;
  return doc.access === 'owner'
    ? `${MINE}/${file}`
    : `${SHARED}/${doc.owner}/${file}`;
}

/**
 * The kind of document a file name stands for, from its extension.
 */
function kindOf(path: string): DocumentKind | null {
  const ext = PathExt.extname(path);
  const kind = (Object.keys(EXTENSIONS) as DocumentKind[]).find(
    k => EXTENSIONS[k] === ext
  );
  return kind ?? null;
}

/**
 * The store's documents as a JupyterLab drive.
 */
export class LiveGraphsDrive implements Contents.IDrive {
  constructor(options: LiveGraphsDrive.IOptions) {
    this.api = options.api;
    this.serverSettings = options.api.serverSettings;
    this._user = options.user ?? (async () => null);
    this.sharedModelFactory = {
      collaborative: true,
      createNew: (o: Contents.ISharedFactoryOptions) => this._createShared(o)
    };
  }

  readonly name = DRIVE_NAME;
  readonly api: DocumentsAPI;
  readonly serverSettings: ServerConnection.ISettings;
  readonly sharedModelFactory: Contents.ISharedFactory;

  get fileChanged(): ISignal<this, Contents.IChangedArgs> {
    return this._fileChanged;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._connections.forEach(c => void c.then(room => room?.dispose()));
    this._connections.clear();
    Signal.clearData(this);
  }

  /**
   * The room connection of an open document's shared model (null when it
   * is not one of this drive's, or its document could not be found).
   */
  connectionFor(
    doc: ISharedDocument | null | undefined
  ): Promise<RoomConnection | null> {
    return (doc && this._connections.get(doc)) || Promise.resolve(null);
  }

  /**
   * The document at a local path, listing the documents again when it is
   * not known yet.
   */
  async resolve(localPath: string): Promise<IDocumentInfo> {
    const path = PathExt.removeSlash(localPath);
    let doc = this._byPath.get(path);
    if (!doc) {
      await this._refresh();
      doc = this._byPath.get(path);
    }
    if (!doc) {
      throw notFound(path);
    }
    return doc;
  }

  /**
   * Create a document, with `title` or, when that is taken, `title 2`, …
   */
  async create(
    kind: DocumentKind,
    options: { title?: string; content?: unknown } = {}
  ): Promise<Contents.IModel> {
    const base =
      options.title?.trim() ||
      (kind === 'dashboard' ? 'Untitled dashboard' : 'Untitled chart');
    await this._refresh();
    const taken = new Set(
      [...this._byPath.values()]
        .filter(d => d.kind === kind && d.access === 'owner')
        .map(d => d.title)
    );
    for (let n = 1; ; n++) {
      const title = n === 1 ? base : `${base} ${n}`;
      if (taken.has(title)) {
        continue;
      }
      try {
        const doc = await this.api.create(kind, {
          title,
          ...(options.content !== undefined ? { content: options.content } : {})
        });
        const model = this._remember(doc);
        this._fileChanged.emit({
          type: 'new',
          oldValue: null,
          newValue: model
        });
        return model;
      } catch (e) {
        // Made by someone else (another tab) in the meantime: next number.
        if (!(e instanceof LiveGraphsAPIError && e.status === 409) || n > 50) {
          throw e;
        }
      }
    }
  }

  async get(
    localPath: string,
    options?: Contents.IFetchOptions
  ): Promise<Contents.IModel> {
    const path = PathExt.removeSlash(localPath);
    const parts = path ? path.split('/') : [];
    const withContent = options?.content !== false;
    if (parts.length === 0) {
      return this._folder(
        '',
        [MINE, SHARED].map(f => this._folder(f, null))
      );
    }
    if (parts[0] !== MINE && parts[0] !== SHARED) {
      throw notFound(path);
    }
    const isFile = kindOf(path) !== null && parts.length > 1;
    if (!isFile) {
      if (!withContent) {
        return this._folder(path, null);
      }
      await this._refresh();
      return this._listing(path);
    }
    const doc = await this.resolve(path);
    const opening = this._opening.get(path);
    if (opening && withContent) {
      // The document holds the room's state once this settles.
      const room = await opening;
      await room?.whenSynced();
      if (room && (room.status === 'gone' || room.status === 'closed')) {
        throw notFound(path);
      }
    }
    return this._file(doc);
  }

  async getDownloadUrl(localPath: string): Promise<string> {
    const doc = await this.resolve(localPath);
    return this.api.downloadUrl(doc.id);
  }

  async newUntitled(
    options?: Contents.ICreateOptions
  ): Promise<Contents.IModel> {
    const kind = kindOf(`x${options?.ext ?? ''}`);
    if (options?.type === 'directory' || !kind) {
      throw new Error(
        'The LiveGraphs drive holds dashboards (.lgdash) and charts (.lgchart) only'
      );
    }
    return this.create(kind);
  }

  async delete(localPath: string): Promise<void> {
    const doc = await this.resolve(localPath);
    await this.api.remove(doc.id);
    this._byPath.delete(documentPath(doc));
    this._fileChanged.emit({
      type: 'delete',
      oldValue: { path: documentPath(doc) },
      newValue: null
    });
  }

  async rename(oldPath: string, newPath: string): Promise<Contents.IModel> {
    const doc = await this.resolve(oldPath);
    const target = PathExt.removeSlash(newPath);
    const ext = EXTENSIONS[doc.kind];
    if (
      PathExt.dirname(target) !== PathExt.dirname(documentPath(doc)) ||
      PathExt.extname(target) !== ext
    ) {
      throw new Error(
        `A document can only be renamed in its folder, keeping "${ext}"`
      );
    }
    const renamed = await this.api.rename(
      doc.id,
      PathExt.basename(target, ext)
    );
    this._byPath.delete(documentPath(doc));
    const model = this._remember(renamed);
    const opening = this._opening.get(documentPath(doc));
    if (opening) {
      this._opening.delete(documentPath(doc));
      this._opening.set(model.path, opening);
      void opening.then(room => room?.updateInfo(renamed));
    }
    this._fileChanged.emit({
      type: 'rename',
      oldValue: { path: documentPath(doc) },
      newValue: model
    });
    return model;
  }

  /**
   * Saving stores nothing: the room stores every edit as it is made. A new
   * file with content (e.g. an uploaded `.lgdash`) is imported.
   */
  async save(
    localPath: string,
    options?: Partial<Contents.IModel>
  ): Promise<Contents.IModel> {
    const path = PathExt.removeSlash(localPath);
    let doc: IDocumentInfo | null = null;
    try {
      doc = await this.resolve(path);
    } catch {
      doc = null;
    }
    if (doc) {
      return this._file(doc);
    }
    const kind = kindOf(path);
    if (!kind || options?.content === undefined || options.content === null) {
      throw notFound(path);
    }
    let content = options.content;
    if (typeof content === 'string') {
      content = JSON.parse(
        options.format === 'base64'
          ? new TextDecoder().decode(
              Uint8Array.from(atob(content), c => c.charCodeAt(0))
            )
          : content
      );
    }
    return this.create(kind, {
      title: PathExt.basename(path, EXTENSIONS[kind]),
      content
    });
  }

  async copy(): Promise<Contents.IModel> {
    throw new Error('Documents cannot be copied in the LiveGraphs drive');
  }

  async createCheckpoint(
    localPath: string
  ): Promise<Contents.ICheckpointModel> {
    const doc = await this.resolve(localPath);
    return { id: 'live', last_modified: doc.updated };
  }

  async listCheckpoints(): Promise<Contents.ICheckpointModel[]> {
    return [];
  }

  async restoreCheckpoint(): Promise<void> {
    // Versions are restored from the document's history, not checkpoints.
  }

  async deleteCheckpoint(): Promise<void> {
    // No checkpoints to delete.
  }

  /**
   * Make the shared model of a document being opened and connect it to its
   * room once the document is found.
   */
  private _createShared(
    options: Contents.ISharedFactoryOptions
  ): ISharedDocument | undefined {
    let doc: YDocument<any>;
    if (options.contentType === CONTENT_TYPES.dashboard) {
      doc = DashboardDoc.create();
    } else if (options.contentType === CONTENT_TYPES.chart) {
      doc = ChartDoc.create();
    } else {
      return undefined;
    }
    const colon = options.path.indexOf(':');
    const path = PathExt.removeSlash(
      options.path.startsWith(`${DRIVE_NAME}:`)
        ? options.path.slice(colon + 1)
        : options.path
    );
    const opening = Promise.all([this.resolve(path), this._user()]).then(
      ([info, user]) =>
        doc.isDisposed
          ? null
          : new RoomConnection({ doc, api: this.api, info, user }),
      () => null
    );
    this._opening.set(path, opening);
    this._connections.set(doc, opening);
    let timer = 0;
    doc.disposed.connect(() => {
      window.clearTimeout(timer);
      this._connections.delete(doc);
      for (const [key, value] of this._opening) {
        if (value === opening) {
          this._opening.delete(key);
        }
      }
      void opening.then(room => room?.dispose());
    });
    // Someone retitled the dashboard: the catalog follows (the server
    // renames it shortly after), and so does the open document's path.
    if (doc instanceof DashboardDoc) {
      void opening.then(room => {
        doc.changed.connect(() => {
          if (room && doc.title && doc.title !== room.info.title) {
            window.clearTimeout(timer);
            timer = window.setTimeout(() => void this._follow(room), 1000);
          }
        });
      });
    }
    return doc;
  }

  /**
   * Take the catalog's new title of an open document, telling the document
   * manager its path changed.
   */
  private async _follow(room: RoomConnection): Promise<void> {
    const before = room.info;
    let after: IDocumentInfo;
    try {
      after = await this.api.get(before.id);
    } catch {
      return;
    }
    if (after.title === before.title) {
      return;
    }
    room.updateInfo(after);
    const oldPath = documentPath(before);
    this._byPath.delete(oldPath);
    const model = this._remember(after);
    const opening = this._opening.get(oldPath);
    if (opening) {
      this._opening.delete(oldPath);
      this._opening.set(model.path, opening);
    }
    this._fileChanged.emit({
      type: 'rename',
      oldValue: { path: oldPath },
      newValue: model
    });
  }

  private async _refresh(): Promise<void> {
    const docs = await this.api.list();
    this._byPath.clear();
    docs.forEach(d => this._remember(d));
  }

  private _remember(doc: IDocumentInfo): Contents.IModel {
    this._byPath.set(documentPath(doc), doc);
    return this._file(doc);
  }

  private _listing(path: string): Contents.IModel {
    const docs = [...this._byPath.values()];
    if (path === SHARED) {
      const owners = new Set(
        docs.filter(d => d.access !== 'owner').map(d => d.owner)
      );
      return this._folder(
        path,
        [...owners].sort().map(o => this._folder(`${SHARED}/${o}`, null))
      );
    }
    const files = docs
      .filter(d => PathExt.dirname(documentPath(d)) === path)
      .sort((a, b) => a.title.localeCompare(b.title))
      .map(d => this._file(d));
    return this._folder(path, files);
  }

  private _folder(
    path: string,
    content: Contents.IModel[] | null
  ): Contents.IModel {
    return {
      name: FOLDER_LABELS[path] ?? PathExt.basename(path),
      path,
      type: 'directory',
      writable: path === MINE,
      created: '',
      last_modified: '',
      mimetype: '',
      content,
      format: content === null ? null : 'json'
    };
  }

  private _file(doc: IDocumentInfo): Contents.IModel {
    const path = documentPath(doc);
    return {
      name: PathExt.basename(path),
      path,
      type: 'file',
      writable: doc.access !== 'viewer',
      created: doc.created,
      last_modified: doc.updated,
      mimetype: 'application/json',
      content: null,
      format: 'text'
    };
  }

  private _user: () => Promise<User.IIdentity | null>;
  private _byPath = new Map<string, IDocumentInfo>();
  private _opening = new Map<string, Promise<RoomConnection | null>>();
  private _connections = new Map<
    ISharedDocument,
    Promise<RoomConnection | null>
  >();
  private _isDisposed = false;
  private _fileChanged = new Signal<this, Contents.IChangedArgs>(this);
}

/**
 * A namespace for `LiveGraphsDrive` statics.
 */
export namespace LiveGraphsDrive {
  export interface IOptions {
    api: DocumentsAPI;
    /**
     * Who we are, shown to the others in each document.
     */
    user?: () => Promise<User.IIdentity | null>;
  }
}
