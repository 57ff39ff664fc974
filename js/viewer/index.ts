/**
 * The viewer page (`livegraphs/view/<id>`, `livegraphs/links/<token>`,
 * `livegraphs/public/<token>`): a dashboard drawn standalone, with no
 * JupyterLab and no kernel, by the notebook widget's read-only dashboard view
 * (the extension's `ChartView`, filters and cross-filtering) over the REST
 * routes. Nothing is ever written back. Every user string goes in as text.
 *
 * The page's shell (`livegraphs_ext/handlers/viewer.py`) names, in `data-lg-*`
 * attributes of the body, the API's URL, the mode (`live`, `link`, `public`)
 * and the document or the link's token. A live page follows the document's
 * room (`live.ts`) and says how in the body's `data-lg-live`.
 */
import '@lumino/widgets/style/widget.css';
import '../../style/charts.css';
import '../../style/dashboard.css';
import './viewer.css';

import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { el } from '../../src/dom';
import { DashboardView, IDashboardChannel } from '../widget/dashboard';
import { IModel } from '../widget/model';
import { follow } from './live';

const ARROW = 'application/vnd.apache.arrow.stream';
/** Seconds between two looks at a live dashboard's content, without a room. */
const LIVE_EVERY = 10;
/** Seconds the room has to be joined in before the page looks by itself. */
const JOIN_WITHIN = 5;

interface IPage {
  api: string;
  mode: 'live' | 'link' | 'public';
  document: string;
  token: string;
  xsrf: string;
  /**
   * A link's snapshot, as the page carries it (else asked).
   */
  dashboard: Record<string, any> | null;
  /**
   * The answers of the snapshot's charts with no extra conditions that the
   * page carries: base64 Arrow bytes by chart id.
   */
  answers: Record<string, string>;
  /**
   * The values of the snapshot's dropdown filters (with no search) that the
   * page carries: each filter's answer by its id.
   */
  values: Record<string, any>;
}

