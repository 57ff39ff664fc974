/**
 * The anywidget front end of `lg.chart(...)`, `lg.ChartBuilder(...)` and
 * `lg.Dashboard(...)`.
 *
 * Standard ESM (`export default { render }`), bundled by esbuild into
 * `livegraphs_ext/static/widget.js`. It imports the same renderer and builder
 * as the JupyterLab extension and nothing from `@jupyterlab/*`, so it also runs
 * in Notebook 7, Voila and VS Code.
 */
import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { resultFromArrow } from '../../src/charts/arrow';
import { ChartBuilder } from '../../src/charts/builder/builder';
import { IChartSpec, IDatasetInfo } from '../../src/charts/types';
import { ChartView } from '../../src/charts/view';
import { DashboardView } from './dashboard';
import { IModel } from './model';
import { addStyles } from './styles';

function specOf(model: IModel): IChartSpec | null {
  const spec = model.get('spec');
  return spec && Object.keys(spec).length ? (spec as IChartSpec) : null;
}

/**
 * Attach a Lumino widget to `el` once `el` is in the page, keep it sized, and
 * answer the cleanup.
 */
function mount(root: Widget, el: HTMLElement, onAttach?: () => void) {
  // Lumino attaches only to a node in the page; anywidget may render before
  // the output area is.
  let disposed = false;
  const attach = () => {
    if (disposed) {
      return;
    }
    if (!el.isConnected) {
      requestAnimationFrame(attach);
      return;
    }
    Widget.attach(root, el);
    onAttach?.();
  };
  attach();
  const observer = new ResizeObserver(() => {
    if (root.isAttached) {
      MessageLoop.sendMessage(root, Widget.ResizeMessage.UnknownSize);
    }
  });
  observer.observe(el);
  return () => {
    disposed = true;
    observer.disconnect();
    if (root.isAttached) {
      Widget.detach(root);
    }
    root.dispose();
  };
}

function renderDashboard(model: IModel, el: HTMLElement) {
  el.classList.add('jp-LiveGraphs-dashboardWidget');
  return mount(new DashboardView(model), el);
}

function render({ model, el }: { model: IModel; el: HTMLElement }) {
  addStyles();
  if (model.get('_view_kind') === 'dashboard') {
    return renderDashboard(model, el);
  }
  el.classList.add('jp-LiveGraphs-widget');
  const setHeight = () => {
    el.style.height = `${Number(model.get('height')) || 420}px`;
  };
  setHeight();

  let builder: ChartBuilder | null = null;
  let chart: ChartView;
  let root: Widget;
  if (model.get('_view_kind') === 'builder') {
    builder = new ChartBuilder({
      dataset: model.get('dataset') as IDatasetInfo,
      spec: specOf(model)
    });
    chart = builder.chart;
    root = builder;
    // The user's edits go to the kernel, which answers with a new result.
    builder.specChanged.connect((_, spec) => {
      model.set('spec', spec);
      model.save_changes();
    });
  } else {
    chart = new ChartView({ placeholder: 'No chart spec.' });
    root = chart;
  }
  root.addClass('jp-LiveGraphs-widgetRoot');

  const showResult = () => {
    const error = model.get('error') as string;
    const bytes = model.get('result') as DataView | ArrayBuffer | null;
    const spec = specOf(model);
    if (error) {
      chart.setError(new Error(error));
    } else if (!spec) {
      chart.spec = null;
    } else if (bytes && bytes.byteLength) {
      void chart.setResult(resultFromArrow(bytes), spec);
    }
  };
  const onSpec = () => {
    // A spec set from Python: show it on the shelves (this emits nothing back).
    const spec = specOf(model);
    if (builder && JSON.stringify(builder.spec) !== JSON.stringify(spec)) {
      builder.spec = spec;
    }
  };
  model.on('change:result', showResult);
  model.on('change:error', showResult);
  model.on('change:spec', onSpec);
  model.on('change:height', setHeight);

  const unmount = mount(root, el, showResult);

  return () => {
    model.off('change:result', showResult);
    model.off('change:error', showResult);
    model.off('change:spec', onSpec);
    model.off('change:height', setHeight);
    unmount();
  };
}

export default { render };
