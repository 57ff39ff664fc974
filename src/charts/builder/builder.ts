/**
 * `ChartBuilder`: build a chart by dragging fields onto shelves.
 *
 * Fields drag with @lumino/dragdrop; dropping one on a shelf, changing a
 * pill's aggregation, the mark or the title rebuilds the spec, and the chart
 * below redraws from the new result.
 */
import { MimeData } from '@lumino/coreutils';
import { Drag } from '@lumino/dragdrop';
import { ISignal, Signal } from '@lumino/signaling';
import { Panel, Widget } from '@lumino/widgets';

import { FilterValues } from '../filtervalues';
import { refTitle } from '../text';
import {
  IChartClient,
  IChartDraft,
  IChartOptions,
  IChartSpec,
  IDatasetInfo,
  IEncoding,
  IFieldRef,
  IFilter,
  Mark,
  MARKS
} from '../types';
import { ChartView } from '../view';
import { pythonCode } from './codegen';
import { closePopup, openPopup } from './popup';
import { filterEditor, filterText, IFilterState, pillMenu } from './editors';
import { defaultRef, IPillOption, pillOptions, typeIcon } from './pills';
import { suggestMark } from './showme';

/**
 * The mime type of a dragged field.
 */
const FIELD_MIME = 'application/x-livegraphs-field';

/**
 * What a drag carries.
 */
interface IDragged {
  /**
   * The column, or null for "Count of records".
   */
  field: string | null;
  /**
   * The shelf and position a pill was dragged from.
   */
  from?: { shelf: ShelfId; index: number };
}

type ShelfId =
  | 'x'
  | 'y'
  | 'color'
  | 'size'
  | 'row'
  | 'column'
  | 'latitude'
  | 'longitude'
  | 'location'
  | 'tooltip'
  | 'filters';

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
 * The sort choices: `by:order`, or empty for the engine's default order.
 */
const SORTS: ReadonlyArray<[string, string]> = [
  ['', 'Default'],
  ['x:ascending', 'X ascending'],
  ['x:descending', 'X descending'],
  ['y:ascending', 'Y ascending'],
  ['y:descending', 'Y descending']
];

/**
 * Shelves shown only for maps (or while they hold a field).
 */
const MAP_SHELVES = new Set<ShelfId>(['latitude', 'longitude', 'location']);

/**
 * Marks that need a value on y; the builder counts records when none is given.
 */
const NEEDS_Y = new Set<Mark>(['bar', 'line', 'area', 'histogram', 'pie']);

export class ChartBuilder extends Panel {
  constructor(options: ChartBuilder.IOptions) {
    super();
    this.addClass('jp-LiveGraphs-ChartBuilder');
    this._dataset = options.dataset;
    this._client = options.client ?? null;

    this._fields = new Widget();
    this._fields.addClass('jp-LiveGraphs-builderFields');
    this._shelves = new Widget();
    this._shelves.addClass('jp-LiveGraphs-builderShelves');
    this._chart = new ChartView({
      client: options.client ?? null,
      placeholder: 'Drag fields onto the shelves to build a chart.'
    });
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
      this._load(options.spec);
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
    this._encoding = {};
    this._filters = [];
    this._mark = 'auto';
    this._title = '';
    this._options = {};
    this._extraFilters = [];
    this._carry = {};
    this._version = undefined;
    if (spec) {
      this._load(spec);
    }
    this._update(false);
  }

  /**
   * What is on the shelves as a spec, also before it makes a chart (then
   * without a mark): what a chart file or a dashboard stores.
   */
  get draft(): IChartDraft {
    if (this._spec) {
      return JSON.parse(JSON.stringify(this._spec));
    }
    const encoding: IEncoding = JSON.parse(JSON.stringify(this._encoding));
    if (encoding.tooltip && !encoding.tooltip.length) {
      delete encoding.tooltip;
    }
    const draft: IChartDraft = {
      version: 1,
      dataset: this._datasetRef(),
      encoding,
      ...JSON.parse(JSON.stringify(this._carry))
    };
    if (this._mark !== 'auto') {
      draft.mark = this._mark;
    }
    const filters = this._specFilters();
    if (filters.length) {
      draft.filters = filters;
    }
    if (this._title) {
      draft.title = this._title;
    }
    return draft;
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
    this._renderFields();
    this._update(false);
  }

