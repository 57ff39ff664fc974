/**
 * Making a dashboard without knowing the command palette or any names: New
 * Dashboard in File → New, the Launcher and the Datasets panel; Add chart
 * asks for the dataset; a chart starts with the automatic mark; a filter's
 * dataset and column are picked from lists.
 */
import { expect, test } from '@jupyterlab/galata';
import type { Page } from '@playwright/test';

import { dragField } from './builder-helpers';
import { ALICE, storedDocument, uploadCSV } from './collab-helpers';
import { datasetItem, openPanel } from './workspace-helpers';

const CSV = [
  'month,region,revenue,units',
  '2025-01-01,EMEA,100,1',
  '2025-01-01,APAC,50,2',
  '2025-02-01,EMEA,300,3'
].join('\n');

test.use({ mockUser: ALICE });

function dashboardOf(page: Page) {
  return page.locator('.jp-LiveGraphs-DashboardDocument .jp-LiveGraphs-Dashboard');
}

function builderOf(page: Page) {
  return page.locator('.jp-LiveGraphs-ChartBuilderPanel .jp-LiveGraphs-ChartBuilder');
}

/**
 * The drive path of the dashboard open in the main area.
 */
function dashboardPath(page: Page): Promise<string> {
  return page.evaluate(() => {
    const shell = (window as any).jupyterapp.shell;
    const widget = [...shell.widgets('main')].find((w: any) =>
      w.hasClass('jp-LiveGraphs-DashboardDocument')
    );
    return widget?.context.path ?? '';
  });
}

test('New Dashboard is in File → New and in the Launcher, and makes a store dashboard', async ({
  page
}) => {
  // The Launcher offers it
  const card = page.locator('.jp-Launcher .jp-LauncherCard[data-category="LiveGraphs"]', {
    hasText: 'New Dashboard'
  });
  await expect(card).toBeVisible();
  // When File → New → Dashboard is chosen
  await page.menu.clickMenuItem('File>New>Dashboard');
  // Then a dashboard of the store opens, connected to its room
  await expect(dashboardOf(page)).toBeVisible();
  await expect.poll(() => dashboardPath(page)).toMatch(
    /^LiveGraphs:mine\/Untitled dashboard( \d+)?\.lgdash$/
  );
  await expect(
    page.locator('.jp-LiveGraphs-DashboardDocument .jp-LiveGraphs-RoomStatus')
  ).toHaveAttribute('data-status', 'connected');
});

test('the Datasets panel makes a dashboard of a dataset, its first chart open in the builder with the automatic mark', async ({
  page,
  baseURL
}) => {
  const dataset = await uploadCSV(page, baseURL!, CSV);
  const panel = await openPanel(page);
  // When New Dashboard is chosen from the dataset's menu in the Datasets panel
  await datasetItem(panel, dataset.name).click({ button: 'right' });
  await page.getByRole('menuitem', { name: 'New Dashboard' }).click();
  // Then a store dashboard opens with one chart, of that dataset
  await expect(dashboardOf(page)).toBeVisible();
  const cells = dashboardOf(page).locator('.jp-LiveGraphs-DashboardCell');
  await expect(cells).toHaveCount(1);
  // and the chart is open in the builder, its mark automatic
  const builder = builderOf(page);
  await expect(builder.locator('.jp-LiveGraphs-field[data-field="region"]')).toBeVisible();
  await expect(builder.locator('.jp-LiveGraphs-markPicker')).toHaveValue('auto');
  // When region is dropped on X, the chart draws, and no mark is stored
  await dragField(page, builder, 'region', 'X axis');
  await expect(cells.first().locator('.jp-LiveGraphs-ChartView')).toHaveAttribute(
    'data-lg-state',
    'ready',
    { timeout: 30000 }
  );
  const path = await dashboardPath(page);
  expect(path).toBe(`LiveGraphs:mine/${dataset.name} dashboard.lgdash`);
  await expect
    .poll(async () => Object.values((await storedDocument(page, baseURL!, path)).charts), {
      timeout: 15000
    })
    .toEqual([
      expect.objectContaining({
        spec: { version: 1, dataset: { name: dataset.name }, encoding: { x: { field: 'region' } } }
      })
    ]);

  // The panel's toolbar has the same button
  await expect(panel.getByRole('button', { name: 'New Dashboard' })).toBeVisible();
});

test('Add chart on an empty dashboard asks for the dataset; a filter is made by picking its dataset and column', async ({
  page,
  baseURL
}) => {
  const dataset = await uploadCSV(page, baseURL!, CSV);
  const failed: string[] = [];
  page.on('response', r => {
    if (r.url().includes('/livegraphs/api/') && r.status() >= 400) {
      failed.push(`${r.status()} ${r.url()}`);
    }
  });
  await page.evaluate(() =>
    (window as any).jupyterapp.commands.execute('livegraphs:new-dashboard', {
      title: `Empty ${Date.now()}`
    })
  );
  const dashboard = dashboardOf(page);
  await expect(dashboard).toBeVisible();
  // When Add chart is clicked with no dataset picked
  await dashboard.getByRole('button', { name: 'Add chart' }).click();
  // Then a dialog asks which dataset, listing the ones Alice can read
  const dialog = page.getByRole('dialog');
  const list = dialog.getByRole('listbox', { name: 'Dataset of the new chart' });
  await expect(list.getByRole('option', { name: dataset.name, exact: true })).toBeAttached();
  await list.selectOption(dataset.name);
  await dialog.getByRole('button', { name: 'Add chart' }).click();
  // and the chart is made on it and opens in the builder, with the automatic mark
  const cells = dashboard.locator('.jp-LiveGraphs-DashboardCell');
  await expect(cells).toHaveCount(1);
  const builder = builderOf(page);
  await expect(builder.locator('.jp-LiveGraphs-field[data-field="units"]')).toBeVisible();
  await expect(builder.locator('.jp-LiveGraphs-markPicker')).toHaveValue('auto');
  expect(
    JSON.parse(
      (await cells.first().locator('.jp-LiveGraphs-DashboardCellBody').getAttribute('data-spec'))!
    )
  ).toEqual({ version: 1, dataset: { name: dataset.name }, encoding: {} });
  // and the toolbar now names that dataset for the next charts and filters
  await expect(dashboard.getByLabel('Dataset for new charts and filters')).toHaveValue(dataset.name);

  // When a filter is added, its dataset is that one, and its column is picked from the dataset's
  await dashboard.getByRole('button', { name: 'Add filter' }).click();
  const filter = dashboard.locator('.jp-LiveGraphs-DashboardFilter');
  await expect(filter.getByLabel('Filter dataset')).toHaveValue(dataset.name);
  const column = filter.getByLabel('Filter column');
  for (const name of ['month', 'region', 'revenue', 'units']) {
    await expect(column.getByRole('option', { name, exact: true })).toBeAttached();
  }
  await column.selectOption('region');
  // Then its values are the column's
  await filter.getByRole('button', { name: 'Filter values' }).click();
  const values = page.getByRole('dialog', { name: 'Values of region' });
  await expect(values.getByRole('checkbox', { name: 'EMEA', exact: true })).toBeVisible();
  await expect(values.getByRole('checkbox', { name: 'APAC', exact: true })).toBeVisible();
  expect(failed).toEqual([]);
});
