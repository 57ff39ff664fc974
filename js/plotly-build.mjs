/**
 * The esbuild options that give a bundle our partial Plotly (`js/plotly.mjs`)
 * in place of the whole `plotly.js-dist-min`. package.json pins `plotly.js`
 * and `plotly.js-dist-min` to one version: keep them equal, so that JupyterLab's
 * charts and these pages draw alike.
 */

/**
 * Plotly's registry requires MapLibre's styles for its `map` subplots, which
 * no trace of ours uses: they would be a third of a page's styles.
 */
const noMapStyles = {
  name: 'no-map-styles',
  setup(build) {
    build.onResolve(
      { filter: /^maplibre-gl\/dist\/maplibre-gl\.css$/ },
      args => ({ path: args.path, namespace: 'unused' })
    );
    build.onLoad({ filter: /.*/, namespace: 'unused' }, () => ({
      contents: '',
      loader: 'empty'
    }));
  }
};

export const partialPlotly = {
  alias: { 'plotly.js-dist-min': './js/plotly.mjs' },
  // Plotly's sources are written for Browserify, which provides `global`
  define: { global: 'globalThis' },
  plugins: [noMapStyles]
};