  dispose(): void {
    closePopup();
    super.dispose();
  }

  private _typeOf = (field: string): string | undefined =>
    this._dataset.columns.find(c => c.name === field)?.type;

  private _load(spec: IChartSpec | IChartDraft): void {
    this._encoding = JSON.parse(JSON.stringify(spec.encoding ?? {}));
    this._mark = spec.mark ?? 'auto';
    this._title = spec.title ?? '';
    this._options = { ...(spec.options ?? {}) };
    this._filters = (spec.filters ?? []).flatMap(f =>
      'column' in f
        ? [{ column: f.column, cmp: f.cmp, value: f.value ?? null }]
        : []
    );
    this._extraFilters = (spec.filters ?? []).filter(f => !('column' in f));
    // What the shelves do not show is kept as it was.
    const { sort, limit, axes, max_marks } = spec;
    this._carry = JSON.parse(JSON.stringify({ sort, limit, axes, max_marks }));
    this._version = spec.dataset?.version;
  }

  /**
   * Rebuild the spec from the shelves, redraw, and tell listeners.
   */
  private _update(emit = true): void {
    const suggestion = suggestMark(this._encoding, this._typeOf);
    const mark: Mark | null = this._mark === 'auto' ? suggestion : this._mark;
    const hasField = Object.values(this._encoding).some(v =>
      Array.isArray(v) ? v.length > 0 : !!v
    );
    let spec: IChartSpec | null = null;
    // A table of every column, or a count of records, needs no field.
    const standalone = this._mark === 'table' || this._mark === 'kpi';
    if ((hasField || standalone) && mark) {
      const encoding: IEncoding = JSON.parse(JSON.stringify(this._encoding));
      if (encoding.tooltip && !encoding.tooltip.length) {
        delete encoding.tooltip;
      }
      if (NEEDS_Y.has(mark) && !encoding.y && encoding.x) {
        encoding.y = { aggregate: 'count' };
      }
      if (mark === 'box' && encoding.y?.aggregate && encoding.y.field) {
        // Boxes summarise the raw values; the server computes the quartiles.
        delete encoding.y.aggregate;
      }
      spec = {
        version: 1,
        dataset: this._datasetRef(),
        mark,
        encoding,
        ...this._carry
      };
      const filters = this._specFilters();
      if (filters.length) {
        spec.filters = filters;
      }
      const options = this._markOptions(mark);
      if (Object.keys(options).length) {
        spec.options = options;
      }
      if (this._title) {
        spec.title = this._title;
      }
    }
    this._spec = spec;
    this._renderShelves();
    this._renderMarkPicker(suggestion);
    this._codeText.textContent = this.pythonCode;
    this._codeCopy.disabled = !spec;
    this._chart.spec = spec;
    if (emit) {
      this._specChanged.emit(spec);
    }
  }

  private _datasetRef(): IChartSpec['dataset'] {
    return this._version === undefined
      ? { id: this._dataset.id }
      : { id: this._dataset.id, version: this._version };
  }

  /**
   * The filters of the spec: the complete conditions on the Filters shelf,
   * then those the shelf does not show.
   */
  private _specFilters(): IFilter[] {
    return [
      ...this._filters
        .filter(
          f => f.value !== null || f.cmp === 'is_null' || f.cmp === 'not_null'
        )
        .map(f =>
          f.cmp === 'is_null' || f.cmp === 'not_null'
            ? { column: f.column, cmp: f.cmp }
            : { column: f.column, cmp: f.cmp, value: f.value }
        ),
      ...this._extraFilters
    ];
  }

