/**
 * Bundle the hub service's admin pages (script and styles) into
 * livegraphs_ext/static/admin/, which the service serves at admin/static/.
 *
 * Plotly, which only the Engagement page needs, goes into a chunk of its own
 * that the page loads when it draws its first chart.
 */
import { rmSync } from 'node:fs';
import process from 'node:process';

import { build } from 'esbuild';

// --dev adds inline source maps.
const dev = process.argv.includes('--dev');
const outdir = 'livegraphs_ext/static/admin';

// Chunk names carry a content hash: drop the last build's, so no stale chunk ships.
rmSync(outdir, { recursive: true, force: true });

await build({
  entryPoints: { admin: 'js/admin/index.ts' },
  outdir,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  target: 'es2020',
  minify: true,
  sourcemap: dev ? 'inline' : false,
  legalComments: 'none',
  // the chart view's icons (style/icons/) come as SVG text
  loader: { '.svg': 'text' },
  logLevel: 'warning'
});
