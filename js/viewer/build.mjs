/**
 * Bundle the viewer page's script and styles into livegraphs_ext/static/viewer/
 * (viewer.js, viewer.css), which both hosts serve at `static/` beside the API.
 * Built without JupyterLab, as the notebook widgets are: a classic script
 * (the page's policy runs scripts from its own origin only, none inline).
 */
import process from 'node:process';

import { build } from 'esbuild';

import { partialPlotly } from '../plotly-build.mjs';

// --dev adds an inline source map.
const dev = process.argv.includes('--dev');

await build({
  entryPoints: { viewer: 'js/viewer/index.ts' },
  outdir: 'livegraphs_ext/static/viewer',
  bundle: true,
  format: 'iife',
  target: 'es2020',
  minify: true,
  sourcemap: dev ? 'inline' : false,
  legalComments: 'none',
  logLevel: 'warning',
  // jsPDF's optional HTML renderer and its parts, which the exports never use
  external: ['html2canvas', 'dompurify', 'canvg'],
  // the chart view's icons (style/icons/) come as SVG text
  loader: { '.svg': 'text' },
  // Plotly's core and the traces our marks draw, not the whole bundle
  ...partialPlotly
});
