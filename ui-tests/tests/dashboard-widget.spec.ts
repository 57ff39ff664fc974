import { expect, test } from '@jupyterlab/galata';
import type { APIRequestContext, Locator, Page } from '@playwright/test';

import { uploadCSV } from './collab-helpers';
import { clickPoint } from './plot-helpers';

const PAYLOAD = '<img src=x onerror="window.__xss=1">';

const CSV = [
  'region,revenue,units',
  'EMEA,100,1',
  'APAC,50,2',
  'AMER,10,4',
  'EMEA,300,3',
  'APAC,20,1'
].join('\n');

function bar(id: string, y: string, title: string) {
  return {
    spec: {
      version: 1,
      dataset: { id },
      mark: 'bar',
      encoding: {
        x: { field: 'region' },
        y: { field: y, aggregate: 'sum' }
      },
      title
    },
    layout: { x: 0, y: 0, w: 6, h: 5 }
  };
}

function board(id: string, title: string) {
  const revenue = bar(id, 'revenue', 'Revenue');
  const units = bar(id, 'units', 'Units');
  units.layout.x = 6;
  return {
    version: 1,
    title,
    crossfilter: true,
    filters: [
      { id: 'f1', kind: 'dropdown', dataset: id, column: 'region', value: null },
      { id: 'f2', kind: 'range', dataset: id, column: 'units', value: null }
    ],
    charts: { revenue, units }
  };
}

async function put(
  request: APIRequestContext,
  baseURL: string,
  path: string,
  content: unknown
) {
  const response = await request.put(
    new URL(`api/contents/${path}`, `${baseURL}/`).href,
    {
      data: {
        type: 'file',
        format: 'text',
        content: JSON.stringify(content, null, 2)
      }
    }
  );
  expect(response.ok()).toBe(true);
}

function upload(page: Page, baseURL: string) {
  return uploadCSV(page, baseURL, CSV, `board-${Date.now()}`);
}

function cell(widget: Locator, id: string): Locator {
  return widget.locator(`.jp-LiveGraphs-DashboardCell[data-chart-id="${id}"]`);
}

function bars(widget: Locator, id: string): Promise<number[]> {
  return cell(widget, id)
    .locator('.jp-LiveGraphs-chartPlot')
    .evaluate((node: any) =>
      Array.from(node.data?.[0]?.y ?? []).map(Number).sort((a, b) => a - b)
    );
}

