/**
 * The dashboard document: file type, models, the collaborative shared model
 * factory and the editor widget factory.
 */
import { ICollaborativeContentProvider } from '@jupyter/collaborative-drive';
import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  MainAreaWidget,
  showErrorMessage
} from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import {
  ABCWidgetFactory,
  DocumentRegistry,
  DocumentWidget
} from '@jupyterlab/docregistry';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';

import { BoundChartBuilder } from '../charts/doc/widget';
import { IChartClient, IChartDraft } from '../charts/types';
import { ChartView } from '../charts/view';
import { ILiveGraphsDrive } from '../documents/tokens';
import { AWARENESS_FIELD } from '../presence';
import { IDataset, ILiveGraphsAPI } from '../tokens';
import { LiveGraphsDrive } from '../documents/drive';
import { DashboardDoc, DashboardModel, DashboardModelFactory } from './model';
import { ColumnOf, columnLookup } from '../charts/builder/showme';
import { DerivedChartView } from './cellview';
import { nameKey } from './datasets';
import { IChartLayout } from './types';
import { IChartCellView } from './grid';
import { DashboardPanel } from './panel';
import { pickChart } from './pickchart';

/**
 * The names dashboards are registered under.
 */
export namespace DashboardIDs {
  export const fileType = 'livegraphs-dashboard';
  export const contentType = 'lgdash';
  export const widgetFactory = 'Dashboard';
  export const createNew = 'livegraphs:new-dashboard';
}

/**
 * A dashboard opened in the main area.
 */
export class DashboardDocument extends DocumentWidget<
  DashboardPanel,
  DashboardModel
> {}

/**
 * Makes dashboard editors; they read and write the shared model through the
 * collaborative ("rtc") content provider.
 */
export class DashboardWidgetFactory extends ABCWidgetFactory<
  DashboardDocument,
  DashboardModel
> {
  constructor(options: DashboardWidgetFactory.IOptions) {
    const {
      createChartView,
      openInBuilder,
      pickChart,
      client,
      listDatasets,
      ...rest
    } = options;
    super({ ...rest, contentProviderId: 'rtc' });
    this._createChartView = createChartView;
    this._pickChart = pickChart;
    this._openInBuilder = openInBuilder;
    this._client = client ?? null;
    this._listDatasets = listDatasets;
  }

  protected createNewWidget(
    context: DocumentRegistry.IContext<DashboardModel>
  ): DashboardDocument {
    const open = this._openInBuilder;
    const content = new DashboardPanel({
      doc: context.model.sharedModel,
      createChartView: this._createChartView,
      openInBuilder: open ? id => open(widget, id) : undefined,
      pickChart: this._pickChart,
      client: this._client,
      listDatasets: this._listDatasets
    });
    const widget = new DashboardDocument({ content, context });
    widget.addClass('jp-LiveGraphs-DashboardDocument');
    return widget;
  }

  private _createChartView?: (
    chartId: string,
    client: IChartClient
  ) => IChartCellView;
  private _openInBuilder?: (dashboard: DashboardDocument, id: string) => void;
  private _pickChart?: () => Promise<IChartDraft | null>;
  private _client: IChartClient | null;
  private _listDatasets?: () => Promise<ReadonlyArray<IDataset>>;
}

export namespace DashboardWidgetFactory {
  export interface IOptions extends DocumentRegistry.IWidgetFactoryOptions<DashboardDocument> {
    createChartView?: (chartId: string, client: IChartClient) => IChartCellView;
    /**
     * Open a chart of a dashboard in the drag-and-drop builder.
     */
    openInBuilder?: (dashboard: DashboardDocument, chartId: string) => void;
    /**
     * Ask which chart document or file to copy into a dashboard.
     */
    pickChart?: () => Promise<IChartDraft | null>;
    client?: IChartClient | null;
    /**
     * The datasets the user can read (to pick new charts' datasets from).
     */
    listDatasets?: () => Promise<ReadonlyArray<IDataset>>;
  }
}

/**
 * The builders open on dashboard charts, by dashboard widget and chart id.
 */
const builders = new Map<string, MainAreaWidget<BoundChartBuilder>>();

/**
 * Open a dashboard's chart in the drag-and-drop builder, bound to the chart's
 * spec map in the dashboard's shared document: every drop is a collaborative
 * edit of the dashboard and lands in its file.
 */
