/**
 * `ChartBuilder`: build a chart by dragging fields onto shelves.
 *
 * Fields drag with @lumino/dragdrop; dropping one on a shelf, changing a
 * pill's aggregation, the mark or the title rebuilds the spec, and the chart
 * below redraws from the new result. The parts live beside it: the field
 * list (`fields.ts`), the shelves' content and the spec it makes
 * (`state.ts`), dragging (`dragdrop.ts`), the chart controls
 * (`controls.ts`), pills and their menus (`pills.ts`, `editors.ts`).
 */
import { ISignal, Signal } from '@lumino/signaling';
import { Panel, Widget } from '@lumino/widgets';

import { el } from '../../dom';
import { FilterValues } from '../filtervalues';
import { refTitle } from '../text';
import {
  IChartClient,
  IChartDraft,
  IChartSpec,
  IDatasetInfo,
  IFieldRef,
  Mark
} from '../types';
import { chartExport, exportButtons } from '../../export/dashboardpdf';
import { ChartView } from '../view';
import { pythonCode } from './codegen';
import { ChartControls } from './controls';
import { acceptFields, FieldDragger, IDragged } from './dragdrop';
import { filterEditor, filterText, IFilterState, pillMenu } from './editors';
import { fieldList } from './fields';
import { defaultsHint } from './hint';
import { defaultRef, IPillOption, pillElement, pillOptions } from './pills';
import { closePopup, openPopup } from './popup';
import { ColumnOf, columnLookup, IColumnFacts, suggestMark } from './showme';
import { deriveEncoding, IFilledIn, ShelfId, ShelfState } from './state';

/**
 * The shelves: id, label, and whether it holds several pills.
 */
const SHELVES: ReadonlyArray<[ShelfId, string, boolean]> = [
  ['x', 'X axis', false],
  ['y', 'Y axis', false],
  ['color', 'Color', false],
  ['size', 'Size', false],
  ['row', 'Facet rows', false],
  ['column', 'Facet columns', false],
  ['latitude', 'Latitude', false],
  ['longitude', 'Longitude', false],
  ['location', 'Location', false],
  ['tooltip', 'Tooltip', true],
  ['filters', 'Filters', true]
];

/**
 * Shelves shown only for maps (or while they hold a field).
 */
const MAP_SHELVES = new Set<ShelfId>(['latitude', 'longitude', 'location']);

export class ChartBuilder extends Panel {
  constructor(options: ChartBuilder.IOptions) {
    super();
    this.addClass('jp-LiveGraphs-ChartBuilder');
    this._dataset = options.dataset;
    this._columns = columnLookup(options.dataset);
    this._client = options.client ?? null;
    this._dragger = new FieldDragger({
      host: this,
      onEnd: (payload, action) => {
        // A pill dropped outside every shelf is removed, as in Tableau.
        if (action === 'none' && payload.from && !this.isDisposed) {
          this._remove(payload.from.shelf, payload.from.index);
        }
      }
    });
    this._controls = new ChartControls(this._state, () => this._update());

    this._fields = new Widget();
    this._fields.addClass('jp-LiveGraphs-builderFields');
    this._shelves = new Widget();
    this._shelves.addClass('jp-LiveGraphs-builderShelves');
    this._chart = new ChartView({
      client: options.client ?? null,
      placeholder: 'Drag fields onto the shelves to build a chart.'
    });
    // The chart alone as a PDF (title, its filters, the date), beside the
    // chart's own PNG, SVG and CSV.
    const pdf = exportButtons(
      () => chartExport(this._spec, this._chart.node),
      'jp-LiveGraphs-chartExport'
    )[0];
    pdf.textContent = 'PDF';
    pdf.title = 'Download the chart as PDF';
    pdf.setAttribute('aria-label', pdf.title);
    this._chart.node.querySelector('.jp-LiveGraphs-chartExports')?.append(pdf);
    this._code = new Widget();
    this._code.addClass('jp-LiveGraphs-builderCode');

    const main = new Panel();
    main.addClass('jp-LiveGraphs-builderMain');
    main.addWidget(this._shelves);
    main.addWidget(this._chart);
    main.addWidget(this._code);
    this.addWidget(this._fields);
    this.addWidget(main);

    this._buildShelves();
    this._buildCode();
    this._renderFields();
    if (options.spec) {
      this._state.load(options.spec);
    }
    this._update();
  }

