/**
 * "Publish with Voila" on a hub: a dialog that publishes a notebook as a
 * `voila-<name>` named server of its owner, shared with chosen users and
 * groups, and lists the owner's publications with whom each is shared, to
 * unshare or stop one. The server extension asks the hub
 * (`livegraphs/api/voila/publications`): the browser never calls it.
 */
import { Dialog } from '@jupyterlab/apputils';
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { LiveGraphsAPIError } from './api';
import { button, el } from './dom';

/**
 * The longest publication name (JupyterHub's 30-character server names, less `voila-`).
 */
export const NAME_MAX = 24;

/**
 * A user or group a publication is shared with.
 */
export interface IPublicationShare {
  kind: 'user' | 'group';
  name: string;
}

/**
 * A publication, as `voila/publications` answers it.
 */
export interface IPublication {
  name: string;
  server: string;
  notebook: string | null;
  url: string;
  ready: boolean;
  pending: string | null;
  shares: IPublicationShare[];
}

/**
 * What `POST voila/publications` takes.
 */
export interface IPublishRequest {
  name: string;
  notebook: string;
  users: string[];
  groups: string[];
}

/**
 * A publication name from a notebook's path: `Sales Report.ipynb` gives
 * `sales-report` (lowercase letters and digits joined by single hyphens).
 */
export function publicationName(path: string): string {
  const base = (path.split('/').pop() ?? '').replace(/\.ipynb$/i, '');
  const slug = base
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, NAME_MAX)
    .replace(/-+$/, '');
  return slug || 'dashboard';
}

/**
 * Names typed in a field, separated by commas or spaces.
 */
export function splitNames(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map(n => n.trim())
    .filter(n => n);
}

/**
 * The client of `livegraphs/api/voila/publications`.
 */
export class VoilaPublicationsAPI {
  constructor(serverSettings?: ServerConnection.ISettings) {
    this.serverSettings = serverSettings ?? ServerConnection.makeSettings();
  }

  readonly serverSettings: ServerConnection.ISettings;

  async list(): Promise<IPublication[]> {
    const body = await this._call('GET', []);
    return (body as { publications: IPublication[] }).publications;
  }

  /**
   * Start (or restart) a publication and share it; settles once it runs.
   */
  async publish(request: IPublishRequest): Promise<IPublication> {
    return (await this._call('POST', [], request)) as IPublication;
  }

  /**
   * Stop a publication and remove its server and shares.
   */
  async stop(name: string): Promise<void> {
    await this._call('DELETE', [name]);
  }

  async unshare(name: string, share: IPublicationShare): Promise<void> {
    await this._call('DELETE', [name, 'shares', share.kind, share.name]);
  }

  private async _call(
    method: string,
    parts: string[],
    body?: unknown
  ): Promise<unknown> {
    const url = URLExt.join(
      this.serverSettings.baseUrl,
      'livegraphs/api/voila/publications',
      ...parts.map(encodeURIComponent)
    );
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'Content-Type': 'application/json' };
    }
    const response = await ServerConnection.makeRequest(
      url,
      init,
      this.serverSettings
    );
    if (!response.ok) {
      throw await LiveGraphsAPIError.fromResponse(response);
    }
    return response.status === 204 ? null : response.json();
  }
}

/**
 * The body of the Publish with Voila dialog.
 */
export class PublishVoilaBody extends Widget {
  constructor(options: PublishVoilaBody.IOptions) {
    super();
    this.addClass('jp-LiveGraphs-VoilaPublish');
    this._api = options.api;
    this._path = options.path;
    this._save = options.save;
    const intro = el(
      'p',
      'jp-LiveGraphs-VoilaIntro',
      `Publish ${options.path} as a dashboard: Voila runs the saved notebook as you for each visit and shows its outputs, without its code, to the users and groups you choose. Nobody else can open it.`
    );
    const form = el('form', 'jp-LiveGraphs-VoilaForm', {
      'aria-label': 'Publish'
    });
    this._name = el('input', 'jp-mod-styled', {
      type: 'text',
      'aria-label': 'Publication name',
      maxlength: String(NAME_MAX),
      pattern: '[a-z0-9]+(-[a-z0-9]+)*',
      required: ''
    });
    this._name.value = publicationName(options.path);
    this._users = el('input', 'jp-mod-styled', {
      type: 'text',
      'aria-label': 'Users',
      placeholder: 'Users, e.g. bo, cy',
      autocomplete: 'off'
    });
    this._groups = el('input', 'jp-mod-styled', {
      type: 'text',
      'aria-label': 'Groups',
      placeholder: 'Groups, e.g. analysts',
      autocomplete: 'off'
    });
    this._submit = el(
      'button',
      'jp-Button jp-mod-accept jp-LiveGraphs-VoilaSubmit',
      'Publish',
      { type: 'submit' }
    );
    form.append(
      Private.field('Name', this._name),
      Private.field('Share with users', this._users),
      Private.field('Share with groups', this._groups),
      this._submit
    );
    form.addEventListener('submit', event => {
      event.preventDefault();
      void this._publish();
    });
    this._form = form;
    this._status = el('p', 'jp-LiveGraphs-VoilaStatus', { role: 'status' });
    this._error = el('p', 'jp-LiveGraphs-VoilaError', { role: 'alert' });
    const heading = el('h3', 'jp-LiveGraphs-VoilaHeading', 'Your publications');
    this._list = el('ul', 'jp-LiveGraphs-VoilaList', {
      'aria-label': 'Your publications'
    });
    this.node.append(
      intro,
      form,
      this._status,
      this._error,
      heading,
      this._list
    );
    void this.refresh();
  }