function openInBuilder(
  app: JupyterFrontEnd,
  api: ILiveGraphsAPI,
  dashboard: DashboardDocument,
  chartId: string
): void {
  const key = `${dashboard.id}/${chartId}`;
  const open = builders.get(key);
  if (open) {
    app.shell.activateById(open.id);
    return;
  }
  const doc = dashboard.context.model.sharedModel;
  const yspec = doc.specMap(chartId);
  if (!yspec) {
    return;
  }
  const content = new BoundChartBuilder({
    api,
    yspec,
    awareness: doc.awareness
  });
  content.readOnly = dashboard.content.readOnly;
  const widget = new MainAreaWidget({ content });
  widget.id = `livegraphs-dashboard-chart-${dashboard.id}-${chartId}`;
  widget.addClass('jp-LiveGraphs-ChartBuilderPanel');
  widget.title.closable = true;
  const label = () => {
    const spec = doc.getChart(chartId)?.spec;
    widget.title.label = `${spec?.title || spec?.mark || 'Chart'} (${PathExt.basename(dashboard.context.path)})`;
    widget.title.caption = `A chart of ${dashboard.context.path}`;
  };
  label();
  // The builder goes when its chart leaves the dashboard (or is replaced,
  // e.g. by a revert) and when the dashboard closes.
  const onChange = () => {
    if (doc.specMap(chartId) !== yspec) {
      widget.dispose();
    } else {
      label();
    }
  };
  doc.changed.connect(onChange);
  const close = () => widget.dispose();
  dashboard.disposed.connect(close);
  widget.disposed.connect(() => {
    doc.changed.disconnect(onChange);
    dashboard.disposed.disconnect(close);
    builders.delete(key);
  });
  // The others see who edits which chart from the builder too.
  const editing = () =>
    doc.awareness?.setLocalStateField(AWARENESS_FIELD, { chart: chartId });
  const onActive = (_: unknown, args: { newValue: unknown }) => {
    if (args.newValue === widget) {
      editing();
    }
  };
  app.shell.currentChanged?.connect(onActive);
  widget.disposed.connect(() => {
    app.shell.currentChanged?.disconnect(onActive);
    if (doc.awareness?.getLocalState()?.[AWARENESS_FIELD]?.chart === chartId) {
      doc.awareness?.setLocalStateField(AWARENESS_FIELD, { chart: null });
    }
  });
  if (!content.readOnly) {
    editing();
  }
  builders.set(key, widget);
  app.shell.add(widget, 'main', { mode: 'split-right', ref: dashboard.id });
  app.shell.activateById(widget.id);
}

/**
 * The columns of datasets, asked once per dataset (a failure is asked
 * again next time).
 */
function datasetColumns(
  api: ILiveGraphsAPI
): (ref: { id?: string; name?: string }) => Promise<ColumnOf> {
  const known = new Map<string, Promise<ColumnOf>>();
  return ref => {
    const key = ref.id ? `id:${ref.id}` : `name:${ref.name ?? ''}`;
    let columns = known.get(key);
    if (!columns) {
      columns = (
        ref.id ? api.getDataset(ref.id) : api.resolveDataset(ref.name ?? '')
      ).then(columnLookup);
      columns.catch(() => known.delete(key));
      known.set(key, columns);
    }
    return columns;
  };
}

/**
 * The first chart of a dashboard made from a dataset: nothing on its shelves
 * and an automatic mark, on the whole width.
 */
function firstChart(dataset: IDataset): {
  id: string;
  chart: { spec: IChartDraft; layout: IChartLayout };
} {
  return {
    id: `c${Math.random().toString(36).slice(2, 10)}`,
    chart: {
      spec: { version: 1, dataset: { name: nameKey(dataset) }, encoding: {} },
      layout: { x: 0, y: 0, w: 12, h: 5 }
    }
  };
}

/**
 * Registers the `.lgdash` dashboard document.
 */
