/**
 * The Share dialog of a document: who has access, adding a user or a group
 * as viewer or editor, and removing access; for a dashboard's writers, its
 * publishing and links too (`publish.ts`).
 */
import { Dialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { button, el, option } from '../dom';
import { DocumentsAPI, IDocumentInfo, IDocumentShare } from './api';
import { canPublish, PublishSection } from './publish';

/**
 * The body of the Share dialog.
 */
export class ShareBody extends Widget {
  constructor(options: ShareBody.IOptions) {
    super();
    this.addClass('jp-LiveGraphs-Share');
    this._api = options.api;
    this._doc = options.doc;
    const intro = el(
      'p',
      'jp-LiveGraphs-ShareIntro',
      `${this._doc.title} belongs to ${this._doc.owner}.`
    );
    this._list = el('ul', 'jp-LiveGraphs-ShareList', {
      'aria-label': 'People with access'
    });
    const form = el('form', 'jp-LiveGraphs-ShareForm', {
      'aria-label': 'Add people'
    });
    this._kind = el('select', 'jp-mod-styled', { 'aria-label': 'Share with' });
    this._kind.append(option('user', 'User'), option('group', 'Group'));
    this._name = el('input', 'jp-mod-styled jp-LiveGraphs-ShareName', {
      type: 'text',
      'aria-label': 'Name',
      placeholder: 'User or group name',
      autocomplete: 'off',
      list: `jp-LiveGraphs-share-names-${++Private.counter.lists}`
    });
    this._names = el('datalist', '', { id: this._name.getAttribute('list')! });
    this._role = el('select', 'jp-mod-styled', { 'aria-label': 'Role' });
    this._role.append(option('viewer', 'Viewer'), option('editor', 'Editor'));
    const add = el(
      'button',
      'jp-Button jp-mod-accept jp-LiveGraphs-ShareAdd',
      'Share',
      {
        type: 'submit'
      }
    );
    form.append(this._kind, this._name, this._names, this._role, add);
    form.addEventListener('submit', event => {
      event.preventDefault();
      void this._add();
    });
    this._name.addEventListener('input', () => void this._search());
    this._error = el('p', 'jp-LiveGraphs-ShareError', { role: 'alert' });
    this.node.append(intro, this._list, form, this._error);
    if (canPublish(this._doc)) {
      this._publish = new PublishSection({ api: this._api, doc: this._doc });
      this.node.append(this._publish.node);
    }
    void this.refresh();
  }

  dispose(): void {
    this._publish?.dispose();
    super.dispose();
  }

  /**
   * Settles when the list of shares is shown.
   */
  async refresh(): Promise<void> {
    try {
      this._render(await this._api.shares(this._doc.id));
    } catch (e) {
      this._fail(e);
    }
  }

  private _render(shares: IDocumentShare[]): void {
    const rows = shares.map(share => {
      const row = el('li', 'jp-LiveGraphs-ShareRow');
      row.dataset.kind = share.kind;
      row.dataset.name = share.name;
      const who = el(
        'span',
        'jp-LiveGraphs-ShareWho',
        share.kind === 'group' ? `${share.name} (group)` : share.name
      );
      const role = el('span', 'jp-LiveGraphs-ShareRole', share.role);
      const remove = button(
        'Remove',
        'jp-Button jp-mod-minimal jp-LiveGraphs-ShareRemove',
        () => void this._remove(share),
        { 'aria-label': `Remove ${share.name}` }
      );
      row.append(who, role, remove);
      return row;
    });
    if (!rows.length) {
      rows.push(el('li', 'jp-LiveGraphs-ShareNone', 'Not shared with anyone.'));
    }
    this._list.replaceChildren(...rows);
  }

  private async _add(): Promise<void> {
    const name = this._name.value.trim();
    if (!name) {
      this._fail(new Error('Type the name of a user or a group.'));
      return;
    }
    this._error.textContent = '';
    try {
      await this._api.share(
        this._doc.id,
        this._kind.value as IDocumentShare['kind'],
        name,
        this._role.value as IDocumentShare['role']
      );
      this._name.value = '';
      await this.refresh();
    } catch (e) {
      this._fail(e);
    }
  }

  private async _remove(share: IDocumentShare): Promise<void> {
    this._error.textContent = '';
    try {
      await this._api.unshare(this._doc.id, share.kind, share.name);
      await this.refresh();
    } catch (e) {
      this._fail(e);
    }
  }

  /**
   * Offer the directory's users and groups matching what is typed, when the
   * server has a directory (otherwise names are typed in full).
   */
  private async _search(): Promise<void> {
    const query = this._name.value.trim();
    if (!query || this._noDirectory) {
      return;
    }
    const kind = this._kind.value;
    try {
      const found = await this._api.directory(query);
      if (found === null) {
        this._noDirectory = true;
        return;
      }
      if (query !== this._name.value.trim()) {
        return;
      }
      this._names.replaceChildren(
        ...found
          .filter(f => f.kind === kind)
          .map(f => option(f.name, f.label || f.name))
      );
    } catch {
      // Searching is a help only: typing the full name still works.
    }
  }

  private _fail(e: unknown): void {
    this._error.textContent = e instanceof Error ? e.message : String(e);
  }

  private _api: DocumentsAPI;
  private _doc: IDocumentInfo;
  private _list: HTMLUListElement;
  private _kind: HTMLSelectElement;
  private _name: HTMLInputElement;
  private _names: HTMLDataListElement;
  private _role: HTMLSelectElement;
  private _error: HTMLElement;
  private _noDirectory = false;
  private _publish: PublishSection | null = null;
}

/**
 * A namespace for `ShareBody` statics.
 */
export namespace ShareBody {
  export interface IOptions {
    api: DocumentsAPI;
    doc: IDocumentInfo;
  }
}

namespace Private {
  /**
   * How many name lists were made (their ids are unique in the page).
   */
  export const counter = { lists: 0 };
}

/**
 * Show the Share dialog of a document.
 */
export async function showShareDialog(
  api: DocumentsAPI,
  doc: IDocumentInfo
): Promise<void> {
  await new Dialog({
    title: `Share ${doc.title}`,
    body: new ShareBody({ api, doc }),
    buttons: [Dialog.okButton({ label: 'Close' })]
  }).launch();
}
