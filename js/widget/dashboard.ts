/**
 * The view of `lg.Dashboard(path)`: a dashboard file's title, its filters as
 * controls and its charts on the 12-column grid, with cross-filtering.
 *
 * Filters and selections are applied as in JupyterLab (`effectiveSpec`); the
 * kernel runs each chart with the extra conditions and answers Arrow bytes.
 * Filter choices and selections are this viewer's own: nothing is written back
 * to the file, which stays the spec of record.
 */
import { Widget } from '@lumino/widgets';

import { resultFromArrow } from '../../src/charts/arrow';
import { IChartClient, IChartResult } from '../../src/charts/types';
import { ChartView } from '../../src/charts/view';
import { DerivedChartView } from '../../src/dashboard/cellview';
import { el } from '../../src/dom';
import {
  clearOnEscape,
  DashboardGrid,
  FilterBar,
  SelectionBar
} from '../../src/dashboard/grid';
import { IDashboard, IDashboardFilter } from '../../src/dashboard/types';
import {
  appliedFilters,
  exportButtons,
  gridCharts,
  IExportDashboard
} from '../../src/export/dashboardpdf';
import { IModel } from './model';

interface IPending {
  resolve: (reply: { content: any; buffers: DataView[] }) => void;
  reject: (reason: Error) => void;
}

/**
 * Where a dashboard view asks for its charts (`{type: 'query', chart,
 * conditions}`, answered with the result's Arrow bytes as the first buffer)
 * and its dropdown filters' values (`{type: 'values', filter}`, answered with
 * `content.values`).
 */
export interface IDashboardChannel {
  ask(
    content: Record<string, unknown>,
    signal?: AbortSignal
  ): Promise<{ content: any; buffers: DataView[] }>;
  dispose(): void;
}

/**
 * Asks the kernel (over the widget's custom messages) and matches the answers
 * to the questions; other views of the same model see the answers too and
 * ignore them.
 */
class KernelChannel implements IDashboardChannel {
  constructor(private _model: IModel) {
    this._model.on('msg:custom', this._onMessage);
  }

  ask(content: Record<string, unknown>, signal?: AbortSignal) {
    const request = `${this._token}:${++this._count}`;
    return new Promise<{ content: any; buffers: DataView[] }>(
      (resolve, reject) => {
        this._pending.set(request, { resolve, reject });
        signal?.addEventListener('abort', () => {
          this._pending.delete(request);
          reject(new DOMException('Aborted', 'AbortError'));
        });
        this._model.send({ ...content, request });
      }
    );
  }

  dispose(): void {
    this._model.off('msg:custom', this._onMessage);
    this._pending.clear();
  }

  private _onMessage = (content: any, buffers?: DataView[]) => {
    const pending = this._pending.get(content?.request);
    if (!pending) {
      return;
    }
    this._pending.delete(content.request);
    if (content.error) {
      pending.reject(new Error(String(content.error)));
    } else {
      pending.resolve({ content, buffers: buffers ?? [] });
    }
  };

  private _token = Math.random().toString(36).slice(2);
  private _count = 0;
  private _pending = new Map<string, IPending>();
}

/**
 * A dashboard file drawn read-only, with working filters and cross-filters.
 */
