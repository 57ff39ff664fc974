import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import {
  fileUploadIcon,
  refreshIcon,
  SidePanel,
  ToolbarButton
} from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { ISignal, Signal } from '@lumino/signaling';
import { Panel, Widget } from '@lumino/widgets';

import { datasetsIcon } from './icons';
import { IDataset, ILiveGraphsAPI } from './tokens';
import { el, formatBytes } from './dom';
import { DATA_EXTENSIONS, UploadQueue } from './workspace/uploads';
import { DatasetSearchResults } from './workspace/searchall';

/**
 * The side panel listing every dataset the user can see.
 *
 * It filters as you type in its search box, takes files dropped on it, and
 * keeps itself current: `refresh()` runs on change notifications and, as a
 * fallback, on a cheap poll (an ETag-conditional list request).
 *
 * The panel's `data-lg-state` attribute is `loading`, `ready` or `error`, so
 * tests and styles can tell when a refresh has landed.
 */
export class DatasetsPanel extends SidePanel {
  constructor(options: DatasetsPanel.IOptions) {
    const translator = options.translator ?? nullTranslator;
    super({ content: new Panel(), translator });
    this._api = options.api;
    const trans = translator.load('livegraphs_ext');
    this._text = trans;

    this.id = DatasetsPanel.ID;
    this.addClass('jp-LiveGraphs-DatasetsPanel');
    this.title.icon = datasetsIcon;
    this.title.caption = trans.__('Datasets');

    const heading = new Widget({
      node: el('h2', 'jp-LiveGraphs-title', trans.__('Datasets'))
    });
    this.header.addWidget(heading);

    this._fileInput = el('input', 'jp-LiveGraphs-fileInput');
    this._fileInput.type = 'file';
    this._fileInput.multiple = true;
    this._fileInput.accept = DATA_EXTENSIONS.join(',');
    this._fileInput.setAttribute(
      'aria-label',
      trans.__('Choose files to upload')
    );
    this._fileInput.addEventListener('change', () => {
      if (this._fileInput.files?.length) {
        this.uploads.addFiles(Array.from(this._fileInput.files));
      }
      this._fileInput.value = '';
    });

    this.toolbar.addItem(
      'upload',
      new ToolbarButton({
        icon: fileUploadIcon,
        label: trans.__('Upload'),
        tooltip: trans.__(
          'Upload CSV, TSV, JSON or JSON Lines files as datasets'
        ),
        onClick: () => this.chooseFiles()
      })
    );
    this.toolbar.addItem(
      'refresh',
      new ToolbarButton({
        icon: refreshIcon,
        tooltip: trans.__('Refresh the dataset list'),
        onClick: () => void this.refresh()
      })
    );

    this._search = el('input', 'jp-mod-styled jp-LiveGraphs-search');
    this._search.type = 'search';
    this._search.placeholder = trans.__('Search datasets');
    this._search.setAttribute('aria-label', trans.__('Search datasets'));
    this._search.addEventListener('input', () => {
      this._renderList();
      this.found.search(this._search.value);
    });
    // What the server finds in the data (values too), grouped by dataset.
    this.found = new DatasetSearchResults({
      api: this._api,
      translator,
      onOpen: dataset => this._openRequested.emit(dataset)
    });

    this.uploads = new UploadQueue({
      api: this._api,
      takenNames: () => this._datasets.map(d => d.name)
    });
    this.uploads.uploaded.connect(() => void this.refresh());

    this._status = el('div', 'jp-LiveGraphs-status');
    this._status.setAttribute('role', 'status');
    this._list = el('ul', 'jp-LiveGraphs-datasetList');
    this._list.setAttribute('aria-label', trans.__('Datasets'));
    this._list.addEventListener('keydown', this);
    const body = new Widget();
    body.addClass('jp-LiveGraphs-body');
    const hint = el(
      'div',
      'jp-LiveGraphs-dropHint',
      trans.__('Drop files here to upload them')
    );
    body.node.append(
      this._search,
      this._fileInput,
      this._status,
      this._list,
      hint
    );
    this.content.addWidget(this.uploads);
    this.content.addWidget(body);
    this.content.addWidget(this.found);

    for (const type of ['dragenter', 'dragover', 'dragleave', 'drop']) {
      this.node.addEventListener(type, this);
    }
  }

  /**
   * The upload queue shown at the top of the panel.
   */
  readonly uploads: UploadQueue;

  /**
   * The search of every dataset's names and values, under the list.
   */
  readonly found: DatasetSearchResults;

