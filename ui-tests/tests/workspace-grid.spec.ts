import { expect, test } from '@jupyterlab/galata';

import {
  attachScreenshot,
  deleteAll,
  openPanel,
  uploadViaApi
} from './workspace-helpers';

const ROWS = 1_000_000;

/**
 * A CSV of `rows` rows: id (1-based), a label, a number.
 */
function bigCsv(rows: number): Buffer {
  const parts: string[] = ['id,label,value\n'];
  for (let i = 1; i <= rows; i++) {
    parts.push(`${i},item ${i % 977},${(i * 0.5) % 1000}\n`);
  }
  return Buffer.from(parts.join(''));
}

test.describe('the data grid', () => {
  test.setTimeout(240_000);

  test('a 1,000,000-row dataset opens at once and scrolls to its last row', async ({
    page,
    request,
    baseURL
  }, testInfo) => {
    // Given a dataset of a million rows
    await deleteAll(request, baseURL);
    const dataset = await uploadViaApi(request, baseURL, 'million', bigCsv(ROWS));
    expect(dataset.rows).toBe(ROWS);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    const panel = await openPanel(page);

    // (every page the grid asks the server for, to check none is asked twice)
    const pages: string[] = [];
    page.on('request', r => {
      const url = new URL(r.url());
      if (url.pathname.endsWith(`/datasets/${dataset.id}/rows`)) {
        pages.push(url.search);
      }
    });

    // When it is opened from the panel
    const item = panel.locator(`[data-dataset-id="${dataset.id}"]`);
    await expect(item).toContainText('1,000,000 rows');
    const view = page.locator(`#livegraphs-dataset-view-${dataset.id}`);
    const opened = Date.now();
    await item.dblclick();
    await expect(view).toHaveAttribute('data-lg-loaded', 'yes');
    const firstRows = Date.now() - opened;

    // Then its first rows show, and the keyboard takes it to the last row
    const grid = view.locator('.jp-LiveGraphs-grid');
    const box = (await grid.boundingBox())!;
    await page.mouse.click(box.x + 72 + 70, box.y + 28 + 12);
    await expect(view.locator('.jp-LiveGraphs-viewInfo')).toContainText(
      'Row 1 of 1,000,000 rows'
    );
    const scrolled = Date.now();
    await page.keyboard.press('Control+ArrowDown');
    await expect(view).toHaveAttribute('data-lg-last-row-loaded', 'yes');
    await expect(view.locator('.jp-LiveGraphs-viewInfo')).toContainText(
      'Row 1,000,000 of 1,000,000 rows'
    );
    const lastRow = Date.now() - scrolled;

    // And only the blocks in view were read, each once
    expect(pages.length).toBeGreaterThanOrEqual(2);
    expect(pages.length).toBeLessThan(20);
    expect(new Set(pages).size).toBe(pages.length);
    testInfo.annotations.push({
      type: 'pages read to reach the last row',
      description: String(pages.length)
    });

    // And the last row's cell copies as the right value
    await page.keyboard.press('Control+C');
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied.trim()).toBe(String(ROWS));

    // eslint-disable-next-line no-console
    console.log(
      `1,000,000 rows: first rows after ${firstRows} ms, last row after ${lastRow} ms`
    );
    testInfo.annotations.push(
      { type: 'time to first rows (ms)', description: String(firstRows) },
      { type: 'time to last row (ms)', description: String(lastRow) }
    );
    await attachScreenshot(page, testInfo, 'grid-last-row');

    // And a header click sorts by that column, largest first on a second click
    await page.mouse.click(box.x + 72 + 70, box.y + 14);
    await expect(view.locator('.jp-LiveGraphs-viewInfo')).toContainText('sorted by [id]');
    await page.mouse.click(box.x + 72 + 70, box.y + 14);
    await expect(view.locator('.jp-LiveGraphs-viewInfo')).toContainText('sorted by -[id]');
    await expect(view).toHaveAttribute('data-lg-loaded', 'yes');
    await page.mouse.click(box.x + 72 + 70, box.y + 28 + 12);
    await page.keyboard.press('Control+ArrowUp');
    await expect(view.locator('.jp-LiveGraphs-viewInfo')).toContainText(
      'Row 1 of 1,000,000 rows'
    );
    await expect(view).toHaveAttribute('data-lg-loaded', 'yes');
    await page.keyboard.press('Control+C');
    await expect
      .poll(() => page.evaluate(() => navigator.clipboard.readText()))
      .toBe(String(ROWS));
    await attachScreenshot(page, testInfo, 'grid-sorted');
  });
});
