/**
 * "View rows": from a clicked bar to exactly the rows it counts, an
 * editable list of conditions, and one row's record, all values as text.
 */
import { expect, test } from '@jupyterlab/galata';
import type { Locator, Page } from '@playwright/test';

import { ALICE, createFile, openPath, uploadCSV } from './collab-helpers';
import { clickPoint } from './plot-helpers';

const LINK = '<a href="https://evil.example/phish">click me</a>';
const SCRIPT = 'javascript:window.__xss=1';
const LONG = `Die Zürcher Kundin schrieb: ${'sehr lange Notiz über Lieferungen, '.repeat(40)}Ende.`;

function quoted(text: string): string {
  return `"${text.replace(/"/g, '""')}"`;
}

/**
 * Nine orders in four regions; a region's name is a link, another a
 * `javascript:` URL, and one note is long.
 */
const CSV = [
  'order,region,amount,note',
  `1,EMEA,10.5,${quoted(LONG)}`,
  '2,APAC,20,short',
  `3,EMEA,5.25,${quoted(LINK)}`,
  '4,Zürich,7,',
  `5,${quoted(LINK)},1,${quoted(SCRIPT)}`,
  `6,${SCRIPT},3,plain`,
  '7,EMEA,2,x',
  '8,APAC,4,y',
  '9,Zürich,8,z'
].join('\n');

test.use({ mockUser: ALICE, autoGoto: true });

function chartSpec(name: string) {
  return {
    version: 1,
    dataset: { name },
    mark: 'bar',
    encoding: { x: { field: 'region' }, y: { aggregate: 'count' } }
  };
}

/**
 * The drawn bars: each category and its count, as Plotly holds them.
 */
async function bars(plot: Locator): Promise<{ x: string[]; y: number[] }> {
  return plot.evaluate((gd: any) => ({
    x: Array.from(gd.data?.[0]?.x ?? []),
    y: Array.from(gd.data?.[0]?.y ?? [])
  }));
}

async function drawnChart(page: Page, root: Locator): Promise<Locator> {
  const chart = root.locator('.jp-LiveGraphs-ChartView').first();
  await expect(chart).toHaveAttribute('data-lg-state', 'ready', {
    timeout: 60000
  });
  return chart;
}

/**
 * Click the bar of `category`, then "View rows": the dialog, and the bar's value.
 */
async function viewRowsOf(
  page: Page,
  chart: Locator,
  category: string
): Promise<{ dialog: Locator; value: number }> {
  const plot = chart.locator('.jp-LiveGraphs-chartPlot');
  await expect.poll(async () => (await bars(plot)).x.length).toBeGreaterThan(0);
  const { x, y } = await bars(plot);
  const index = x.indexOf(category);
  expect(index).toBeGreaterThanOrEqual(0);
  await clickPoint(page, plot, index);
  await chart.getByRole('button', { name: 'View rows' }).click();
  const dialog = page.getByRole('dialog', { name: /^Rows behind/ });
  await expect(dialog).toBeVisible();
  return { dialog, value: y[index] };
}

