/**
 * The Plotly of the bundles built without JupyterLab (the viewer page and the
 * notebook widgets): Plotly's core and only the trace types our marks draw,
 * as Plotly's own partial bundles are made, about a third of the whole
 * bundle's size (gzipped: 0.50 MB against 1.46 MB).
 *
 * Every trace type `src/charts/marks.ts` and `overlaytraces.ts` make is
 * registered here but `scattergl`: Plotly draws an unregistered type as its
 * default, `scatter`, so a scatter of more than 1,000 points is drawn as SVG
 * (the engine sends at most `max_marks` points). Their builds alias
 * `plotly.js-dist-min` to this module (`plotly-build.mjs`).
 */
import Plotly from 'plotly.js/lib/core';
import bar from 'plotly.js/lib/bar';
import box from 'plotly.js/lib/box';
import choropleth from 'plotly.js/lib/choropleth';
import heatmap from 'plotly.js/lib/heatmap';
import indicator from 'plotly.js/lib/indicator';
import pie from 'plotly.js/lib/pie';
import scattergeo from 'plotly.js/lib/scattergeo';
import table from 'plotly.js/lib/table';

Plotly.register([
  bar,
  box,
  choropleth,
  heatmap,
  indicator,
  pie,
  scattergeo,
  table
]);

export default Plotly;
