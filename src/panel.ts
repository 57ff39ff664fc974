import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import {
  refreshIcon,
  SidePanel,
  ToolbarButton
} from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';

import { datasetsIcon } from './icons';
import { IDataset, ILiveGraphsAPI } from './tokens';

/**
 * The side panel listing every dataset.
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

    const heading = new Widget({ node: document.createElement('h2') });
    heading.addClass('jp-LiveGraphs-title');
    heading.node.textContent = trans.__('Datasets');
    this.header.addWidget(heading);

    this.toolbar.addItem(
      'refresh',
      new ToolbarButton({
        icon: refreshIcon,
        tooltip: trans.__('Refresh the dataset list'),
        onClick: () => void this.refresh()
      })
    );

    this._status = document.createElement('div');
    this._status.className = 'jp-LiveGraphs-status';
    this._status.setAttribute('role', 'status');
    this._list = document.createElement('ul');
    this._list.className = 'jp-LiveGraphs-datasetList';
    this._list.setAttribute('aria-label', trans.__('Datasets'));
    const body = new Widget();
    body.addClass('jp-LiveGraphs-body');
    body.node.append(this._status, this._list);
    this.content.addWidget(body);
  }

  /**
   * Reload the dataset list from the server.
   *
   * Calls may overlap; only the answer to the latest one is shown.
   */
  async refresh(): Promise<void> {
    const ticket = ++this._ticket;
    this.node.dataset.lgState = 'loading';
    let datasets: IDataset[];
    try {
      datasets = await this._api.listDatasets();
    } catch (reason) {
      if (ticket === this._ticket && !this.isDisposed) {
        this._showError(reason);
      }
      return;
    }
    if (ticket === this._ticket && !this.isDisposed) {
      this._render(datasets);
    }
  }

  /**
   * Refresh whenever the panel is shown, so it is never stale when opened.
   */
  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this.refresh();
  }

  private _render(datasets: IDataset[]): void {
    const trans = this._text;
    const items = datasets.map(dataset => {
      const item = document.createElement('li');
      item.className = 'jp-LiveGraphs-dataset';
      item.dataset.datasetId = dataset.id;

      const name = document.createElement('div');
      name.className = 'jp-LiveGraphs-datasetName';
      name.textContent = dataset.name;

      const meta = document.createElement('div');
      meta.className = 'jp-LiveGraphs-datasetMeta';
      meta.textContent = [
        trans._n(
          '%1 row',
          '%1 rows',
          dataset.rows,
          dataset.rows.toLocaleString()
        ),
        trans._n('%1 column', '%1 columns', dataset.columns.length),
        trans.__('v%1', dataset.version)
      ].join(' · ');

      const columns = document.createElement('div');
      columns.className = 'jp-LiveGraphs-datasetColumns';
      columns.textContent = dataset.columns
        .map(column => `${column.name}: ${column.type}`)
        .join(', ');

      item.append(name, meta, columns);
      return item;
    });
    this._list.replaceChildren(...items);
    this._status.textContent = datasets.length
      ? ''
      : trans.__('No datasets yet.');
    this._status.classList.remove('jp-LiveGraphs-error');
    this.node.dataset.lgState = 'ready';
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
  private _ticket = 0;
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
