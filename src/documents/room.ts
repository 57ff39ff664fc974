/**
 * The connection of a shared document to its room on the server
 * (`documents/{id}/room`): Yjs sync and awareness over y-websocket, with the
 * caller's access, the connection status and the server's refusals.
 */
import { YDocument } from '@jupyter/ydoc';
import { User } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';
import { readAuthMessage } from 'y-protocols/auth';
import { WebsocketProvider } from 'y-websocket';

import { LiveGraphsAPIError } from '../api';
import { DocumentAccess, DocumentsAPI, IDocumentInfo } from './api';

/**
 * How the room connection is doing.
 */
export type RoomStatus =
  'connecting' | 'connected' | 'reconnecting' | 'closed' | 'gone';

/**
 * The message type of y-websocket's auth messages.
 */
const MESSAGE_AUTH = 2;

/**
 * The close codes after which the caller's access is asked for again before
 * reconnecting (a share was changed), and after which the room is gone.
 */
const ACCESS_CHANGED = 4403;
const GONE = 4404;

/**
 * One shared document's room connection.
 */
export class RoomConnection {
  constructor(options: RoomConnection.IOptions) {
    this.doc = options.doc;
    this._api = options.api;
    this._info = options.info;
    const { serverUrl, params } = this._api.room(options.info.id);
    if (options.user) {
      // Set before connecting, so the first awareness message names us.
      this.doc.awareness.setLocalStateField('user', options.user);
    }
    this.provider = new WebsocketProvider(serverUrl, 'room', this.doc.ydoc, {
      awareness: this.doc.awareness,
      params,
      // Edits go through the server only: it checks and stores each one.
      disableBc: true,
      // Refusals (44xx: bad update, access changed, gone) and a document
      // the server cannot load (4500) are not retried blindly; 4403 (access
      // changed) is followed up in _onClosed.
      shouldReconnect: event => !(event.code >= 4400 && event.code < 4600)
    });
    // A viewer's refused update: tell the widget, which tells the user.
    this.provider.messageHandlers[MESSAGE_AUTH] = (_e, decoder) => {
      readAuthMessage(decoder, this.doc.ydoc, (_y, reason) => {
        this._denied.emit(reason);
      });
    };
    this.provider.on('status', ({ status }) => {
      if (status === 'connected') {
        this._setStatus('connected');
      } else if (status === 'disconnected') {
        this._setStatus('reconnecting');
      }
    });
    this.provider.on('sync', (synced: boolean) => {
      if (synced) {
        this._synced = true;
        this._whenSynced.forEach(f => f());
        this._whenSynced = [];
      }
    });
    this.provider.on('closed', ({ code, reason }) => {
      this._reason = reason;
      void this._onClosed(code);
    });
  }

  readonly doc: YDocument<any>;
  readonly provider: WebsocketProvider;

  /**
   * The document as the catalog last described it.
   */
  get info(): IDocumentInfo {
    return this._info;
  }

  /**
   * Take a newer description of the document (e.g. after a rename).
   */
  updateInfo(info: IDocumentInfo): void {
    this._info = info;
    this._setStatus(this._status);
  }

  get access(): DocumentAccess {
    return this._info.access;
  }

  get readOnly(): boolean {
    return this._info.access === 'viewer';
  }

  get status(): RoomStatus {
    return this._status;
  }

  /**
   * Why the server last closed the connection for good, as it said.
   */
  get reason(): string {
    return this._reason;
  }

  /**
   * The status changed (or the access, after a share changed).
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * The server refused an update of ours, with its reason.
   */
  get denied(): ISignal<this, string> {
    return this._denied;
  }

  /**
   * Settles once the document holds the room's state (or the room is
   * closed for good).
   */
  whenSynced(): Promise<void> {
    if (this._synced || this._status === 'closed' || this._status === 'gone') {
      return Promise.resolve();
    }
    return new Promise(resolve => this._whenSynced.push(resolve));
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this.provider.destroy();
    this._whenSynced.forEach(f => f());
    this._whenSynced = [];
    Signal.clearData(this);
  }

  private async _onClosed(code: number): Promise<void> {
    if (this._disposed) {
      return;
    }
    if (code === ACCESS_CHANGED) {
      // A share was changed: reconnect with whatever access is left.
      try {
        this._info = await this._api.get(this._info.id);
        this._setStatus('connecting');
        this.provider.connect();
        return;
      } catch (e) {
        if (!(e instanceof LiveGraphsAPIError && e.status === 404)) {
          this._setStatus('closed');
          return;
        }
      }
    }
    this._setStatus(
      code === ACCESS_CHANGED || code === GONE ? 'gone' : 'closed'
    );
    this._whenSynced.forEach(f => f());
    this._whenSynced = [];
  }

  private _setStatus(status: RoomStatus): void {
    if (this._disposed) {
      return;
    }
    this._status = status;
    this._changed.emit();
  }

  private _api: DocumentsAPI;
  private _info: IDocumentInfo;
  private _status: RoomStatus = 'connecting';
  private _reason = '';
  private _synced = false;
  private _disposed = false;
  private _whenSynced: Array<() => void> = [];
  private _changed = new Signal<this, void>(this);
  private _denied = new Signal<this, string>(this);
}

/**
 * A namespace for `RoomConnection` statics.
 */
export namespace RoomConnection {
  export interface IOptions {
    doc: YDocument<any>;
    api: DocumentsAPI;
    info: IDocumentInfo;
    /**
     * Who we are, shown to the others (awareness `user`).
     */
    user?: User.IIdentity | null;
  }
}
