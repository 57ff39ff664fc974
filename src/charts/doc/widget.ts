/**
 * A chart builder bound to a shared spec map, with a header showing the
 * dataset and the other people in the document. It opens `.lgchart` files
 * and dashboard charts ("Open in builder").
 */
import { YDocument } from '@jupyter/ydoc';
import {
  ABCWidgetFactory,
  DocumentRegistry,
  DocumentWidget
} from '@jupyterlab/docregistry';
import { Panel, Widget } from '@lumino/widgets';
import * as Y from 'yjs';

import { LiveGraphsAPIError } from '../../api';
import { el } from '../../dom';
import { showOthers } from '../../presence';
import { IDataset, ILiveGraphsAPI } from '../../tokens';
import { CommentsModel } from '../../documents/comments';
import { IDocumentSource } from '../../documents/data';
import { ChartBuilder } from '../builder/builder';
import { IDrillClient } from '../drill';
import { IChartClient, IChartSpec, IDatasetInfo } from '../types';
import { ChartView } from '../view';
import { readSpec, SpecBinding } from './binding';
import { ChartComments } from './comments';
import { ChartModel } from './model';

/**
 * The drag data type of a chart spec dragged out of a builder (its JSON),
 * which dashboards accept as a drop.
 */
export const CHART_MIME = 'application/vnd.livegraphs.chart+json';

/**
 * The label of a chart whose data is a SQL query.
 */
export const QUERY_LABEL = 'SQL query';

/**
 * What the builder lists of a dataset.
 */
function infoOf(dataset: IDataset): IDatasetInfo {
  const { id, name, version, rows, columns } = dataset;
  return { id, name, version, rows, columns: [...columns] };
}

/**
 * The columns of a query's result, asked as a chart of one row of it: the
 * query runs as the chart will, for the caller, under the same checks.
 */
async function queryInfo(
  api: ILiveGraphsAPI,
  sql: string
): Promise<IDatasetInfo | string> {
  try {
    const result = await api.queryChart({
      version: 1,
      dataset: { sql },
      mark: 'table',
      encoding: {},
      limit: 1
    });
    const columns = result.fields.map(f => ({
      name: f.column ?? f.name,
      type: f.type
    }));
    return { id: '', name: QUERY_LABEL, sql, columns };
  } catch (e) {
    return `The query of this chart cannot run: ${(e as Error).message}`;
  }
}

/**
 * The dataset a spec names ({id}, {name} or a query, {sql}), or a reason it
 * cannot be used.
 */
async function resolveDataset(
  api: ILiveGraphsAPI,
  ref: IChartSpec['dataset'] | null | undefined
): Promise<IDatasetInfo | string> {
  if (ref?.sql) {
    return queryInfo(api, ref.sql);
  }
  if (ref?.id) {
    try {
      return infoOf(await api.getDataset(ref.id));
    } catch {
      return `The dataset ${ref.id} of this chart is not available.`;
    }
  }
  if (ref?.name) {
    // The server decides what a name means (own first, owner/name, 409 when
    // ambiguous), as it does for the chart's query.
    try {
      return infoOf(await api.resolveDataset(ref.name));
    } catch (e) {
      return e instanceof LiveGraphsAPIError && e.status !== 404
        ? e.message
        : `There is no dataset named "${ref.name}" for this chart.`;
    }
  }
  return 'This chart names no dataset: set "dataset" to {"id": …} or {"name": …}.';
}

/**
 * A chart builder editing a shared spec map, with who else is there.
 */
