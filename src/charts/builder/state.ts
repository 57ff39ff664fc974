/**
 * What is on a builder's shelves, and the spec it makes: the fields per
 * channel, the filter conditions, the mark and its options, and what the
 * shelves do not show but a loaded spec had (kept as it was).
 */
import {
  Channel,
  IChartDraft,
  IChartOptions,
  IChartSpec,
  IEncoding,
  IFieldRef,
  IFilter,
  Mark
} from '../types';
import { IFilterState } from './editors';
import { suggestMark } from './showme';

/**
 * A shelf: an encoding channel, the tooltip list or the filters.
 */
export type ShelfId = Exclude<Channel, 'label'> | 'tooltip' | 'filters';

/**
 * Marks that need a value on y; the builder counts records when none is given.
 */
const NEEDS_Y = new Set<Mark>(['bar', 'line', 'area', 'histogram', 'pie']);

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}

/**
 * The encoding `mark` draws: what is on the shelves, with the channels the
 * mark needs filled in (a count of records on y for x alone).
 */
export function derivedEncoding(mark: Mark, encoding: IEncoding): IEncoding {
  const out = clone(encoding);
  if (NEEDS_Y.has(mark) && !out.y && out.x) {
    out.y = { aggregate: 'count' };
  }
  if (mark === 'box' && out.y?.aggregate && out.y.field) {
    // Boxes summarise the raw values; the server computes the quartiles.
    delete out.y.aggregate;
  }
  return out;
}

/**
 * The options that apply to `mark`, from those picked.
 */
