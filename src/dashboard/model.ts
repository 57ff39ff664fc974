/**
 * The shared model of a `.lgdash` dashboard: a Yjs document with the same
 * layout as the server's `YDashboard` (`livegraphs_ext/dashboard.py`).
 *
 * - `meta`: Map `{version, title, crossfilter}`
 * - `charts`: Map chart id → Map `{spec: Map {…, encoding: Map}, layout: Map}`,
 *   `encoding` holding a Map per shelf `{field, aggregate, bin, timeUnit, …}`
 *   (`tooltip` a plain list; see `../charts/doc/binding.ts`)
 * - `filters`: Array of Map `{id, kind, dataset, column, value, label?}`
 *
 * Every chart, its spec, its encoding, each shelf and its layout are separate
 * maps, so two people who change different keys of one chart at once both
 * keep theirs.
 */
import { YDocument } from '@jupyter/ydoc';
import { DocumentRegistry } from '@jupyterlab/docregistry';
import { JSONValue, PartialJSONValue } from '@lumino/coreutils';
import * as Y from 'yjs';

import { IJSONDocChange, JSONDocModel, JSONDocModelFactory } from '../docmodel';

import {
  newSpecMap,
  plain,
  writeShelfKey,
  writeSpecChanges
} from '../charts/doc/binding';
import { IChartDraft, IFieldRef } from '../charts/types';
import { GRID_COLUMNS } from './grid';
import {
  IChartLayout,
  IDashboard,
  IDashboardChart,
  IDashboardFilter
} from './types';

/**
 * The change emitted by a dashboard shared model.
 */
export type IDashboardChange = IJSONDocChange;

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The shared (Yjs) document of a dashboard.
 */
export class DashboardDoc extends YDocument<IDashboardChange> {
  constructor(options?: YDocument.IOptions) {
    super(options);
    this._meta = this.ydoc.getMap('meta');
    this._charts = this.ydoc.getMap('charts');
    this._filters = this.ydoc.getArray('filters');
    this.undoManager.addToScope([this._meta, this._charts, this._filters]);
    const onChange = () => this._changed.emit({ contentChange: true });
    this._meta.observeDeep(onChange);
    this._charts.observeDeep(onChange);
    this._filters.observeDeep(onChange);
  }

  /**
   * Create a new dashboard shared model (the factory registered with the
   * collaborative drive).
   */
  static create(): DashboardDoc {
    return new DashboardDoc();
  }

  readonly version = '1.0.0';

  get title(): string {
    return (this._meta.get('title') as string) ?? '';
  }
  set title(value: string) {
    if (value !== this.title) {
      this._meta.set('title', value);
    }
  }

  /**
   * Whether a selection in one chart filters the others.
   */
  get crossfilter(): boolean {
    return (this._meta.get('crossfilter') as boolean) ?? true;
  }
  set crossfilter(value: boolean) {
    if (value !== this.crossfilter) {
      this._meta.set('crossfilter', value);
    }
  }

  /**
   * The chart ids, in reading order (top to bottom, left to right).
   */
  chartIds(): string[] {
    const ids = [...this._charts.keys()].filter(id => this.getChart(id));
    const pos = (id: string) => this.getChart(id)!.layout;
    return ids.sort((a, b) => pos(a).y - pos(b).y || pos(a).x - pos(b).x);
  }

  /**
   * A plain copy of one chart, or null when there is none (or it is incomplete).
   */
  getChart(id: string): IDashboardChart | null {
    const chart = this._charts.get(id);
    if (!chart) {
      return null;
    }
    const layout = plain(chart.get('layout')) as IChartLayout | undefined;
    if (!layout) {
      return null;
    }
    return { spec: (plain(chart.get('spec')) ?? {}) as IChartDraft, layout };
  }

  /**
   * Add a chart below the others; answers its id.
   */
  addChart(spec: IChartDraft, layout?: Partial<IChartLayout>): string {
    const id = `c${Math.random().toString(36).slice(2, 10)}`;
    const bottom = this.chartIds().reduce((y, cid) => {
      const l = this.getChart(cid)!.layout;
      return Math.max(y, l.y + l.h);
    }, 0);
    const full: IChartLayout = {
      x: 0,
      y: bottom,
      w: 6,
      h: 4,
      ...layout
    };
    this.transact(() => {
      const ychart = new Y.Map<any>();
      ychart.set('spec', newSpecMap({ version: 1, ...spec }));
      ychart.set('layout', new Y.Map<any>(Object.entries(clampLayout(full))));
      this._charts.set(id, ychart);
    });
    return id;
  }

