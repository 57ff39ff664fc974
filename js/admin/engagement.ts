/**
 * Engagement: totals and the engagement figures of a period, each drawn by
 * the same `ChartView` as the JupyterLab extension, so every name in them
 * (datasets, users, teams) is shown as text.
 */
import { Widget } from '@lumino/widgets';

import { IChartResult, IChartSpec } from '../../src/charts/types';
import { ChartView } from '../../src/charts/view';
import { el, formatBytes } from '../../src/dom';
import { AdminPage } from './page';

/**
 * A figure of `GET admin/api/engagement`: a chart result, the spec it
 * answers, and the figure's key and title.
 */
interface IFigure extends IChartResult {
  key: string;
  title: string;
  spec: IChartSpec;
}

interface IEngagement {
  totals: {
    active_users: number;
    events: number;
    datasets: number;
    bytes: number;
  };
  figures: IFigure[];
}

function kpis(totals: IEngagement['totals']): HTMLElement {
  const list = el('dl', 'lg-admin-kpis');
  for (const [label, value] of [
    ['Active users', String(totals.active_users)],
    ['Events', String(totals.events)],
    ['Datasets', String(totals.datasets)],
    ['Stored', formatBytes(Number(totals.bytes) || 0)]
  ]) {
    const item = el('div');
    item.append(el('dt', undefined, label), el('dd', undefined, value));
    list.append(item);
  }
  return list;
}

/**
 * Let the charts redraw in the page's colors when the color scheme changes:
 * a chart view redraws when `data-jp-theme-name` changes, as in JupyterLab.
 */
function followColorScheme(): void {
  const dark = window.matchMedia?.('(prefers-color-scheme: dark)');
  const mark = () => {
    document.body.dataset.jpThemeName = dark?.matches ? 'dark' : 'light';
  };
  mark();
  dark?.addEventListener('change', mark);
}

export async function engagementPage(page: AdminPage): Promise<void> {
  followColorScheme();
  const range = el('select');
  range.setAttribute('aria-label', 'Period');
  for (const days of [7, 30, 90, 365]) {
    const option = el('option', undefined, `last ${days} days`);
    option.value = String(days);
    option.selected = days === 30;
    range.append(option);
  }
  const label = el('label', undefined, 'Period ');
  label.append(range);
  const toolbar = el('div', 'lg-admin-toolbar');
  toolbar.append(label);
  const holder = el('div');
  page.content.replaceChildren(toolbar, holder);
  let views: ChartView[] = [];

  async function load(): Promise<void> {
    const data = await page.call<IEngagement>(
      'GET',
      `${page.api}engagement?days=${range.value}`
    );
    // Detach the old charts while their nodes are still in the page.
    views.forEach(view => view.dispose());
    views = [];
    const grid = el('div', 'lg-admin-figures');
    const plots: [HTMLElement, IFigure][] = [];
    for (const fig of data.figures) {
      const box = el('section', 'lg-admin-figure');
      box.setAttribute('aria-label', fig.title);
      const plot = el('div', 'lg-admin-plot');
      plot.dataset.figure = fig.key;
      box.append(el('h2', undefined, fig.title), plot);
      grid.append(box);
      plots.push([plot, fig]);
    }
    holder.replaceChildren(kpis(data.totals), grid);
    await Promise.all(
      plots.map(([plot, fig]) => {
        if (!fig.marks) {
          plot.append(el('p', 'lg-admin-muted', 'Nothing in this period.'));
          return;
        }
        const view = new ChartView({ placeholder: 'Drawing…' });
        views.push(view);
        Widget.attach(view, plot);
        // The heading above the chart carries the title.
        return view.setResult(fig, { ...fig.spec, title: undefined });
      })
    );
  }
  range.addEventListener('change', () => {
    load().catch(error => page.say(error.message, true));
  });
  await load();
}
