import { expect, test } from '@jupyterlab/galata';

import { attachScreenshot, datasetItem, deleteAll, uploadViaApi } from './workspace-helpers';

const PANEL_ID = 'livegraphs-datasets';

test.describe('livegraphs-ext', () => {
  test('activates and adds the Datasets sidebar tab', async ({ page }) => {
    // Given JupyterLab has loaded
    // Then the Datasets tab is in the left sidebar
    const tab = page.locator(
      `.jp-SideBar .lm-TabBar-tab[data-id="${PANEL_ID}"]`
    );
    await expect(tab).toBeVisible();
    await expect(tab).toHaveAttribute('title', 'Datasets');
  });

  test('the panel follows changes made elsewhere without a refresh, and its search filters as you type', async ({
    page,
    request,
    baseURL
  }, testInfo) => {
    // Given the Datasets panel is open and loaded
    await deleteAll(request, baseURL);
    await page.sidebar.openTab(PANEL_ID);
    const panel = page.locator(`#${PANEL_ID}`);
    await expect(panel).toHaveAttribute('data-lg-state', 'ready');

    // When CSVs are uploaded through the REST API (as another tab would)
    const name = `ui-test-${Date.now()}`;
    const dataset = await uploadViaApi(
      request,
      baseURL,
      name,
      'city,population,area\nLyon,522250,47.87\nNantes,320732,65.19\nLille,236234,34.83\n'
    );
    await uploadViaApi(request, baseURL, 'other', 'a,b\n1,2\n');

    // Then the open panel lists them with rows, columns, size, version, owner and change time
    const item = datasetItem(panel, name);
    await expect(item).toBeVisible();
    await expect(item).toContainText('3 rows');
    await expect(item).toContainText('3 columns');
    await expect(item).toContainText(`v${dataset.version}`);
    await expect(item).toContainText(`${dataset.owner} · changed`);
    await expect(item).toContainText('city: string');
    await expect(datasetItem(panel, 'other')).toBeVisible();

    // And the search box filters as you type
    await panel.getByRole('searchbox', { name: 'Search datasets' }).fill('ui-te');
    await expect(panel.locator('.jp-LiveGraphs-dataset')).toHaveCount(1);
    await expect(item).toBeVisible();
    await panel.getByRole('searchbox', { name: 'Search datasets' }).fill('');
    await expect(panel.locator('.jp-LiveGraphs-dataset')).toHaveCount(2);
    await attachScreenshot(page, testInfo, 'datasets-panel', panel);

    // And the keyboard moves through the list and opens a dataset
    await panel.locator('.jp-LiveGraphs-dataset').first().focus();
    await page.keyboard.press('ArrowDown');
    await expect(panel.locator('.jp-LiveGraphs-dataset').nth(1)).toBeFocused();
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Enter');
    await expect(page.locator('.jp-LiveGraphs-DatasetView')).toHaveAttribute(
      'data-lg-loaded',
      'yes'
    );

    // When one is deleted elsewhere, it leaves the list by itself
    const deleted = await request.delete(
      new URL(`livegraphs/api/datasets/${dataset.id}`, `${baseURL}/`).href
    );
    expect(deleted.status()).toBe(204);
    await expect(item).toHaveCount(0);

    // And the refresh command is in the command palette
    await page.keyboard.press('Control+Shift+C');
    const palette = page.getByRole('region', {
      name: 'Command Palette Section'
    });
    await palette.getByRole('textbox').fill('Refresh Datasets');
    await palette.getByRole('menuitem', { name: 'Refresh Datasets' }).click();
    await expect(panel).toHaveAttribute('data-lg-state', 'ready');
    await expect(panel.locator('.jp-LiveGraphs-dataset')).toHaveCount(1);
  });

  test('"New Chart" in the context menu opens the chart builder on that dataset', async ({
    page,
    request,
    baseURL
  }) => {
    await deleteAll(request, baseURL);
    await uploadViaApi(request, baseURL, 'charted', 'a,b\n1,2\n');
    await page.sidebar.openTab(PANEL_ID);
    const item = datasetItem(page.locator(`#${PANEL_ID}`), 'charted');
    // The chart plugin provides livegraphs:new-chart, so the entry is offered
    await item.click({ button: 'right' });
    await page.getByRole('menuitem', { name: 'New Chart', exact: true }).click();
    // and it runs with the dataset's id: a chart file on it opens in the builder, listing its fields
    await expect(page.getByRole('tab', { name: 'charted.lgchart' })).toBeVisible();
    await expect(
      page.locator('.jp-LiveGraphs-ChartBuilder .jp-LiveGraphs-field[data-field="a"]')
    ).toBeVisible();
  });

  test('a dataset exports from its context menu, and deletes after a confirmation', async ({
    page,
    request,
    baseURL
  }) => {
    await deleteAll(request, baseURL);
    await uploadViaApi(request, baseURL, 'exported', 'a,b\n1,=2\n');
    await page.sidebar.openTab(PANEL_ID);
    const panel = page.locator(`#${PANEL_ID}`);
    const item = datasetItem(panel, 'exported');

    // Export as CSV downloads the file (formula-looking cells neutralised)
    await item.click({ button: 'right' });
    const download = page.waitForEvent('download');
    await page.getByRole('menuitem', { name: 'Export as CSV' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toBe('exported.csv');
    const fs = await import('fs');
    expect(fs.readFileSync(await file.path(), 'utf-8')).toBe("a,b\n1,'=2\n");

    // Delete asks first; Cancel keeps it, Delete removes it everywhere
    await item.click({ button: 'right' });
    await page.getByRole('menuitem', { name: 'Delete Dataset…' }).click();
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toContainText('Delete “exported”');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(item).toHaveCount(1);
    await item.click({ button: 'right' });
    await page.getByRole('menuitem', { name: 'Delete Dataset…' }).click();
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await expect(item).toHaveCount(0);
    const left = await request.get(new URL('livegraphs/api/datasets', `${baseURL}/`).href);
    expect((await left.json()).datasets).toEqual([]);
  });

  test('its settings are in the settings registry', async ({ page, baseURL }) => {
    const response = await page.request.get(
      new URL('lab/api/settings/livegraphs-ext:datasets', `${baseURL}/`).href
    );
    expect(response.status()).toBe(200);
    const body = await response.json();
    expect(Object.keys(body.schema.properties).sort()).toEqual([
      'defaultExportFormat',
      'pageSize',
      'pollInterval'
    ]);
    expect(body.schema.properties.defaultExportFormat.enum).toEqual(['csv', 'parquet', 'json']);
  });

  test('a file of the file browser opens as a dataset from its context menu', async ({
    page,
    request,
    baseURL,
    tmpPath
  }) => {
    await deleteAll(request, baseURL);
    // Given a CSV in the file browser
    await page.contents.uploadContent(
      'x,y\n1,2\n3,4\n5,6\n',
      'text',
      `${tmpPath}/points.csv`
    );
    await page.sidebar.openTab('filebrowser');
    await page.filebrowser.openDirectory(tmpPath);
    await page.filebrowser.refresh();
    const file = page.locator('.jp-DirListing-item', { hasText: 'points.csv' });
    // When "Open as Dataset" is chosen in its context menu
    await file.click({ button: 'right' });
    await page.getByRole('menuitem', { name: 'Open as Dataset' }).click();
    // Then it becomes a dataset and opens on its report
    const view = page.locator('.jp-LiveGraphs-DatasetView');
    await expect(view).toHaveAttribute('data-lg-rows', '3', { timeout: 30_000 });
    await expect(view.locator('.jp-LiveGraphs-reportSummary')).toContainText('3 rows · 2 columns');
  });
});