  /**
   * The options that apply to `mark`, from what the user picked.
   */
  private _markOptions(mark: Mark): IChartOptions {
    const out: IChartOptions = {};
    const o = this._options;
    if ((mark === 'bar' || mark === 'area') && o.stack) {
      out.stack = o.stack;
    }
    if ((mark === 'bar' || mark === 'box') && o.orientation) {
      out.orientation = o.orientation;
    }
    if (mark === 'pie' && o.hole) {
      out.hole = o.hole;
    }
    for (const key of Object.keys(o)) {
      if (!['stack', 'orientation', 'hole'].includes(key)) {
        out[key] = o[key];
      }
    }
    return out;
  }

  // --- the field list

  private _renderFields(): void {
    const node = this._fields.node;
    const heading = document.createElement('div');
    heading.className = 'jp-LiveGraphs-builderDataset';
    heading.textContent = this._dataset.name;
    heading.title = this._dataset.name;
    const list = document.createElement('ul');
    list.className = 'jp-LiveGraphs-fieldList';
    list.setAttribute('aria-label', 'Fields');
    const entries: [string | null, string][] = this._dataset.columns.map(c => [
      c.name,
      c.type
    ]);
    entries.push([null, 'count']);
    for (const [field, type] of entries) {
      const item = document.createElement('li');
      item.className = 'jp-LiveGraphs-field';
      item.tabIndex = 0;
      item.dataset.type = type;
      if (field !== null) {
        item.dataset.field = field;
      } else {
        item.dataset.count = 'true';
      }
      const label = document.createElement('span');
      label.className = 'jp-LiveGraphs-fieldName';
      label.textContent = field ?? 'Count of records';
      item.append(typeIcon(type), label);
      item.title = `${field ?? 'Count of records'} (${type}): drag onto a shelf, or double-click to add`;
      item.addEventListener('pointerdown', event =>
        this._onDragStart(event, item, { field })
      );
      item.addEventListener('dblclick', () => this._quickAdd(field));
      item.addEventListener('keydown', event => {
        if (event.key === 'Enter') {
          this._quickAdd(field);
        }
      });
      list.appendChild(item);
    }
    node.replaceChildren(heading, list);
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
      order.find(s => s === 'tooltip' || !this._encoding[s as 'x']) ??
      'tooltip';
    this._drop(shelf, { field });
  }

  // --- drag and drop

  private _onDragStart(
    event: PointerEvent,
    source: HTMLElement,
    payload: IDragged
  ): void {
    if (event.button !== 0 || this._drag) {
      return;
    }
    // No text selection while dragging (clicks still arrive).
    event.preventDefault();
    const startX = event.clientX;
    const startY = event.clientY;
    const move = (e: PointerEvent) => {
      if (Math.abs(e.clientX - startX) + Math.abs(e.clientY - startY) < 5) {
        return;
      }
      stop();
      this._startDrag(e, source, payload);
    };
    const stop = () => {
      document.removeEventListener('pointermove', move, true);
      document.removeEventListener('pointerup', stop, true);
    };
    document.addEventListener('pointermove', move, true);
    document.addEventListener('pointerup', stop, true);
  }

  private _startDrag(
    event: PointerEvent,
    source: HTMLElement,
    payload: IDragged
  ): void {
    const mimeData = new MimeData();
    mimeData.setData(FIELD_MIME, payload);
    const image = source.cloneNode(true) as HTMLElement;
    image.classList.add('jp-LiveGraphs-dragImage');
    this._drag = new Drag({
      mimeData,
      dragImage: image,
      proposedAction: payload.from ? 'move' : 'copy',
      supportedActions: 'copy-move',
      source: this
    });
    this.node.classList.add('jp-mod-dragging');
    void this._drag.start(event.clientX, event.clientY).then(action => {
      this._drag = null;
      this.node.classList.remove('jp-mod-dragging');
      // A pill dropped outside every shelf is removed, as in Tableau.
      if (action === 'none' && payload.from && !this.isDisposed) {
        this._remove(payload.from.shelf, payload.from.index);
      }
    });
  }