export const dashboardPlugin: JupyterFrontEndPlugin<void> = {
  id: 'livegraphs-ext:dashboard',
  description: 'Opens .lgdash dashboards as collaborative documents.',
  autoStart: true,
  requires: [ICollaborativeContentProvider],
  optional: [
    ICommandPalette,
    IDefaultFileBrowser,
    ILiveGraphsAPI,
    ILiveGraphsDrive
  ],
  activate: (
    app: JupyterFrontEnd,
    drive: ICollaborativeContentProvider,
    palette: ICommandPalette | null,
    browser: IDefaultFileBrowser | null,
    api: ILiveGraphsAPI | null,
    documents: LiveGraphsDrive | null
  ): void => {
    drive.sharedModelFactory.registerDocumentFactory(
      DashboardIDs.contentType,
      () => DashboardDoc.create()
    );
    app.docRegistry.addModelFactory(new DashboardModelFactory());
    app.docRegistry.addFileType({
      name: DashboardIDs.fileType,
      displayName: 'Dashboard',
      extensions: ['.lgdash'],
      mimeTypes: ['application/json'],
      contentType: DashboardIDs.contentType,
      fileFormat: 'text',
      iconClass: 'jp-MaterialIcon jp-JSONIcon'
    } as Partial<DocumentRegistry.IFileType>);
    const columnsOf = api ? datasetColumns(api) : () => Promise.reject();
    const factory = new DashboardWidgetFactory({
      name: DashboardIDs.widgetFactory,
      modelName: 'livegraphs-dashboard',
      fileTypes: [DashboardIDs.fileType],
      defaultFor: [DashboardIDs.fileType],
      // Each cell queries the server with its effective spec and draws it.
      createChartView: api
        ? (_id, client) =>
            new DerivedChartView({
              view: new ChartView({
                client,
                placeholder: 'Drop fields here to build a chart.'
              }),
              columnsOf
            })
        : undefined,
      openInBuilder: api
        ? (dashboard, id) => openInBuilder(app, api, dashboard, id)
        : undefined,
      pickChart: async () => {
        // Chart files of the file browser's folder (not the LiveGraphs
        // drive's, whose charts are listed as documents).
        const folder = browser?.model.path ?? '';
        const local = !documents || !folder.startsWith(`${documents.name}:`);
        try {
          return await pickChart({
            documents: documents?.api ?? null,
            contents: app.serviceManager.contents,
            folder: local ? folder : ''
          });
        } catch (e) {
          void showErrorMessage('Cannot add the chart', e as Error);
          return null;
        }
      },
      client: api,
      listDatasets: api ? () => api.listDatasets() : undefined
    });
    app.docRegistry.addWidgetFactory(factory);

    app.commands.addCommand(DashboardIDs.createNew, {
      // File > New lists it as "Dashboard".
      label: args => (args.isMenu ? 'Dashboard' : 'New Dashboard'),
      caption: args =>
        args.datasetId
          ? 'Create a dashboard with a chart of this dataset'
          : 'Create a new livegraphs dashboard',
      execute: async args => {
        // With a dataset (`datasetId`), the dashboard starts with a chart of
        // it, opened in the builder.
        const datasetId = args.datasetId as string | undefined;
        const dataset =
          datasetId && api ? await api.getDataset(datasetId) : null;
        const start = dataset ? firstChart(dataset) : null;
        const title =
          (args.title as string | undefined) ??
          // (a title is at most 200 characters, as a dataset name)
          (dataset ? `${dataset.name.slice(0, 180)} dashboard` : undefined);
        const content = {
          version: 1,
          title: title ?? '',
          crossfilter: true,
          filters: [],
          charts: start ? { [start.id]: start.chart } : {}
        };
        let widget: DashboardDocument;
        // A dashboard of the store, unless a file is asked for (`file: true`).
        if (documents && args.file !== true) {
          const model = await documents.create('dashboard', {
            title,
            ...(start ? { content } : {})
          });
          widget = await app.commands.execute('docmanager:open', {
            path: `${documents.name}:${model.path}`,
            factory: DashboardIDs.widgetFactory
          });
        } else {
          const cwd = (args.cwd as string) ?? browser?.model.path ?? '';
          const model = await app.serviceManager.contents.newUntitled({
            path: cwd,
            type: 'file',
            ext: '.lgdash'
          });
          content.title = title ?? PathExt.basename(model.path, '.lgdash');
          await app.serviceManager.contents.save(model.path, {
            type: 'file',
            format: 'text',
            content: JSON.stringify(content, null, 2) + '\n'
          });
          widget = await app.commands.execute('docmanager:open', {
            path: model.path,
            factory: DashboardIDs.widgetFactory
          });
        }
        if (start && api && widget instanceof DashboardDocument) {
          await widget.context.ready;
          if (!widget.isDisposed) {
            openInBuilder(app, api, widget, start.id);
          }
        }
        return widget;
      }
    });
    palette?.addItem({
      command: DashboardIDs.createNew,
      category: 'livegraphs'
    });
  }
};
