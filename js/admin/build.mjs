/**
 * Bundle the hub service's admin pages (script and styles) into
 * livegraphs_ext/static/admin/, which the service serves at admin/static/.
 *
 * Plotly, which only the Engagement page needs, goes into a chunk of its own
 * that the page loads when it draws its first chart.
 */
import process from 'node:process';

import { build } from 'esbuild';

// --dev adds inline source maps.
const dev = process.argv.includes('--dev');

await build({
  entryPoints: { admin: 'js/admin/index.ts' },
  outdir: 'livegraphs_ext/static/admin',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  target: 'es2020',
  minify: true,
  sourcemap: dev ? 'inline' : false,
  legalComments: 'none',
  logLevel: 'warning'
});