  private _wireShelf(zone: HTMLElement, shelf: ShelfId): void {
    const accepts = (event: Event) =>
      (event as Drag.Event).mimeData?.hasData(FIELD_MIME) ?? false;
    zone.addEventListener('lm-dragenter', event => {
      if (!accepts(event)) {
        return;
      }
      event.preventDefault();
      event.stopPropagation();
      zone.classList.add('jp-mod-dropTarget');
    });
    zone.addEventListener('lm-dragleave', event => {
      event.preventDefault();
      event.stopPropagation();
      zone.classList.remove('jp-mod-dropTarget');
    });
    zone.addEventListener('lm-dragover', event => {
      if (!accepts(event)) {
        return;
      }
      event.preventDefault();
      event.stopPropagation();
      const drag = event as Drag.Event;
      drag.dropAction = drag.proposedAction;
    });
    zone.addEventListener('lm-drop', event => {
      if (!accepts(event)) {
        return;
      }
      event.preventDefault();
      event.stopPropagation();
      zone.classList.remove('jp-mod-dropTarget');
      const drag = event as Drag.Event;
      const payload = drag.mimeData.getData(FIELD_MIME) as IDragged;
      drag.dropAction = drag.proposedAction;
      this._drop(shelf, payload);
    });
  }

  /**
   * Put a dropped field on a shelf (replacing what a one-field shelf held).
   */
  private _drop(shelf: ShelfId, payload: IDragged): void {
    const type = payload.field === null ? 'count' : this._typeOf(payload.field);
    let moved: IFieldRef | null = null;
    if (payload.from) {
      if (payload.from.shelf === shelf) {
        return;
      }
      if (payload.from.shelf !== 'filters') {
        moved = this._refAt(payload.from.shelf, payload.from.index);
      }
      this._removeQuietly(payload.from.shelf, payload.from.index);
    }
    if (shelf === 'filters') {
      if (payload.field === null) {
        this._update();
        return;
      }
      const cmp = type === 'string' || type === 'boolean' ? 'in' : 'between';
      this._filters.push({ column: payload.field, cmp, value: null });
      this._update();
      const pills = this._zones
        .get('filters')
        ?.querySelectorAll<HTMLElement>('.jp-LiveGraphs-pill');
      const pill = pills?.[pills.length - 1];
      if (pill) {
        this._openFilterEditor(pill, this._filters.length - 1);
      }
      return;
    }
    const ref =
      moved && (moved.field ?? null) === payload.field
        ? moved
        : defaultRef(payload.field, type, shelf);
    if (shelf === 'tooltip') {
      this._encoding.tooltip = [...(this._encoding.tooltip ?? []), ref];
    } else {
      this._encoding[shelf] = ref;
    }
    this._update();
  }

  private _refAt(shelf: ShelfId, index: number): IFieldRef | null {
    if (shelf === 'filters') {
      return null;
    }
    if (shelf === 'tooltip') {
      return this._encoding.tooltip?.[index] ?? null;
    }
    return this._encoding[shelf] ?? null;
  }

  private _removeQuietly(shelf: ShelfId, index: number): void {
    if (shelf === 'filters') {
      this._filters.splice(index, 1);
    } else if (shelf === 'tooltip') {
      this._encoding.tooltip?.splice(index, 1);
    } else {
      delete this._encoding[shelf];
    }
  }

  private _remove(shelf: ShelfId, index: number): void {
    closePopup();
    this._removeQuietly(shelf, index);
    this._update();
  }

  // --- shelves