  /**
   * The datasets as last listed.
   */
  get datasets(): ReadonlyArray<IDataset> {
    return this._datasets;
  }

  /**
   * Emitted when the user opens a dataset (double-click or Enter).
   */
  get openRequested(): ISignal<this, IDataset> {
    return this._openRequested;
  }

  /**
   * The dataset whose item was last right-clicked, focused or clicked.
   */
  get current(): IDataset | null {
    return this._datasets.find(d => d.id === this._currentId) ?? null;
  }

  /**
   * Open the system file chooser to upload files.
   */
  chooseFiles(): void {
    this._fileInput.click();
  }

  /**
   * Focus the search box.
   */
  focusSearch(): void {
    this._search.focus();
  }

  /**
   * Reload the dataset list from the server.
   *
   * Calls may overlap; only the answer to the latest one is shown.
   */
  async refresh(): Promise<void> {
    const ticket = ++this._ticket;
    this.node.dataset.lgState = 'loading';
    let answer: { datasets: IDataset[]; etag: string | null } | null;
    try {
      answer = await this._api.listDatasetsIfChanged(null);
    } catch (reason) {
      if (ticket === this._ticket && !this.isDisposed) {
        this._showError(reason);
      }
      return;
    }
    if (ticket === this._ticket && !this.isDisposed && answer) {
      this._etag = answer.etag;
      this._setDatasets(answer.datasets);
    }
  }

  /**
   * Reload only if the list changed since the last answer (a cheap poll).
   */
  async poll(): Promise<void> {
    if (this.node.dataset.lgState === 'loading') {
      return;
    }
    const ticket = ++this._ticket;
    try {
      const answer = await this._api.listDatasetsIfChanged(this._etag);
      if (answer && ticket === this._ticket && !this.isDisposed) {
        this._etag = answer.etag;
        this._setDatasets(answer.datasets);
      }
    } catch {
      // A missed poll is retried at the next tick.
    }
  }

  handleEvent(event: Event): void {
    switch (event.type) {
      case 'dragenter':
      case 'dragover':
        if (Private.hasFiles(event as DragEvent)) {
          event.preventDefault();
          (event as DragEvent).dataTransfer!.dropEffect = 'copy';
          this.addClass('jp-mod-dropTarget');
        }
        break;
      case 'dragleave':
        if (!this.node.contains((event as DragEvent).relatedTarget as Node)) {
          this.removeClass('jp-mod-dropTarget');
        }
        break;
      case 'drop': {
        this.removeClass('jp-mod-dropTarget');
        const files = (event as DragEvent).dataTransfer?.files;
        if (files?.length) {
          event.preventDefault();
          event.stopPropagation();
          this.uploads.addFiles(Array.from(files));
        }
        break;
      }
      case 'keydown':
        this._onKey(event as KeyboardEvent);
        break;
    }
  }

