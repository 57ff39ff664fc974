import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { IDataset, ILiveGraphsAPI } from '../tokens';
import { el, formatBytes, formatSeconds } from '../dom';

/**
 * The file extensions an upload or import accepts.
 */
export const DATA_EXTENSIONS = [
  '.csv',
  '.tsv',
  '.txt',
  '.json',
  '.jsonl',
  '.ndjson',
  '.gz'
];

/**
 * A dataset name from a file name: the name without its data extensions.
 */
export function datasetName(
  filename: string,
  taken: ReadonlySet<string>
): string {
  const base = filename.split('/').pop() ?? filename;
  let name =
    base.replace(/(\.(csv|tsv|txt|json|jsonl|ndjson))?(\.gz)?$/i, '') || base;
  name = name.slice(0, 190);
  let candidate = name;
  for (let i = 2; taken.has(candidate); i++) {
    candidate = `${name} (${i})`;
  }
  return candidate;
}

/**
 * A queue of uploads, one at a time, each with a progress bar (bytes, percent,
 * time left) and a Cancel button. A cancelled or failed upload leaves nothing
 * on the server: the server drops a request whose connection closes.
 */
export class UploadQueue extends Widget {
  constructor(options: UploadQueue.IOptions) {
    super({ node: el('ul', 'jp-LiveGraphs-uploads') });
    this._api = options.api;
    this._takenNames = options.takenNames;
    this.node.setAttribute('aria-label', 'Uploads');
  }

  /**
   * Emitted when a dataset has been made.
   */
  get uploaded(): ISignal<this, IDataset> {
    return this._uploaded;
  }

  /**
   * Queue local files for upload.
   */
  addFiles(files: Iterable<File>): void {
    for (const file of files) {
      this._enqueue(file.name, file.size, (item, signal) =>
        this._api.uploadDataset(item.name, file, {
          filename: file.name,
          signal,
          onProgress: (loaded, total) => this._progress(item, loaded, total)
        })
      );
    }
  }

  /**
   * Queue a file of the Jupyter file browser (copied on the server).
   */
  addServerFile(path: string): void {
    this._enqueue(path, null, (item, signal) =>
      this._api.importFile(path, item.name, { signal })
    );
  }

  private _enqueue(
    filename: string,
    size: number | null,
    start: (item: Private.IItem, signal: AbortSignal) => Promise<IDataset>
  ): void {
    const taken = new Set([
      ...this._takenNames(),
      ...this._items.map(i => i.name)
    ]);
    const name = datasetName(filename, taken);
    const node = el('li', 'jp-LiveGraphs-upload');
    node.dataset.state = 'queued';
    const title = el('div', 'jp-LiveGraphs-uploadName', name);
    const bar = el('progress', 'jp-LiveGraphs-uploadBar');
    bar.max = 1;
    bar.value = 0;
    bar.setAttribute('aria-label', `Upload of ${name}`);
    const text = el(
      'div',
      'jp-LiveGraphs-uploadText',
      size === null ? 'Waiting' : `Waiting · ${formatBytes(size)}`
    );
    const cancel = el(
      'button',
      'jp-Button jp-mod-styled jp-mod-reject jp-LiveGraphs-uploadCancel',
      'Cancel'
    );
    cancel.type = 'button';
    cancel.setAttribute('aria-label', `Cancel upload of ${name}`);
    node.append(title, bar, text, cancel);
    this.node.appendChild(node);
    const controller = new AbortController();
    const item: Private.IItem = {
      remote: size === null,
      name,
      node,
      bar,
      text,
      cancel,
      controller,
      start,
      started: 0
    };
    cancel.addEventListener('click', () => this._cancel(item));
    this._items.push(item);
    void this._next();
  }

  private async _next(): Promise<void> {
    if (this._running) {
      return;
    }
    const item = this._items.find(i => i.node.dataset.state === 'queued');
    if (!item) {
      return;
    }
    this._running = true;
    item.node.dataset.state = 'uploading';
    item.started = performance.now();
    item.text.textContent = item.remote
      ? 'Copying and reading on the server…'
      : 'Starting…';
    if (item.remote) {
      // No byte counts for a server-side copy: an indeterminate bar.
      item.bar.removeAttribute('value');
    }
    try {
      const dataset = await item.start(item, item.controller.signal);
      item.node.dataset.state = 'done';
      this._remove(item);
      this._uploaded.emit(dataset);
    } catch (reason) {
      if (item.controller.signal.aborted) {
        this._remove(item);
      } else {
        item.node.dataset.state = 'failed';
        item.bar.remove();
        item.text.textContent = `Failed: ${(reason as Error).message}`;
        item.text.setAttribute('role', 'alert');
        item.cancel.textContent = 'Dismiss';
        item.cancel.setAttribute(
          'aria-label',
          `Dismiss upload of ${item.name}`
        );
      }
    } finally {
      this._running = false;
      void this._next();
    }
  }

  private _progress(item: Private.IItem, loaded: number, total: number): void {
    item.bar.max = total || 1;
    item.bar.value = loaded;
    const fraction = total ? loaded / total : 0;
    const elapsed = (performance.now() - item.started) / 1000;
    const left =
      fraction > 0 ? (elapsed * (1 - fraction)) / fraction : Infinity;
    item.node.dataset.percent = String(Math.floor(fraction * 100));
    item.text.textContent =
      loaded >= total
        ? `${formatBytes(total)} sent · reading and typing…`
        : `${formatBytes(loaded)} of ${formatBytes(total)} · ${Math.floor(fraction * 100)}% · ${formatSeconds(left)} left`;
  }

  private _cancel(item: Private.IItem): void {
    if (item.node.dataset.state === 'uploading') {
      item.controller.abort();
      return;
    }
    this._remove(item);
  }

  private _remove(item: Private.IItem): void {
    item.node.remove();
    this._items = this._items.filter(i => i !== item);
  }

  private _api: ILiveGraphsAPI;
  private _takenNames: () => Iterable<string>;
  private _items: Private.IItem[] = [];
  private _running = false;
  private _uploaded = new Signal<this, IDataset>(this);
}

/**
 * A namespace for `UploadQueue` statics.
 */
export namespace UploadQueue {
  /**
   * The options used to create a queue.
   */
  export interface IOptions {
    api: ILiveGraphsAPI;

    /**
     * The names already used, so a new upload picks a free one.
     */
    takenNames: () => Iterable<string>;
  }
}

namespace Private {
  export interface IItem {
    /**
     * Whether the server copies the file itself (no byte progress).
     */
    remote: boolean;
    name: string;
    node: HTMLElement;
    bar: HTMLProgressElement;
    text: HTMLElement;
    cancel: HTMLButtonElement;
    controller: AbortController;
    start: (item: IItem, signal: AbortSignal) => Promise<IDataset>;
    started: number;
  }
}