  private _buildShelves(): void {
    const node = this._shelves.node;

    const top = document.createElement('div');
    top.className = 'jp-LiveGraphs-builderTop';
    const markLabel = document.createElement('label');
    markLabel.className = 'jp-LiveGraphs-builderControl';
    markLabel.textContent = 'Mark';
    this._markSelect = document.createElement('select');
    this._markSelect.className = 'jp-LiveGraphs-markPicker';
    this._markSelect.addEventListener('change', () => {
      this._mark = this._markSelect.value as Mark | 'auto';
      this._update();
    });
    markLabel.appendChild(this._markSelect);

    const titleLabel = document.createElement('label');
    titleLabel.className = 'jp-LiveGraphs-builderControl';
    titleLabel.textContent = 'Title';
    const title = document.createElement('input');
    title.type = 'text';
    title.className = 'jp-LiveGraphs-titleInput';
    title.placeholder = 'Chart title';
    title.addEventListener('change', () => {
      this._title = title.value.trim();
      this._update();
    });
    this._titleInput = title;
    titleLabel.appendChild(title);

    this._optionsBox = document.createElement('div');
    this._optionsBox.className = 'jp-LiveGraphs-markOptions';
    const sortLabel = document.createElement('label');
    sortLabel.className = 'jp-LiveGraphs-builderControl';
    sortLabel.textContent = 'Sort';
    this._sortSelect = document.createElement('select');
    this._sortSelect.className = 'jp-LiveGraphs-sortPicker';
    for (const [value, label] of SORTS) {
      const option = document.createElement('option');
      option.value = value;
      option.textContent = label;
      this._sortSelect.appendChild(option);
    }
    this._sortSelect.addEventListener('change', () => {
      const [by, order] = this._sortSelect.value.split(':');
      if (by) {
        this._carry.sort = {
          by,
          order: order as 'ascending' | 'descending'
        };
      } else {
        delete this._carry.sort;
      }
      this._update();
    });
    sortLabel.appendChild(this._sortSelect);

    const limitLabel = document.createElement('label');
    limitLabel.className = 'jp-LiveGraphs-builderControl';
    limitLabel.textContent = 'Top';
    this._limitInput = document.createElement('input');
    this._limitInput.type = 'number';
    this._limitInput.min = '1';
    this._limitInput.className = 'jp-LiveGraphs-limitInput';
    this._limitInput.placeholder = 'all';
    this._limitInput.addEventListener('change', () => {
      const n = Math.floor(Number(this._limitInput.value));
      if (this._limitInput.value.trim() && Number.isFinite(n) && n > 0) {
        this._carry.limit = n;
      } else {
        delete this._carry.limit;
      }
      this._update();
    });
    limitLabel.appendChild(this._limitInput);

    top.append(markLabel, this._optionsBox, sortLabel, limitLabel, titleLabel);

    const grid = document.createElement('div');
    grid.className = 'jp-LiveGraphs-shelfGrid';
    for (const [id, label, multi] of SHELVES) {
      const shelf = document.createElement('div');
      shelf.className = 'jp-LiveGraphs-shelf';
      shelf.dataset.shelf = id;
      const name = document.createElement('span');
      name.className = 'jp-LiveGraphs-shelfLabel';
      name.textContent = label;
      const zone = document.createElement('div');
      zone.className = 'jp-LiveGraphs-shelfZone';
      zone.setAttribute('role', 'list');
      zone.setAttribute('aria-label', `${label} shelf`);
      zone.dataset.multi = String(multi);
      this._wireShelf(zone, id);
      shelf.append(name, zone);
      grid.appendChild(shelf);
      this._zones.set(id, zone);
    }
    node.append(top, grid);
  }

  private _renderMarkPicker(suggestion: Mark | null): void {
    const select = this._markSelect;
    const auto = document.createElement('option');
    auto.value = 'auto';
    auto.textContent = suggestion ? `Automatic (${suggestion})` : 'Automatic';
    const options = [auto];
    for (const mark of MARKS) {
      const option = document.createElement('option');
      option.value = mark;
      option.textContent = mark === suggestion ? `${mark} (suggested)` : mark;
      options.push(option);
    }
    select.replaceChildren(...options);
    select.value = this._mark;
    select.dataset.suggested = suggestion ?? '';
    // A remote change does not overwrite what someone is typing.
    if (
      this._titleInput.value !== this._title &&
      document.activeElement !== this._titleInput
    ) {
      this._titleInput.value = this._title;
    }
    const sort = this._carry.sort;
    const sortValue = sort ? `${sort.by}:${sort.order}` : '';
    if (!SORTS.some(([value]) => value === sortValue) && sort) {
      // A sort by another column, from a spec: keep it selectable.
      const option = document.createElement('option');
      option.value = sortValue;
      option.textContent = `${sort.by} ${sort.order}`;
      this._sortSelect.appendChild(option);
    }
    this._sortSelect.value = sortValue;
    if (document.activeElement !== this._limitInput) {
      this._limitInput.value =
        this._carry.limit === undefined ? '' : String(this._carry.limit);
    }
    this._renderMarkOptions(this._spec?.mark ?? null);
  }