  /**
   * Refresh whenever the panel is shown, so it is never stale when opened.
   */
  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this.refresh();
  }

  private _setDatasets(datasets: IDataset[]): void {
    this._datasets = datasets;
    this._renderList();
    this.node.dataset.lgState = 'ready';
    this._changed.emit(datasets);
  }

  /**
   * Emitted when the list changes.
   */
  get changed(): ISignal<this, ReadonlyArray<IDataset>> {
    return this._changed;
  }

  private _renderList(): void {
    const trans = this._text;
    const needle = this._search.value.trim().toLowerCase();
    const shown = this._datasets.filter(
      d =>
        !needle ||
        d.name.toLowerCase().includes(needle) ||
        d.owner.toLowerCase().includes(needle) ||
        d.columns.some(c => c.name.toLowerCase().includes(needle))
    );
    const items = shown.map(dataset => {
      const item = el('li', 'jp-LiveGraphs-dataset');
      item.dataset.datasetId = dataset.id;
      item.tabIndex = dataset.id === this._currentId ? 0 : -1;
      item.setAttribute('aria-label', dataset.name);
      const name = el('div', 'jp-LiveGraphs-datasetName', dataset.name);
      name.title = dataset.name;
      const meta = el(
        'div',
        'jp-LiveGraphs-datasetMeta',
        [
          `${dataset.rows.toLocaleString('en-US')} ${trans._n('row', 'rows', dataset.rows)}`,
          trans._n('%1 column', '%1 columns', dataset.columns.length),
          formatBytes(dataset.size),
          trans.__('v%1', dataset.version)
        ].join(' · ')
      );
      const updated = new Date(dataset.updated);
      // On a hub, a dataset shared with the caller says how: "ada · viewer · changed …"
      const shared =
        dataset.access && dataset.access !== 'owner'
          ? trans.__('%1 · %2', dataset.owner, dataset.access)
          : dataset.owner;
      const who = el(
        'div',
        'jp-LiveGraphs-datasetMeta',
        trans.__('%1 · changed %2', shared, Private.ago(updated))
      );
      who.title = updated.toLocaleString();
      const columns = el(
        'div',
        'jp-LiveGraphs-datasetColumns',
        dataset.columns
          .map(column => `${column.name}: ${column.type}`)
          .join(', ')
      );
      item.append(name, meta, who, columns);
      const select = () => this._select(dataset.id);
      item.addEventListener('click', select);
      item.addEventListener('contextmenu', select);
      item.addEventListener('dblclick', () =>
        this._openRequested.emit(dataset)
      );
      return item;
    });
    if (!items.some(i => i.tabIndex === 0) && items.length) {
      items[0].tabIndex = 0;
    }
    this._list.replaceChildren(...items);
    this._status.textContent = this._datasets.length
      ? shown.length
        ? ''
        : trans.__('No dataset matches “%1”.', this._search.value)
      : trans.__('No datasets yet. Upload a file or drop one here.');
    this._status.classList.remove('jp-LiveGraphs-error');
  }

  private _select(id: string): void {
    this._currentId = id;
    for (const item of Array.from(this._list.children) as HTMLElement[]) {
      const on = item.dataset.datasetId === id;
      item.classList.toggle('jp-mod-selected', on);
      item.tabIndex = on ? 0 : -1;
    }
  }

  private _onKey(event: KeyboardEvent): void {
    const items = Array.from(this._list.children) as HTMLElement[];
    const at = items.findIndex(i => i === document.activeElement);
    if (at < 0) {
      return;
    }
    let next = at;
    if (event.key === 'ArrowDown') {
      next = Math.min(items.length - 1, at + 1);
    } else if (event.key === 'ArrowUp') {
      next = Math.max(0, at - 1);
    } else if (event.key === 'Enter') {
      const dataset = this._datasets.find(
        d => d.id === items[at].dataset.datasetId
      );
      if (dataset) {
        this._openRequested.emit(dataset);
      }
      event.preventDefault();
      return;
    } else {
      return;
    }
    event.preventDefault();
    this._select(items[next].dataset.datasetId!);
    items[next].focus();
  }

  private _showError(reason: unknown): void {
    const message = reason instanceof Error ? reason.message : String(reason);
    this._status.textContent = this._text.__(
      'Could not load datasets: %1',
      message
    );
    this._status.classList.add('jp-LiveGraphs-error');
    this.node.dataset.lgState = 'error';
  }

  private _api: ILiveGraphsAPI;
  private _text: TranslationBundle;
  private _status: HTMLElement;
  private _list: HTMLUListElement;
  private _search: HTMLInputElement;
  private _fileInput: HTMLInputElement;
  private _datasets: IDataset[] = [];
  private _currentId: string | null = null;
  private _etag: string | null = null;
  private _ticket = 0;
  private _openRequested = new Signal<this, IDataset>(this);
  private _changed = new Signal<this, ReadonlyArray<IDataset>>(this);
}

/**
 * A namespace for `DatasetsPanel` statics.
 */
export namespace DatasetsPanel {
  /**
   * The panel's widget id, stable so the layout restorer can find it.
   */
  export const ID = 'livegraphs-datasets';

  /**
   * The options used to create a panel.
   */
  export interface IOptions {
    /**
     * The REST client the panel reads datasets from.
     */
    api: ILiveGraphsAPI;

    /**
     * The application language translator.
     */
    translator?: ITranslator;
  }
}

namespace Private {
  export function hasFiles(event: DragEvent): boolean {
    return Array.from(event.dataTransfer?.types ?? []).includes('Files');
  }

  /**
   * "3 min ago", "2 h ago", or the date.
   */
  export function ago(when: Date): string {
    const seconds = (Date.now() - when.getTime()) / 1000;
    if (seconds < 60) {
      return 'just now';
    }
    if (seconds < 3600) {
      return `${Math.floor(seconds / 60)} min ago`;
    }
    if (seconds < 86400) {
      return `${Math.floor(seconds / 3600)} h ago`;
    }
    return when.toLocaleDateString();
  }
}
