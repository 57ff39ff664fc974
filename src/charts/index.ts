/**
 * Charts: the spec types, the Plotly renderer, `ChartView` and the builder.
 *
 * Nothing here imports `@jupyterlab/*`: the notebook widget bundle uses it too.
 */
export * from './types';
export * from './text';
export * from './figure';
export { ChartView, loadPlotly } from './view';
export { ChartBuilder } from './builder/builder';
export { pythonCode } from './builder/codegen';
export { suggestMark } from './builder/showme';