  private _renderMarkOptions(mark: Mark | null): void {
    const box = this._optionsBox;
    const controls: HTMLElement[] = [];
    const choice = (
      label: string,
      key: 'stack' | 'orientation',
      values: string[]
    ) => {
      const wrap = document.createElement('label');
      wrap.className = 'jp-LiveGraphs-builderControl';
      wrap.textContent = label;
      const select = document.createElement('select');
      for (const value of values) {
        const option = document.createElement('option');
        option.value = value;
        option.textContent = value;
        select.appendChild(option);
      }
      select.value = (this._options[key] as string) ?? values[0];
      select.addEventListener('change', () => {
        (this._options as any)[key] = select.value;
        this._update();
      });
      wrap.appendChild(select);
      controls.push(wrap);
    };
    if (mark === 'bar' || mark === 'area') {
      choice(
        'Stack',
        'stack',
        mark === 'bar'
          ? ['grouped', 'stacked', 'normalized']
          : ['stacked', 'normalized', 'grouped']
      );
    }
    if (mark === 'bar' || mark === 'box') {
      choice('Orientation', 'orientation', ['vertical', 'horizontal']);
    }
    if (mark === 'pie') {
      const wrap = document.createElement('label');
      wrap.className = 'jp-LiveGraphs-builderControl';
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.checked = !!this._options.hole;
      box.addEventListener('change', () => {
        this._options.hole = box.checked ? 0.5 : 0;
        this._update();
      });
      wrap.append(box, document.createTextNode('Donut'));
      controls.push(wrap);
    }
    box.replaceChildren(...controls);
  }

  private _renderShelves(): void {
    const isMap = this._spec?.mark === 'map' || this._mark === 'map';
    for (const [id] of SHELVES) {
      const zone = this._zones.get(id)!;
      if (MAP_SHELVES.has(id)) {
        zone.parentElement!.hidden =
          !isMap && !this._encoding[id as 'latitude'];
      }
      const pills: HTMLElement[] = [];
      if (id === 'filters') {
        this._filters.forEach((filter, index) =>
          pills.push(this._filterPill(filter, index))
        );
      } else if (id === 'tooltip') {
        (this._encoding.tooltip ?? []).forEach((ref, index) =>
          pills.push(this._pill(id, ref, index))
        );
      } else {
        const ref = this._encoding[id];
        if (ref) {
          pills.push(this._pill(id, ref, 0));
        }
      }
      if (!pills.length) {
        const hint = document.createElement('span');
        hint.className = 'jp-LiveGraphs-shelfHint';
        hint.textContent = 'Drop a field here';
        pills.push(hint);
      }
      zone.replaceChildren(...pills);
    }
  }

  private _pillShell(
    shelf: ShelfId,
    index: number,
    text: string,
    type: string
  ): HTMLElement {
    const pill = document.createElement('div');
    pill.className = 'jp-LiveGraphs-pill';
    pill.setAttribute('role', 'listitem');
    pill.dataset.type = type;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'jp-LiveGraphs-pillLabel';
    button.textContent = text;
    button.title = `${text}: click for options, drag to move, drag off to remove`;
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'jp-LiveGraphs-pillRemove';
    remove.textContent = '×';
    remove.title = `Remove ${text}`;
    remove.setAttribute('aria-label', `Remove ${text}`);
    remove.addEventListener('click', () => this._remove(shelf, index));
    pill.append(typeIcon(type), button, remove);
    pill.addEventListener('pointerdown', event => {
      if (event.target !== remove) {
        const field =
          shelf === 'filters'
            ? (this._filters[index]?.column ?? null)
            : (this._refAt(shelf, index)?.field ?? null);
        this._onDragStart(event, pill, { field, from: { shelf, index } });
      }
    });
    return pill;
  }