  removeChart(id: string): void {
    if (this._charts.has(id)) {
      this._charts.delete(id);
    }
  }

  /**
   * Move or resize a chart: only the keys given (and changed) are written.
   */
  setLayout(id: string, layout: Partial<IChartLayout>): void {
    const ylayout = this._charts.get(id)?.get('layout') as Y.Map<number>;
    if (!ylayout) {
      return;
    }
    const next = clampLayout({
      ...(ylayout.toJSON() as IChartLayout),
      ...layout
    });
    this.transact(() => {
      for (const key of ['x', 'y', 'w', 'h'] as const) {
        if (ylayout.get(key) !== next[key]) {
          ylayout.set(key, next[key]);
        }
      }
    });
  }

  /**
   * Put a field on a shelf (channel) of a chart, or clear it with null.
   */
  setEncoding(id: string, channel: string, ref: IFieldRef | null): void {
    const yspec = this._spec(id);
    if (!yspec) {
      return;
    }
    const current = plain(yspec.get('encoding'))?.[channel];
    writeSpecChanges(
      yspec,
      { encoding: { [channel]: current } },
      { encoding: { [channel]: ref ?? undefined } }
    );
  }

  /**
   * Set one key of a shelf (`field`, `aggregate`, …; undefined removes it),
   * leaving its other keys as they are: someone else may be changing them.
   */
  setShelfKey(
    id: string,
    channel: string,
    key: keyof IFieldRef,
    value: unknown
  ): void {
    const yspec = this._spec(id);
    if (yspec) {
      this.transact(() => writeShelfKey(yspec, channel, key, value));
    }
  }

  /**
   * Set a top-level field of a chart's spec (`mark`, `title`, `dataset`, …);
   * undefined removes it. `encoding` is set shelf by shelf.
   */
  setSpecField(
    id: string,
    key: string,
    value: PartialJSONValue | undefined
  ): void {
    const yspec = this._spec(id);
    if (!yspec) {
      return;
    }
    if (key === 'encoding') {
      const encoding = (value ?? {}) as Record<string, IFieldRef>;
      const current = (plain(yspec.get('encoding')) ?? {}) as object;
      this.transact(() => {
        for (const channel of Object.keys(current)) {
          if (!(channel in encoding)) {
            this.setEncoding(id, channel, null);
          }
        }
        for (const [channel, ref] of Object.entries(encoding)) {
          this.setEncoding(id, channel, ref);
        }
      });
    } else if (value === undefined) {
      if (yspec.has(key)) {
        yspec.delete(key);
      }
    } else if (!equal(yspec.get(key), value)) {
      yspec.set(key, value);
    }
  }

  /**
   * Replace a chart's spec, writing only the fields that differ.
   */
  setSpec(id: string, spec: IChartDraft): void {
    const current = this.getChart(id)?.spec;
    if (!current) {
      return;
    }
    this.transact(() => {
      for (const key of Object.keys(current)) {
        if (!(key in spec)) {
          this.setSpecField(id, key, undefined);
        }
      }
      for (const [key, value] of Object.entries(spec)) {
        this.setSpecField(id, key, value as PartialJSONValue);
      }
    });
  }

  /**
   * Plain copies of the dashboard filters, in order.
   */
  getFilters(): IDashboardFilter[] {
    return this._filters.toArray().map(f => f.toJSON() as IDashboardFilter);
  }

  addFilter(filter: Omit<IDashboardFilter, 'id'>): string {
    const id = `f${Math.random().toString(36).slice(2, 10)}`;
    this._filters.push([
      new Y.Map<any>(
        Object.entries({ ...filter, id, value: filter.value ?? null })
      )
    ]);
    return id;
  }

  removeFilter(id: string): void {
    const index = this._filters.toArray().findIndex(f => f.get('id') === id);
    if (index >= 0) {
      this._filters.delete(index, 1);
    }
  }

