/**
 * What every admin page shares: its settings (the shell's `data-*`
 * attributes), JSON calls with the XSRF token, the status line, the
 * confirmation dialog and the formats of times and buttons.
 */
import { el } from '../../src/dom';

/**
 * One admin page as the service's HTML shell (`templates/admin.html`) sets it up.
 */
export class AdminPage {
  constructor(body: HTMLElement) {
    this.name = body.dataset.page ?? '';
    this.api = body.dataset.api ?? '';
    this.datasetsApi = body.dataset.datasetsApi ?? '';
    this._xsrf = body.dataset.xsrf ?? '';
    this.content = document.getElementById('content')!;
    this._status = document.getElementById('status')!;
  }

  /**
   * The page's key: `datasets`, `users`, `activity` or `engagement`.
   */
  readonly name: string;

  /**
   * The URL of `admin/api/`.
   */
  readonly api: string;

  /**
   * The URL of the service's `api/datasets/` (deletes go there).
   */
  readonly datasetsApi: string;

  /**
   * Where the page draws.
   */
  readonly content: HTMLElement;

  /**
   * Call a JSON route; rejects with the service's message on an error.
   */
  async call<T = any>(
    method: string,
    url: string,
    payload?: unknown
  ): Promise<T> {
    const headers: Record<string, string> = { 'X-XSRFToken': this._xsrf };
    const init: RequestInit = { method, headers, credentials: 'same-origin' };
    if (payload !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(payload);
    }
    const response = await fetch(url, init);
    if (response.status === 204) {
      return null as T;
    }
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      throw new Error(
        data.message || `${response.status} ${response.statusText}`
      );
    }
    return data as T;
  }

  /**
   * Show a line in the status bar (read out by screen readers).
   */
  say(text: string, isError = false): void {
    this._status.textContent = text;
    this._status.classList.toggle('lg-admin-error', isError);
  }

  /**
   * Ask before an irreversible act; resolves true when the user confirms.
   */
  confirm(text: string, okLabel = 'Delete'): Promise<boolean> {
    const dialog = document.getElementById('confirm') as HTMLDialogElement;
    document.getElementById('confirm-text')!.textContent = text;
    document.getElementById('confirm-ok')!.textContent = okLabel;
    return new Promise(resolve => {
      dialog.addEventListener(
        'close',
        () => resolve(dialog.returnValue === 'ok'),
        { once: true }
      );
      dialog.returnValue = '';
      dialog.showModal();
    });
  }

  private _xsrf: string;
  private _status: HTMLElement;
}

/**
 * A time for people, in the browser's locale; `—` for none.
 */
export function when(iso: string | null | undefined): string {
  if (!iso) {
    return '—';
  }
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString();
}

/**
 * A `type="button"` button with a click handler.
 */
export function button(
  text: string,
  onClick: (event: MouseEvent) => void,
  className?: string
): HTMLButtonElement {
  const node = el('button', className, text);
  node.type = 'button';
  node.addEventListener('click', onClick);
  return node;
}

/**
 * A table cell (`td`, or a column header `th`) holding text or nodes.
 */
export function cell(
  content: string | number | Node | null | undefined,
  header = false
): HTMLTableCellElement {
  const node = el(header ? 'th' : 'td');
  if (header) {
    node.scope = 'col';
  }
  if (content !== null && content !== undefined) {
    node.append(content instanceof Node ? content : String(content));
  }
  return node;
}