export class DashboardView extends Widget {
  /**
   * `channel`: where charts and filter values come from; the kernel behind
   * `_model` when absent.
   */
  constructor(
    private _model: IModel,
    channel?: IDashboardChannel
  ) {
    super();
    this.addClass('jp-LiveGraphs-Dashboard');
    this.addClass('jp-LiveGraphs-DashboardWidget');
    this._channel = channel ?? new KernelChannel(_model);
    const head = el('div', 'jp-LiveGraphs-DashboardToolbar');
    this._title = el('h2', 'jp-LiveGraphs-DashboardHeading');
    head.append(
      this._title,
      ...exportButtons(() => this.exportData(), 'jp-LiveGraphs-DashboardExport')
    );
    // This viewer's selections, as chips.
    this._selectionBar = new SelectionBar({
      remove: id => this._grid.clearSelection(id),
      clear: () => this._clearSelections()
    });
    clearOnEscape(this.node, () => {
      const any = this._grid.selections.size > 0;
      this._clearSelections();
      return any;
    });
    this._error = el('div', 'jp-LiveGraphs-DashboardError', { role: 'alert' });
    this._filterBar = new FilterBar({
      shape: f => JSON.stringify([f.kind, f.dataset, f.column, f.label]),
      controls: f => this._filterControls(f),
      update: (node, f) => this._updateFilter(node, f)
    });
    this._grid = new DashboardGrid<object, DerivedChartView>({
      // The kernel picks a chart's automatic mark; one with no fields shows
      // the placeholder.
      createView: id =>
        new DerivedChartView({
          view: new ChartView({
            client: this._client(id),
            placeholder: 'This chart has no fields yet.'
          })
        }),
      decorate: () => ({}),
      specOf: id => this._dashboard.charts?.[id]?.spec ?? null,
      crossfilter: () => this._dashboard.crossfilter !== false,
      isAttached: () => this.isAttached,
      onSelection: () => this._render()
    });
    this.node.append(
      head,
      this._selectionBar.node,
      this._error,
      this._filterBar.node,
      this._grid.node
    );
    _model.on('change:dashboard', this._render);
    _model.on('change:error', this._render);
    _model.on('msg:custom', this._onRefresh);
    this._render();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._model.off('change:dashboard', this._render);
    this._model.off('change:error', this._render);
    this._model.off('msg:custom', this._onRefresh);
    this._channel.dispose();
    this._grid.dispose();
    super.dispose();
  }

  /**
   * The dashboard as drawn now, with this viewer's filter choices and
   * selections, for "Export PDF" and "Export PNG".
   */
  exportData(): IExportDashboard {
    const dashboard = this._dashboard;
    return {
      title: dashboard.title || 'Dashboard',
      filters: appliedFilters(this._filters(), this._grid.selections, id => {
        const spec = dashboard.charts?.[id]?.spec;
        return spec?.title || spec?.mark || 'a chart';
      }),
      charts: gridCharts(this._grid.node),
      width: this._grid.node.clientWidth
    };
  }

  protected onAfterAttach(): void {
    this._grid.attachViews();
  }

  protected onResize(): void {
    this._grid.resizeViews();
  }

  private get _dashboard(): IDashboard {
    return (this._model.get('dashboard') ?? {}) as IDashboard;
  }

  /**
   * The filters with this viewer's choices in place of the saved values.
   */
  private _filters(): IDashboardFilter[] {
    return (this._dashboard.filters ?? []).map(f =>
      this._choices.has(f.id) ? { ...f, value: this._choices.get(f.id)! } : f
    );
  }

  private _onRefresh = (content: any) => {
    if (content?.type === 'refresh') {
      for (const cell of this._grid.cells.values()) {
        void cell.view.view.refresh();
      }
      this._options.clear();
      this._render();
    }
  };

  private _render = (): void => {
    if (this.isDisposed) {
      return;
    }
    const dashboard = this._dashboard;
    this._title.textContent = dashboard.title || 'Dashboard';
    this._error.textContent = String(this._model.get('error') ?? '');
    this.node.dataset.crossfilter = String(dashboard.crossfilter !== false);
    // A saved value changed in the file: it replaces this viewer's choice.
    for (const f of dashboard.filters ?? []) {
      const saved = JSON.stringify(f.value ?? null);
      if (this._saved.has(f.id) && this._saved.get(f.id) !== saved) {
        this._choices.delete(f.id);
      }
      this._saved.set(f.id, saved);
    }
    const filters = this._filters();
    this._filterBar.render(filters);

    const charts = Object.entries(dashboard.charts ?? {}).sort(
      ([a, { layout: la }], [b, { layout: lb }]) =>
        la.y - lb.y || la.x - lb.x || a.localeCompare(b)
    );
    if (dashboard.crossfilter === false) {
      this._grid.clearSelections();
    }
    this._grid.render(charts, filters);
    this._selectionBar.render(this._grid.selections, id => {
      const spec = dashboard.charts?.[id]?.spec;
      return spec?.title || spec?.mark || 'a chart';
    });
  };

  private _clearSelections(): void {
    this._grid.clearSelections();
    this._render();
  }

