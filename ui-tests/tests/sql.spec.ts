/**
 * The SQL editor: a join of two datasets, run, corrected after an error that
 * points at its line, saved as a dataset, and charted from the Datasets panel.
 */
import { expect, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';

import { dragField } from './builder-helpers';
import { apiUrl, PANEL_ID, uploadViaApi } from './workspace-helpers';

test.use({ autoGoto: true });

/**
 * The traces Plotly drew, read from the plot element.
 */
function bars(builder: Locator): Promise<Record<string, number> | null> {
  return builder.locator('.jp-LiveGraphs-chartPlot').evaluate((node: any) => {
    const bar = (node.data ?? []).find((t: any) => t.type === 'bar');
    if (!bar) {
      return null;
    }
    const x = Array.from(bar.x ?? []) as string[];
    const y = Array.from(bar.y ?? []) as number[];
    return Object.fromEntries(x.map((k, i) => [k, y[i]]));
  });
}

test('write a SQL join of two datasets, save it as a dataset and chart it', async ({
  page,
  baseURL
}) => {
  test.setTimeout(240_000);
  // Given two datasets: sales, and the country of each city
  const stamp = Date.now();
  const sales = `sales ${stamp}`;
  const cities = `cities ${stamp}`;
  const { id: salesId } = await uploadViaApi(
    page.request,
    baseURL,
    sales,
    'city,amount\nOslo,10\nLima,5\nOslo,1\nZürich,4\nNowhere,99\n'
  );
  await uploadViaApi(
    page.request,
    baseURL,
    cities,
    'city,country\nOslo,NO\nLima,PE\nZürich,CH\n'
  );
  await page.sidebar.openTab(PANEL_ID);
  const panel = page.locator(`#${PANEL_ID}`);
  await page.evaluate(() =>
    (window as any).jupyterapp.commands.execute('livegraphs:refresh-datasets')
  );
  await expect(panel.getByText(sales, { exact: true })).toBeVisible();

  // When the SQL editor is opened from the Datasets panel
  await panel.getByRole('button', { name: 'SQL' }).click();
  const editor = page.locator('.jp-LiveGraphs-SqlEditor');
  await expect(editor).toBeVisible();
  const input = editor.getByRole('textbox');
  await input.click();
  await page.keyboard.press('Control+a');
  // and a join with a misspelt column is written and run
  await page.keyboard.insertText(
    `select c.country, sum(s.amont) as total\nfrom "${sales}" s\njoin "${cities}" c using (city)\ngroup by c.country`
  );
  await page.keyboard.press('Shift+Enter');

  // Then the error points at its line and column
  await expect(editor).toHaveAttribute('data-lg-state', 'error', {
    timeout: 60000
  });
  const error = editor.getByRole('alert');
  await expect(error).toContainText('Line 1, column 23');
  await expect(error).toContainText('amont');

  // When it is corrected and run again
  await input.click();
  await page.keyboard.press('Control+a');
  await page.keyboard.insertText(
    `select c.country, sum(s.amount) as total\nfrom "${sales}" s\njoin "${cities}" c using (city)\ngroup by c.country\norder by c.country`
  );
  await page.getByRole('button', { name: 'Run', exact: true }).click();

  // Then the grid shows the three countries
  await expect(editor).toHaveAttribute('data-lg-state', 'ready', {
    timeout: 60000
  });
  await expect(editor).toHaveAttribute('data-lg-rows', '3');
  await expect(error).toBeHidden();
  await expect(editor.getByRole('status')).toContainText('3 rows · 2 columns');

  // When it is saved as a dataset
  const saved = `by country ${stamp}`;
  await page.getByRole('button', { name: 'Save as Dataset…' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('textbox').fill(saved);
  await dialog.getByRole('button', { name: 'Save' }).click();

  // Then it opens as a dataset of three rows, listed in the Datasets panel
  const view = page.locator('.jp-LiveGraphs-DatasetView');
  const savedId = await view.evaluate(node =>
    node.id.replace('livegraphs-dataset-view-', '')
  );
  await expect(view).toHaveAttribute('data-lg-rows', '3', { timeout: 60000 });
  await expect(page.getByRole('tab', { name: saved })).toBeVisible();
  const item = panel.locator('.jp-LiveGraphs-dataset', { hasText: saved });
  await expect(item).toBeVisible();

  // When it is charted from its menu in the Datasets panel
  await item.click({ button: 'right' });
  await page.getByRole('menuitem', { name: 'New Chart', exact: true }).click();
  const builder = page.locator('.jp-LiveGraphs-ChartBuilder');
  await expect(builder).toBeVisible();
  await dragField(page, builder, 'country', 'X axis');
  await expect(builder.locator('.jp-LiveGraphs-ChartView')).toHaveAttribute(
    'data-lg-state',
    'ready',
    { timeout: 30000 }
  );
  await dragField(page, builder, 'total', 'Y axis');

  // Then the bars are the joined sums (Nowhere has no country: left out)
  await expect.poll(() => bars(builder)).toEqual({ CH: 4, NO: 11, PE: 5 });

  // When sales get new rows and the saved dataset is refreshed from its view
  const more = await page.request.post(
    apiUrl(baseURL, 'datasets', salesId, 'data') + '?mode=append',
    { data: 'city,amount\nLima,20\n', headers: { 'Content-Type': 'text/csv' } }
  );
  expect(more.status()).toBe(201);
  await page.getByRole('tab', { name: saved, exact: true }).click();
  const toolbar = page
    .getByRole('tabpanel', { name: saved, exact: true })
    .getByRole('toolbar');
  const overflow = toolbar.getByRole('button', { name: 'More commands' });
  if (await overflow.isVisible()) {
    await overflow.click();
  }
  await page.getByRole('button', { name: 'Refresh from Sources' }).click();

  // Then the dataset has a new version, made by its query over the new rows
  await expect(view).toHaveAttribute('data-lg-version', '2', {
    timeout: 60000
  });
  await expect(view.getByRole('status')).toContainText('version 2');
  const rows = await page.request.get(
    apiUrl(baseURL, 'datasets', savedId, 'rows')
  );
  expect((await rows.json()).rows).toEqual([
    ['CH', 4],
    ['NO', 11],
    ['PE', 25]
  ]);
});

test('chart a SQL join without saving it', async ({ page, baseURL }) => {
  test.setTimeout(180_000);
  // Given two datasets: sales, and the country of each city
  const stamp = Date.now();
  const sales = `sales ${stamp}`;
  const cities = `cities ${stamp}`;
  await uploadViaApi(
    page.request,
    baseURL,
    sales,
    'city,amount\nOslo,10\nLima,5\nOslo,1\nZürich,4\nNowhere,99\n'
  );
  await uploadViaApi(
    page.request,
    baseURL,
    cities,
    'city,country\nOslo,NO\nLima,PE\nZürich,CH\n'
  );
  const listed = async (): Promise<number> =>
    (await (await page.request.get(apiUrl(baseURL, 'datasets'))).json())
      .datasets.length;
  const before = await listed();

  // When a join is written in the SQL editor and charted from its toolbar
  await page.sidebar.openTab(PANEL_ID);
  const panel = page.locator(`#${PANEL_ID}`);
  await panel.getByRole('button', { name: 'SQL' }).click();
  const editor = page.locator('.jp-LiveGraphs-SqlEditor');
  await expect(editor).toBeVisible();
  await editor.getByRole('textbox').click();
  await page.keyboard.press('Control+a');
  await page.keyboard.insertText(
    `select c.country, sum(s.amount) as total\nfrom "${sales}" s\njoin "${cities}" c using (city)\ngroup by c.country`
  );
  await page.getByRole('button', { name: 'Chart', exact: true }).click();

  // Then the builder lists the query's columns, and draws the joined sums
  const builder = page.locator('.jp-LiveGraphs-ChartBuilder');
  await expect(builder).toBeVisible({ timeout: 60000 });
  await expect(
    page.locator('.jp-LiveGraphs-BoundBuilderLabel', { hasText: 'SQL query' })
  ).toBeVisible();
  await dragField(page, builder, 'country', 'X axis');
  await expect(builder.locator('.jp-LiveGraphs-ChartView')).toHaveAttribute(
    'data-lg-state',
    'ready',
    { timeout: 60000 }
  );
  await dragField(page, builder, 'total', 'Y axis');
  // (each draw runs the query again, in a worker process)
  await expect
    .poll(() => bars(builder), { timeout: 30000 })
    .toEqual({ CH: 4, NO: 11, PE: 5 });
  // and nothing was saved as a dataset
  expect(await listed()).toBe(before);
});
