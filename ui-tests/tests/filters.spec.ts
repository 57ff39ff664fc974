import { expect, test } from '@jupyterlab/galata';
import type { Locator, Page } from '@playwright/test';

import { dragField } from './builder-helpers';
import { uploadCSV } from './collab-helpers';
import { clickPoint } from './plot-helpers';

/**
 * Eight orders: amounts 5 to 50 (the maximum on a bin edge), three months.
 */
const CSV = [
  'day,region,amount',
  '2025-01-05,EMEA,5',
  '2025-01-20,APAC,12',
  '2025-02-03,EMEA,15',
  '2025-02-14,AMER,25',
  '2025-03-01,APAC,40',
  '2025-03-09,EMEA,50',
  '2025-03-20,EMEA,12',
  '2025-03-28,AMER,48'
].join('\n');

function upload(page: Page, baseURL: string) {
  return uploadCSV(page, baseURL, CSV, `orders-${Date.now()}`);
}

/**
 * The bars drawn, as {category: height}.
 */
function bars(plot: Locator): Promise<Record<string, number>> {
  return plot.evaluate((node: any) => {
    const out: Record<string, number> = {};
    for (const t of node.data ?? []) {
      Array.from(t.x ?? []).forEach((x: any, i: number) => (out[String(x)] = t.y[i]));
    }
    return out;
  });
}

/**
 * A list's values with their counts as shown, e.g. ["EMEA 4", "APAC 2"].
 */
function listed(list: Locator): Promise<string[]> {
  return list
    .locator('li:not([hidden]) label')
    .evaluateAll(items =>
      items.map(
        l =>
          `${l.querySelector('.jp-LiveGraphs-valueListName')!.textContent} ${l.querySelector('.jp-LiveGraphs-valueListCount')!.textContent}`
      )
    );
}

