/**
 * The comment threads of a shared document, kept fresh: fetched when the
 * document opens and again whenever the room's server awareness field
 * `comments_version` changes (the server bumps it after any comment change),
 * so no poll and nothing in the Yjs document.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { DocumentsAPI, ICommentAnchor, ICommentThread } from './api';

type Awareness = {
  clientID: number;
  getStates(): Map<number, any>;
  on(name: 'change', f: (...args: any[]) => void): void;
  off(name: 'change', f: (...args: any[]) => void): void;
};

/**
 * The awareness field where the server says how often comments changed.
 */
export const COMMENTS_FIELD = 'comments_version';

/**
 * A document's comment threads, as the caller may see them.
 */
export class CommentsModel {
  constructor(options: CommentsModel.IOptions) {
    this.api = options.api;
    this.documentId = options.documentId;
    this._awareness = options.awareness ?? null;
    this._awareness?.on('change', this._onAwareness);
    void this.refresh();
  }

  readonly api: DocumentsAPI;
  readonly documentId: string;

  /**
   * Every thread, oldest first.
   */
  get threads(): ICommentThread[] {
    return this._threads;
  }

  /**
   * The threads of one chart.
   */
  threadsOf(chart: string): ICommentThread[] {
    return this._threads.filter(t => t.chart === chart);
  }

  /**
   * The threads changed (fetched again).
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Why the last fetch or change failed, if it did.
   */
  get error(): string {
    return this._error;
  }

  async refresh(): Promise<void> {
    const ticket = ++this._ticket;
    try {
      const threads = await this.api.threads(this.documentId);
      if (ticket === this._ticket && !this._disposed) {
        this._threads = threads;
        this._error = '';
        this._changed.emit();
      }
    } catch (reason) {
      if (ticket === this._ticket && !this._disposed) {
        this._error = String((reason as Error)?.message ?? reason);
        this._changed.emit();
      }
    }
  }

  startThread(
    chart: string,
    text: string,
    anchor: ICommentAnchor | null
  ): Promise<void> {
    return this._do(() =>
      this.api.startThread(this.documentId, chart, text, anchor)
    );
  }

  reply(thread: string, text: string): Promise<void> {
    return this._do(() => this.api.reply(this.documentId, thread, text));
  }

  resolve(thread: string, resolved: boolean): Promise<void> {
    return this._do(() => this.api.resolve(this.documentId, thread, resolved));
  }

  /**
   * Change a comment's text (the server lets only its author).
   */
  editComment(thread: string, comment: string, text: string): Promise<void> {
    return this._do(() =>
      this.api.editComment(this.documentId, thread, comment, text)
    );
  }

  deleteComment(thread: string, comment: string): Promise<void> {
    return this._do(() =>
      this.api.deleteComment(this.documentId, thread, comment)
    );
  }

  dispose(): void {
    this._disposed = true;
    this._awareness?.off('change', this._onAwareness);
    Signal.clearData(this);
  }

  private async _do(change: () => Promise<unknown>): Promise<void> {
    try {
      await change();
    } catch (reason) {
      this._error = String((reason as Error)?.message ?? reason);
      this._changed.emit();
      throw reason;
    }
    await this.refresh();
  }

  private _onAwareness = () => {
    const awareness = this._awareness;
    if (!awareness) {
      return;
    }
    let version: unknown = undefined;
    awareness.getStates().forEach((state, clientId) => {
      if (
        clientId !== awareness.clientID &&
        state?.[COMMENTS_FIELD] !== undefined
      ) {
        version = state[COMMENTS_FIELD];
      }
    });
    if (version !== undefined && version !== this._version) {
      this._version = version;
      void this.refresh();
    }
  };

  private _awareness: Awareness | null;
  private _threads: ICommentThread[] = [];
  private _changed = new Signal<this, void>(this);
  private _error = '';
  private _ticket = 0;
  private _version: unknown = undefined;
  private _disposed = false;
}

/**
 * A namespace for `CommentsModel` statics.
 */
export namespace CommentsModel {
  export interface IOptions {
    api: DocumentsAPI;
    documentId: string;
    /**
     * The room's awareness, where the server announces comment changes.
     */
    awareness?: Awareness | null;
  }
}

/**
 * A short text for an anchor's x value.
 */
export function anchorText(anchor: ICommentAnchor | null): string {
  if (!anchor) {
    return '';
  }
  if (anchor.label) {
    return anchor.label;
  }
  const x = anchor.x;
  return typeof x === 'string' ||
    typeof x === 'number' ||
    typeof x === 'boolean'
    ? String(x)
    : JSON.stringify(x);
}