export function optionsFor(mark: Mark, o: IChartOptions): IChartOptions {
  const out: IChartOptions = {};
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

/**
 * Whether any shelf of a stored chart holds something.
 */
export function hasFields(draft: IChartDraft): boolean {
  return Object.values(draft.encoding ?? {}).some(v =>
    Array.isArray(v) ? v.length > 0 : !!v && Object.keys(v).length > 0
  );
}

/**
 * The spec a stored chart draws, derived as the builder does: the automatic
 * mark when none was chosen (from the fields' types, `typeOf`), the default
 * channels; null while the chart has nothing to draw (a placeholder shows).
 */
export function chartSpec(
  draft: IChartDraft,
  typeOf: (field: string) => string | undefined
): IChartSpec | null {
  const encoding = draft.encoding ?? {};
  const standalone = draft.mark === 'table' || draft.mark === 'kpi';
  const mark = draft.mark ?? suggestMark(encoding, typeOf);
  if (!mark || !draft.dataset || !(hasFields(draft) || standalone)) {
    return null;
  }
  const spec = {
    ...draft,
    dataset: draft.dataset,
    mark,
    encoding: derivedEncoding(mark, encoding)
  } as IChartSpec;
  if (draft.options) {
    spec.options = optionsFor(mark, draft.options);
  }
  return spec;
}

/**
 * The content of a builder's shelves and controls.
 */
export class ShelfState {
  encoding: IEncoding = {};
  filters: IFilterState[] = [];
  mark: Mark | 'auto' = 'auto';
  title = '';
  options: IChartOptions = {};
  /**
   * The spec's `sort`, `limit`, `axes` and `max_marks`.
   */
  carry: Partial<IChartSpec> = {};

  /**
   * Empty the shelves, then put `spec` on them when given.
   */
  reset(spec?: IChartSpec | IChartDraft | null): void {
    this.encoding = {};
    this.filters = [];
    this.mark = 'auto';
    this.title = '';
    this.options = {};
    this._extraFilters = [];
    this.carry = {};
    this._version = undefined;
    if (spec) {
      this.load(spec);
    }
  }

  /**
   * Put a spec on the shelves.
   */
  load(spec: IChartSpec | IChartDraft): void {
    this.encoding = clone(spec.encoding ?? {});
    this.mark = spec.mark ?? 'auto';
    this.title = spec.title ?? '';
    this.options = { ...(spec.options ?? {}) };
    this.filters = (spec.filters ?? []).flatMap(f =>
      'column' in f
        ? [{ column: f.column, cmp: f.cmp, value: f.value ?? null }]
        : []
    );
    this._extraFilters = (spec.filters ?? []).filter(f => !('column' in f));
    // What the shelves do not show is kept as it was.
    const { sort, limit, axes, max_marks } = spec;
    this.carry = clone({ sort, limit, axes, max_marks });
    this._version = spec.dataset?.version;
  }

  /**
   * Whether any shelf holds a field.
   */
  get hasField(): boolean {
    return Object.values(this.encoding).some(v =>
      Array.isArray(v) ? v.length > 0 : !!v
    );
  }

  /**
   * The spec the shelves make with `mark` (the chosen or suggested one), or
   * null while they make no chart.
   */
  spec(mark: Mark | null, datasetId: string): IChartSpec | null {
    // A table of every column, or a count of records, needs no field.
    const standalone = this.mark === 'table' || this.mark === 'kpi';
    if (!(this.hasField || standalone) || !mark) {
      return null;
    }
    const encoding = derivedEncoding(mark, this._encodingCopy());
    const spec: IChartSpec = {
      version: 1,
      dataset: this.datasetRef(datasetId),
      mark,
      encoding,
      ...this.carry
    };
    const filters = this.specFilters();
    if (filters.length) {
      spec.filters = filters;
    }
    const options = this.markOptions(mark);
    if (Object.keys(options).length) {
      spec.options = options;
    }
    if (this.title) {
      spec.title = this.title;
    }
    return spec;
  }

  /**
   * What is on the shelves and was chosen, as a spec: no mark unless one was
   * chosen, no default channel, the options as picked.
   */
  draft(datasetId: string): IChartDraft {
    const draft: IChartDraft = {
      version: 1,
      dataset: this.datasetRef(datasetId),
      encoding: this._encodingCopy(),
      ...clone(this.carry)
    };
    if (this.mark !== 'auto') {
      draft.mark = this.mark;
    }
    const filters = this.specFilters();
    if (filters.length) {
      draft.filters = filters;
    }
    if (Object.keys(this.options).length) {
      draft.options = clone(this.options);
    }
    if (this.title) {
      draft.title = this.title;
    }
    return draft;
  }

  datasetRef(datasetId: string): IChartSpec['dataset'] {
    return this._version === undefined
      ? { id: datasetId }
      : { id: datasetId, version: this._version };
  }

  /**
   * The filters of the spec: the complete conditions on the Filters shelf,
   * then those the shelf does not show.
   */
  specFilters(): IFilter[] {
    return [
      ...this.filters
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
  markOptions(mark: Mark): IChartOptions {
    return optionsFor(mark, this.options);
  }

  /**
   * The field at `index` on a shelf (filters hold conditions, not fields).
   */
  refAt(shelf: ShelfId, index: number): IFieldRef | null {
    if (shelf === 'filters') {
      return null;
    }
    if (shelf === 'tooltip') {
      return this.encoding.tooltip?.[index] ?? null;
    }
    return this.encoding[shelf] ?? null;
  }

  /**
   * Put a field on a shelf: added to the tooltip list, else in place of
   * what the shelf held.
   */
  put(shelf: Exclude<ShelfId, 'filters'>, ref: IFieldRef): void {
    if (shelf === 'tooltip') {
      this.encoding.tooltip = [...(this.encoding.tooltip ?? []), ref];
    } else {
      this.encoding[shelf] = ref;
    }
  }

  /**
   * Replace the field at `index` on a shelf.
   */
  replace(shelf: ShelfId, index: number, ref: IFieldRef): void {
    if (shelf === 'tooltip') {
      this.encoding.tooltip![index] = ref;
    } else if (shelf !== 'filters') {
      this.encoding[shelf] = ref;
    }
  }

  /**
   * Take what is at `index` off a shelf.
   */
  remove(shelf: ShelfId, index: number): void {
    if (shelf === 'filters') {
      this.filters.splice(index, 1);
    } else if (shelf === 'tooltip') {
      this.encoding.tooltip?.splice(index, 1);
    } else {
      delete this.encoding[shelf];
    }
  }

  /**
   * A copy of the encoding, without an empty tooltip list.
   */
  private _encodingCopy(): IEncoding {
    const encoding: IEncoding = clone(this.encoding);
    if (encoding.tooltip && !encoding.tooltip.length) {
      delete encoding.tooltip;
    }
    return encoding;
  }

  private _extraFilters: IFilter[] = [];
  private _version: number | undefined = undefined;
}
