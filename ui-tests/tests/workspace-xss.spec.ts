import { expect, test } from '@jupyterlab/galata';

import {
  attachScreenshot,
  datasetItem,
  deleteAll,
  openDataset,
  openPanel,
  showSidePanel,
  uploadViaApi
} from './workspace-helpers';

const IMG = '<img src=x onerror="window.__lgXss=1">';
const SVG = '"><svg onload="window.__lgXss=2">';
const NAME = '<img src=x onerror="window.__lgXss=3">';

function csvCell(text: string): string {
  return `"${text.replace(/"/g, '""')}"`;
}

test('hostile names and values show as text and run nothing', async ({
  page,
  request,
  baseURL
}, testInfo) => {
  // Given a dataset whose name, column names and values are HTML payloads
  await deleteAll(request, baseURL);
  const csv = [
    [IMG, SVG, 'n'].map(csvCell).join(','),
    [SVG, IMG, '1'].map(csvCell).join(','),
    [IMG, SVG, '2'].map(csvCell).join(','),
    ''
  ].join('\n');
  const dataset = await uploadViaApi(request, baseURL, NAME, csv);
  expect(dataset.columns.map((c: any) => c.name)).toEqual([IMG, SVG, 'n']);

  // When it is listed, opened, profiled, renamed and its recipe shown
  const panel = await openPanel(page);
  const item = datasetItem(panel, NAME);
  await expect(item.locator('.jp-LiveGraphs-datasetName')).toHaveText(NAME);
  await expect(item.locator('.jp-LiveGraphs-datasetColumns')).toContainText(
    `${IMG}: string, ${SVG}: string`
  );
  const view = await openDataset(page, panel, dataset);
  await showSidePanel(page, view);
  const report = view.locator('.jp-LiveGraphs-ReportView');
  await expect(report.locator(`tr[data-column="${IMG.replace(/"/g, '\\"')}"]`)).toContainText(IMG);

  // the first column's header: select it and read its profile
  const grid = view.locator('.jp-LiveGraphs-grid');
  const box = (await grid.boundingBox())!;
  await page.mouse.click(box.x + 72 + 70, box.y + 28 + 12);
  await view.getByRole('tab', { name: 'Profile' }).click();
  const profile = view.locator('.jp-LiveGraphs-ProfileView');
  await expect(profile.locator('.jp-LiveGraphs-profileTitle')).toHaveText(/img src=x/);
  await expect(profile.locator('.jp-LiveGraphs-topValue')).toHaveText([SVG, IMG]);
  await attachScreenshot(page, testInfo, 'xss-profile');

  // a rename to another payload, through the column menu's dialog
  await page.mouse.click(box.x + 72 + 70, box.y + 14, { button: 'right' });
  await page.locator('.jp-LiveGraphs-columnMenu').getByText('Rename Column…').click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog.getByLabel('Column', { exact: true })).toHaveValue(IMG);
  await dialog.getByLabel('New name').fill(SVG + ' 2');
  await dialog.getByRole('button', { name: 'Rename' }).click();
  await expect(view).toHaveAttribute('data-lg-version', '2');
  await view.getByRole('tab', { name: 'Recipe' }).click();
  await expect(view.locator('.jp-LiveGraphs-recipeText').last()).toContainText(SVG);
  await attachScreenshot(page, testInfo, 'xss-recipe');

  // the delete confirmation names it too
  await item.click({ button: 'right' });
  await page.getByRole('menuitem', { name: 'Delete Dataset…' }).click();
  await expect(dialog).toContainText(NAME);
  await attachScreenshot(page, testInfo, 'xss-delete-dialog');
  await dialog.getByRole('button', { name: 'Cancel' }).click();

  // Then nothing ran and no element was made from the text
  expect(await page.evaluate(() => (window as any).__lgXss)).toBeUndefined();
  expect(
    await page.evaluate(
      () => document.querySelectorAll('img[src="x"], svg[onload], [onerror]').length
    )
  ).toBe(0);
});