export class BoundChartBuilder extends Panel {
  constructor(options: BoundChartBuilder.IOptions) {
    super();
    this.addClass('jp-LiveGraphs-BoundBuilder');
    this._api = options.api;
    this._yspec = options.yspec;
    const header = new Widget();
    header.addClass('jp-LiveGraphs-BoundBuilderHeader');
    this._label = el('span', 'jp-LiveGraphs-BoundBuilderLabel');
    const people = el('div', 'jp-LiveGraphs-DashboardPeople', {
      'aria-label': 'People here'
    });
    // Dragging this onto a dashboard adds a copy of the chart there.
    const dragOut = el('span', 'jp-LiveGraphs-BuilderDragOut', {
      draggable: 'true',
      role: 'button',
      'aria-label': 'Drag this chart to a dashboard',
      title: 'Drag this chart onto a dashboard to add a copy of it there'
    });
    dragOut.textContent = '⠿ Drag to a dashboard';
    dragOut.addEventListener('dragstart', event => {
      if (!this._builder || !event.dataTransfer) {
        event.preventDefault();
        return;
      }
      const spec = JSON.stringify(this._builder.draft);
      event.dataTransfer.setData(CHART_MIME, spec);
      event.dataTransfer.setData('text/plain', spec);
      event.dataTransfer.effectAllowed = 'copy';
    });
    this._comments = new ChartComments({
      title: () => {
        const title = readSpec(this._yspec).title;
        return typeof title === 'string' && title ? title : 'this chart';
      }
    });
    header.node.append(this._label, dragOut, people, this._comments.button);
    this._stopPresence = showOthers(people, options.awareness);
    this._message = new Widget();
    this._message.addClass('jp-LiveGraphs-BoundBuilderMessage');
    this._message.node.textContent = 'Loading the dataset…';
    this.addWidget(header);
    this.addWidget(this._message);
    this.node.append(this._comments.pane.node);
    this._ready = (options.ready ?? Promise.resolve()).then(() =>
      this._start()
    );
  }

  /**
   * The builder, once its dataset is loaded (null until then, or when the
   * dataset cannot be found).
   */
  get builder(): ChartBuilder | null {
    return this._builder;
  }

  /**
   * Whether the chart is only shown (to a viewer): the builder's shelves
   * and fields take no input.
   */
  get readOnly(): boolean {
    return this._readOnly;
  }
  set readOnly(value: boolean) {
    this._readOnly = value;
    this.toggleClass('jp-mod-readOnly', value);
    if (this._builder) {
      this._builder.node.inert = value;
    }
  }

  /**
   * The store document this chart is, if it is one: when the caller may not
   * read the chart's dataset (a viewer), the chart is drawn through the
   * document instead of the builder.
   */
  get documentSource(): IDocumentSource | null {
    return this._source;
  }
  set documentSource(source: IDocumentSource | null) {
    this._source = source;
    if (source && this._unreadable) {
      this._showThroughDocument(source);
    }
  }

  /**
   * The comment threads of the chart (a chart document of the store), or
   * null (a file: no comments).
   */
  get comments(): CommentsModel | null {
    return this._comments.model;
  }
  set comments(model: CommentsModel | null) {
    this._comments.model = model;
  }

  /**
   * Show the chart's comment threads (with a new thread pinned to `anchor`,
   * if given).
   */
  showComments(anchor: { x: unknown; y?: number } | null = null): void {
    this._comments.show(anchor);
  }

  /**
   * Settles when the builder is up (or the reason it is not is shown).
   */
  get ready(): Promise<void> {
    return this._ready;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._binding?.dispose();
    this._comments.dispose();
    if (this._view) {
      this._yspec.unobserveDeep(this._drawView);
    }
    this._stopPresence();
    this._yspec.unobserve(this._onKeys);
    super.dispose();
  }

  private async _start(): Promise<void> {
    if (this.isDisposed) {
      return;
    }
    const dataset = await resolveDataset(
      this._api,
      readSpec(this._yspec).dataset
    );
    if (this.isDisposed) {
      return;
    }
    if (typeof dataset === 'string') {
      this._message.node.textContent = dataset;
      this._message.show();
      this._unreadable = true;
      if (this._source) {
        this._showThroughDocument(this._source);
      }
      return;
    }
    this._message.hide();
    this._label.textContent = dataset.name;
    const builder = new ChartBuilder({ dataset, client: this._api });
    this._builder = builder;
    builder.node.inert = this._readOnly;
    this.addWidget(builder);
    this._comments.watch(builder.chart);
    this._binding = new SpecBinding({ builder, yspec: this._yspec });
    this._yspec.observe(this._onKeys);
  }