test('a bar\'s "View rows" lists exactly the rows it counts, and a record shows every field as text', async ({
  page,
  baseURL
}) => {
  await page.evaluate(() => ((window as any).__xss = undefined));
  const dataset = await uploadCSV(page, baseURL!, CSV, `orders-${Date.now()}`);
  const path = `drill-${Date.now()}.lgchart`;
  await createFile(page, baseURL!, path, chartSpec(dataset.name));
  await openPath(page, path);
  const builder = page.locator('.jp-LiveGraphs-ChartBuilder');
  const chart = await drawnChart(page, builder);

  // When the EMEA bar is clicked (no mark is picked before), then "View rows"
  await expect(chart.getByRole('button', { name: 'View rows' })).toBeHidden();
  const { dialog, value } = await viewRowsOf(page, chart, 'EMEA');

  // Then its rows are listed: as many as the bar counts, all of EMEA
  expect(value).toBe(3);
  await expect(dialog.getByRole('status')).toHaveText(`${value} rows`);
  const rows = dialog.getByRole('table', { name: 'Rows' }).locator('tbody tr');
  await expect(rows).toHaveCount(value);
  await expect(rows.locator('td:nth-child(3)')).toHaveText([
    'EMEA',
    'EMEA',
    'EMEA'
  ]);
  await expect(dialog.getByRole('heading')).toHaveText(
    'Rows behind region: EMEA'
  );
  // the mark's condition is the list's, and may be edited
  const conditions = dialog.getByRole('list', { name: 'Conditions' });
  await expect(
    conditions.getByRole('textbox', { name: 'Value on region' })
  ).toHaveValue('EMEA');

  // When a record is opened
  await dialog.getByRole('button', { name: 'Open record 1' }).click();
  const record = dialog.getByRole('region', { name: 'Record 1' });
  await expect(record).toBeVisible();
  // Then every field is there, the long note whole and wrapped in its box
  await expect(record.locator('dt')).toHaveText([
    'order',
    'region',
    'amount',
    'note'
  ]);
  await expect(record.locator('dd')).toHaveText(['1', 'EMEA', '10.5', LONG]);
  const note = record.locator('.jp-LiveGraphs-DrillFieldValue').nth(3);
  const box = await note.evaluate(node => ({
    wraps: getComputedStyle(node).whiteSpace,
    fits: node.scrollWidth <= node.clientWidth + 1
  }));
  expect(box).toEqual({ wraps: 'pre-wrap', fits: true });

  // A link in the data is shown as its text, never made live
  await dialog.getByRole('button', { name: 'Back to the rows' }).click();
  await dialog.getByRole('button', { name: 'Open record 2' }).click();
  await expect(
    dialog.getByRole('region', { name: 'Record 2' }).locator('dd').nth(3)
  ).toHaveText(LINK);
  await expect(dialog.locator('a')).toHaveCount(0);
  await page.keyboard.press('Escape');
  await expect(dialog.getByRole('table', { name: 'Rows' })).toBeVisible();

  // When the condition is edited to another region, then removed
  const input = conditions.getByRole('textbox', { name: 'Value on region' });
  await input.fill('Zürich');
  await input.press('Enter');
  await expect(dialog.getByRole('status')).toHaveText('2 rows');
  await expect(rows.locator('td:nth-child(3)')).toHaveText([
    'Zürich',
    'Zürich'
  ]);
  await conditions
    .getByRole('button', { name: 'Remove the condition on region' })
    .click();
  await expect(dialog.getByRole('status')).toHaveText('9 rows');
  await dialog.getByRole('button', { name: 'Close the rows' }).click();
  await expect(dialog).toBeHidden();

  // The bars named by a link and by a javascript: URL drill as text too
  for (const category of [LINK, SCRIPT]) {
    const drawn = (
      await bars(chart.locator('.jp-LiveGraphs-chartPlot'))
    ).x.find(x => (category === LINK ? x.includes('click me') : x === SCRIPT))!;
    const opened = await viewRowsOf(page, chart, drawn);
    expect(opened.value).toBe(1);
    await expect(opened.dialog.getByRole('status')).toHaveText('1 row');
    await opened.dialog.getByRole('button', { name: 'Open record 1' }).click();
    await expect(opened.dialog.locator('dd').nth(1)).toHaveText(category);
    await expect(opened.dialog.locator('a')).toHaveCount(0);
    await opened.dialog.getByRole('button', { name: 'Close the rows' }).click();
  }
  expect(await page.evaluate(() => (window as any).__xss)).toBeUndefined();
});

test('"View rows" from a dashboard\'s chart', async ({ page, baseURL }) => {
  const dataset = await uploadCSV(page, baseURL!, CSV, `orders-${Date.now()}`);
  const path = `drill-${Date.now()}.lgdash`;
  await createFile(page, baseURL!, path, {
    version: 1,
    title: 'Orders',
    crossfilter: true,
    filters: [],
    charts: {
      c1: {
        spec: {
          ...chartSpec(dataset.name),
          encoding: {
            x: { field: 'region' },
            y: { field: 'amount', aggregate: 'sum' }
          }
        },
        layout: { x: 0, y: 0, w: 6, h: 4 }
      }
    }
  });
  await openPath(page, path);
  const cell = page.locator('.jp-LiveGraphs-DashboardCell[data-chart-id="c1"]');
  const chart = await drawnChart(page, cell);
  const { dialog, value } = await viewRowsOf(page, chart, 'APAC');
  // the rows of the APAC bar, whose value is their amounts' sum
  expect(value).toBe(24);
  await expect(dialog.getByRole('status')).toHaveText('2 rows');
  const amounts = await dialog
    .getByRole('table', { name: 'Rows' })
    .locator('tbody tr td:nth-child(4)')
    .allTextContents();
  expect(amounts.map(Number).reduce((a, b) => a + b, 0)).toBe(value);
});
