import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';
import { Page } from '@playwright/test';

import { dragField, shelf } from './builder-helpers';
import { clickPoint } from './plot-helpers';
import {
  ALICE,
  createFile,
  test,
  openPath,
  savedFile,
  uploadCSV
} from './collab-helpers';

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

test.use({ mockUser: ALICE });

async function upload(page: Page, baseURL: string): Promise<string> {
  return (await uploadCSV(page, baseURL, CSV)).name;
}

async function open(page: Page, path: string): Promise<void> {
  await openPath(page, path);
  await expect(page.locator('.jp-LiveGraphs-Dashboard')).toBeVisible();
}

function cell(page: Page, id: string) {
  return page.locator(`.jp-LiveGraphs-DashboardCell[data-chart-id="${id}"]`);
}

/**
 * The builder open on a dashboard chart.
 */
function builderOf(page: Page) {
  return page.locator('.jp-LiveGraphs-ChartBuilderPanel .jp-LiveGraphs-ChartBuilder');
}

async function specOf(page: Page, id: string): Promise<any> {
  const text = await cell(page, id)
    .locator('.jp-LiveGraphs-DashboardCellBody')
    .getAttribute('data-spec');
  return JSON.parse(text ?? 'null');
}

test.describe('collaborative dashboards', () => {
  let guest: IJupyterLabPageFixture;
  let path: string;
  let dataset: string;

  test.beforeEach(async ({ page, baseURL, tmpPath, openGuest }) => {
    // Given a dataset and a dashboard file with one chart on it
    dataset = await upload(page, baseURL!);
    path = `${tmpPath}/sales.lgdash`;
    await createFile(page, baseURL!, path, dashboard(dataset));
    // opened by Alice (page) and by Bob (a second browser context)
    guest = await openGuest();
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
    // Given both edit chart c1, which opens it in the builder for each
    await cell(page, 'c1').getByRole('button', { name: 'Edit chart' }).click();
    await cell(guest, 'c1').getByRole('button', { name: 'Edit chart' }).click();
    const mine = builderOf(page);
    const theirs = builderOf(guest);
    for (const b of [mine, theirs]) {
      await expect(b.locator('.jp-LiveGraphs-field[data-field="units"]')).toBeVisible();
    }
    // and each sees the other editing it (presence)
    await expect(
      cell(guest, 'c1').locator('.jp-LiveGraphs-DashboardBadge[data-user="Alice"]')
    ).toBeVisible();
    await expect(
      cell(page, 'c1').locator('.jp-LiveGraphs-DashboardBadge[data-user="Bob"]')
    ).toBeVisible();
    // When Alice drops month on X and Bob units on Color, at the same moment
    await Promise.all([
      dragField(page, mine, 'month', 'X axis'),
      dragField(guest, theirs, 'units', 'Color')
    ]);
    // Then both edits are in both views
    const both = {
      x: { field: 'month', timeUnit: 'month' },
      y: { field: 'revenue', aggregate: 'sum' },
      color: { field: 'units' }
    };
    for (const p of [page, guest]) {
      await expect.poll(async () => (await specOf(p, 'c1'))?.encoding).toEqual(both);
    }
    // and the server saves both to the file
    await expect
      .poll(async () => (await savedFile(page, baseURL!, path))?.charts.c1.spec.encoding, {
        timeout: 15000
      })
      .toEqual(both);
  });

  test('a dashboard has no second chart form: editing a chart opens the builder, and its drop shows on the other page', async ({
    page
  }) => {
    // When Alice edits chart c1
    await cell(page, 'c1').getByRole('button', { name: 'Edit chart' }).click();
    // Then the drag-and-drop builder opens on it, and the cell grows no form of its own
    const builder = builderOf(page);
    await expect(builder.locator('.jp-LiveGraphs-field[data-field="units"]')).toBeVisible();
    await expect(shelf(builder, 'X axis')).toContainText('region');
    await expect(cell(page, 'c1').locator('input, select')).toHaveCount(0);
    // When she drops units on Size there
    await dragField(page, builder, 'units', 'Size');
    // Then Bob's dashboard shows it (as placed: the mark's sum of it is not stored)
    await expect
      .poll(async () => (await specOf(guest, 'c1'))?.encoding.size)
      .toEqual({ field: 'units' });
  });

  test('a chart edited in the builder edits the dashboard: a drop there shows in both dashboards and the file', async ({
    page,
    baseURL
  }) => {
    // When Alice opens chart c1 in the drag-and-drop builder
    await cell(page, 'c1').getByRole('button', { name: 'Edit chart' }).click();
    const builder = page.locator('.jp-LiveGraphs-ChartBuilderPanel .jp-LiveGraphs-ChartBuilder');
    await expect(builder.locator('.jp-LiveGraphs-field[data-field="month"]')).toBeVisible();
    // Then it shows the chart's shelves, and Bob among the people there
    await expect(shelf(builder, 'X axis')).toContainText('region');
    await expect(shelf(builder, 'Y axis')).toContainText('Sum of revenue');
    await expect(
      page.locator('.jp-LiveGraphs-BoundBuilderHeader .jp-LiveGraphs-DashboardBadge[data-user="Bob"]')
    ).toBeVisible();
    // When she drags units onto Color in the builder
    await dragField(page, builder, 'units', 'Color');
    // Then the chart cell shows it, in her dashboard and in Bob's
    for (const p of [page, guest]) {
      await expect
        .poll(async () => (await specOf(p, 'c1'))?.encoding)
        .toEqual({
          x: { field: 'region' },
          y: { field: 'revenue', aggregate: 'sum' },
          color: { field: 'units' }
        });
    }
    // and the dashboard file holds it
    await expect
      .poll(async () => (await savedFile(page, baseURL!, path))?.charts.c1.spec.encoding.color, {
        timeout: 15000
      })
      .toEqual({ field: 'units' });
    // When Bob removes the chart, the builder tab closes
    await cell(guest, 'c1').getByRole('button', { name: 'Remove chart' }).click();
    await expect(builder).toHaveCount(0);
  });

  test('a focused title box shows the other person\'s title; one being typed in is kept', async ({
    page
  }) => {
    // Given Alice's title box has focus
    const mine = page.getByLabel('Dashboard title');
    const theirs = guest.getByLabel('Dashboard title');
    await mine.focus();
    // When Bob renames the dashboard
    await theirs.fill('Q3 review');
    await theirs.dispatchEvent('change');
    // Then Alice's focused box shows the new title
    await expect(mine).toBeFocused();
    await expect(mine).toHaveValue('Q3 review');
    // When Alice starts typing, and Bob renames it again
    await mine.fill('Q3 review (draft');
    await theirs.fill('Q3 final');
    await theirs.dispatchEvent('change');
    // and then turns cross-filtering off, which Alice sees (so the title has reached her too)
    await guest.getByLabel('Cross-filter').uncheck();
    await expect(page.getByLabel('Cross-filter')).not.toBeChecked();
    // Then what Alice is typing is kept until she commits it, and then everyone has hers
    await expect(mine).toHaveValue('Q3 review (draft');
    await mine.press('Enter');
    await expect(theirs).toHaveValue('Q3 review (draft');
  });

  test('a filter bound being typed keeps its focus and text while the other person edits', async ({ page }) => {
    // Given a range filter on units, which Alice adds
    await page.getByLabel('Dataset for new charts and filters').selectOption(dataset);
    await page.getByRole('button', { name: 'Add filter' }).click();
    const filter = page.locator('.jp-LiveGraphs-DashboardFilter');
    await filter.getByLabel('Filter kind').selectOption('range');
    await filter.getByLabel('Filter column').selectOption('units');
    const theirs = guest.locator('.jp-LiveGraphs-DashboardFilter').getByLabel('Filter minimum');
    await expect(theirs).toBeVisible();
    // When she starts typing a minimum
    const low = filter.getByLabel('Filter minimum');
    await low.click();
    await page.keyboard.type('2');
    // and Bob renames the dashboard meanwhile, which reaches her
    const title = guest.getByLabel('Dashboard title');
    await title.fill('Sales 2025');
    await title.dispatchEvent('change');
    await expect(page.getByLabel('Dashboard title')).toHaveValue('Sales 2025');
    // Then she types on in the same box, and nothing is set before she commits it
    await page.keyboard.type('5');
    await expect(low).toBeFocused();
    await expect(low).toHaveValue('25');
    await expect(theirs).toHaveValue('');
    await low.dispatchEvent('change');
    await expect(theirs).toHaveValue('25');
  });

  test('a new chart shows a placeholder until it has a field, then draws with the automatic mark', async ({
    page,
    baseURL
  }) => {
    const failed: string[] = [];
    for (const p of [page, guest]) {
      p.on('response', r => {
        if (r.url().includes('/charts/query') && r.status() >= 400) {
          failed.push(`${r.status()} ${r.url()}`);
        }
      });
    }
    // When Alice adds a chart on the dataset
    await page.getByLabel('Dataset for new charts and filters').selectOption(dataset);
    await page.getByRole('button', { name: 'Add chart' }).click();
    const added = page.locator('.jp-LiveGraphs-DashboardCell:not([data-chart-id="c1"])');
    await expect(added).toHaveCount(1);
    const id = (await added.getAttribute('data-chart-id'))!;
    // Then both see a placeholder in it, not an error
    for (const p of [page, guest]) {
      const view = cell(p, id).locator('.jp-LiveGraphs-ChartView');
      await expect(view).toHaveAttribute('data-lg-state', 'empty');
      await expect(view.locator('.jp-LiveGraphs-chartMessage')).toHaveText(
        'Drop fields here to build a chart.'
      );
    }
    // and its mark is automatic: none is stored
    expect((await specOf(page, id)).mark).toBeUndefined();
    // When Alice edits it and puts region on x
    await cell(page, id).getByRole('button', { name: 'Edit chart' }).click();
    const builder = builderOf(page);
    await expect(builder.locator('.jp-LiveGraphs-markPicker')).toHaveValue('auto');
    await dragField(page, builder, 'region', 'X axis');
    // Then the chart draws for both (the automatic mark, a count on y), and only x is stored
    for (const p of [page, guest]) {
      await expect(cell(p, id).locator('.jp-LiveGraphs-ChartView')).toHaveAttribute(
        'data-lg-state',
        'ready',
        { timeout: 30000 }
      );
    }
    await expect
      .poll(async () => (await savedFile(page, baseURL!, path))?.charts[id]?.spec, { timeout: 15000 })
      .toEqual({ version: 1, dataset: { name: dataset }, encoding: { x: { field: 'region' } } });
    expect(failed).toEqual([]);
  });

  test('the builder stores no derived state: after a drop, the mark stays automatic and y stays unset for everyone', async ({
    page,
    baseURL
  }) => {
    // Given a chart with no fields, opened by Alice in the builder
    await page.getByLabel('Dataset for new charts and filters').selectOption(dataset);
    await page.getByRole('button', { name: 'Add chart' }).click();
    const added = page.locator('.jp-LiveGraphs-DashboardCell:not([data-chart-id="c1"])');
    await expect(added).toHaveCount(1);
    const id = (await added.getAttribute('data-chart-id'))!;
    await cell(page, id).getByRole('button', { name: 'Edit chart' }).click();
    const builder = page.locator('.jp-LiveGraphs-ChartBuilderPanel .jp-LiveGraphs-ChartBuilder');
    await expect(builder.locator('.jp-LiveGraphs-field[data-field="region"]')).toBeVisible();
    // When she drops region on X
    await dragField(page, builder, 'region', 'X axis');
    // Then her builder draws it with the automatic mark and a count on y
    await expect(builder.locator('.jp-LiveGraphs-markPicker')).toHaveValue('auto');
    await expect(builder.locator('.jp-LiveGraphs-ChartView')).toHaveAttribute('data-lg-state', 'ready', {
      timeout: 30000
    });
    // but the shared chart holds only region on x: no mark, no y
    for (const p of [page, guest]) {
      await expect.poll(async () => (await specOf(p, id))?.encoding).toEqual({ x: { field: 'region' } });
      expect((await specOf(p, id)).mark).toBeUndefined();
    }
    // and Bob's dashboard draws it from that
    await expect(cell(guest, id).locator('.jp-LiveGraphs-ChartView')).toHaveAttribute(
      'data-lg-state',
      'ready',
      { timeout: 30000 }
    );
    // When Bob puts revenue on y, in his builder
    await cell(guest, id).getByRole('button', { name: 'Edit chart' }).click();
    const theirs = builderOf(guest);
    await expect(theirs.locator('.jp-LiveGraphs-field[data-field="revenue"]')).toBeVisible();
    await dragField(guest, theirs, 'revenue', 'Y axis');
    // Then Alice's builder shows it, and its mark is still automatic
    await expect(shelf(builder, 'Y axis').locator('.jp-LiveGraphs-pill[data-field="revenue"]')).toBeVisible();
    await expect(builder.locator('.jp-LiveGraphs-markPicker')).toHaveValue('auto');
    // and the file holds what the two chose, nothing derived (not the sum the bars draw)
    await expect
      .poll(async () => (await savedFile(page, baseURL!, path))?.charts[id]?.spec.encoding, {
        timeout: 15000
      })
      .toEqual({ x: { field: 'region' }, y: { field: 'revenue' } });
    expect((await savedFile(page, baseURL!, path)).charts[id].spec.mark).toBeUndefined();
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
    await guest.getByLabel('Dataset for new charts and filters').selectOption(dataset);
    await guest.getByRole('button', { name: 'Add filter' }).click();
    const filter = guest.locator('.jp-LiveGraphs-DashboardFilter');
    await filter.getByLabel('Filter column').selectOption('region');
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
    await clickPoint(page, cell(page, 'c1').locator('.jp-LiveGraphs-chartPlot'), emea);

    // Then chart 2 is queried with the region as a condition, and draws EMEA's units only
    await expect
      .poll(async () => (await specOf(page, 'c2')).filters)
      .toEqual([{ column: 'region', cmp: 'in', value: ['EMEA'] }]);
    await expect.poll(() => drawn(page, 'c2')).toEqual([[1, 3]]);
    // and chart 1 itself is not filtered by its own selection
    expect((await specOf(page, 'c1')).filters ?? []).toEqual([]);

    // When the same bar is clicked again, the condition goes and chart 2 is whole again
    await clickPoint(page, cell(page, 'c1').locator('.jp-LiveGraphs-chartPlot'), emea);
    await expect.poll(async () => (await specOf(page, 'c2')).filters ?? []).toEqual([]);
    await expect.poll(() => drawn(page, 'c2')).toEqual(before);
  });
});