  private _pill(shelf: ShelfId, ref: IFieldRef, index: number): HTMLElement {
    const type =
      ref.field === undefined ? 'count' : (this._typeOf(ref.field) ?? 'string');
    const text = refTitle({ ...ref, title: undefined });
    const pill = this._pillShell(shelf, index, text, type);
    pill.dataset.field = ref.field ?? '';
    pill.dataset.aggregate = ref.aggregate ?? '';
    pill.dataset.timeUnit = ref.timeUnit ?? '';
    const button = pill.querySelector<HTMLButtonElement>(
      '.jp-LiveGraphs-pillLabel'
    )!;
    const options = pillOptions(ref, type, shelf);
    if (!options.length) {
      button.disabled = true;
    }
    button.addEventListener('click', () =>
      this._openPillMenu(button, shelf, index, options)
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
      const ref = this._refAt(shelf, index);
      if (ref) {
        const next = option.apply(ref);
        if (shelf === 'tooltip') {
          this._encoding.tooltip![index] = next;
        } else if (shelf !== 'filters') {
          this._encoding[shelf] = next;
        }
      }
      closePopup();
      this._update();
    });
    openPopup(anchor, menu);
  }

  private _filterPill(filter: IFilterState, index: number): HTMLElement {
    const type = this._typeOf(filter.column) ?? 'string';
    const pill = this._pillShell(
      'filters',
      index,
      filterText(filter, type),
      type
    );
    pill.dataset.field = filter.column;
    const button = pill.querySelector<HTMLElement>('.jp-LiveGraphs-pillLabel')!;
    button.addEventListener('click', () => this._openFilterEditor(pill, index));
    return pill;
  }

  private _openFilterEditor(anchor: HTMLElement, index: number): void {
    const filter = this._filters[index];
    if (!filter) {
      return;
    }
    const type = this._typeOf(filter.column) ?? 'string';
    const values = this._client
      ? new FilterValues(
          this._client,
          this._spec?.dataset ?? { id: this._dataset.id }
        )
      : null;
    const form = filterEditor(
      filter,
      type,
      next => {
        this._filters[index] = next;
        closePopup();
        this._update();
      },
      values
    );
    openPopup(anchor, form);
  }

  // --- code

  private _buildCode(): void {
    const label = document.createElement('span');
    label.className = 'jp-LiveGraphs-builderCodeLabel';
    label.textContent = 'Python';
    this._codeText = document.createElement('code');
    this._codeText.className = 'jp-LiveGraphs-chartCode';
    this._codeCopy = document.createElement('button');
    this._codeCopy.type = 'button';
    this._codeCopy.textContent = 'Copy';
    this._codeCopy.title = 'Copy the Python line that recreates this chart';
    this._codeCopy.addEventListener('click', () => {
      void navigator.clipboard?.writeText(this.pythonCode);
    });
    this._code.node.append(label, this._codeText, this._codeCopy);
  }

  private _dataset: IDatasetInfo;
  private _client: IChartClient | null;
  private _encoding: IEncoding = {};
  private _filters: IFilterState[] = [];
  private _extraFilters: IFilter[] = [];
  private _carry: Partial<IChartSpec> = {};
  private _version: number | undefined = undefined;
  private _mark: Mark | 'auto' = 'auto';
  private _title = '';
  private _options: IChartOptions = {};
  private _spec: IChartSpec | null = null;
  private _specChanged = new Signal<this, IChartSpec | null>(this);
  private _drag: Drag | null = null;
  private _zones = new Map<ShelfId, HTMLElement>();
  private _fields: Widget;
  private _shelves: Widget;
  private _chart: ChartView;
  private _code: Widget;
  private _codeText!: HTMLElement;
  private _codeCopy!: HTMLButtonElement;
  private _markSelect!: HTMLSelectElement;
  private _titleInput!: HTMLInputElement;
  private _sortSelect!: HTMLSelectElement;
  private _limitInput!: HTMLInputElement;
  private _optionsBox!: HTMLElement;
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