test.describe('dashboard widget', () => {
  test('lg.Dashboard draws a dashboard file, filters and cross-filters it, and follows the file', async ({
    page,
    baseURL,
    tmpPath
  }) => {
    test.setTimeout(180000);
    await page.evaluate(() => ((window as any).__xss = undefined));
    const dataset = await upload(page, baseURL!);
    await put(page.request, baseURL!, `${tmpPath}/board.lgdash`, board(dataset.id, PAYLOAD));

    // Given a notebook that shows the dashboard file
    await page.notebook.createNew();
    await page.notebook.setCell(
      0,
      'code',
      'import livegraphs_ext as lg\nd = lg.Dashboard("board.lgdash")\nd'
    );

    // When the cell runs
    await page.notebook.runCell(0);

    // Then the title (as text) and both charts are drawn from the kernel's results
    const widget = page.locator('.jp-LiveGraphs-dashboardWidget');
    await expect(widget.locator('.jp-LiveGraphs-DashboardHeading')).toHaveText(PAYLOAD);
    for (const id of ['revenue', 'units']) {
      await expect(cell(widget, id).locator('.jp-LiveGraphs-ChartView')).toHaveAttribute(
        'data-lg-state',
        'ready',
        { timeout: 60000 }
      );
    }
    await expect.poll(() => bars(widget, 'revenue')).toEqual([10, 70, 400]);
    await expect.poll(() => bars(widget, 'units')).toEqual([3, 4, 4]);

    // When a region is picked in the dropdown filter
    const dropdown = widget.getByRole('combobox', { name: 'region filter' });
    await expect(dropdown.locator('option')).toHaveCount(4);
    await dropdown.selectOption('APAC');

    // Then every chart on the dataset shows only that region
    await expect.poll(() => bars(widget, 'revenue')).toEqual([70]);
    await expect.poll(() => bars(widget, 'units')).toEqual([3]);

    // When the dropdown is reset and a range is set on units
    await dropdown.selectOption('All');
    await widget.getByRole('spinbutton', { name: 'units minimum' }).fill('2');
    await widget.getByRole('spinbutton', { name: 'units minimum' }).press('Tab');
    await expect.poll(() => bars(widget, 'revenue')).toEqual([10, 50, 300]);
    await widget.getByRole('spinbutton', { name: 'units minimum' }).fill('');
    await widget.getByRole('spinbutton', { name: 'units minimum' }).press('Tab');
    await expect.poll(() => bars(widget, 'revenue')).toEqual([10, 70, 400]);

    // When a bar is clicked in the units chart (cross-filter)
    const unitsPlot = cell(widget, 'units').locator('.jp-LiveGraphs-chartPlot');
    const emea = await unitsPlot.evaluate((node: any) =>
      Array.from(node.data[0].x).indexOf('EMEA')
    );
    // (a real mouse click at the bar: Plotly's drag layer takes the pointer events)
    await clickPoint(page, unitsPlot, emea);

    // Then the other chart narrows to the clicked region, the clicked one does not
    await expect.poll(() => bars(widget, 'revenue')).toEqual([400]);
    await expect.poll(() => bars(widget, 'units')).toEqual([3, 4, 4]);
    await widget.getByRole('button', { name: 'Clear selections' }).click();
    await expect.poll(() => bars(widget, 'revenue')).toEqual([10, 70, 400]);

    // When the file changes (as when the dashboard is edited and autosaved)
    const changed = board(dataset.id, 'Renamed');
    delete (changed.charts as any).units;
    await put(page.request, baseURL!, `${tmpPath}/board.lgdash`, changed);

    // Then the widget follows it
    await expect(widget.locator('.jp-LiveGraphs-DashboardHeading')).toHaveText('Renamed', {
      timeout: 30000
    });
    await expect(widget.locator('.jp-LiveGraphs-DashboardCell')).toHaveCount(1);
    expect(await page.evaluate(() => (window as any).__xss)).toBeUndefined();
  });

  test('lg.Dashboard draws a chart with the automatic mark, and a placeholder for one with no fields', async ({
    page,
    baseURL,
    tmpPath
  }) => {
    test.setTimeout(180000);
    // Given a dashboard file with region on x and no mark (automatic), and a chart with no fields
    const dataset = await upload(page, baseURL!);
    const spec = (encoding: object) => ({ version: 1, dataset: { id: dataset.id }, encoding });
    await put(page.request, baseURL!, `${tmpPath}/auto.lgdash`, {
      version: 1,
      title: 'Automatic',
      crossfilter: true,
      filters: [],
      charts: {
        auto: { spec: spec({ x: { field: 'region' } }), layout: { x: 0, y: 0, w: 6, h: 5 } },
        empty: { spec: spec({}), layout: { x: 6, y: 0, w: 6, h: 5 } }
      }
    });
    // When a notebook shows it
    await page.notebook.createNew();
    await page.notebook.setCell(0, 'code', 'import livegraphs_ext as lg\nlg.Dashboard("auto.lgdash")');
    await page.notebook.runCell(0);
    // Then the first draws the count of records by region, as the builder would
    const widget = page.locator('.jp-LiveGraphs-dashboardWidget');
    await expect(cell(widget, 'auto').locator('.jp-LiveGraphs-ChartView')).toHaveAttribute(
      'data-lg-state',
      'ready',
      { timeout: 60000 }
    );
    await expect.poll(() => bars(widget, 'auto')).toEqual([1, 2, 2]);
    // and the other shows its placeholder, not an error
    const empty = cell(widget, 'empty').locator('.jp-LiveGraphs-ChartView');
    await expect(empty).toHaveAttribute('data-lg-state', 'empty');
    await expect(empty.locator('.jp-LiveGraphs-chartMessage')).toHaveText(
      'This chart has no fields yet.'
    );
  });

  test('widgets load their bundle from the server once per page', async ({
    page,
    baseURL,
    tmpPath
  }) => {
    test.setTimeout(180000);
    const dataset = await upload(page, baseURL!);
    await put(page.request, baseURL!, `${tmpPath}/board.lgdash`, board(dataset.id, 'Board'));
    await put(page.request, baseURL!, `${tmpPath}/revenue.lgchart`, bar(dataset.id, 'revenue', 'Revenue').spec);
    const fromServer: string[] = [];
    page.on('request', request => {
      if (request.url().includes('livegraphs/static/widget.js')) {
        fromServer.push(request.url());
      }
    });

    // Given a notebook with a chart file and a dashboard file
    await page.notebook.createNew();
    await page.notebook.setCell(0, 'code', 'import livegraphs_ext as lg\nlg.chart("revenue.lgchart", height=300)');
    await page.notebook.addCell('code', 'lg.Dashboard("board.lgdash")');
    await page.notebook.runCell(0);
    await page.notebook.runCell(1);

    // Then both draw, and the page fetched the bundle from the server once
    const chart = page.locator('.jp-LiveGraphs-widget .jp-LiveGraphs-ChartView');
    await expect(chart).toHaveAttribute('data-lg-state', 'ready', { timeout: 60000 });
    await expect(chart.locator('.bars .point')).toHaveCount(3);
    const widget = page.locator('.jp-LiveGraphs-dashboardWidget');
    await expect.poll(() => bars(widget, 'revenue'), { timeout: 60000 }).toEqual([10, 70, 400]);
    expect(fromServer).toHaveLength(1);

  });

  test('a page that cannot reach the server\'s bundle gets it from the kernel', async ({
    page,
    baseURL,
    tmpPath
  }) => {
    test.setTimeout(180000);
    const dataset = await upload(page, baseURL!);
    await put(page.request, baseURL!, `${tmpPath}/board.lgdash`, board(dataset.id, 'Board'));
    // Given a page where the server's bundle is not to be had (as on a host without the
    // server extension)
    const asked: string[] = [];
    await page.route('**/livegraphs/static/widget.js*', route => {
      asked.push(route.request().url());
      return route.fulfill({ status: 404, body: '' });
    });

    // When a dashboard widget is shown
    await page.notebook.createNew();
    await page.notebook.setCell(0, 'code', 'import livegraphs_ext as lg\nlg.Dashboard("board.lgdash")');
    await page.notebook.runCell(0);

    // Then it draws, with the bundle its kernel sent
    const widget = page.locator('.jp-LiveGraphs-dashboardWidget');
    await expect.poll(() => bars(widget, 'revenue'), { timeout: 60000 }).toEqual([10, 70, 400]);
    expect(asked).toHaveLength(1);
  });
});
