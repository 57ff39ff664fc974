import { Widget } from '@lumino/widgets';

import { ICompletion, ILiveGraphsAPI } from '../tokens';
import { el } from '../dom';

/**
 * A one-line formula editor: completes column and function names as you type
 * and shows the server's error, with a caret under its position, inline.
 */
export class FormulaEditor extends Widget {
  constructor(options: FormulaEditor.IOptions) {
    super();
    this._api = options.api;
    this._id = options.id;
    this._version = options.version;
    this.addClass('jp-LiveGraphs-FormulaEditor');

    this.input = el('input', 'jp-mod-styled jp-LiveGraphs-formulaInput');
    this.input.type = 'text';
    this.input.spellcheck = false;
    this.input.setAttribute('aria-label', 'Formula');
    this.input.setAttribute('role', 'combobox');
    this.input.setAttribute('aria-autocomplete', 'list');
    this.input.placeholder = options.placeholder ?? '[price] * [quantity]';
    this.input.value = options.value ?? '';

    this._list = el('ul', 'jp-LiveGraphs-completions');
    this._list.setAttribute('role', 'listbox');
    this._list.id = `jp-LiveGraphs-completions-${Private.nextId()}`;
    this.input.setAttribute('aria-controls', this._list.id);
    this._list.hidden = true;

    this._error = el('pre', 'jp-LiveGraphs-formulaError');
    this._error.setAttribute('role', 'alert');
    this._status = el('div', 'jp-LiveGraphs-formulaStatus');

    this.node.append(this.input, this._list, this._error, this._status);
    this.input.addEventListener('input', this);
    // A dialog takes Enter and Escape in its capture phase, so the list's
    // keys are taken earlier, on the window, while the list is open.
    window.addEventListener('keydown', this, true);
    this.input.addEventListener('blur', this);

    void this._api
      .getCompletions(this._id, this._version)
      .then(items => (this._items = items))
      .catch(() => undefined);
  }

  /**
   * The text input.
   */
  readonly input: HTMLInputElement;

  /**
   * The formula text.
   */
  get value(): string {
    return this.input.value;
  }

  /**
   * Whether the last check found the formula valid.
   */
  get valid(): boolean {
    return this._valid;
  }

  handleEvent(event: Event): void {
    switch (event.type) {
      case 'input':
        this._suggest();
        this._scheduleCheck();
        break;
      case 'keydown':
        if (event.target === this.input) {
          this._onKey(event as KeyboardEvent);
        }
        break;
      case 'blur':
        window.setTimeout(() => this._close(), 150);
        break;
    }
  }

  /**
   * Check the formula now; resolves to whether it is valid.
   */
  async check(): Promise<boolean> {
    window.clearTimeout(this._timer);
    const text = this.input.value;
    const ticket = ++this._ticket;
    if (!text.trim()) {
      this._showError('Write a formula', null);
      return false;
    }
    try {
      const result = await this._api.checkFormula(
        this._id,
        text,
        this._version
      );
      if (ticket !== this._ticket) {
        return result.valid;
      }
      if (result.valid) {
        this._valid = true;
        this._error.textContent = '';
        this._status.textContent = `→ ${result.type}`;
        this.input.removeAttribute('aria-invalid');
      } else {
        this._showError(result.message ?? 'Invalid formula', result.position);
      }
      return result.valid;
    } catch (reason) {
      this._showError(
        reason instanceof Error ? reason.message : String(reason),
        null
      );
      return false;
    }
  }

  dispose(): void {
    window.removeEventListener('keydown', this, true);
    window.clearTimeout(this._timer);
    super.dispose();
  }

  private _showError(message: string, position: number | null | undefined) {
    this._valid = false;
    this._status.textContent = '';
    this.input.setAttribute('aria-invalid', 'true');
    if (position !== null && position !== undefined) {
      const text = this.input.value;
      this._error.textContent = `${text}\n${' '.repeat(Math.min(position, text.length))}^\n${message}`;
    } else {
      this._error.textContent = message;
    }
  }

  private _scheduleCheck(): void {
    window.clearTimeout(this._timer);
    this._timer = window.setTimeout(() => void this.check(), 250);
  }