test.describe('typed filters in the chart builder', () => {
  test.use({ autoGoto: true });

  test('a values checklist, a number range and a date range give typed conditions', async ({
    page,
    baseURL
  }) => {
    // Given a builder on the orders, counting orders by region
    const dataset = await upload(page, baseURL!);
    await page.evaluate(async id => {
      const w = window as any;
      w.__builder = await w.jupyterapp.commands.execute('livegraphs:new-chart', {
        datasetId: id
      });
    }, dataset.id);
    const builder = page.locator('.jp-LiveGraphs-ChartBuilder');
    await expect(builder).toBeVisible();
    await dragField(page, builder, 'region', 'X axis');
    const chart = builder.locator('.jp-LiveGraphs-ChartView');
    await expect(chart).toHaveAttribute('data-lg-state', 'ready', { timeout: 30000 });
    const plot = builder.locator('.jp-LiveGraphs-chartPlot');
    await expect.poll(() => bars(plot)).toEqual({ AMER: 2, APAC: 2, EMEA: 4 });
    const spec = () => page.evaluate(() => (window as any).__builder.content.builder.spec);

    // When region is dropped on the Filters shelf
    await dragField(page, builder, 'region', 'Filters');
    const editor = page.locator('.jp-LiveGraphs-filterEditor');
    await expect(editor.getByRole('combobox', { name: 'Condition' })).toHaveValue('in');
    // Then its values are listed with their counts, the most frequent first
    const list = editor.getByRole('group', { name: 'Values' });
    await expect.poll(() => listed(list)).toEqual(['EMEA 4', 'AMER 2', 'APAC 2']);
    // When a search narrows the list and "All" picks what it found, twice
    const search = list.getByRole('searchbox', { name: 'Search values' });
    await search.fill('ap');
    await expect.poll(() => listed(list)).toEqual(['APAC 2']);
    await list.getByRole('button', { name: 'Select all values' }).click();
    await search.fill('am');
    await expect.poll(() => listed(list)).toEqual(['AMER 2']);
    await list.getByRole('button', { name: 'Select all values' }).click();
    // Then only those two are picked
    await search.fill('');
    await expect.poll(() => listed(list)).toHaveLength(3);
    await expect(list.getByRole('checkbox', { name: 'EMEA', exact: true })).not.toBeChecked();
    await expect(list.getByRole('checkbox', { name: 'AMER', exact: true })).toBeChecked();
    await editor.getByRole('button', { name: 'Apply' }).click();
    // Then the chart keeps those regions
    await expect.poll(() => bars(plot)).toEqual({ AMER: 2, APAC: 2 });

    // When amount is dropped on the Filters shelf
    await dragField(page, builder, 'amount', 'Filters');
    await expect(editor.getByRole('combobox', { name: 'Condition' })).toHaveValue('between');
    // Then its range is filled with the smallest and largest amounts, as numbers
    const min = editor.getByRole('spinbutton', { name: 'Minimum' });
    const max = editor.getByRole('spinbutton', { name: 'Maximum' });
    await expect(min).toHaveValue('5');
    await expect(max).toHaveValue('50');
    // When it is narrowed to 10..30
    await min.fill('10');
    await max.fill('30');
    await editor.getByRole('button', { name: 'Apply' }).click();
    // Then only APAC's 12 and AMER's 25 are left
    await expect.poll(() => bars(plot)).toEqual({ AMER: 1, APAC: 1 });

    // When day gets a date range from February to March 10
    await dragField(page, builder, 'day', 'Filters');
    await expect(editor.getByLabel('Minimum')).toHaveAttribute('type', 'date');
    await expect(editor.getByLabel('Minimum')).toHaveValue('2025-01-05');
    await expect(editor.getByLabel('Maximum')).toHaveValue('2025-03-28');
    await editor.getByLabel('Minimum').fill('2025-02-01');
    await editor.getByLabel('Maximum').fill('2025-03-10');
    await editor.getByRole('button', { name: 'Apply' }).click();
    // Then AMER's 25 of Feb 14 is left
    await expect.poll(() => bars(plot)).toEqual({ AMER: 1 });

    // And the spec's values keep their types
    expect((await spec()).filters).toEqual([
      { column: 'region', cmp: 'in', value: ['APAC', 'AMER'] },
      { column: 'amount', cmp: 'between', value: [10, 30] },
      { column: 'day', cmp: 'between', value: ['2025-02-01', '2025-03-10'] }
    ]);
    await expect(builder.getByRole('list', { name: 'Filters shelf' })).toContainText(
      'amount between 10 and 30'
    );
  });
});

function dashboard(name: string) {
  const base = { version: 1, dataset: { name } };
  return {
    version: 1,
    title: 'Orders',
    crossfilter: true,
    filters: [],
    charts: {
      hist: {
        spec: {
          ...base,
          mark: 'histogram',
          encoding: { x: { field: 'amount', bin: { maxbins: 5 } } }
        },
        layout: { x: 0, y: 0, w: 4, h: 4 }
      },
      monthly: {
        spec: {
          ...base,
          mark: 'line',
          encoding: { x: { field: 'day', timeUnit: 'month' } }
        },
        layout: { x: 4, y: 0, w: 4, h: 4 }
      },
      regions: {
        spec: { ...base, mark: 'bar', encoding: { x: { field: 'region' } } },
        layout: { x: 8, y: 0, w: 4, h: 4 }
      }
    }
  };
}

function cell(page: Page, id: string) {
  return page.locator(`.jp-LiveGraphs-DashboardCell[data-chart-id="${id}"]`);
}

async function filtersOf(page: Page, id: string): Promise<unknown> {
  const text = await cell(page, id)
    .locator('.jp-LiveGraphs-DashboardCellBody')
    .getAttribute('data-spec');
  return JSON.parse(text ?? 'null')?.filters ?? [];
}

