/**
 * What is on a builder's shelves, and the spec it makes: the fields per
 * channel, the filter conditions, the mark and its options, and what the
 * shelves do not show but a loaded spec had (kept as it was).
 */
import { RULES } from '../../rules';
import {
  Aggregate,
  Channel,
  IChartDraft,
  IChartOptions,
  IChartSpec,
  IDatasetInfo,
  IEncoding,
  IFieldRef,
  IFilter,
  Mark
} from '../types';
import { IFilterState } from './editors';
import { ColumnOf, given, Role, roleOf, suggestMark } from './showme';
import { overlaysFor } from './overlays';

/**
 * What a spec's data is: a dataset's id, or a query (`sql`, with no id).
 */
export type IDataKey = Pick<IDatasetInfo, 'id' | 'sql'>;

/**
 * A shelf: an encoding channel, the tooltip list or the filters.
 */
export type ShelfId = Exclude<Channel, 'label'> | 'tooltip' | 'filters';

/**
 * The defaults a mark fills in (`RULES.defaults`, shared with the kernel's
 * `derived_encoding`).
 */
const DEFAULTS: {
  count: { [mark: string]: string };
  countField: { aggregate: string };
  raw: ReadonlyArray<string>;
  alone: {
    marks: ReadonlyArray<string>;
    options: { [mark: string]: { [key: string]: unknown } };
  };
  numbers: ReadonlyArray<string>;
  value: ReadonlyArray<{
    x?: ReadonlyArray<string>;
    y?: ReadonlyArray<string>;
    channel: string;
  }>;
  aggregates: {
    [mark: string]: { aggregate: string; channels: ReadonlyArray<string> };
  };
} = RULES.defaults;

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}

/**
 * What a mark filled in on a channel: a count of records where nothing was
 * placed, or its default aggregate of a number placed without one.
 */
export interface IFilledIn {
  channel: Channel;
  aggregate: Aggregate;
  /**
   * The number aggregated; absent for a count of records.
   */
  field?: string;
  /**
   * The count of records of a field placed alone on y, drawn from x.
   */
  alone?: string;
}

/**
 * The axis holding the measured number, the other one grouping the
 * records; null when neither does (`value` in the defaults' table).
 */
function valueChannel(encoding: IEncoding, columnOf: ColumnOf): Channel | null {
  const roles: { x: Role; y: Role } = {
    x: roleOf(encoding.x, columnOf),
    y: roleOf(encoding.y, columnOf)
  };
  const row = DEFAULTS.value.find(r =>
    (['x', 'y'] as const).every(
      axis => !r[axis] || r[axis]!.includes(roles[axis])
    )
  );
  return row ? (row.channel as Channel) : null;
}

/**
 * Whether a field is placed alone on y, to be drawn from x (`alone` in the
 * defaults' table).
 */
function alone(mark: Mark, encoding: IEncoding): boolean {
  return (
    DEFAULTS.alone.marks.includes(mark) &&
    !given(encoding.x) &&
    !!encoding.y?.field &&
    !encoding.y.aggregate
  );
}

/**
 * The encoding `mark` draws: what is on the shelves, with what the mark fills
 * in (a count of records on y for x alone, a field alone on y drawn from x,
 * its aggregate of a number placed without one, no aggregate on a box's y),
 * the options it adds under those chosen, and a list of what was filled in.
 */
