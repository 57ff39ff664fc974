/**
 * The Publish part of a dashboard's Share dialog (owner, editors, admins):
 * publish a snapshot, make public or signed-in links to the newest snapshot
 * or a chosen one, with an optional last day (the link's address is shown
 * once: only its hash is kept), list the links with their state, and revoke
 * them.
 */
import { Widget } from '@lumino/widgets';

import { button, el, option } from '../dom';
import {
  DocumentsAPI,
  IDocumentInfo,
  IPublicationLink,
  ISnapshot
} from './api';

/**
 * Whether `doc`'s Share dialog offers publishing to the caller.
 */
export function canPublish(doc: IDocumentInfo): boolean {
  return doc.kind === 'dashboard' && doc.access !== 'viewer';
}

/**
 * The Publish section.
 */
export class PublishSection extends Widget {
  constructor(options: PublishSection.IOptions) {
    super();
    this.addClass('jp-LiveGraphs-Publish');
    this._api = options.api;
    this._doc = options.doc;
    const heading = el('h3', 'jp-LiveGraphs-PublishHeading', 'Publish');
    this._status = el('p', 'jp-LiveGraphs-PublishStatus');
    this._snapshot = el('select', 'jp-mod-styled', {
      'aria-label': 'Link shows'
    });
    this._expires = el('input', 'jp-mod-styled', {
      type: 'date',
      'aria-label': 'Link expires after'
    });
    const choices = el('div', 'jp-LiveGraphs-PublishActions');
    choices.append(
      el('label', '', 'Links show'),
      this._snapshot,
      el('label', '', 'until the end of'),
      this._expires
    );
    const actions = el('div', 'jp-LiveGraphs-PublishActions');
    actions.append(
      button(
        'Publish now',
        'jp-Button jp-mod-accept jp-LiveGraphs-PublishNow',
        () => void this._publish()
      ),
      button(
        'New public link',
        'jp-Button jp-mod-styled',
        () => void this._newLink('public')
      ),
      button(
        'New signed-in link',
        'jp-Button jp-mod-styled',
        () => void this._newLink('signed_in')
      )
    );
    this._made = el('div', 'jp-LiveGraphs-PublishMade');
    this._list = el('ul', 'jp-LiveGraphs-PublishLinks', {
      'aria-label': 'Links'
    });
    this._error = el('p', 'jp-LiveGraphs-PublishError', { role: 'alert' });
    this.node.append(
      heading,
      this._status,
      choices,
      actions,
      this._made,
      this._list,
      this._error
    );
    void this.refresh();
  }

  /**
   * Settles when the snapshots and links are shown.
   */
  async refresh(): Promise<void> {
    try {
      const [snapshots, links] = await Promise.all([
        this._api.snapshots(this._doc.id),
        this._api.links(this._doc.id)
      ]);
      const newest = snapshots[0];
      this._status.textContent = newest
        ? `Snapshot ${newest.number} published by ${newest.created_by}, ${new Date(
            newest.created
          ).toLocaleString()}.`
        : 'Not published yet.';
      this._renderSnapshots(snapshots);
      this._renderLinks(links);
    } catch (e) {
      this._fail(e);
    }
  }

  private _renderSnapshots(snapshots: ISnapshot[]): void {
    const chosen = this._snapshot.value;
    this._snapshot.replaceChildren(
      option('', 'the newest snapshot'),
      ...snapshots.map(snap =>
        option(String(snap.number), `snapshot ${snap.number}`)
      )
    );
    this._snapshot.value = chosen;
    if (this._snapshot.selectedIndex < 0) {
      this._snapshot.value = '';
    }
  }

  private _renderLinks(links: IPublicationLink[]): void {
    const rows = links.map(link => {
      const row = el('li', 'jp-LiveGraphs-PublishLink');
      row.dataset.state = link.state;
      row.dataset.kind = link.kind;
      const what = el(
        'span',
        'jp-LiveGraphs-PublishLinkWhat',
        `${link.kind === 'public' ? 'Public' : 'Signed-in'} link, ${
          link.snapshot === null ? 'newest' : `snapshot ${link.snapshot}`
        }, made by ${link.created_by}`
      );
      const state = el('span', 'jp-LiveGraphs-ShareRole', link.state);
      row.append(what, state);
      if (link.state !== 'revoked') {
        row.append(
          button(
            'Revoke',
            'jp-Button jp-mod-minimal jp-LiveGraphs-PublishRevoke',
            () => void this._revoke(link),
            {
              'aria-label': `Revoke the ${link.kind} link made ${link.created}`
            }
          )
        );
      }
      return row;
    });
    this._list.replaceChildren(...rows);
  }

  private async _publish(): Promise<void> {
    this._error.textContent = '';
    try {
      await this._api.publish(this._doc.id);
      await this.refresh();
    } catch (e) {
      this._fail(e);
    }
  }

  private async _newLink(kind: IPublicationLink['kind']): Promise<void> {
    this._error.textContent = '';
    try {
      const day = this._expires.value;
      const link = await this._api.createLink(this._doc.id, kind, {
        snapshot: this._snapshot.value ? Number(this._snapshot.value) : null,
        // the end of that day, where the author is
        expires: day ? new Date(`${day}T23:59:59`).toISOString() : null
      });
      const address = new URL(link.url ?? '', window.location.origin).href;
      const field = el('input', 'jp-mod-styled jp-LiveGraphs-PublishAddress', {
        type: 'text',
        readonly: 'true',
        'aria-label': 'Link address',
        value: address
      });
      field.addEventListener('focus', () => field.select());
      this._made.replaceChildren(
        el(
          'p',
          '',
          'Copy this address now: it is shown only once, and anyone who has it can open the dashboard.'
        ),
        field
      );
      await this.refresh();
    } catch (e) {
      this._fail(e);
    }
  }

  private async _revoke(link: IPublicationLink): Promise<void> {
    this._error.textContent = '';
    try {
      await this._api.revokeLink(this._doc.id, link.id);
      await this.refresh();
    } catch (e) {
      this._fail(e);
    }
  }

  private _fail(e: unknown): void {
    this._error.textContent = e instanceof Error ? e.message : String(e);
  }

  private _api: DocumentsAPI;
  private _doc: IDocumentInfo;
  private _status: HTMLElement;
  private _snapshot: HTMLSelectElement;
  private _expires: HTMLInputElement;
  private _made: HTMLElement;
  private _list: HTMLUListElement;
  private _error: HTMLElement;
}

/**
 * A namespace for `PublishSection` statics.
 */
export namespace PublishSection {
  export interface IOptions {
    api: DocumentsAPI;
    doc: IDocumentInfo;
  }
}