  /**
   * Draw the chart as the document holds it, its data asked of the document.
   */
  private _showThroughDocument(source: IDocumentSource): void {
    if (this._view || this.isDisposed) {
      return;
    }
    this._message.hide();
    this._view = new ChartView({
      client: {
        queryChart: (_spec, options) =>
          source.api.queryChart(source.id, null, [], options),
        drillRows: (request, options) =>
          source.api.drill(source.id, null, request, [], options)
      } as IChartClient & IDrillClient
    });
    this.addWidget(this._view);
    this._comments.watch(this._view);
    this._drawView();
    this._yspec.observeDeep(this._drawView);
  }

  private _drawView = (): void => {
    if (this._view && !this._view.isDisposed) {
      this._view.spec = readSpec(this._yspec) as IChartSpec;
    }
  };

  /**
   * Someone pointed the chart at another dataset: list that one's fields.
   */
  private _onKeys = (event: Y.YMapEvent<any>): void => {
    if (!event.keysChanged.has('dataset') || !this._builder) {
      return;
    }
    const ref = readSpec(this._yspec).dataset;
    const current = this._builder.datasetInfo;
    const same = ref?.sql
      ? ref.sql === current.sql
      : !current.sql &&
        (ref?.id === current.id || (!ref?.id && ref?.name === current.name));
    if (same) {
      return;
    }
    void resolveDataset(this._api, ref).then(dataset => {
      if (typeof dataset !== 'string' && this._builder && !this.isDisposed) {
        this._label.textContent = dataset.name;
        this._builder.datasetInfo = dataset;
      }
    });
  };

  private _api: ILiveGraphsAPI;
  private _yspec: Y.Map<any>;
  private _label: HTMLElement;
  private _message: Widget;
  private _builder: ChartBuilder | null = null;
  private _binding: SpecBinding | null = null;
  private _ready: Promise<void>;
  private _stopPresence: () => void;
  private _readOnly = false;
  private _source: IDocumentSource | null = null;
  private _unreadable = false;
  private _view: ChartView | null = null;
  private _comments: ChartComments;
}

/**
 * A namespace for `BoundChartBuilder` statics.
 */
export namespace BoundChartBuilder {
  export interface IOptions {
    /**
     * Runs the chart queries and loads the dataset's columns.
     */
    api: ILiveGraphsAPI;
    /**
     * The shared spec map to edit.
     */
    yspec: Y.Map<any>;
    /**
     * The awareness of the shared document, for the people badges.
     */
    awareness?: YDocument<any>['awareness'] | null;
    /**
     * Settles once the shared document holds the spec.
     */
    ready?: Promise<void>;
  }
}

/**
 * A `.lgchart` file open in the main area.
 */
export class ChartDocument extends DocumentWidget<
  BoundChartBuilder,
  ChartModel
> {}

/**
 * Makes the builders `.lgchart` files open with; they read and write the
 * shared model through the collaborative ("rtc") content provider.
 */
export class ChartWidgetFactory extends ABCWidgetFactory<
  ChartDocument,
  ChartModel
> {
  constructor(options: ChartWidgetFactory.IOptions) {
    const { api, ...rest } = options;
    super({ ...rest, contentProviderId: 'rtc' });
    this._api = api;
  }

  protected createNewWidget(
    context: DocumentRegistry.IContext<ChartModel>
  ): ChartDocument {
    const doc = context.model.sharedModel;
    const content = new BoundChartBuilder({
      api: this._api,
      yspec: doc.yspec,
      awareness: doc.awareness,
      ready: context.ready
    });
    const widget = new ChartDocument({ content, context });
    widget.addClass('jp-LiveGraphs-ChartDocument');
    return widget;
  }

  private _api: ILiveGraphsAPI;
}

export namespace ChartWidgetFactory {
  export interface IOptions extends DocumentRegistry.IWidgetFactoryOptions<ChartDocument> {
    api: ILiveGraphsAPI;
  }
}