  /**
   * Runs a cell's effective spec on the kernel: the chart's id and the
   * conditions `effectiveSpec` added to the chart's own filters.
   */
  private _client(id: string): IChartClient {
    return {
      queryChart: async (spec, options): Promise<IChartResult> => {
        const own = this._dashboard.charts?.[id]?.spec?.filters ?? [];
        const conditions = (spec.filters ?? []).slice(own.length);
        const reply = await this._channel.ask(
          { type: 'query', chart: id, conditions },
          options?.signal
        );
        const bytes = reply.buffers[0];
        if (!bytes) {
          throw new Error('The kernel sent no result.');
        }
        return resultFromArrow(bytes);
      }
    };
  }

  private _filterControls(f: IDashboardFilter): Node[] {
    const name = f.label || f.column;
    const label = el('span', 'jp-LiveGraphs-DashboardFilterLabel', name);
    if (f.kind === 'dropdown') {
      const select = el('select', '', {
        'aria-label': `${name} filter`,
        'data-part': 'values'
      });
      select.addEventListener('change', () => {
        const option = select.selectedOptions[0];
        const values = option?.dataset.values
          ? (JSON.parse(option.dataset.values) as unknown[])
          : null;
        this._choose(f.id, values);
      });
      void this._loadOptions(f.id);
      return [label, select];
    }
    const type = f.kind === 'range' ? 'number' : 'date';
    const bounds = (['minimum', 'maximum'] as const).map((which, i) =>
      el('input', '', {
        type,
        'aria-label': `${name} ${which}`,
        'data-part': String(i)
      })
    );
    const write = () => {
      const pair = bounds.map(b =>
        b.value === '' ? null : type === 'number' ? Number(b.value) : b.value
      );
      this._choose(
        f.id,
        pair.every(v => v === null) ? null : (pair as unknown[])
      );
    };
    bounds.forEach(b => b.addEventListener('change', write));
    return [label, bounds[0], document.createTextNode('–'), bounds[1]];
  }

  private _choose(filterId: string, value: unknown[] | null): void {
    this._choices.set(filterId, value);
    this._render();
  }

  private async _loadOptions(filterId: string): Promise<void> {
    if (this._options.has(filterId)) {
      return;
    }
    this._options.set(filterId, []);
    try {
      const reply = await this._channel.ask({
        type: 'values',
        filter: filterId
      });
      this._options.set(filterId, reply.content.values ?? []);
    } catch {
      // The dropdown still offers "All" and the values chosen.
      return;
    }
    this._render();
  }

  private _updateFilter(node: HTMLElement, f: IDashboardFilter): void {
    const value = Array.isArray(f.value) ? f.value : [];
    node.dataset.active = String(value.length > 0);
    if (f.kind === 'dropdown') {
      const select = node.querySelector('select')!;
      const choices: [string, unknown[] | null][] = [['All', null]];
      const known = this._options.get(f.id) ?? [];
      for (const v of known) {
        choices.push([String(v), [v]]);
      }
      const current = JSON.stringify(value.length ? value : null);
      if (value.length && !known.some(v => JSON.stringify([v]) === current)) {
        choices.push([value.map(String).join(', '), value]);
      }
      const key = JSON.stringify(choices);
      if (select.dataset.choices !== key) {
        select.dataset.choices = key;
        select.replaceChildren(
          ...choices.map(([text, values]) => {
            const option = el('option', '', text);
            if (values) {
              option.dataset.values = JSON.stringify(values);
            }
            return option;
          })
        );
      }
      const index = choices.findIndex(
        ([, values]) => JSON.stringify(values) === current
      );
      select.selectedIndex = Math.max(0, index);
      return;
    }
    node.querySelectorAll<HTMLInputElement>('input').forEach(input => {
      const v = String(value[Number(input.dataset.part)] ?? '');
      if (input !== document.activeElement && input.value !== v) {
        input.value = v;
      }
    });
  }

  private _channel: IDashboardChannel;
  private _title: HTMLElement;
  private _selectionBar: SelectionBar;
  private _error: HTMLElement;
  private _filterBar: FilterBar;
  private _grid: DashboardGrid<object, DerivedChartView>;
  private _choices = new Map<string, unknown[] | null>();
  private _saved = new Map<string, string>();
  private _options = new Map<string, unknown[]>();
}
