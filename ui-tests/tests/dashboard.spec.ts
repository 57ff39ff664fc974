import { expect, galata, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { Locator, Page } from '@playwright/test';

const CSV = [
  'month,region,revenue,units',
  '2025-01-01,EMEA,100,1',
  '2025-01-01,APAC,50,2',
  '2025-01-01,<b>LATAM</b>,10,1',
  '2025-02-01,EMEA,300,3',
  '2025-02-01,APAC,20,1',
  '2025-02-01,<b>LATAM</b>,30,3'
].join('\n');

/**
 * A dashboard on the dataset `name`, with the charts given (by default one
 * bar chart of revenue).
 */
function dashboard(name: string, charts?: { [id: string]: any }) {
  return {
    version: 1,
    title: 'Sales',
    crossfilter: true,
    filters: [],
    charts: charts ?? {
      c1: {
        spec: {
          version: 1,
          dataset: { name },
          mark: 'bar',
          encoding: {
            x: { field: 'region' },
            y: { field: 'revenue', aggregate: 'sum' }
          }
        },
        layout: { x: 0, y: 0, w: 6, h: 4 }
      }
    }
  };
}

async function upload(page: Page, baseURL: string): Promise<string> {
  const name = `sales-${Date.now()}`;
  const url = new URL('livegraphs/api/datasets', `${baseURL}/`);
  url.searchParams.set('name', name);
  const response = await page.request.post(url.href, {
    data: CSV,
    headers: { 'Content-Type': 'text/csv' }
  });
  expect(response.status()).toBe(201);
  return name;
}

async function createFile(
  page: Page,
  baseURL: string,
  path: string,
  content: unknown
): Promise<void> {
  const url = new URL(`api/contents/${path}`, `${baseURL}/`);
  const created = await page.request.put(url.href, {
    data: { type: 'file', format: 'text', content: JSON.stringify(content, null, 2) }
  });
  expect(created.status()).toBeLessThan(300);
}

function user(name: string, initials: string, color: string) {
  return {
    identity: {
      username: name.toLowerCase(),
      name,
      display_name: name,
      initials,
      color,
      avatar_url: null
    },
    permissions: {}
  };
}

test.use({ mockUser: user('Alice', 'AL', '#1f77b4') });

async function open(page: Page, path: string): Promise<void> {
  await page.evaluate(async p => {
    await (window as any).jupyterapp.commands.execute('docmanager:open', {
      path: p
    });
  }, path);
  await expect(page.locator('.jp-LiveGraphs-Dashboard')).toBeVisible();
}

function cell(page: Page, id: string) {
  return page.locator(`.jp-LiveGraphs-DashboardCell[data-chart-id="${id}"]`);
}

async function specOf(page: Page, id: string): Promise<any> {
  const text = await cell(page, id)
    .locator('.jp-LiveGraphs-DashboardCellBody')
    .getAttribute('data-spec');
  return JSON.parse(text ?? 'null');
}

async function savedFile(page: Page, baseURL: string, path: string) {
  const url = new URL(`api/contents/${path}`, `${baseURL}/`);
  url.searchParams.set('content', '1');
  const response = await page.request.get(url.href);
  expect(response.status()).toBe(200);
  const text: string = (await response.json()).content;
  // The server writes the file in place; a read can meet it half-written,
  // which the caller's poll reads again.
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

test.describe('collaborative dashboards', () => {
  let guest: IJupyterLabPageFixture;
  let path: string;
  let dataset: string;

  test.beforeEach(async ({ page, baseURL, browser, tmpPath, waitForApplication }) => {
    // Given a dataset and a dashboard file with one chart on it
    dataset = await upload(page, baseURL!);
    path = `${tmpPath}/sales.lgdash`;
    await createFile(page, baseURL!, path, dashboard(dataset));
    // opened by Alice (page) and by Bob (a second browser context)
    guest = (
      await galata.newPage({
        baseURL: baseURL!,
        browser,
        tmpPath,
        waitForApplication,
        mockUser: user('Bob', 'BO', '#ff7f0e')
      })
    ).page;
    await open(page, path);
    await open(guest, path);
    await expect(cell(page, 'c1')).toBeVisible();
    await expect(cell(guest, 'c1')).toBeVisible();
    // with the chart drawn for both (the first chart of a page also loads Plotly)
    for (const p of [page, guest]) {
      await expect(cell(p, 'c1').locator('.jp-LiveGraphs-ChartView')).toHaveAttribute(
        'data-lg-state',
        'ready',
        { timeout: 30000 }
      );
    }
  });

  test.afterEach(async () => {
    await guest.context().close();
  });

  test('a chart added by one person appears for the other', async ({ page }) => {
    // When Alice adds a chart
    await page.getByRole('button', { name: 'Add chart' }).click();
    // Then Bob sees it without a reload
    await expect(guest.locator('.jp-LiveGraphs-DashboardCell')).toHaveCount(2);
    await expect(page.locator('.jp-LiveGraphs-DashboardCell')).toHaveCount(2);
  });

  test('edits of different shelves of one chart made at the same moment both survive, also in the file', async ({
    page,
    baseURL
  }) => {
    // Given both edit chart c1
    await cell(page, 'c1').getByRole('button', { name: 'Edit chart' }).click();
    await cell(guest, 'c1').getByRole('button', { name: 'Edit chart' }).click();
    // and each sees the other editing it (presence)
    await expect(
      cell(guest, 'c1').locator('.jp-LiveGraphs-DashboardBadge[data-user="Alice"]')
    ).toBeVisible();
    await expect(
      cell(page, 'c1').locator('.jp-LiveGraphs-DashboardBadge[data-user="Bob"]')
    ).toBeVisible();
    // When Alice puts "month" on x and Bob "channel" on color, committed together
    const x = cell(page, 'c1').getByLabel('x field');
    const color = cell(guest, 'c1').getByLabel('color field');
    await x.fill('month');
    await color.fill('channel');
    await Promise.all([x.dispatchEvent('change'), color.dispatchEvent('change')]);
    // Then both edits are in both views
    for (const p of [page, guest]) {
      await expect
        .poll(async () => (await specOf(p, 'c1'))?.encoding)
        .toEqual({
          x: { field: 'month' },
          y: { field: 'revenue', aggregate: 'sum' },
          color: { field: 'channel' }
        });
    }
    // and the server saves both to the file
    await expect
      .poll(async () => (await savedFile(page, baseURL!, path))?.charts.c1.spec.encoding, {
        timeout: 15000
      })
      .toEqual({
        x: { field: 'month' },
        y: { field: 'revenue', aggregate: 'sum' },
        color: { field: 'channel' }
      });
  });

  test('moving a chart and a dashboard filter reach the other person', async ({ page, baseURL }) => {
    // When Alice drags chart c1 down by two rows
    const header = cell(page, 'c1').locator('.jp-LiveGraphs-DashboardCellHeader');
    const box = (await header.boundingBox())!;
    await page.mouse.move(box.x + 20, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + 20, box.y + box.height / 2 + 64, { steps: 4 });
    // while Bob renames the dashboard (a remote edit arriving mid-drag)
    const title = guest.getByLabel('Dashboard title');
    await title.fill('Sales 2025');
    await title.dispatchEvent('change');
    await expect(page.getByLabel('Dashboard title')).toHaveValue('Sales 2025');
    await page.mouse.move(box.x + 20, box.y + box.height / 2 + 2 * 72, { steps: 4 });
    await page.mouse.up();
    // Then Bob sees it moved
    await expect(cell(guest, 'c1')).toHaveAttribute('data-layout', '0,2,6,4');
    // When Bob adds a dropdown filter on the chart's dataset
    await guest.getByLabel('Dataset for new charts and filters').fill(dataset);
    await guest.getByRole('button', { name: 'Add filter' }).click();
    const filter = guest.locator('.jp-LiveGraphs-DashboardFilter');
    await filter.getByLabel('Filter column').fill('region');
    await filter.getByLabel('Filter column').dispatchEvent('change');
    // and ticks two values in the list of the column's values
    await filter.getByRole('button', { name: 'Filter values' }).click();
    const values = guest.getByRole('dialog', { name: 'Values of region' });
    await values.getByRole('checkbox', { name: 'EMEA', exact: true }).check();
    await values.getByRole('checkbox', { name: 'APAC', exact: true }).check();
    await expect(filter.getByRole('button', { name: 'Filter values' })).toHaveText(
      'EMEA, APAC'
    );
    // Then Alice's chart is queried with the filter as a spec condition
    await expect
      .poll(async () => (await specOf(page, 'c1'))?.filters)
      .toEqual([{ column: 'region', cmp: 'in', value: ['EMEA', 'APAC'] }]);
    // and the file holds the filter and the new position
    await expect
      .poll(async () => {
        const saved = await savedFile(page, baseURL!, path);
        return [saved?.charts.c1.layout, saved?.filters[0]?.value];
      }, { timeout: 15000 })
      .toEqual([{ x: 0, y: 2, w: 6, h: 4 }, ['EMEA', 'APAC']]);
  });
});

/**
 * The values Plotly drew in a dashboard cell's chart, trace by trace.
 */
function drawn(page: Page, id: string): Promise<unknown[][]> {
  return cell(page, id)
    .locator('.jp-LiveGraphs-chartPlot')
    .evaluate((node: any) => (node.data ?? []).map((t: any) => Array.from(t.y ?? [])));
}

/**
 * Click a mark where it is drawn; Plotly's drag layer lies over the marks
 * and turns the click into its pick.
 */
async function clickMark(page: Page, mark: Locator): Promise<void> {
  const box = (await mark.boundingBox())!;
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
}

test.describe('cross-filtering', () => {
  test('clicking a bar filters the other charts of the dataset; clicking it again clears it', async ({
    page,
    baseURL,
    tmpPath
  }) => {
    // Given a dashboard with revenue by region and units by month on one dataset
    const dataset = await upload(page, baseURL!);
    const path = `${tmpPath}/cross.lgdash`;
    await createFile(
      page,
      baseURL!,
      path,
      dashboard(dataset, {
        c1: {
          spec: {
            version: 1,
            dataset: { name: dataset },
            mark: 'bar',
            encoding: { x: { field: 'region' }, y: { field: 'revenue', aggregate: 'sum' } }
          },
          layout: { x: 0, y: 0, w: 6, h: 4 }
        },
        c2: {
          spec: {
            version: 1,
            dataset: { name: dataset },
            mark: 'bar',
            encoding: { x: { field: 'month' }, y: { field: 'units', aggregate: 'sum' } }
          },
          layout: { x: 6, y: 0, w: 6, h: 4 }
        }
      })
    );
    await open(page, path);
    for (const id of ['c1', 'c2']) {
      await expect(cell(page, id).locator('.jp-LiveGraphs-ChartView')).toHaveAttribute(
        'data-lg-state',
        'ready',
        { timeout: 30000 }
      );
    }
    const before = await drawn(page, 'c2');
    expect(before).toEqual([[4, 7]]);
    expect((await specOf(page, 'c2')).filters ?? []).toEqual([]);

    // When the EMEA bar of chart 1 is clicked
    const bars = cell(page, 'c1').locator('.bars .point path');
    await expect(bars).toHaveCount(3);
    const regions = await cell(page, 'c1')
      .locator('.jp-LiveGraphs-chartPlot')
      .evaluate((node: any) => Array.from(node.data[0].x));
    const emea = regions.indexOf('EMEA');
    expect(emea).toBeGreaterThanOrEqual(0);
    await clickMark(page, bars.nth(emea));

    // Then chart 2 is queried with the region as a condition, and draws EMEA's units only
    await expect
      .poll(async () => (await specOf(page, 'c2')).filters)
      .toEqual([{ column: 'region', cmp: 'in', value: ['EMEA'] }]);
    await expect.poll(() => drawn(page, 'c2')).toEqual([[1, 3]]);
    // and chart 1 itself is not filtered by its own selection
    expect((await specOf(page, 'c1')).filters ?? []).toEqual([]);

    // When the same bar is clicked again, the condition goes and chart 2 is whole again
    await clickMark(page, bars.nth(emea));
    await expect.poll(async () => (await specOf(page, 'c2')).filters ?? []).toEqual([]);
    await expect.poll(() => drawn(page, 'c2')).toEqual(before);
  });
});