  /**
   * Set a dashboard filter's value (null: no restriction).
   */
  setFilterValue(id: string, value: IDashboardFilter['value']): void {
    const yfilter = this._filters.toArray().find(f => f.get('id') === id);
    if (yfilter && !equal(yfilter.get('value'), value)) {
      yfilter.set('value', value);
    }
  }

  /**
   * The whole dashboard, in the shape of the file.
   */
  toJSON(): IDashboard {
    const charts: Record<string, IDashboardChart> = {};
    for (const id of [...this._charts.keys()].sort()) {
      const chart = this.getChart(id);
      if (chart) {
        charts[id] = chart;
      }
    }
    return {
      version: 1,
      title: this.title,
      crossfilter: this.crossfilter,
      filters: this.getFilters(),
      charts
    };
  }

  getSource(): JSONValue {
    return this.toJSON() as unknown as JSONValue;
  }

  /**
   * Replace the content with a dashboard (e.g. when reverting), writing only
   * what differs, key by key.
   */
  setSource(value: PartialJSONValue | string): void {
    const data = (
      typeof value === 'string' ? JSON.parse(value || '{}') : value
    ) as Partial<IDashboard> | null;
    const charts = data?.charts ?? {};
    this.transact(() => {
      this.title = data?.title ?? '';
      this.crossfilter = data?.crossfilter ?? true;
      this._meta.set('version', 1);
      for (const id of [...this._charts.keys()]) {
        if (!(id in charts)) {
          this._charts.delete(id);
        }
      }
      for (const [id, chart] of Object.entries(charts)) {
        const yspec = this._spec(id);
        const ylayout = this._charts.get(id)?.get('layout');
        if (yspec instanceof Y.Map && ylayout instanceof Y.Map) {
          // Key by key, as the server reloads a file: the chart's Y items
          // (and a builder bound to its spec) stay.
          writeSpecChanges(yspec, plain(yspec), chart.spec);
          for (const key of ['x', 'y', 'w', 'h'] as const) {
            if (ylayout.get(key) !== chart.layout[key]) {
              ylayout.set(key, chart.layout[key]);
            }
          }
        } else {
          this._charts.delete(id);
          const ychart = new Y.Map<any>();
          ychart.set('spec', newSpecMap(chart.spec));
          ychart.set('layout', new Y.Map<any>(Object.entries(chart.layout)));
          this._charts.set(id, ychart);
        }
      }
      const filters = data?.filters ?? [];
      if (!equal(this.getFilters(), filters)) {
        this._filters.delete(0, this._filters.length);
        this._filters.push(filters.map(f => new Y.Map<any>(Object.entries(f))));
      }
    });
  }

  /**
   * The shared map of a chart's spec (to bind a chart builder to), if the
   * chart exists.
   */
  specMap(id: string): Y.Map<any> | undefined {
    return this._spec(id);
  }

  private _spec(id: string): Y.Map<any> | undefined {
    return this._charts.get(id)?.get('spec') as Y.Map<any> | undefined;
  }

  private _meta: Y.Map<any>;
  private _charts: Y.Map<Y.Map<any>>;
  private _filters: Y.Array<Y.Map<any>>;
}

/**
 * Keep a layout on the grid: whole cells, at least one wide, within 12 columns.
 */
export function clampLayout(layout: IChartLayout): IChartLayout {
  const w = Math.min(GRID_COLUMNS, Math.max(1, Math.round(layout.w)));
  const h = Math.max(1, Math.round(layout.h));
  const x = Math.min(GRID_COLUMNS - w, Math.max(0, Math.round(layout.x)));
  const y = Math.max(0, Math.round(layout.y));
  return { x, y, w, h };
}

/**
 * The document model JupyterLab opens a `.lgdash` file with.
 */
export class DashboardModel extends JSONDocModel<DashboardDoc> {
  constructor(options: DocumentRegistry.IModelOptions<DashboardDoc> = {}) {
    super(options.sharedModel ?? DashboardDoc.create());
  }
}

/**
 * Creates dashboard document models.
 */
export class DashboardModelFactory extends JSONDocModelFactory<DashboardModel> {
  constructor() {
    super({
      name: 'livegraphs-dashboard',
      contentType: 'lgdash',
      create: sharedModel =>
        new DashboardModel({ sharedModel: sharedModel as DashboardDoc })
    });
  }
}