  /**
   * Emitted after every change the user makes, with the new spec.
   */
  get specChanged(): ISignal<this, IChartSpec | null> {
    return this._specChanged;
  }

  /**
   * The chart drawn below the shelves.
   */
  get chart(): ChartView {
    return this._chart;
  }

  /**
   * The spec on the shelves; null while nothing is on them.
   */
  get spec(): IChartSpec | null {
    return this._spec;
  }
  set spec(spec: IChartSpec | IChartDraft | null) {
    this._state.reset(spec);
    this._update(false);
  }

  /**
   * What the user put on the shelves and chose, as a spec: what a chart file
   * or a dashboard stores. What the builder derives (the automatic mark, a
   * default `y = count`) is left out: every client derives it from this.
   */
  get draft(): IChartDraft {
    return this._state.draft(this._dataset);
  }

  /**
   * The Python line that recreates the chart.
   */
  get pythonCode(): string {
    return this._spec ? pythonCode(this._spec, this._dataset.name) : '';
  }

  /**
   * The dataset whose fields are listed.
   */
  get datasetInfo(): IDatasetInfo {
    return this._dataset;
  }
  set datasetInfo(dataset: IDatasetInfo) {
    this._dataset = dataset;
    this._columns = columnLookup(dataset);
    this._renderFields();
    this._update(false);
  }

  dispose(): void {
    closePopup();
    super.dispose();
  }

  private _columnOf = (field: string): IColumnFacts | undefined =>
    this._columns(field);

  private _typeOf = (field: string): string | undefined =>
    this._columns(field)?.type;

  /**
   * Rebuild the spec from the shelves, redraw, and tell listeners.
   */
  private _update(emit = true): void {
    const state = this._state;
    const suggestion = suggestMark(state.encoding, this._columnOf);
    const mark: Mark | null = state.mark === 'auto' ? suggestion : state.mark;
    const spec = state.spec(mark, this._dataset, this._columnOf);
    this._spec = spec;
    this._filledIn =
      spec && mark
        ? deriveEncoding(mark, state.encoding, this._columnOf).filledIn
        : [];
    this._hint.textContent = spec
      ? defaultsHint({
          mark,
          automatic: state.mark === 'auto',
          encoding: state.encoding,
          filledIn: this._filledIn,
          columnOf: this._columnOf
        })
      : '';
    this._renderShelves();
    this._controls.render(
      suggestion,
      spec?.mark ?? null,
      spec?.encoding ?? {},
      this._columnOf
    );
    this._codeText.textContent = this.pythonCode;
    this._codeCopy.disabled = !spec;
    this._chart.spec = spec;
    if (emit) {
      this._specChanged.emit(spec);
    }
  }

  private _renderFields(): void {
    this._fields.node.replaceChildren(
      ...fieldList(this._dataset, {
        press: (event, item, field) =>
          this._dragger.press(event, item, { field }),
        add: field => this._quickAdd(field)
      })
    );
  }

  /**
   * Add a field to the first free shelf that suits it, as Tableau's double-click does.
   */
  private _quickAdd(field: string | null): void {
    const order: ShelfId[] =
      field === null
        ? ['y', 'x', 'size', 'tooltip']
        : ['x', 'y', 'color', 'size', 'tooltip'];
    const shelf =
      order.find(s => s === 'tooltip' || !this._state.encoding[s as 'x']) ??
      'tooltip';
    this._drop(shelf, { field });
  }

