/**
 * A store dashboard's charts and filter values, asked by each cell and
 * filter through the dashboard's chart clients (`src/documents/data.ts`):
 * the chart draws with the dashboard filter applied, and the dropdown lists
 * the column's values.
 */
import { expect, test } from '@jupyterlab/galata';

import { ALICE, openPath, uploadCSV } from './collab-helpers';

const CSV = ['region,revenue', 'EMEA,100', 'APAC,50', 'EMEA,300'].join('\n');

test.use({ mockUser: ALICE });

test('a store dashboard draws its chart with its filter, and its dropdown lists the values', async ({
  page,
  baseURL
}) => {
  const dataset = await uploadCSV(page, baseURL!, CSV);
  const title = `Data ${Date.now()}`;
  const content = {
    version: 1,
    title,
    crossfilter: true,
    filters: [{ id: 'f1', kind: 'dropdown', dataset: dataset.id, column: 'region', value: ['EMEA'] }],
    charts: {
      c1: {
        spec: {
          version: 1,
          dataset: { id: dataset.id },
          mark: 'bar',
          encoding: { x: { field: 'region' }, y: { field: 'revenue', aggregate: 'sum' } }
        },
        layout: { x: 0, y: 0, w: 6, h: 4 }
      }
    }
  };
  const created = await page.request.post(new URL('livegraphs/api/documents', `${baseURL}/`).href, {
    data: { kind: 'dashboard', content }
  });
  expect(created.status()).toBe(201);
  const queries: string[] = [];
  page.on('request', request => {
    if (/livegraphs\/api\/.*\/query(\?|$)/.test(request.url())) {
      queries.push(`${request.url()} ${request.postData() ?? ''}`);
    }
  });
  // When Alice opens it from the drive
  await openPath(page, `LiveGraphs:mine/${title}.lgdash`);
  // Then its chart draws, restricted by the dashboard filter
  const view = page.locator('.jp-LiveGraphs-DashboardDocument .jp-LiveGraphs-DashboardCell .jp-LiveGraphs-ChartView');
  await expect(view).toHaveAttribute('data-lg-state', 'ready');
  await expect
    .poll(() => queries.filter(q => q.includes('"EMEA"') && q.includes('"in"')).length, {
      message: `queries: ${queries.join('\n')}`
    })
    .toBeGreaterThan(0);
  // And the filter's dropdown lists the column's values with their counts
  await page.locator('.jp-LiveGraphs-DashboardDocument .jp-LiveGraphs-DashboardValues').click();
  const dialog = page.getByRole('dialog', { name: 'Values of region' });
  await expect(dialog).toContainText('APAC');
  await expect(dialog).toContainText('EMEA');
});
