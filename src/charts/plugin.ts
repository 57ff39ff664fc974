/**
 * The JupyterLab side of charts: the "New Chart" command opening a builder tab.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  InputDialog,
  MainAreaWidget,
  WidgetTracker
} from '@jupyterlab/apputils';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { ILiveGraphsAPI } from '../tokens';
import { ChartBuilder } from './builder/builder';
import { IChartSpec } from './types';

/**
 * The command ids of charts.
 */
export namespace ChartCommandIDs {
  export const newChart = 'livegraphs:new-chart';
}

/**
 * Adds the `livegraphs:new-chart` command: a chart builder in a main-area tab.
 *
 * Arguments: `datasetId` (or `id`; asked for when absent) and optionally
 * `spec`, a chart spec to start from.
 */
export const chartsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'livegraphs-ext:charts',
  description: 'Adds the chart builder and the New Chart command.',
  autoStart: true,
  requires: [ILiveGraphsAPI],
  optional: [ILayoutRestorer, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    api: ILiveGraphsAPI,
    restorer: ILayoutRestorer | null,
    translator: ITranslator | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('livegraphs_ext');
    const tracker = new WidgetTracker<MainAreaWidget<ChartBuilder>>({
      namespace: 'livegraphs-chart'
    });

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

    app.commands.addCommand(ChartCommandIDs.newChart, {
      label: args =>
        args.datasetId || args.id
          ? trans.__('New Chart')
          : trans.__('New Chart…'),
      caption: trans.__('Build a chart from a dataset by dragging its fields'),
      execute: async args => {
        let datasetId =
          ((args.datasetId ?? args.id) as string | undefined) ?? null;
        if (!datasetId) {
          datasetId = await pickDataset();
        }
        if (!datasetId) {
          return null;
        }
        const dataset = await api.getDataset(datasetId);
        const builder = new ChartBuilder({
          dataset: {
            id: dataset.id,
            name: dataset.name,
            version: dataset.version,
            columns: dataset.columns
          },
          spec: (args.spec as IChartSpec | undefined) ?? null,
          client: api
        });
        const widget = new MainAreaWidget({ content: builder });
        widget.id = `livegraphs-chart-${dataset.id}-${++Private.counter.value}`;
        widget.title.label = trans.__('Chart: %1', dataset.name);
        widget.title.caption = trans.__('Chart of %1', dataset.name);
        widget.title.closable = true;
        widget.addClass('jp-LiveGraphs-ChartBuilderPanel');
        app.shell.add(widget, 'main');
        app.shell.activateById(widget.id);
        await tracker.add(widget);
        builder.specChanged.connect(() => void tracker.save(widget));
        return widget;
      }
    });

    // The Datasets panel's context menu and the palette offer this command
    // through the workspace's "New Chart" (livegraphs:new-chart-from-dataset).
    void restorer?.restore(tracker, {
      command: ChartCommandIDs.newChart,
      args: widget => ({
        datasetId: widget.content.datasetInfo.id,
        spec: widget.content.spec as any
      }),
      name: widget => widget.id
    });
  }
};

namespace Private {
  /**
   * How many builders were opened, for unique widget ids.
   */
  export const counter = { value: 0 };
}