  /**
   * Put a dropped field on a shelf (replacing what a one-field shelf held).
   */
  private _drop(shelf: ShelfId, payload: IDragged): void {
    const state = this._state;
    const type = payload.field === null ? 'count' : this._typeOf(payload.field);
    let moved: IFieldRef | null = null;
    if (payload.from) {
      if (payload.from.shelf === shelf) {
        return;
      }
      if (payload.from.shelf !== 'filters') {
        moved = state.refAt(payload.from.shelf, payload.from.index);
      }
      state.remove(payload.from.shelf, payload.from.index);
    }
    if (shelf === 'filters') {
      if (payload.field === null) {
        this._update();
        return;
      }
      const cmp = type === 'string' || type === 'boolean' ? 'in' : 'between';
      state.filters.push({ column: payload.field, cmp, value: null });
      this._update();
      const pills = this._zones
        .get('filters')
        ?.querySelectorAll<HTMLElement>('.jp-LiveGraphs-pill');
      const pill = pills?.[pills.length - 1];
      if (pill) {
        this._openFilterEditor(pill, state.filters.length - 1);
      }
      return;
    }
    const ref =
      moved && (moved.field ?? null) === payload.field
        ? moved
        : defaultRef(payload.field, type, shelf);
    state.put(shelf, ref);
    this._update();
  }

  private _remove(shelf: ShelfId, index: number): void {
    closePopup();
    this._state.remove(shelf, index);
    this._update();
  }

  // --- shelves

  private _buildShelves(): void {
    const grid = el('div', 'jp-LiveGraphs-shelfGrid');
    for (const [id, label, multi] of SHELVES) {
      const shelf = el('div', 'jp-LiveGraphs-shelf');
      shelf.dataset.shelf = id;
      const zone = el('div', 'jp-LiveGraphs-shelfZone', {
        role: 'list',
        'aria-label': `${label} shelf`
      });
      zone.dataset.multi = String(multi);
      acceptFields(zone, payload => this._drop(id, payload));
      shelf.append(el('span', 'jp-LiveGraphs-shelfLabel', label), zone);
      grid.appendChild(shelf);
      this._zones.set(id, zone);
    }
    this._hint = el('p', 'jp-LiveGraphs-builderHint', {
      role: 'status',
      'aria-label': 'Automatic choices'
    });
    this._shelves.node.append(this._controls.node, grid, this._hint);
  }

  private _renderShelves(): void {
    const state = this._state;
    const isMap = this._spec?.mark === 'map' || state.mark === 'map';
    for (const [id] of SHELVES) {
      const zone = this._zones.get(id)!;
      if (MAP_SHELVES.has(id)) {
        zone.parentElement!.hidden =
          !isMap && !state.encoding[id as 'latitude'];
      }
      const pills: HTMLElement[] = [];
      if (id === 'filters') {
        state.filters.forEach((filter, index) =>
          pills.push(this._filterPill(filter, index))
        );
      } else if (id === 'tooltip') {
        (state.encoding.tooltip ?? []).forEach((ref, index) =>
          pills.push(this._pill(id, ref, index))
        );
      } else {
        const ref = state.encoding[id];
        if (ref) {
          pills.push(this._pill(id, ref, 0));
        }
      }
      if (!pills.length) {
        pills.push(el('span', 'jp-LiveGraphs-shelfHint', 'Drop a field here'));
      }
      zone.replaceChildren(...pills);
    }
  }

  // --- pills

  private _pillShell(
    shelf: ShelfId,
    index: number,
    text: string,
    type: string
  ): { pill: HTMLElement; label: HTMLButtonElement } {
    return pillElement(text, type, {
      remove: () => this._remove(shelf, index),
      press: (event, pill) => {
        const field =
          shelf === 'filters'
            ? (this._state.filters[index]?.column ?? null)
            : (this._state.refAt(shelf, index)?.field ?? null);
        this._dragger.press(event, pill, { field, from: { shelf, index } });
      }
    });
  }

