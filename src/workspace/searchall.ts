import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { el, formatValue } from '../dom';
import {
  IDataset,
  ILiveGraphsAPI,
  ISearchClause,
  ISearchResults
} from '../tokens';
import { matchSpans } from './searchbox';

/**
 * The Datasets panel's search of everything the user can read: dataset
 * names, column names and values, on the server, grouped by dataset.
 *
 * Its node's `data-lg-state` is `idle`, `searching`, `ready` or `error`.
 */
export class DatasetSearchResults extends Widget {
  constructor(options: DatasetSearchResults.IOptions) {
    super({ node: el('section', 'jp-LiveGraphs-searchAll') });
    this._api = options.api;
    this._onOpen = options.onOpen;
    this._trans = (options.translator ?? nullTranslator).load('livegraphs_ext');
    this.node.setAttribute('aria-label', this._trans.__('Search results'));
    this._status = el('div', 'jp-LiveGraphs-searchAllStatus');
    this._status.setAttribute('role', 'status');
    this._list = el('ul', 'jp-LiveGraphs-searchAllList');
    this.node.append(this._status, this._list);
    this.node.dataset.lgState = 'idle';
  }

  /**
   * Search for `q` after a short pause (a newer call replaces an older one);
   * fewer than two characters clear the results.
   */
  search(q: string): void {
    window.clearTimeout(this._timer);
    const text = q.trim();
    if (text.length < DatasetSearchResults.MIN_CHARS) {
      this._abort?.abort();
      this._list.replaceChildren();
      this._status.textContent = '';
      this.node.dataset.lgState = 'idle';
      return;
    }
    this._timer = window.setTimeout(
      () => void this._run(text),
      DatasetSearchResults.DELAY
    );
  }

  dispose(): void {
    window.clearTimeout(this._timer);
    this._abort?.abort();
    super.dispose();
  }

  private async _run(q: string): Promise<void> {
    this._abort?.abort();
    const abort = new AbortController();
    this._abort = abort;
    this.node.dataset.lgState = 'searching';
    this._status.classList.remove('jp-LiveGraphs-error');
    this._status.textContent = this._trans.__('Searching the data…');
    let found: ISearchResults;
    try {
      found = await this._api.searchDatasets(q, {
        rows: DatasetSearchResults.ROWS,
        signal: abort.signal
      });
    } catch (reason) {
      if (!abort.signal.aborted && !this.isDisposed) {
        this._status.classList.add('jp-LiveGraphs-error');
        this._status.textContent = (reason as Error).message;
        this._list.replaceChildren();
        this.node.dataset.lgState = 'error';
      }
      return;
    }
    if (abort.signal.aborted || this.isDisposed) {
      return;
    }
    this._render(found);
  }

  private _render(found: ISearchResults): void {
    const trans = this._trans;
    const clauses = found.search.clauses;
    const items = found.results.map(result => {
      const { dataset } = result;
      const item = el('li', 'jp-LiveGraphs-searchAllItem');
      item.setAttribute('aria-label', dataset.name);
      const open = el('button', 'jp-LiveGraphs-searchAllName');
      open.type = 'button';
      open.append(...marked(dataset.name, clauses));
      open.title = trans.__('Open %1', dataset.name);
      open.addEventListener('click', () => this._onOpen(dataset));
      item.append(open);
      const notes: string[] = [];
      if (dataset.owner) {
        notes.push(dataset.owner);
      }
      if (result.rows) {
        notes.push(
          trans._n(
            '%2 matching row',
            '%2 matching rows',
            result.rows.total,
            result.rows.total.toLocaleString('en-US')
          )
        );
      }
      item.append(el('div', 'jp-LiveGraphs-datasetMeta', notes.join(' · ')));
      if (result.columns.length) {
        const columns = el('div', 'jp-LiveGraphs-searchAllColumns');
        columns.append(trans.__('Columns: '));
        result.columns.forEach((name, i) => {
          columns.append(...(i ? [', '] : []), ...marked(name, clauses));
        });
        item.append(columns);
      }
      for (const row of result.rows?.rows ?? []) {
        const line = el('div', 'jp-LiveGraphs-searchAllRow');
        line.title = result.rows!.columns.join(' · ');
        row.forEach(value => {
          if (value === null || value === undefined) {
            return;
          }
          if (line.childNodes.length) {
            line.append(' · ');
          }
          line.append(...marked(formatValue(value), clauses));
        });
        item.append(line);
      }
      return item;
    });
    this._list.replaceChildren(...items);
    const pending = found.pending.map(p => p.name).join(', ');
    this._status.textContent = [
      items.length
        ? trans._n(
            '%1 dataset matches',
            '%1 datasets match',
            items.length,
            items.length
          )
        : trans.__('No data matches “%1”.', found.search.q),
      pending
        ? trans.__('Still indexing %1: search again in a moment.', pending)
        : '',
      found.truncated
        ? trans.__('Only the most recently changed datasets were searched.')
        : ''
    ]
      .filter(Boolean)
      .join(' ');
    this.node.dataset.lgState = 'ready';
  }

  private _api: ILiveGraphsAPI;
  private _onOpen: (dataset: IDataset) => void;
  private _trans: TranslationBundle;
  private _status: HTMLElement;
  private _list: HTMLUListElement;
  private _timer = 0;
  private _abort: AbortController | null = null;
}

/**
 * A namespace for `DatasetSearchResults` statics.
 */
export namespace DatasetSearchResults {
  /**
   * Milliseconds of quiet typing before the server is asked.
   */
  export const DELAY = 400;

  /**
   * The fewest characters searched for.
   */
  export const MIN_CHARS = 2;

  /**
   * Matching rows shown per dataset.
   */
  export const ROWS = 3;

  export interface IOptions {
    api: ILiveGraphsAPI;
    onOpen: (dataset: IDataset) => void;
    translator?: ITranslator;
  }
}

/**
 * Text as nodes, the search's matches in `<mark>` (never parsed as HTML).
 */
function marked(
  text: string,
  clauses: ReadonlyArray<ISearchClause>
): Array<string | HTMLElement> {
  const out: Array<string | HTMLElement> = [];
  let at = 0;
  for (const [start, end] of matchSpans(text, clauses)) {
    if (start > at) {
      out.push(text.slice(at, start));
    }
    out.push(el('mark', 'jp-LiveGraphs-mark', text.slice(start, end)));
    at = end;
  }
  if (at < text.length) {
    out.push(text.slice(at));
  }
  return out;
}
