/**
 * The dashboard document: file type, models, the collaborative shared model
 * factory and the editor widget factory.
 */
import { ICollaborativeContentProvider } from '@jupyter/collaborative-drive';
import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import {
  ABCWidgetFactory,
  DocumentRegistry,
  DocumentWidget
} from '@jupyterlab/docregistry';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';

import { IChartClient } from '../charts/types';
import { ChartView } from '../charts/view';
import { ILiveGraphsAPI } from '../tokens';
import { DashboardDoc, DashboardModel, DashboardModelFactory } from './model';
import { DashboardPanel, IChartCellView } from './panel';

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
    const { createChartView, client, ...rest } = options;
    super({ ...rest, contentProviderId: 'rtc' });
    this._createChartView = createChartView;
    this._client = client ?? null;
  }

  protected createNewWidget(
    context: DocumentRegistry.IContext<DashboardModel>
  ): DashboardDocument {
    const content = new DashboardPanel({
      doc: context.model.sharedModel,
      createChartView: this._createChartView,
      client: this._client
    });
    const widget = new DashboardDocument({ content, context });
    widget.addClass('jp-LiveGraphs-DashboardDocument');
    return widget;
  }

  private _createChartView?: () => IChartCellView;
  private _client: IChartClient | null;
}

export namespace DashboardWidgetFactory {
  export interface IOptions extends DocumentRegistry.IWidgetFactoryOptions<DashboardDocument> {
    createChartView?: () => IChartCellView;
    client?: IChartClient | null;
  }
}

/**
 * Registers the `.lgdash` dashboard document.
 */
export const dashboardPlugin: JupyterFrontEndPlugin<void> = {
  id: 'livegraphs-ext:dashboard',
  description: 'Opens .lgdash dashboards as collaborative documents.',
  autoStart: true,
  requires: [ICollaborativeContentProvider],
  optional: [ICommandPalette, IDefaultFileBrowser, ILiveGraphsAPI],
  activate: (
    app: JupyterFrontEnd,
    drive: ICollaborativeContentProvider,
    palette: ICommandPalette | null,
    browser: IDefaultFileBrowser | null,
    api: ILiveGraphsAPI | null
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
    const factory = new DashboardWidgetFactory({
      name: DashboardIDs.widgetFactory,
      modelName: 'livegraphs-dashboard',
      fileTypes: [DashboardIDs.fileType],
      defaultFor: [DashboardIDs.fileType],
      // Each cell queries the server with its effective spec and draws it.
      createChartView: api
        ? () =>
            new ChartView({
              client: api,
              placeholder: 'Edit the chart to put fields on its shelves.'
            }) as unknown as IChartCellView
        : undefined,
      client: api
    });
    app.docRegistry.addWidgetFactory(factory);

    app.commands.addCommand(DashboardIDs.createNew, {
      label: 'New Dashboard',
      caption: 'Create a new livegraphs dashboard',
      execute: async args => {
        const cwd = (args.cwd as string) ?? browser?.model.path ?? '';
        const model = await app.serviceManager.contents.newUntitled({
          path: cwd,
          type: 'file',
          ext: '.lgdash'
        });
        const title = PathExt.basename(model.path, '.lgdash');
        await app.serviceManager.contents.save(model.path, {
          type: 'file',
          format: 'text',
          content:
            JSON.stringify(
              { version: 1, title, crossfilter: true, filters: [], charts: {} },
              null,
              2
            ) + '\n'
        });
        return app.commands.execute('docmanager:open', {
          path: model.path,
          factory: DashboardIDs.widgetFactory
        });
      }
    });
    palette?.addItem({
      command: DashboardIDs.createNew,
      category: 'livegraphs'
    });
  }
};
