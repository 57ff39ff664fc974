/**
 * The JupyterLab side of charts: `.lgchart` chart files, opened as
 * collaborative documents in the drag-and-drop builder, and the "New Chart"
 * command that creates one.
 */
import { ICollaborativeContentProvider } from '@jupyter/collaborative-drive';
import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { InputDialog } from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import { DocumentRegistry } from '@jupyterlab/docregistry';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { LiveGraphsDrive } from '../documents/drive';
import { ILiveGraphsDrive } from '../documents/tokens';
import { ILiveGraphsAPI } from '../tokens';
import { ChartDoc, ChartModelFactory } from './doc/model';
import { ChartWidgetFactory } from './doc/widget';
import { IChartSpec } from './types';

/**
 * The command ids and registered names of charts.
 */
export namespace ChartCommandIDs {
  export const newChart = 'livegraphs:new-chart';
  export const fileType = 'livegraphs-chart';
  export const contentType = 'lgchart';
  export const widgetFactory = 'Chart Builder';
}

/**
 * The keys of a spec in the order chart files list them (as the server
 * writes them, `livegraphs_ext/specmap.py`).
 */
const SPEC_KEYS = [
  'version',
  'dataset',
  'mark',
  'encoding',
  'filters',
  'sort',
  'limit',
  'options',
  'overlays',
  'title',
  'axes',
  'max_marks'
];

/**
 * The text of a chart file holding `spec`.
 */
export function chartFileText(spec: object): string {
  const entries = Object.entries(spec);
  const rank = (key: string) =>
    SPEC_KEYS.includes(key) ? SPEC_KEYS.indexOf(key) : SPEC_KEYS.length;
  entries.sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
  return JSON.stringify(Object.fromEntries(entries), null, 2) + '\n';
}

/**
 * Registers `.lgchart` files and the `livegraphs:new-chart` command.
 *
 * The command's arguments: `datasetId` (or `id`; asked for when absent),
 * optionally `spec`, a chart spec to start from. The chart is a document of
 * the store (LiveGraphs drive); with `file: true` it is a `.lgchart` file in
 * `cwd` (by default the file browser's folder).
 */
export const chartsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'livegraphs-ext:charts',
  description: 'Opens .lgchart chart files in the builder; adds New Chart.',
  autoStart: true,
  requires: [ILiveGraphsAPI, ICollaborativeContentProvider],
  optional: [IDefaultFileBrowser, ITranslator, ILiveGraphsDrive],
  activate: (
    app: JupyterFrontEnd,
    api: ILiveGraphsAPI,
    drive: ICollaborativeContentProvider,
    browser: IDefaultFileBrowser | null,
    translator: ITranslator | null,
    documents: LiveGraphsDrive | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('livegraphs_ext');
    drive.sharedModelFactory.registerDocumentFactory(
      ChartCommandIDs.contentType,
      () => ChartDoc.create()
    );
    app.docRegistry.addModelFactory(new ChartModelFactory());
    app.docRegistry.addFileType({
      name: ChartCommandIDs.fileType,
      displayName: trans.__('Chart'),
      extensions: ['.lgchart'],
      mimeTypes: ['application/json'],
      contentType: ChartCommandIDs.contentType,
      fileFormat: 'text',
      iconClass: 'jp-MaterialIcon jp-JSONIcon'
    } as Partial<DocumentRegistry.IFileType>);
    app.docRegistry.addWidgetFactory(
      new ChartWidgetFactory({
        name: ChartCommandIDs.widgetFactory,
        label: trans.__('Chart Builder'),
        modelName: 'livegraphs-chart',
        fileTypes: [ChartCommandIDs.fileType],
        defaultFor: [ChartCommandIDs.fileType],
        api
      })
    );

    const pickDataset = async (): Promise<string | null> => {
      const datasets = await api.listDatasets();
      if (!datasets.length) {
        return null;
      }
      const labels = datasets.map(d => `${d.name} (${d.id.slice(0, 8)})`);
      const answer = await InputDialog.getItem({
        title: trans.__('New Chart'),
        label: trans.__('Dataset'),
        items: labels
      });
      if (!answer.button.accept || answer.value === null) {
        return null;
      }
      return datasets[labels.indexOf(answer.value)]?.id ?? null;
    };

    /**
     * `<stem>.lgchart` in `cwd`, or `<stem>1.lgchart`, `<stem>2.lgchart`, …
     * when taken: JupyterLab numbers its new files so (`Untitled1.ipynb`).
     */
    const freePath = async (cwd: string, stem: string): Promise<string> => {
      for (let n = 0; ; n++) {
        const name = `${stem}${n || ''}.lgchart`;
        const path = PathExt.join(cwd, name);
        try {
          await app.serviceManager.contents.get(path, { content: false });
        } catch {
          return path;
        }
      }
    };

    app.commands.addCommand(ChartCommandIDs.newChart, {
      label: args =>
        args.datasetId || args.id
          ? trans.__('New Chart')
          : trans.__('New Chart…'),
      caption: trans.__(
        'Create a chart file of a dataset and build it by dragging fields'
      ),
      execute: async args => {
        const start = args.spec as Partial<IChartSpec> | undefined;
        // A chart of a query (from the SQL editor) names no dataset.
        const sql = start?.dataset?.sql;
        let datasetId =
          ((args.datasetId ?? args.id) as string | undefined) ?? null;
        if (!datasetId && !sql) {
          datasetId = await pickDataset();
        }
        if (!datasetId && !sql) {
          return null;
        }
        const dataset = datasetId ? await api.getDataset(datasetId) : null;
        const title = dataset?.name ?? trans.__('SQL query');
        const spec = {
          version: 1,
          encoding: {},
          ...start,
          dataset: sql ? { sql } : (start?.dataset ?? { id: dataset?.id })
        };
        // A chart of the store, unless a file is asked for (`file: true`).
        if (documents && args.file !== true) {
          const model = await documents.create('chart', {
            title,
            content: spec
          });
          return app.commands.execute('docmanager:open', {
            path: `${documents.name}:${model.path}`,
            factory: ChartCommandIDs.widgetFactory
          });
        }
        const cwd = (args.cwd as string) ?? browser?.model.path ?? '';
        // A dataset name may hold characters a file name cannot.
        const stem = title.replace(/[\\/:*?"<>|]+/g, '-').trim() || 'chart';
        const path = await freePath(cwd, stem);
        await app.serviceManager.contents.save(path, {
          type: 'file',
          format: 'text',
          content: chartFileText(spec)
        });
        return app.commands.execute('docmanager:open', {
          path,
          factory: ChartCommandIDs.widgetFactory
        });
      }
    });
    // The Datasets panel's context menu and the palette offer this command
    // through the workspace's "New Chart" (livegraphs:new-chart-from-dataset).
  }
};