  /**
   * Enter in a field publishes, as in a form, instead of closing the dialog
   * (the dialog takes Enter before its body sees it, so this listens first).
   */
  handleEvent(event: Event): void {
    const target = event.target;
    if (
      event instanceof KeyboardEvent &&
      event.key === 'Enter' &&
      target instanceof HTMLInputElement &&
      this._form.contains(target)
    ) {
      event.preventDefault();
      event.stopPropagation();
      this._form.requestSubmit();
    }
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    window.addEventListener('keydown', this, true);
  }

  protected onBeforeDetach(msg: Message): void {
    window.removeEventListener('keydown', this, true);
    super.onBeforeDetach(msg);
  }

  /**
   * Settles when the list of publications is shown.
   */
  async refresh(): Promise<void> {
    try {
      this._render(await this._api.list());
    } catch (e) {
      this._fail(e);
    }
  }

  private async _publish(): Promise<void> {
    const name = this._name.value.trim();
    this._error.textContent = '';
    this._submit.disabled = true;
    try {
      this._status.textContent = `Saving ${this._path}…`;
      await this._save();
      this._status.textContent = `Starting voila-${name}…`;
      const published = await this._api.publish({
        name,
        notebook: this._path,
        users: splitNames(this._users.value),
        groups: splitNames(this._groups.value)
      });
      this._status.replaceChildren(
        `Published ${published.name}: `,
        Private.link(published.url)
      );
      this._users.value = '';
      this._groups.value = '';
      await this.refresh();
    } catch (e) {
      this._status.textContent = '';
      this._fail(e);
    } finally {
      this._submit.disabled = false;
    }
  }

  private _render(publications: IPublication[]): void {
    const rows = publications.map(pub => {
      const row = el('li', 'jp-LiveGraphs-VoilaRow');
      row.dataset.name = pub.name;
      const state = pub.ready
        ? 'running'
        : pub.pending
          ? pub.pending
          : 'stopped';
      const head = el('div', 'jp-LiveGraphs-VoilaRowHead');
      head.append(
        el('strong', 'jp-LiveGraphs-VoilaName', pub.name),
        el('span', 'jp-LiveGraphs-VoilaNotebook', pub.notebook ?? ''),
        el('span', 'jp-LiveGraphs-VoilaState', state),
        button(
          'Stop',
          'jp-Button jp-mod-minimal jp-LiveGraphs-VoilaStop',
          () => void this._act(() => this._api.stop(pub.name)),
          { 'aria-label': `Stop ${pub.name}` }
        )
      );
      const shares = el('ul', 'jp-LiveGraphs-VoilaShares', {
        'aria-label': `${pub.name} is shared with`
      });
      for (const share of pub.shares) {
        const item = el('li', 'jp-LiveGraphs-VoilaShare');
        item.dataset.kind = share.kind;
        item.append(
          share.kind === 'group' ? `${share.name} (group)` : share.name,
          button(
            'Unshare',
            'jp-Button jp-mod-minimal jp-LiveGraphs-VoilaUnshare',
            () => void this._act(() => this._api.unshare(pub.name, share)),
            { 'aria-label': `Unshare ${pub.name} with ${share.name}` }
          )
        );
        shares.append(item);
      }
      if (!pub.shares.length) {
        shares.append(
          el('li', 'jp-LiveGraphs-VoilaShare', 'Shared with nobody')
        );
      }
      row.append(head, Private.link(pub.url), shares);
      return row;
    });
    if (!rows.length) {
      rows.push(el('li', 'jp-LiveGraphs-VoilaNone', 'Nothing published yet.'));
    }
    this._list.replaceChildren(...rows);
  }

  private async _act(action: () => Promise<void>): Promise<void> {
    this._error.textContent = '';
    try {
      await action();
      await this.refresh();
    } catch (e) {
      this._fail(e);
    }
  }

  private _fail(e: unknown): void {
    this._error.textContent = e instanceof Error ? e.message : String(e);
  }

  private _api: VoilaPublicationsAPI;
  private _path: string;
  private _save: () => Promise<void>;
  private _form: HTMLFormElement;
  private _name: HTMLInputElement;
  private _users: HTMLInputElement;
  private _groups: HTMLInputElement;
  private _submit: HTMLButtonElement;
  private _status: HTMLElement;
  private _error: HTMLElement;
  private _list: HTMLUListElement;
}

/**
 * A namespace for `PublishVoilaBody` statics.
 */
export namespace PublishVoilaBody {
  export interface IOptions {
    api: VoilaPublicationsAPI;
    /**
     * The notebook to publish, a path among the server's files.
     */
    path: string;
    /**
     * Save the notebook (Voila runs the saved file).
     */
    save: () => Promise<void>;
  }
}

namespace Private {
  /**
   * A labelled field.
   */
  export function field(label: string, input: HTMLElement): HTMLElement {
    const node = el('label', 'jp-LiveGraphs-VoilaField');
    node.append(el('span', '', label), input);
    return node;
  }

  /**
   * A link that opens a publication in a new tab.
   */
  export function link(url: string): HTMLAnchorElement {
    return el('a', 'jp-LiveGraphs-VoilaLink', url, {
      href: url,
      target: '_blank',
      rel: 'noopener noreferrer'
    });
  }
}

/**
 * Show the Publish with Voila dialog of a notebook.
 */
export async function showPublishVoilaDialog(
  options: PublishVoilaBody.IOptions
): Promise<void> {
  await new Dialog({
    title: 'Publish with Voila',
    body: new PublishVoilaBody(options),
    buttons: [Dialog.okButton({ label: 'Close' })]
  }).launch();
}
