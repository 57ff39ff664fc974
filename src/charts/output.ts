/**
 * The data-only chart output: `application/vnd.livegraphs.chart+json`, which
 * the chart widgets add to their display bundle next to the widget view.
 *
 * A collaborator who receives a notebook output over the shared document
 * holds it untrusted (jupyterlab#11435), so JupyterLab will not draw the
 * widget view for them. This renderer is safe: it runs no code from the
 * kernel, only queries the REST API with the spec and draws the result with
 * `ChartView`, which renders every data-derived string as text.
 */
import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { DocumentRegistry } from '@jupyterlab/docregistry';
import { IRenderMime, IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { PanelLayout, Widget } from '@lumino/widgets';

import { ILiveGraphsAPI } from '../tokens';
import { IChartClient, IChartSpec } from './types';
import { ChartView } from './view';

/**
 * The mimetype of a chart given by its spec alone.
 */
export const CHART_MIMETYPE = 'application/vnd.livegraphs.chart+json';

/**
 * After the widget view (rank 0) and before plain text (rank 120).
 */
const RANK = 20;

const DEFAULT_HEIGHT = 420;

/**
 * Draws one data-only chart output.
 */
export class ChartOutput extends Widget implements IRenderMime.IRenderer {
  constructor(client: IChartClient) {
    super();
    this.addClass('jp-LiveGraphs-ChartOutput');
    this._view = new ChartView({ client });
    const layout = new PanelLayout();
    layout.addWidget(this._view);
    this.layout = layout;
  }

  /**
   * The chart view drawing the output.
   */
  get view(): ChartView {
    return this._view;
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const data = model.data[CHART_MIMETYPE] as
      { spec?: unknown; height?: unknown } | undefined;
    const height = Number(data?.height);
    this.node.style.height = `${
      Number.isFinite(height) && height >= 120 && height <= 4000
        ? Math.round(height)
        : DEFAULT_HEIGHT
    }px`;
    const spec = data?.spec;
    if (!spec || typeof spec !== 'object' || Array.isArray(spec)) {
      this._view.setError('This output holds no chart spec.');
      return;
    }
    const key = JSON.stringify(spec);
    if (key !== this._key) {
      this._key = key;
      this._view.spec = spec as IChartSpec;
    }
  }

  private _view: ChartView;
  private _key = '';
}

const WIDGET_VIEW_MIMETYPE = 'application/vnd.jupyter.widget-view+json';

/**
 * Make a widget view renderer draw the bundle's data-only chart when this
 * client has no model for the widget.
 *
 * That happens when a saved notebook is reopened (its widget models died with
 * the kernel that made them) and in a collaborative notebook when the output
 * came over the shared document before, or instead of, the comm that creates
 * its model (ipywidgets#4026): the widget view then shows only an error.
 *
 * The renderer itself is kept (the widget manager finds its renderers by
 * class to hand them the manager, and re-renders through `renderModel` once
 * the kernel's widgets are restored), so only its `renderModel` is extended.
 */
function withChartFallback(
  renderer: IRenderMime.IRenderer,
  client: IChartClient
): IRenderMime.IRenderer {
  const renderWidget = renderer.renderModel.bind(renderer);
  let chart: ChartOutput | null = null;
  renderer.renderModel = async (model: IRenderMime.IMimeModel) => {
    await renderWidget(model);
    const failed = /^Error displaying widget/.test(
      renderer.node.textContent ?? ''
    );
    if (!failed || !(CHART_MIMETYPE in model.data) || renderer.isDisposed) {
      return;
    }
    chart?.dispose();
    chart = new ChartOutput(client);
    renderer.node.textContent = '';
    renderer.removeClass('jupyter-widgets');
    renderer.addClass('jp-LiveGraphs-WidgetFallback');
    if (renderer.layout instanceof PanelLayout) {
      renderer.layout.addWidget(chart);
    } else if (renderer.node.isConnected) {
      Widget.attach(chart, renderer.node);
      renderer.disposed.connect(() => chart?.dispose());
    } else {
      return;
    }
    await chart.renderModel(model);
  };
  return renderer;
}

/**
 * Put the chart fallback around the widget view renderer of one registry
 * (a notebook's own, to which the widget manager adds it).
 */
function wrapWidgetView(
  rendermime: IRenderMimeRegistry,
  client: IChartClient
): void {
  const inner = rendermime.getFactory(WIDGET_VIEW_MIMETYPE);
  if (!inner || Private.wrapped.has(inner)) {
    return;
  }
  const factory: IRenderMime.IRendererFactory = {
    safe: inner.safe,
    mimeTypes: [WIDGET_VIEW_MIMETYPE],
    defaultRank: inner.defaultRank,
    createRenderer: options =>
      withChartFallback(inner.createRenderer(options), client)
  };
  Private.wrapped.add(factory);
  rendermime.addFactory(factory, rendermime.getRank(WIDGET_VIEW_MIMETYPE));
}

/**
 * Registers the safe renderer of data-only chart outputs.
 */
export const chartOutputPlugin: JupyterFrontEndPlugin<void> = {
  id: 'livegraphs-ext:chart-output',
  description:
    'Draws chart outputs from their spec, also for collaborators who hold the output untrusted.',
  autoStart: true,
  requires: [IRenderMimeRegistry, ILiveGraphsAPI],
  activate: (
    app: JupyterFrontEnd,
    rendermime: IRenderMimeRegistry,
    api: ILiveGraphsAPI
  ): void => {
    rendermime.addFactory(
      {
        safe: true,
        mimeTypes: [CHART_MIMETYPE],
        defaultRank: RANK,
        createRenderer: () => new ChartOutput(api)
      },
      RANK
    );
    // Each notebook gets its own registry, to which the widget manager adds
    // the widget view when the notebook panel is created.
    app.docRegistry.addWidgetExtension('Notebook', {
      createNew: (panel: Widget, context: DocumentRegistry.IContext<any>) => {
        const wrap = () =>
          setTimeout(() => {
            const registry = (panel as any).content?.rendermime as
              IRenderMimeRegistry | undefined;
            if (registry && !panel.isDisposed) {
              wrapWidgetView(registry, api);
            }
          }, 0);
        // Wrap as soon as every extension has set the panel up (before the
        // saved outputs of a reopened notebook render), and again whenever
        // the widget manager could have put its renderer back.
        wrap();
        void context.sessionContext.ready.then(wrap);
        context.sessionContext.kernelChanged.connect(wrap);
      }
    });
  }
};

namespace Private {
  /**
   * The wrapping factories, so none is wrapped twice.
   */
  export const wrapped = new WeakSet<IRenderMime.IRendererFactory>();
}
