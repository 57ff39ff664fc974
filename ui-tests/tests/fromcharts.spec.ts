/**
 * Building a store dashboard from charts: "Add existing chart" copies a
 * chart document's spec into the dashboard, and a chart dragged out of a
 * builder lands on the dashboard where it is dropped.
 */
import { expect, test } from '@jupyterlab/galata';
import type { Page } from '@playwright/test';

import { ALICE, storedDocument, uploadCSV } from './collab-helpers';

const CSV = [
  'month,region,revenue,units',
  '2025-01-01,EMEA,100,1',
  '2025-01-01,APAC,50,2',
  '2025-02-01,EMEA,300,3'
].join('\n');

test.use({ mockUser: ALICE });

function api(baseURL: string, path: string): string {
  return new URL(`livegraphs/api/${path}`, `${baseURL}/`).href;
}

/**
 * Create a document of the store; answers it.
 */
async function createDocument(page: Page, baseURL: string, kind: string, title: string, content: object) {
  const response = await page.request.post(api(baseURL, 'documents'), { data: { kind, title, content } });
  expect(response.status()).toBe(201);
  return response.json();
}

function dashboardContent(title: string, charts: object = {}) {
  return { version: 1, title, crossfilter: true, filters: [], charts };
}

function cells(page: Page) {
  return page.locator('.jp-LiveGraphs-DashboardDocument .jp-LiveGraphs-DashboardCell');
}

async function open(page: Page, path: string, mode?: string): Promise<void> {
  await page.evaluate(
    async ([p, m]) => {
      await (window as any).jupyterapp.commands.execute('docmanager:open', {
        path: p,
        ...(m ? { options: { mode: m } } : {})
      });
    },
    [path, mode ?? ''] as const
  );
}

async function openDashboard(page: Page, path: string, mode?: string): Promise<void> {
  await open(page, path, mode);
  const status = page.locator('.jp-LiveGraphs-DashboardDocument .jp-LiveGraphs-RoomStatus');
  await expect(status).toHaveAttribute('data-status', 'connected');
}

test('Add existing chart copies a chart document into a store dashboard', async ({ page, baseURL }) => {
  // Given a chart document and an empty store dashboard
  const dataset = await uploadCSV(page, baseURL!, CSV);
  const stamp = Date.now();
  const spec = {
    version: 1,
    dataset: { id: dataset.id },
    mark: 'bar',
    encoding: { x: { field: 'region' }, y: { field: 'revenue', aggregate: 'sum' } },
    title: 'Revenue by region'
  };
  const chart = await createDocument(page, baseURL!, 'chart', `Revenue ${stamp}`, spec);
  const title = `From charts ${stamp}`;
  await createDocument(page, baseURL!, 'dashboard', title, dashboardContent(title));
  const path = `LiveGraphs:mine/${title}.lgdash`;
  await openDashboard(page, path);
  await expect(cells(page)).toHaveCount(0);
  // When Alice adds the existing chart
  await page.getByRole('button', { name: 'Add existing chart' }).click();
  const dialog = page.locator('.jp-Dialog');
  const list = dialog.getByLabel('Chart to add');
  await expect(list.locator(`option[value="doc:${chart.id}"]`)).toHaveText(`Revenue ${stamp} (${chart.owner})`);
  await list.selectOption(`doc:${chart.id}`);
  await dialog.getByRole('button', { name: 'Add' }).click();
  // Then the dashboard shows a copy of it, drawn
  await expect(cells(page)).toHaveCount(1);
  await expect(cells(page).first().locator('.jp-LiveGraphs-ChartView')).toHaveAttribute('data-lg-state', 'ready', {
    timeout: 30000
  });
  // and the store's dashboard holds the chart's spec, at a free spot
  await expect
    .poll(async () => Object.values((await storedDocument(page, baseURL!, path)).charts))
    .toEqual([{ spec, layout: { x: 0, y: 0, w: 6, h: 4 } }]);
  // When it is edited on the dashboard, the chart document stays as it was (a copy)
  await cells(page).first().getByRole('button', { name: 'Edit chart' }).click();
  const builder = page.locator('.jp-LiveGraphs-ChartBuilderPanel .jp-LiveGraphs-ChartBuilder');
  await expect(builder.locator('.jp-LiveGraphs-field[data-field="units"]')).toBeVisible();
  await page.evaluate(() => (window as any).jupyterapp.shell.currentWidget.close());
  const response = await page.request.get(api(baseURL!, `documents/${chart.id}/content`));
  expect(await response.json()).toEqual(spec);
});

test('a chart dragged from a chart document\'s builder lands on the dashboard where it is dropped', async ({
  page,
  baseURL
}) => {
  // Given a chart document open in its builder and, beside it, a store dashboard with one chart
  const dataset = await uploadCSV(page, baseURL!, CSV);
  const stamp = Date.now();
  const spec = {
    version: 1,
    dataset: { id: dataset.id },
    encoding: { x: { field: 'month' }, y: { field: 'units', aggregate: 'sum' } }
  };
  const chartTitle = `Units ${stamp}`;
  await createDocument(page, baseURL!, 'chart', chartTitle, spec);
  const title = `Dropped ${stamp}`;
  await createDocument(
    page,
    baseURL!,
    'dashboard',
    title,
    dashboardContent(title, {
      c1: {
        spec: { version: 1, dataset: { id: dataset.id }, encoding: { x: { field: 'region' } } },
        layout: { x: 0, y: 0, w: 6, h: 4 }
      }
    })
  );
  await open(page, `LiveGraphs:mine/${chartTitle}.lgchart`);
  const builder = page.locator('.jp-LiveGraphs-ChartDocument');
  await expect(builder.locator('.jp-LiveGraphs-field[data-field="units"]')).toBeVisible();
  const path = `LiveGraphs:mine/${title}.lgdash`;
  await openDashboard(page, path, 'split-right');
  await expect(cells(page)).toHaveCount(1);
  await expect(builder).toBeVisible();
  // When Alice drags the chart from the builder onto the grid's right half, top row
  const grid = page.locator('.jp-LiveGraphs-DashboardDocument .jp-LiveGraphs-DashboardGrid');
  const box = (await grid.boundingBox())!;
  await builder
    .getByRole('button', { name: 'Drag this chart to a dashboard' })
    .dragTo(grid, { targetPosition: { x: Math.round(box.width * 0.6), y: 20 } });
  // Then a copy of it is on the dashboard, right of the first chart
  await expect(cells(page)).toHaveCount(2);
  await expect(page.locator('.jp-LiveGraphs-DashboardCell:not([data-chart-id="c1"])')).toHaveAttribute(
    'data-layout',
    '6,0,6,4'
  );
  // and the store's dashboard holds it
  await expect
    .poll(async () => {
      const charts = (await storedDocument(page, baseURL!, path)).charts;
      return Object.entries(charts)
        .filter(([id]) => id !== 'c1')
        .map(([, c]) => c);
    })
    .toEqual([{ spec, layout: { x: 6, y: 0, w: 6, h: 4 } }]);
});
