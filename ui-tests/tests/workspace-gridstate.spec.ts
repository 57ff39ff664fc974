import { expect, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';

import {
  apiUrl,
  attachScreenshot,
  deleteAll,
  flightsCsv,
  openDataset,
  openPanel,
  uploadViaApi
} from './workspace-helpers';

const ROWS = 140;
const ROW_HEADER = 72;
const COLUMN = 140;
// a step rewrites the dataset on a shared, loaded test machine
const STEP = { timeout: 30_000 };

/**
 * Whether the middle of `target` is `target` itself, not something drawn over it.
 */
async function onTop(target: Locator): Promise<boolean> {
  const box = (await target.boundingBox())!;
  return target.evaluate(
    (node, [x, y]) => node.contains(document.elementFromPoint(x, y)),
    [box.x + box.width / 2, box.y + box.height / 2]
  );
}

/**
 * A CSS variable's colour as `rgb(r, g, b)`.
 */
async function cssColor(target: Locator, variable: string): Promise<string> {
  return target.evaluate((node, name) => {
    const probe = document.createElement('div');
    probe.style.color = `var(${name})`;
    node.appendChild(probe);
    const color = getComputedStyle(probe).color;
    probe.remove();
    return color;
  }, variable);
}

test.describe('the grid shows its state', () => {
  test.setTimeout(180_000);
  // The analyst's screen: 1440 pixels wide, the Datasets panel open
  test.use({ viewport: { width: 1440, height: 900 } });

  test('the status line (rows, version, sort) is readable above the grid, in light and dark', async ({
    page,
    request,
    baseURL
  }, testInfo) => {
    await deleteAll(request, baseURL);
    const dataset = await uploadViaApi(request, baseURL, 'flights', flightsCsv(ROWS));
    const panel = await openPanel(page);
    const view = await openDataset(page, panel, dataset);
    const status = view.getByRole('status');
    const grid = view.locator('.jp-LiveGraphs-grid');

    // Then the status line has the height of its text and nothing covers it
    await expect(status).toHaveText(`${ROWS} rows · 19 columns · version 1`);
    const text = (await status.boundingBox())!;
    const fontSize = await status.evaluate(n =>
      parseFloat(getComputedStyle(n).fontSize)
    );
    expect(text.height).toBeGreaterThanOrEqual(fontSize * 1.4);
    expect(await onTop(status)).toBe(true);
    const gridBox = (await grid.boundingBox())!;
    expect(gridBox.y).toBeGreaterThanOrEqual(text.y + text.height - 1);
    // (the status line holds the text and the side panel's toggle)
    const line = view.locator('.jp-LiveGraphs-viewInfo');

    // When a header is clicked and a cell selected, it says so
    await page.mouse.click(gridBox.x + ROW_HEADER + COLUMN / 2, gridBox.y + 14);
    await expect(status).toContainText('sorted by [year]');
    await page.mouse.click(gridBox.x + ROW_HEADER + COLUMN / 2, gridBox.y + 28 + 12);
    await expect(status).toHaveText(
      `Row 1 of ${ROWS} rows · 19 columns · version 1 · sorted by [year]`
    );

    for (const theme of ['light', 'dark']) {
      if (theme === 'dark') {
        await page.theme.setDarkTheme();
      }
      // in the theme's own colours
      await expect
        .poll(() => status.evaluate(n => getComputedStyle(n).color))
        .toBe(await cssColor(status, '--jp-ui-font-color1'));
      await expect
        .poll(() => line.evaluate(n => getComputedStyle(n).backgroundColor))
        .toBe(await cssColor(status, '--jp-layout-color1'));
      expect(await onTop(status)).toBe(true);
      await attachScreenshot(page, testInfo, `status-line-${theme}`, line);
      await attachScreenshot(
        page,
        testInfo,
        `grid-${theme}`,
        page.locator('.jp-MainAreaWidget', { has: view })
      );
    }
  });

  test('on a narrow screen the side panel starts hidden and the toolbar toggles it', async ({
    page,
    request,
    baseURL
  }, testInfo) => {
    await deleteAll(request, baseURL);
    const flights = await uploadViaApi(request, baseURL, 'flights', flightsCsv(ROWS));
    const panel = await openPanel(page);
    const view = await openDataset(page, panel, flights);
    const grid = view.locator('.jp-LiveGraphs-grid');
    const report = view.getByRole('tab', { name: 'Report' });

    // Then the grid has the width: at least 7 of the 19 columns show
    const shown = async () =>
      ((await grid.boundingBox())!.width - ROW_HEADER) / COLUMN;
    expect(await shown()).toBeGreaterThanOrEqual(7);
    await expect(report).toBeHidden();
    await expect(view).toHaveAttribute('data-lg-side', 'hidden');

    // When the toolbar's toggle is pressed, the report, recipe and profile show
    const toggle = view.getByRole('button', { name: 'Side Panel' });
    await expect(toggle).toHaveAttribute('aria-pressed', 'false');
    await toggle.click();
    await expect(toggle).toHaveAttribute('aria-pressed', 'true');
    await expect(report).toBeVisible();
    await expect(view.getByRole('tab', { name: 'Recipe' })).toBeVisible();
    expect(await shown()).toBeLessThan(7);
    await attachScreenshot(page, testInfo, 'side-panel-shown');

    // And pressed again, they hide
    await toggle.click();
    await expect(toggle).toHaveAttribute('aria-pressed', 'false');
    await expect(report).toBeHidden();
    expect(await shown()).toBeGreaterThanOrEqual(7);

    // A table whose few columns all fit beside the panel opens with it shown
    const small = await uploadViaApi(
      request,
      baseURL,
      'small',
      'city,temp,day\nOslo,-3.5,2024-01-01\nLima,24.0,2024-01-01\n'
    );
    const other = await openDataset(page, panel, small);
    await expect(other).toHaveAttribute('data-lg-side', 'shown');
    await expect(other.getByRole('tab', { name: 'Report' })).toBeVisible();
  });

  test('Drop Nulls and Rename are in the toolbar and act on the selected column', async ({
    page,
    request,
    baseURL
  }) => {
    await deleteAll(request, baseURL);
    const dataset = await uploadViaApi(request, baseURL, 'flights', flightsCsv(ROWS));
    const depTime = dataset.columns.find((c: any) => c.name === 'dep_time');
    expect(depTime).toMatchObject({ type: 'integer', nulls: 20 });
    const panel = await openPanel(page);
    const view = await openDataset(page, panel, dataset);
    const status = view.getByRole('status');
    const dialog = page.locator('.jp-Dialog');
    const box = (await view.locator('.jp-LiveGraphs-grid').boundingBox())!;

    // When a cell of dep_time (the fourth column) is selected and Drop Nulls pressed
    await page.mouse.click(
      box.x + ROW_HEADER + 3 * COLUMN + COLUMN / 2,
      box.y + 28 + 12
    );
    await expect(view).toHaveAttribute('data-lg-column', 'dep_time');
    await page.getByRole('button', { name: 'Drop Nulls', exact: true }).click();
    await expect(dialog.getByLabel('Drop rows with a null in')).toHaveValue(
      'dep_time'
    );
    await dialog.getByRole('button', { name: 'Drop rows' }).click();

    // Then the rows with no departure time are gone
    await expect(view).toHaveAttribute('data-lg-version', '2', STEP);
    await expect(status).toContainText(`${ROWS - 20} rows · 19 columns · version 2`);

    // When tailnum (eight columns to the right) is selected and Rename pressed
    await view.locator('.jp-LiveGraphs-grid').click({
      position: { x: ROW_HEADER + 3 * COLUMN + COLUMN / 2, y: 28 + 12 }
    });
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('ArrowRight');
    }
    await expect(view).toHaveAttribute('data-lg-column', 'tailnum');
    await page.getByRole('button', { name: 'Rename', exact: true }).click();
    await expect(dialog.getByLabel('Column', { exact: true })).toHaveValue('tailnum');
    await dialog.getByLabel('New name').fill('tail_number');
    await dialog.getByRole('button', { name: 'Rename' }).click();

    // Then the column has its new name
    await expect(view).toHaveAttribute('data-lg-version', '3', STEP);
    const now = await (
      await request.get(apiUrl(baseURL, 'datasets', dataset.id))
    ).json();
    expect(now.columns.map((c: any) => c.name)).toContain('tail_number');
    expect(now.columns.map((c: any) => c.name)).not.toContain('tailnum');
  });
});