  private _pill(shelf: ShelfId, ref: IFieldRef, index: number): HTMLElement {
    const type =
      ref.field === undefined ? 'count' : (this._typeOf(ref.field) ?? 'string');
    // The aggregate the mark gives a number placed without one.
    const automatic =
      shelf === 'tooltip' || ref.aggregate
        ? null
        : (this._filledIn.find(f => f.channel === shelf && f.field)
            ?.aggregate ?? null);
    const text = refTitle({
      ...ref,
      ...(automatic ? { aggregate: automatic } : {}),
      title: undefined
    });
    const { pill, label } = this._pillShell(shelf, index, text, type);
    pill.dataset.field = ref.field ?? '';
    pill.dataset.aggregate = ref.aggregate ?? '';
    pill.dataset.timeUnit = ref.timeUnit ?? '';
    if (automatic) {
      pill.classList.add('jp-mod-automatic');
      label.title = `${text}: the default for this mark. Click to pick another aggregate, drag to move, drag off to remove`;
    }
    const options = pillOptions(ref, type, shelf, automatic);
    if (!options.length) {
      label.disabled = true;
    }
    label.addEventListener('click', () =>
      this._openPillMenu(label, shelf, index, options)
    );
    return pill;
  }

  private _openPillMenu(
    anchor: HTMLElement,
    shelf: ShelfId,
    index: number,
    options: IPillOption[]
  ): void {
    const menu = pillMenu(options, option => {
      const ref = this._state.refAt(shelf, index);
      if (ref) {
        this._state.replace(shelf, index, option.apply(ref));
      }
      closePopup();
      this._update();
    });
    openPopup(anchor, menu);
  }

  private _filterPill(filter: IFilterState, index: number): HTMLElement {
    const type = this._typeOf(filter.column) ?? 'string';
    const { pill, label } = this._pillShell(
      'filters',
      index,
      filterText(filter, type),
      type
    );
    pill.dataset.field = filter.column;
    label.addEventListener('click', () => this._openFilterEditor(pill, index));
    return pill;
  }

  private _openFilterEditor(anchor: HTMLElement, index: number): void {
    const filter = this._state.filters[index];
    if (!filter) {
      return;
    }
    const type = this._typeOf(filter.column) ?? 'string';
    const values = this._client
      ? new FilterValues(
          this._client,
          this._spec?.dataset ?? this._state.datasetRef(this._dataset)
        )
      : null;
    const form = filterEditor(
      filter,
      type,
      next => {
        this._state.filters[index] = next;
        closePopup();
        this._update();
      },
      values
    );
    openPopup(anchor, form);
  }

  // --- code

  private _buildCode(): void {
    const label = el('span', 'jp-LiveGraphs-builderCodeLabel', 'Python');
    this._codeText = el('code', 'jp-LiveGraphs-chartCode');
    this._codeCopy = el('button', '', 'Copy', {
      type: 'button',
      title: 'Copy the Python line that recreates this chart'
    });
    this._codeCopy.addEventListener('click', () => {
      void navigator.clipboard?.writeText(this.pythonCode);
    });
    this._code.node.append(label, this._codeText, this._codeCopy);
  }

  private _dataset: IDatasetInfo;
  private _columns: ColumnOf;
  private _client: IChartClient | null;
  private _state = new ShelfState();
  private _spec: IChartSpec | null = null;
  private _specChanged = new Signal<this, IChartSpec | null>(this);
  private _dragger: FieldDragger;
  private _controls: ChartControls;
  private _zones = new Map<ShelfId, HTMLElement>();
  private _fields: Widget;
  private _shelves: Widget;
  private _chart: ChartView;
  private _code: Widget;
  private _codeText!: HTMLElement;
  private _codeCopy!: HTMLButtonElement;
  private _hint!: HTMLElement;
  private _filledIn: IFilledIn[] = [];
}

/**
 * A namespace for `ChartBuilder` statics.
 */
export namespace ChartBuilder {
  /**
   * The options used to create a builder.
   */
  export interface IOptions {
    /**
     * The dataset whose fields are offered.
     */
    dataset: IDatasetInfo;

    /**
     * A spec to start from.
     */
    spec?: IChartSpec | null;

    /**
     * What runs the specs; without one, feed results to `builder.chart`.
     */
    client?: IChartClient | null;
  }
}