test.describe('document timeline', () => {
  test('sliding the timeline back and restoring brings the earlier dashboard back, also in the file', async ({
    page,
    baseURL,
    tmpPath
  }) => {
    // Given a dashboard with one chart, titled "Sales"
    const dataset = await upload(page, baseURL!);
    const path = `${tmpPath}/history.lgdash`;
    await createFile(page, baseURL!, path, dashboard(dataset));
    await open(page, path);
    await expect(cell(page, 'c1')).toBeVisible();
    // and a few edits: a chart added, the title changed, another chart added
    const cells = page.locator('.jp-LiveGraphs-DashboardCell');
    const title = page.getByLabel('Dashboard title');
    const ids = () => cells.evaluateAll(nodes => nodes.map(n => (n as HTMLElement).dataset.chartId).sort());
    await page.getByRole('button', { name: 'Add chart' }).click();
    await expect(cells).toHaveCount(2);
    const afterFirstEdit = await ids();
    await title.fill('Sales 2025');
    await title.dispatchEvent('change');
    await page.getByRole('button', { name: 'Add chart' }).click();
    await expect(cells).toHaveCount(3);
    await expect
      .poll(async () => {
        const saved = await savedFile(page, baseURL!, path);
        return [saved?.title, Object.keys(saved?.charts ?? {}).length];
      }, { timeout: 15000 })
      .toEqual(['Sales 2025', 3]);

    // When the timeline in the status bar is opened, for the dashboard (an
    // added chart opened in the builder, beside it)
    await page.getByRole('tab', { name: 'history.lgdash', exact: true }).click();
    const opened = page.waitForResponse(r => r.url().includes('/api/collaboration/timeline/'));
    await page.locator('#jp-slider-status-bar').getByTitle('Document Timeline').click();
    expect((await opened).status()).toBe(200);
    const slider = page.locator('#jp-slider-status-bar input.jp-Slider');
    await expect(slider).toBeVisible();
    // it has a step for the file as loaded and one for each edit
    await expect(slider).toHaveAttribute('max', '3');
    const moved = async (value: string) => {
      const done = page.waitForResponse(r => r.url().includes('/api/collaboration/undo_redo/'));
      await slider.fill(value);
      expect((await done).status()).toBe(200);
    };
    // When it is slid back to the start, the view shows the dashboard as loaded
    await moved('0');
    await expect(cells).toHaveCount(1);
    await expect(cell(page, 'c1')).toBeVisible();
    await expect(title).toHaveValue('Sales');
    // and one step forward, as it was after the first edit
    await moved('1');
    await expect.poll(ids).toEqual(afterFirstEdit);
    await expect(title).toHaveValue('Sales');

    // When that version is restored
    await page.getByRole('button', { name: /^Restore version/ }).click();
    // Then the file on disk holds it again
    await expect
      .poll(async () => {
        const saved = await savedFile(page, baseURL!, path);
        return [saved?.title, Object.keys(saved?.charts ?? {}).sort()];
      }, { timeout: 15000 })
      .toEqual(['Sales', afterFirstEdit]);
    // and the dashboard, back on the live document, still shows it and takes new edits
    expect(await ids()).toEqual(afterFirstEdit);
    await expect(title).toHaveValue('Sales');
    await page.getByRole('button', { name: 'Add chart' }).click();
    await expect
      .poll(async () => Object.keys((await savedFile(page, baseURL!, path))?.charts ?? {}).length, {
        timeout: 15000
      })
      .toBe(3);
  });
});