function readJSON(text: string | undefined): any {
  if (!text) {
    return null;
  }
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function readPage(body: HTMLElement): IPage {
  const d = body.dataset;
  const mode = d.lgMode === 'live' || d.lgMode === 'link' ? d.lgMode : 'public';
  const answers = readJSON(d.lgAnswers);
  const values = readJSON(d.lgValues);
  return {
    api: d.lgApi ?? '',
    mode,
    document: d.lgDocument ?? '',
    token: d.lgToken ?? '',
    xsrf: d.lgXsrf ?? '',
    dashboard: mode === 'live' ? null : readJSON(d.lgDashboard),
    answers:
      mode !== 'live' && answers && typeof answers === 'object' ? answers : {},
    values:
      mode !== 'live' && values && typeof values === 'object' ? values : {}
  };
}

/**
 * Base64 text as the bytes it encodes.
 */
function fromBase64(text: string): DataView {
  const chars = atob(text);
  const bytes = new Uint8Array(chars.length);
  for (let i = 0; i < chars.length; i++) {
    bytes[i] = chars.charCodeAt(i);
  }
  return new DataView(bytes.buffer);
}

/**
 * The URL of the routes under which this page's dashboard is asked.
 */
function root(page: IPage): string {
  const enc = encodeURIComponent;
  if (page.mode === 'live') {
    return `${page.api}/documents/${enc(page.document)}`;
  }
  return `${page.api}/${page.mode === 'link' ? 'links' : 'public'}/${enc(page.token)}`;
}

/**
 * A request of this page: JSON in, with the XSRF token of a signed-in page.
 */
async function call(
  page: IPage,
  url: string,
  init: RequestInit & { accept?: string } = {}
): Promise<Response> {
  const headers: Record<string, string> = {
    Accept: init.accept ?? 'application/json'
  };
  if (init.body) {
    headers['Content-Type'] = 'application/json';
  }
  if (page.xsrf) {
    headers['X-XSRFToken'] = page.xsrf;
  }
  const r = await fetch(url, {
    ...init,
    headers,
    credentials: page.mode === 'public' ? 'omit' : 'same-origin'
  });
  if (!r.ok) {
    let message = `${r.status} ${r.statusText}`;
    try {
      message = (await r.json()).message ?? message;
    } catch {
      // not the API's error shape: keep the status
    }
    throw new Error(message);
  }
  return r;
}

/**
 * Charts and filter values over HTTP, in the dashboard view's terms.
 */
class HttpChannel implements IDashboardChannel {
  constructor(private _page: IPage) {}

  async ask(
    content: Record<string, unknown>,
    signal?: AbortSignal
  ): Promise<{ content: any; buffers: DataView[] }> {
    const base = root(this._page);
    const enc = encodeURIComponent;
    if (content.type === 'query') {
      // A snapshot's chart with no extra conditions never changes: the page
      // may carry its answer. Any condition is asked of the server.
      const conditions = content.conditions;
      const carried = Object.prototype.hasOwnProperty.call(
        this._page.answers,
        String(content.chart)
      )
        ? this._page.answers[String(content.chart)]
        : undefined;
      if (
        typeof carried === 'string' &&
        (conditions === undefined ||
          (Array.isArray(conditions) && conditions.length === 0))
      ) {
        return { content: {}, buffers: [fromBase64(carried)] };
      }
      const r = await call(
        this._page,
        `${base}/charts/${enc(String(content.chart))}/query`,
        {
          method: 'POST',
          body: JSON.stringify({ filters: content.conditions ?? [] }),
          accept: ARROW,
          signal
        }
      );
      return { content: {}, buffers: [new DataView(await r.arrayBuffer())] };
    }
    const filter = String(content.filter);
    if (Object.prototype.hasOwnProperty.call(this._page.values, filter)) {
      const carried = this._page.values[filter];
      return { content: { values: carried?.data?.x ?? [] }, buffers: [] };
    }
    const r = await call(this._page, `${base}/filters/${enc(filter)}/query`, {
      method: 'POST',
      body: JSON.stringify({ what: 'values' }),
      signal
    });
    const result = await r.json();
    return { content: { values: result.data?.x ?? [] }, buffers: [] };
  }

  dispose(): void {
    // nothing held
  }
}

/**
 * The model the dashboard view reads: the dashboard and an error line.
 */
class PageModel implements IModel {
  get(name: string): any {
    return this._values.get(name);
  }

  set(name: string, value: unknown): void {
    this._values.set(name, value);
    for (const callback of this._listeners.get(`change:${name}`) ?? []) {
      callback();
    }
  }

  save_changes(): void {
    // a viewer saves nothing
  }

  send(): void {
    // answered by the HTTP channel instead
  }

  on(event: string, callback: (...args: any[]) => void): void {
    const list = this._listeners.get(event) ?? new Set();
    list.add(callback);
    this._listeners.set(event, list);
  }

  off(event: string, callback: (...args: any[]) => void): void {
    this._listeners.get(event)?.delete(callback);
  }

  private _values = new Map<string, unknown>();
  private _listeners = new Map<string, Set<(...args: any[]) => void>>();
}

/**
 * The dashboard this page shows: a live document's content, or a link's
 * snapshot (its specs as published; a chart that could not be drawn then is
 * left without one and shows the view's placeholder).
 */
async function load(page: IPage): Promise<Record<string, any>> {
  if (page.dashboard) {
    return page.dashboard;
  }
  const url = page.mode === 'live' ? `${root(page)}/content` : root(page);
  const dashboard = await (await call(page, url)).json();
  return dashboard;
}

/**
 * On a narrow screen the filters live in a drawer the toolbar's button opens.
 */
function addFilterDrawer(view: DashboardView): void {
  const head = view.node.querySelector('.jp-LiveGraphs-DashboardToolbar');
  const filters = view.node.querySelector('.jp-LiveGraphs-DashboardFilters');
  if (!head || !filters) {
    return;
  }
  filters.id = 'lg-viewer-filters';
  const button = el('button', 'lg-Viewer-filtersButton', 'Filters', {
    type: 'button',
    'aria-controls': filters.id,
    'aria-expanded': 'false'
  });
  button.addEventListener('click', () => {
    const open = !view.node.classList.contains('lg-mod-filtersOpen');
    view.node.classList.toggle('lg-mod-filtersOpen', open);
    button.setAttribute('aria-expanded', String(open));
  });
  head.append(button);
}

async function main(): Promise<void> {
  const page = readPage(document.body);
  const host = document.getElementById('lg-viewer')!;
  const model = new PageModel();
  const view = new DashboardView(model, new HttpChannel(page));
  view.addClass('lg-Viewer-dashboard');
  try {
    model.set('dashboard', await load(page));
  } catch (e) {
    model.set('error', (e as Error).message);
  }
  document.title = `${model.get('dashboard')?.title || 'Dashboard'} · livegraphs`;
  Widget.attach(view, host);
  addFilterDrawer(view);
  new ResizeObserver(() =>
    MessageLoop.sendMessage(view, Widget.ResizeMessage.UnknownSize)
  ).observe(host);
  if (page.mode === 'live') {
    followEdits(page, model);
  }
}

/**
 * Redraw a live page's dashboard each time the room says it changed (or, with
 * no room, when a look finds it changed).
 */
function followEdits(page: IPage, model: PageModel): void {
  let last = JSON.stringify(model.get('dashboard') ?? null);
  const url = new URL(root(page), window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  follow({
    serverUrl: url.href,
    reload: async () => {
      const next = await load(page);
      const text = JSON.stringify(next);
      if (text !== last) {
        last = text;
        model.set('error', '');
        model.set('dashboard', next);
        document.title = `${next?.title || 'Dashboard'} · livegraphs`;
      }
    },
    onState: state => {
      document.body.dataset.lgLive = state;
    },
    pollEvery: LIVE_EVERY * 1000,
    joinWithin: JOIN_WITHIN * 1000
  });
}

void main();