export function deriveEncoding(
  mark: Mark,
  encoding: IEncoding,
  columnOf: ColumnOf
): { encoding: IEncoding; options: IChartOptions; filledIn: IFilledIn[] } {
  const out = clone(encoding);
  const filledIn: IFilledIn[] = [];
  let options: IChartOptions = {};
  const moved = alone(mark, out) ? out.y!.field : undefined;
  if (moved) {
    out.x = out.y;
    delete out.y;
    options = { ...(DEFAULTS.alone.options[mark] ?? {}) } as IChartOptions;
  }
  const counted = DEFAULTS.count[mark] as Channel | undefined;
  if (counted && !given(out[counted]) && given(out.x)) {
    out[counted] = { ...DEFAULTS.countField } as IFieldRef;
    filledIn.push({ channel: counted, aggregate: 'count', alone: moved });
  }
  if (DEFAULTS.raw.includes(mark) && out.y?.aggregate && out.y.field) {
    // Boxes summarise the raw values; the server computes the quartiles.
    delete out.y.aggregate;
  }
  const rule = DEFAULTS.aggregates[mark];
  for (const name of rule?.channels ?? []) {
    const channel =
      name === 'value' ? valueChannel(out, columnOf) : (name as Channel);
    const ref = channel ? out[channel] : undefined;
    if (channel && ref && DEFAULTS.numbers.includes(roleOf(ref, columnOf))) {
      const aggregate = rule.aggregate as Aggregate;
      out[channel] = { ...ref, aggregate };
      filledIn.push({ channel, aggregate, field: ref.field });
    }
  }
  return { encoding: out, options, filledIn };
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
 * mark when none was chosen (from the dataset's columns, `columnOf`), the
 * default channels and aggregates of the mark; null while the chart has
 * nothing to draw (a placeholder shows).
 */
export function chartSpec(
  draft: IChartDraft,
  columnOf: ColumnOf
): IChartSpec | null {
  const encoding = draft.encoding ?? {};
  const standalone = draft.mark === 'table' || draft.mark === 'kpi';
  const mark = draft.mark ?? suggestMark(encoding, columnOf);
  if (!mark || !draft.dataset || !(hasFields(draft) || standalone)) {
    return null;
  }
  const derived = deriveEncoding(mark, encoding, columnOf);
  const spec = {
    ...draft,
    dataset: draft.dataset,
    mark,
    encoding: derived.encoding
  } as IChartSpec;
  const options = { ...derived.options, ...(draft.options ?? {}) };
  if (Object.keys(options).length) {
    spec.options = optionsFor(mark, options);
  }
  return withOverlays(spec, columnOf);
}

/**
 * `spec` with only the overlays it draws (none: no `overlays` key).
 */
function withOverlays(spec: IChartSpec, columnOf: ColumnOf): IChartSpec {
  const overlays = overlaysFor(
    spec.mark,
    spec.encoding,
    columnOf,
    spec.overlays
  );
  if (overlays.length) {
    spec.overlays = overlays;
  } else {
    delete spec.overlays;
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
   * The spec's `sort`, `limit`, `axes`, `max_marks` and `overlays`.
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
    const { sort, limit, axes, max_marks, overlays } = spec;
    this.carry = clone({ sort, limit, axes, max_marks, overlays });
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
  spec(
    mark: Mark | null,
    dataset: IDataKey,
    columnOf: ColumnOf
  ): IChartSpec | null {
    // A table of every column, or a count of records, needs no field.
    const standalone = this.mark === 'table' || this.mark === 'kpi';
    if (!(this.hasField || standalone) || !mark) {
      return null;
    }
    const derived = deriveEncoding(mark, this._encodingCopy(), columnOf);
    const encoding = derived.encoding;
    const spec: IChartSpec = {
      version: 1,
      dataset: this.datasetRef(dataset),
      mark,
      encoding,
      ...this.carry
    };
    const filters = this.specFilters();
    if (filters.length) {
      spec.filters = filters;
    }
    withOverlays(spec, columnOf);
    const options = optionsFor(mark, { ...derived.options, ...this.options });
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
  draft(dataset: IDataKey): IChartDraft {
    const draft: IChartDraft = {
      version: 1,
      dataset: this.datasetRef(dataset),
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

  datasetRef(dataset: IDataKey): IChartSpec['dataset'] {
    if (dataset.sql) {
      // a query reads the current versions of its datasets: no version
      return { sql: dataset.sql };
    }
    return this._version === undefined
      ? { id: dataset.id }
      : { id: dataset.id, version: this._version };
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
