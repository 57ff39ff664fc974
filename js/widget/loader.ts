/**
 * The `_esm` every livegraphs widget carries: a few hundred bytes that load
 * the real bundle (`widget.js`, several MB with Plotly) once per page.
 *
 * First from the Jupyter server (`{baseUrl}livegraphs/static/widget.js?v=<hash>`,
 * signed-in users only); where that fails (a host without our server
 * extension, or a server with another version of the bundle) from the kernel,
 * over the widget's custom messages. The module is cached per page by hash.
 */
import { IModel } from './model';

interface IBundle {
  default: {
    render(context: { model: IModel; el: HTMLElement }): unknown;
  };
}

const CACHE = Symbol.for('livegraphs.widget.bundles');
const ROUTE = 'livegraphs/static/widget.js';

function cache(): Map<string, Promise<IBundle>> {
  const page = globalThis as any;
  page[CACHE] ??= new Map<string, Promise<IBundle>>();
  return page[CACHE];
}

/**
 * The Jupyter server's base URL: JupyterLab's and Voila's page config, else
 * the document's base.
 */
function baseUrl(): string {
  const config = document.getElementById('jupyter-config-data');
  try {
    const base = JSON.parse(config?.textContent || '{}').baseUrl;
    if (typeof base === 'string' && base) {
      return new URL(base, location.href).href;
    }
  } catch {
    // not JSON: use the document's base
  }
  return document.baseURI;
}

function fromServer(hash: string): Promise<IBundle> {
  const url = new URL(ROUTE, baseUrl());
  url.searchParams.set('v', hash);
  return import(/* webpackIgnore: true */ url.href);
}

function fromKernel(model: IModel): Promise<IBundle> {
  return new Promise((resolve, reject) => {
    const onMessage = (content: any, buffers?: DataView[]) => {
      if (content?.type !== 'lg-bundle') {
        return;
      }
      model.off('msg:custom', onMessage);
      const data = buffers?.[0];
      if (content.error || !data) {
        reject(new Error(content.error || 'The kernel sent no bundle.'));
        return;
      }
      const blob = new Blob([data as BlobPart], { type: 'text/javascript' });
      const url = URL.createObjectURL(blob);
      import(/* webpackIgnore: true */ url)
        .then(resolve, reject)
        .finally(() => URL.revokeObjectURL(url));
    };
    model.on('msg:custom', onMessage);
    model.send({ type: 'lg-bundle' });
  });
}

function load(model: IModel): Promise<IBundle> {
  const hash = String(model.get('_bundle_hash'));
  let bundle = cache().get(hash);
  if (!bundle) {
    bundle = fromServer(hash).catch(() => fromKernel(model));
    // A failure is not kept: the next widget tries again.
    bundle.catch(() => cache().delete(hash));
    cache().set(hash, bundle);
  }
  return bundle;
}

async function render(context: { model: IModel; el: HTMLElement }) {
  let bundle: IBundle;
  try {
    bundle = await load(context.model);
  } catch (reason) {
    context.el.textContent = `The livegraphs widget could not be loaded: ${
      reason instanceof Error ? reason.message : String(reason)
    }`;
    return;
  }
  return bundle.default.render(context);
}

export default { render };
