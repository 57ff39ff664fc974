/**
 * Bundle the notebook widgets' ESM (styles included) and their loader into livegraphs_ext/static/.
 */
import process from 'node:process';

import { build } from 'esbuild';

import { partialPlotly } from '../plotly-build.mjs';

// --dev adds an inline source map (several times the size).
const dev = process.argv.includes('--dev');

await build({
  entryPoints: { widget: 'js/widget/index.ts', loader: 'js/widget/loader.ts' },
  outdir: 'livegraphs_ext/static',
  bundle: true,
  format: 'esm',
  target: 'es2020',
  minify: true,
  sourcemap: dev ? 'inline' : false,
  legalComments: 'none',
  logLevel: 'warning',
  // jsPDF's optional HTML renderer and its parts, which the exports never use
  external: ['html2canvas', 'dompurify', 'canvg'],
  // CSS comes in as text and is put in the page once by the bundle (see styles.ts),
  // so no stylesheet travels in any widget's state.
  loader: { '.svg': 'text', '.css': 'text' },
  // Plotly's core and the traces our marks draw, not the whole bundle
  ...partialPlotly
});
