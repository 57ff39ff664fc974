import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { CellRenderer, GraphicsContext, TextRenderer } from '@lumino/datagrid';
import { Widget } from '@lumino/widgets';

import { el } from '../dom';
import { ISearchClause } from '../tokens';
import { DatasetGridModel } from './model';

/**
 * The search box of a dataset view's toolbar: the grid shows only the rows
 * that match what is typed (a view, never a new version), and the box says
 * how many there are.
 *
 * Its node's `data-lg-state` is `idle`, `searching`, `ready` or `error`, so
 * tests and styles can follow it.
 */
export class GridSearch extends Widget {
  constructor(options: GridSearch.IOptions) {
    super({ node: el('div', 'jp-LiveGraphs-gridSearch') });
    const trans = (options.translator ?? nullTranslator).load('livegraphs_ext');
    this._trans = trans;
    this._model = options.model;
    this._input = el('input', 'jp-mod-styled jp-LiveGraphs-gridSearchInput');
    this._input.type = 'search';
    this._input.placeholder = trans.__('Search rows');
    this._input.setAttribute('aria-label', trans.__('Search rows'));
    this._input.title = trans.__(
      'Words, prefix* and "quoted phrases"; case and accents are ignored'
    );
    this._count = el('span', 'jp-LiveGraphs-gridSearchCount');
    this._count.setAttribute('role', 'status');
    this._count.setAttribute('aria-label', trans.__('Search matches'));
    this.node.append(this._input, this._count);
    this.node.dataset.lgState = 'idle';
    this._input.addEventListener('input', this);
    this._input.addEventListener('keydown', this);
    this._model.searched.connect(this._onSearched, this);
    this._model.failed.connect(this._onFailed, this);
  }

  /**
   * The text in the box.
   */
  get value(): string {
    return this._input.value;
  }

  handleEvent(event: Event): void {
    if (event.type === 'input') {
      window.clearTimeout(this._timer);
      this._timer = window.setTimeout(() => this._run(), GridSearch.DELAY);
    } else if (event.type === 'keydown') {
      const key = (event as KeyboardEvent).key;
      if (key === 'Enter') {
        this._run();
      } else if (key === 'Escape') {
        this._input.value = '';
        this._run();
      }
    }
  }

  dispose(): void {
    window.clearTimeout(this._timer);
    super.dispose();
  }

  private _run(): void {
    window.clearTimeout(this._timer);
    const q = this._input.value.trim();
    if (q === this._model.query) {
      return;
    }
    this._count.classList.remove('jp-LiveGraphs-error');
    this._count.textContent = q ? this._trans.__('Searching…') : '';
    this.node.dataset.lgState = q ? 'searching' : 'idle';
    this._model.setSearch(q);
  }

  private _onSearched(_: DatasetGridModel, found: { total: number }): void {
    this._count.classList.remove('jp-LiveGraphs-error');
    this._count.textContent = this._trans._n(
      '%2 match',
      '%2 matches',
      found.total,
      found.total.toLocaleString('en-US')
    );
    this.node.dataset.lgState = 'ready';
  }

  private _onFailed(_: DatasetGridModel, error: Error): void {
    if (!this._model.query) {
      return;
    }
    this._count.classList.add('jp-LiveGraphs-error');
    this._count.textContent = error.message;
    this.node.dataset.lgState = 'error';
  }

  private _trans: TranslationBundle;
  private _model: DatasetGridModel;
  private _input: HTMLInputElement;
  private _count: HTMLElement;
  private _timer = 0;
}

/**
 * A namespace for `GridSearch` statics.
 */
export namespace GridSearch {
  /**
   * Milliseconds of quiet typing before the search runs.
   */
  export const DELAY = 300;

  export interface IOptions {
    model: DatasetGridModel;
    translator?: ITranslator;
  }
}

/**
 * A body renderer that marks the words of the model's search behind `base`'s
 * text (left-aligned text cells only).
 */
export class SearchHighlight extends CellRenderer {
  constructor(
    private readonly _base: TextRenderer,
    private readonly _model: DatasetGridModel,
    private readonly _fill: string
  ) {
    super();
  }

  paint(gc: GraphicsContext, config: CellRenderer.CellConfig): void {
    const search = this._model.searchInfo;
    if (search && this._fill && config.metadata.type === 'string') {
      this._mark(gc, config, search.clauses);
    }
    this._base.paint(gc, config);
  }

  private _mark(
    gc: GraphicsContext,
    config: CellRenderer.CellConfig,
    clauses: ReadonlyArray<ISearchClause>
  ): void {
    const base = this._base;
    if (
      CellRenderer.resolveOption(base.horizontalAlignment, config) !== 'left'
    ) {
      return;
    }
    const text = base.format(config);
    const spans = matchSpans(text, clauses);
    if (!spans.length) {
      return;
    }
    gc.font = CellRenderer.resolveOption(base.font, config);
    const x0 = config.x + base.horizontalPadding;
    const right = config.x + config.width;
    gc.save();
    gc.fillStyle = this._fill;
    // half see-through: the text keeps its own colour in light and dark themes
    gc.globalAlpha = 0.5;
    for (const [start, end] of spans) {
      const left = x0 + gc.measureText(text.slice(0, start)).width;
      if (left >= right) {
        break;
      }
      const width = gc.measureText(text.slice(start, end)).width;
      gc.fillRect(
        left,
        config.y + 3,
        Math.min(width, right - left),
        config.height - 6
      );
    }
    gc.restore();
  }
}

/**
 * Where a search's clauses match in a text: `[start, end)` ranges of the
 * text's UTF-16 indices, in order.
 *
 * The text is read as the server reads it: each character decomposed (NFD),
 * its combining marks dropped, lower-cased; words are runs of letters and
 * digits. A word clause marks a word equal to it, a prefix each word that
 * starts with it, a phrase each run of words equal to its words.
 */
export function matchSpans(
  text: string,
  clauses: ReadonlyArray<ISearchClause>
): Array<[number, number]> {
  const words: Array<{ word: string; start: number; end: number }> = [];
  let current: { word: string; start: number; end: number } | null = null;
  let at = 0;
  for (const ch of text) {
    const folded = ch.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
    const letter = folded !== '' && /^[\p{L}\p{N}]+$/u.test(folded);
    if (letter) {
      current = current ?? { word: '', start: at, end: at };
      current.word += folded;
      current.end = at + ch.length;
    } else if (folded !== '' && current) {
      words.push(current);
      current = null;
    }
    at += ch.length;
  }
  if (current) {
    words.push(current);
  }
  const spans: Array<[number, number]> = [];
  for (const clause of clauses) {
    const n = clause.words.length;
    for (let i = 0; i + n <= words.length; i++) {
      const hit = clause.prefix
        ? words[i].word.startsWith(clause.words[0])
        : clause.words.every((w, k) => words[i + k].word === w);
      if (hit) {
        spans.push([words[i].start, words[i + n - 1].end]);
      }
    }
  }
  spans.sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const span of spans) {
    const last = merged[merged.length - 1];
    if (last && span[0] <= last[1]) {
      last[1] = Math.max(last[1], span[1]);
    } else {
      merged.push([span[0], span[1]]);
    }
  }
  return merged;
}