  /**
   * The word being typed before the caret: a bare name or an open `[name`.
   */
  private _word(): { start: number; text: string; bracket: boolean } | null {
    const caret = this.input.selectionStart ?? this.input.value.length;
    const before = this.input.value.slice(0, caret);
    const open = before.lastIndexOf('[');
    if (open >= 0 && before.indexOf(']', open) < 0) {
      return { start: open, text: before.slice(open + 1), bracket: true };
    }
    const match = /[\p{L}_][\p{L}\p{N}_]*$/u.exec(before);
    return match
      ? { start: match.index, text: match[0], bracket: false }
      : null;
  }

  private _suggest(): void {
    const word = this._word();
    if (!word || (!word.bracket && !word.text)) {
      this._close();
      return;
    }
    const needle = word.text.toLowerCase();
    this._shown = this._items
      .filter(
        item =>
          (!word.bracket || item.kind === 'column') &&
          item.name.toLowerCase().startsWith(needle)
      )
      // The data's own columns first, then functions, then keywords.
      .sort((a, b) => Private.RANK[a.kind] - Private.RANK[b.kind])
      .slice(0, 12);
    if (!this._shown.length) {
      this._close();
      return;
    }
    this._active = 0;
    const options = this._shown.map((item, i) => {
      const option = el('li', 'jp-LiveGraphs-completion');
      option.setAttribute('role', 'option');
      option.id = `${this._list.id}-${i}`;
      option.append(
        el('span', 'jp-LiveGraphs-completionName', item.signature),
        el('span', 'jp-LiveGraphs-completionKind', item.doc || item.kind)
      );
      option.addEventListener('mousedown', event => {
        event.preventDefault();
        this._accept(i);
      });
      return option;
    });
    this._list.replaceChildren(...options);
    this._list.hidden = false;
    this.input.setAttribute('aria-expanded', 'true');
    this._highlight();
  }

  private _highlight(): void {
    Array.from(this._list.children).forEach((child, i) =>
      child.classList.toggle('jp-mod-active', i === this._active)
    );
    this.input.setAttribute(
      'aria-activedescendant',
      `${this._list.id}-${this._active}`
    );
  }

  private _close(): void {
    this._list.hidden = true;
    this._shown = [];
    this.input.setAttribute('aria-expanded', 'false');
    this.input.removeAttribute('aria-activedescendant');
  }

  private _accept(index: number): void {
    const item = this._shown[index];
    const word = this._word();
    if (!item || !word) {
      return;
    }
    const caret = this.input.selectionStart ?? this.input.value.length;
    let insert: string;
    if (item.kind === 'column') {
      insert = `[${item.name.replace(/\]/g, ']]')}]`;
    } else if (item.kind === 'function') {
      insert = `${item.name}(`;
    } else {
      insert = item.name;
    }
    const value = this.input.value;
    this.input.value = value.slice(0, word.start) + insert + value.slice(caret);
    const at = word.start + insert.length;
    this.input.setSelectionRange(at, at);
    this._close();
    this._scheduleCheck();
  }

  private _onKey(event: KeyboardEvent): void {
    if (this._list.hidden) {
      return;
    }
    switch (event.key) {
      case 'ArrowDown':
        this._active = (this._active + 1) % this._shown.length;
        this._highlight();
        break;
      case 'ArrowUp':
        this._active =
          (this._active - 1 + this._shown.length) % this._shown.length;
        this._highlight();
        break;
      case 'Tab':
      case 'Enter':
        this._accept(this._active);
        break;
      case 'Escape':
        this._close();
        break;
      default:
        return;
    }
    event.preventDefault();
    event.stopPropagation();
  }

  private _api: ILiveGraphsAPI;
  private _id: string;
  private _version: number;
  private _items: ICompletion[] = [];
  private _shown: ICompletion[] = [];
  private _active = 0;
  private _list: HTMLUListElement;
  private _error: HTMLElement;
  private _status: HTMLElement;
  private _timer = 0;
  private _ticket = 0;
  private _valid = false;
}

/**
 * A namespace for `FormulaEditor` statics.
 */
export namespace FormulaEditor {
  /**
   * The options used to create an editor.
   */
  export interface IOptions {
    api: ILiveGraphsAPI;
    id: string;
    version: number;
    value?: string;
    placeholder?: string;
  }
}

namespace Private {
  export const RANK: Record<string, number> = {
    column: 0,
    function: 1,
    keyword: 2
  };

  let counter = 0;

  /**
   * A number unique in this page, for element ids.
   */
  export function nextId(): number {
    return counter++;
  }
}