test.describe('cross-filtering on bins and time units', () => {
  test('a histogram bin and a month filter the other charts to their spans', async ({
    page,
    baseURL,
    tmpPath
  }) => {
    // Given a dashboard with a histogram of amounts, orders by month and by region
    const dataset = await upload(page, baseURL!);
    const path = `${tmpPath}/orders.lgdash`;
    const created = await page.request.put(new URL(`api/contents/${path}`, `${baseURL}/`).href, {
      data: { type: 'file', format: 'text', content: JSON.stringify(dashboard(dataset.name)) }
    });
    expect(created.status()).toBeLessThan(300);
    await page.evaluate(async p => {
      await (window as any).jupyterapp.commands.execute('docmanager:open', { path: p });
    }, path);
    for (const id of ['hist', 'monthly', 'regions']) {
      await expect(cell(page, id).locator('.jp-LiveGraphs-ChartView')).toHaveAttribute(
        'data-lg-state',
        'ready',
        { timeout: 30000 }
      );
    }
    const regions = cell(page, 'regions').locator('.jp-LiveGraphs-chartPlot');
    await expect.poll(() => bars(regions)).toEqual({ AMER: 2, APAC: 2, EMEA: 4 });
    // (bins of 10 from 0; 50 lies on the last edge and joins the 40 bin)
    const hist = cell(page, 'hist').locator('.jp-LiveGraphs-chartPlot');
    await expect.poll(() => bars(hist)).toEqual({ 0: 1, 10: 3, 20: 1, 40: 3 });
    const starts = await hist.evaluate((node: any) => Array.from(node.data[0].x));

    // When the 10–20 bin is clicked
    await clickPoint(page, hist, starts.indexOf(10));
    // Then the other charts are filtered to 10 <= amount < 20
    const binFilter = [
      { column: 'amount', cmp: 'ge', value: 10 },
      { column: 'amount', cmp: 'lt', value: 20 }
    ];
    await expect.poll(() => filtersOf(page, 'regions')).toEqual(binFilter);
    await expect.poll(() => bars(regions)).toEqual({ APAC: 1, EMEA: 2 });
    expect(await filtersOf(page, 'monthly')).toEqual(binFilter);

    // When the last bin is clicked, its end is included (50)
    await clickPoint(page, hist, starts.indexOf(40));
    await expect
      .poll(() => filtersOf(page, 'regions'))
      .toEqual([
        { column: 'amount', cmp: 'ge', value: 40 },
        { column: 'amount', cmp: 'le', value: 50 }
      ]);
    await expect.poll(() => bars(regions)).toEqual({ AMER: 1, APAC: 1, EMEA: 1 });
    // and clicking it again clears it
    await clickPoint(page, hist, starts.indexOf(40));
    await expect.poll(() => filtersOf(page, 'regions')).toEqual([]);

    // When the March point of the monthly line is clicked (once the line is drawn unfiltered again)
    await expect.poll(() => filtersOf(page, 'monthly')).toEqual([]);
    await expect(cell(page, 'monthly').locator('.jp-LiveGraphs-ChartView')).toHaveAttribute(
      'data-lg-state',
      'ready'
    );
    const monthly = cell(page, 'monthly').locator('.jp-LiveGraphs-chartPlot');
    await expect
      .poll(() =>
        monthly.evaluate((node: any) => Array.from(node.data[0].x).map(m => String(m).slice(0, 7)))
      )
      .toEqual(['2025-01', '2025-02', '2025-03']);
    const months: string[] = await monthly.evaluate((node: any) =>
      Array.from(node.data[0].x).map(String)
    );
    const march = months.findIndex(m => m.startsWith('2025-03-01'));
    expect(march).toBeGreaterThanOrEqual(0);
    await clickPoint(page, monthly, march);
    // Then the others are filtered to the whole of March
    const monthFilter = [
      { column: 'day', cmp: 'ge', value: '2025-03-01' },
      { column: 'day', cmp: 'lt', value: '2025-04-01' }
    ];
    await expect.poll(() => filtersOf(page, 'regions')).toEqual(monthFilter);
    await expect.poll(() => bars(regions)).toEqual({ AMER: 1, APAC: 1, EMEA: 2 });
    await expect.poll(() => bars(hist)).toEqual({ 10: 1, 40: 3 });

    // When a range from mid-January to mid-February is dragged on the monthly axis
    const points = cell(page, 'monthly').locator('.scatterlayer .points path');
    const at = async (i: number) => {
      const box = (await points.nth(i).boundingBox())!;
      return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    };
    const [jan, feb, mar] = [
      await at(months.findIndex(m => m.startsWith('2025-01-01'))),
      await at(months.findIndex(m => m.startsWith('2025-02-01'))),
      await at(march)
    ];
    const y = Math.max(jan.y, feb.y, mar.y) + 4;
    await page.mouse.move((jan.x + feb.x) / 2, y);
    await page.mouse.down();
    await page.mouse.move((feb.x + mar.x) / 2, y + 2, { steps: 8 });
    await page.mouse.up();
    // Then the others are filtered to the one whole month starting inside it
    await expect
      .poll(() => filtersOf(page, 'regions'))
      .toEqual([
        { column: 'day', cmp: 'ge', value: '2025-02-01' },
        { column: 'day', cmp: 'lt', value: '2025-03-01' }
      ]);
    await expect.poll(() => bars(regions)).toEqual({ AMER: 1, EMEA: 1 });
  });

  test('dashboard range filters are typed: numbers and whole days', async ({
    page,
    baseURL,
    tmpPath
  }) => {
    const dataset = await upload(page, baseURL!);
    const path = `${tmpPath}/ranges.lgdash`;
    const doc = dashboard(dataset.name);
    doc.filters = [
      { id: 'f1', kind: 'range', dataset: dataset.name, column: 'amount', value: null },
      { id: 'f2', kind: 'daterange', dataset: dataset.name, column: 'day', value: null }
    ] as any;
    const created = await page.request.put(new URL(`api/contents/${path}`, `${baseURL}/`).href, {
      data: { type: 'file', format: 'text', content: JSON.stringify(doc) }
    });
    expect(created.status()).toBeLessThan(300);
    await page.evaluate(async p => {
      await (window as any).jupyterapp.commands.execute('docmanager:open', { path: p });
    }, path);
    const regions = cell(page, 'regions').locator('.jp-LiveGraphs-chartPlot');
    await expect.poll(() => bars(regions), { timeout: 30000 }).toEqual({
      AMER: 2,
      APAC: 2,
      EMEA: 4
    });
    const amount = page.locator('[data-filter-id="f1"]');
    const day = page.locator('[data-filter-id="f2"]');
    // The inputs show the data's range as a hint
    await expect(amount.getByLabel('Filter minimum')).toHaveAttribute('placeholder', '5');
    await expect(amount.getByLabel('Filter maximum')).toHaveAttribute('placeholder', '50');
    await expect(day.getByLabel('Filter minimum')).toHaveAttribute('type', 'date');

    // When amount is set to at least 12 and the days to March 1 to March 20
    await amount.getByLabel('Filter minimum').fill('12');
    await amount.getByLabel('Filter minimum').dispatchEvent('change');
    await day.getByLabel('Filter minimum').fill('2025-03-01');
    await day.getByLabel('Filter minimum').dispatchEvent('change');
    await day.getByLabel('Filter maximum').fill('2025-03-20');
    await day.getByLabel('Filter maximum').dispatchEvent('change');

    // Then the charts get a number and a range holding March 20 whole
    await expect
      .poll(() => filtersOf(page, 'regions'))
      .toEqual([
        { column: 'amount', cmp: 'ge', value: 12 },
        {
          combine: 'and',
          conditions: [
            { column: 'day', cmp: 'ge', value: '2025-03-01' },
            { column: 'day', cmp: 'lt', value: '2025-03-21' }
          ]
        }
      ]);
    await expect.poll(() => bars(regions)).toEqual({ APAC: 1, EMEA: 2 });
  });
});
