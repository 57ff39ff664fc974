/**
 * Cross-filtering says what it does: the clicked bar stays bright and the
 * others dim, a chip in the dashboard's header names the selection and
 * removes it, and Escape, a double click or Clear clear it. Selections are
 * the viewer's own: another person's dashboard and the file do not change.
 */
import { expect } from '@jupyterlab/galata';
import type { Page } from '@playwright/test';

import {
  ALICE,
  createFile,
  test,
  openPath,
  savedFile,
  uploadCSV
} from './collab-helpers';
import { clickPoint } from './plot-helpers';
import { attachScreenshot } from './workspace-helpers';

const CSV = [
  'month,carrier,revenue,units',
  '2025-01-01,B6,100,1',
  '2025-01-01,AA,50,2',
  '2025-01-01,UA,10,1',
  '2025-02-01,B6,300,3',
  '2025-02-01,AA,20,1',
  '2025-02-01,UA,30,3'
].join('\n');

test.use({ mockUser: ALICE });

function cell(page: Page, id: string) {
  return page.locator(`.jp-LiveGraphs-DashboardCell[data-chart-id="${id}"]`);
}

function plotOf(page: Page, id: string) {
  return cell(page, id).locator('.jp-LiveGraphs-chartPlot');
}

/**
 * The values Plotly drew in a cell's chart, trace by trace.
 */
function drawn(page: Page, id: string): Promise<unknown[][]> {
  return plotOf(page, id).evaluate((node: any) =>
    (node.data ?? []).map((t: any) => Array.from(t.y ?? []))
  );
}

/**
 * The opacity each bar of a cell's chart is painted with (its own and its
 * groups', within the plot).
 */
function barOpacities(page: Page, id: string): Promise<number[]> {
  return plotOf(page, id)
    .locator('.bars .point path')
    .evaluateAll(paths =>
      paths.map(path => {
        let opacity = 1;
        for (
          let node: Element | null = path;
          node && !node.classList.contains('jp-LiveGraphs-chartPlot');
          node = node.parentElement
        ) {
          opacity *= Number(getComputedStyle(node).opacity);
        }
        return Math.round(opacity * 100) / 100;
      })
    );
}

async function filtersOf(page: Page, id: string): Promise<unknown[]> {
  const text = await cell(page, id)
    .locator('.jp-LiveGraphs-DashboardCellBody')
    .getAttribute('data-spec');
  return JSON.parse(text ?? 'null')?.filters ?? [];
}

test.describe('cross-filter feedback', () => {

  test('a picked bar is shown, named in a chip, and cleared by the chip, Escape, a double click or Clear; only for its viewer', async ({
    page,
    baseURL,
    tmpPath,
    openGuest
  }, testInfo) => {
    // Given a dashboard with revenue by carrier and units by month, on one dataset
    const dataset = await uploadCSV(page, baseURL!, CSV);
    const path = `${tmpPath}/flights.lgdash`;
    const spec = (x: string, y: string) => ({
      version: 1,
      dataset: { name: dataset.name },
      mark: 'bar',
      encoding: { x: { field: x }, y: { field: y, aggregate: 'sum' } }
    });
    await createFile(page, baseURL!, path, {
      version: 1,
      title: 'Flights',
      crossfilter: true,
      filters: [],
      charts: {
        c1: {
          spec: spec('carrier', 'revenue'),
          layout: { x: 0, y: 0, w: 6, h: 4 }
        },
        c2: { spec: spec('month', 'units'), layout: { x: 6, y: 0, w: 6, h: 4 } }
      }
    });
    // opened by Alice and by Bob
    const guest = await openGuest();
    for (const p of [page, guest]) {
      await openPath(p, path);
      for (const id of ['c1', 'c2']) {
        await expect(
          cell(p, id).locator('.jp-LiveGraphs-ChartView')
        ).toHaveAttribute('data-lg-state', 'ready', { timeout: 30000 });
      }
    }
    const whole = await drawn(page, 'c2');
    const carriers: string[] = await plotOf(page, 'c1').evaluate((node: any) =>
      Array.from(node.data[0].x)
    );
    const b6 = carriers.indexOf('B6');
    expect(b6).toBeGreaterThanOrEqual(0);
    const chips = page.getByRole('group', { name: 'Filtered by' });
    const chip = chips.getByRole('button', {
      name: 'Remove selection carrier = B6'
    });
    const pickB6 = async () => {
      await clickPoint(page, plotOf(page, 'c1'), b6);
      await expect(chip).toBeVisible();
    };
    const isCleared = async (how: string) => {
      await expect(chips, `cleared by ${how}`).toBeHidden();
      await expect.poll(() => filtersOf(page, 'c2')).toEqual([]);
      await expect.poll(() => drawn(page, 'c2')).toEqual(whole);
      // every bar painted in full again
      await expect
        .poll(() => barOpacities(page, 'c1'))
        .toEqual(carriers.map(() => 1));
    };

    // When Alice clicks the B6 bar
    await pickB6();
    // Then the header says what filters the dashboard
    await expect(chips).toContainText('carrier = B6');
    // and the other chart is filtered by it
    await expect
      .poll(() => filtersOf(page, 'c2'))
      .toEqual([{ column: 'carrier', cmp: 'in', value: ['B6'] }]);
    // and the B6 bar stays bright while the others dim
    await expect
      .poll(async () => (await barOpacities(page, 'c1')).map(o => o === 1))
      .toEqual(carriers.map((_, i) => i === b6));
    // in the light and the dark theme (the pointer moved off the chart)
    await page.mouse.move(1, 1);
    const dashboard = page.locator('.jp-LiveGraphs-Dashboard');
    await attachScreenshot(page, testInfo, 'light-crossfilter-chip', dashboard);
    await page.theme.setDarkTheme();
    await expect(chips).toBeVisible();
    await expect
      .poll(async () => (await barOpacities(page, 'c1')).map(o => o === 1))
      .toEqual(carriers.map((_, i) => i === b6));
    await attachScreenshot(page, testInfo, 'dark-crossfilter-chip', dashboard);
    await page.theme.setLightTheme();

    // Bob's dashboard is not filtered, and the file holds no selection
    await expect(
      guest.getByRole('group', { name: 'Filtered by' })
    ).toBeHidden();
    expect(await filtersOf(guest, 'c2')).toEqual([]);
    expect(await drawn(guest, 'c2')).toEqual(whole);
    const saved = await savedFile(page, baseURL!, path);
    expect(JSON.stringify(saved)).not.toContain('B6');

    // When the chip's remove button is clicked, the selection goes
    await chip.click();
    await isCleared('the chip');

    // When B6 is picked again and Escape pressed, it goes
    await pickB6();
    await page.keyboard.press('Escape');
    await isCleared('Escape');

    // When B6 is picked again and the chart double-clicked, it goes
    await pickB6();
    const box = (await plotOf(page, 'c1').locator('.nsewdrag').boundingBox())!;
    // (in the gap before the first bar: clear of the bars and of the mode bar at the top
    // right, which a hover shows and which took the double click now and then; once Plotly
    // no longer hovers B6, whose click it would report again on a busy page)
    const gap = { x: box.x + 2, y: box.y + box.height / 2 };
    await page.mouse.move(gap.x, gap.y, { steps: 4 });
    await expect
      .poll(() =>
        plotOf(page, 'c1').evaluate((gd: any) => gd._hoverdata?.length ?? 0)
      )
      .toBe(0);
    await page.mouse.dblclick(gap.x, gap.y);
    await isCleared('a double click');

    // When B6 is picked again and Clear clicked, it goes
    await pickB6();
    await chips.getByRole('button', { name: 'Clear selections' }).click();
    await isCleared('Clear');
  });
});

test.describe('a viewer filters for themself', () => {

  test('a read-only dashboard keeps its filters working: the values a viewer picks are their own', async ({
    page,
    baseURL,
    tmpPath,
    openGuest
  }) => {
    // Given a dashboard with a dropdown filter on carrier, and units by month
    const dataset = await uploadCSV(page, baseURL!, CSV);
    const path = `${tmpPath}/viewer.lgdash`;
    await createFile(page, baseURL!, path, {
      version: 1,
      title: 'Flights',
      crossfilter: true,
      filters: [
        {
          id: 'f1',
          kind: 'dropdown',
          dataset: dataset.name,
          column: 'carrier',
          value: null
        }
      ],
      charts: {
        c2: {
          spec: {
            version: 1,
            dataset: { name: dataset.name },
            mark: 'bar',
            encoding: {
              x: { field: 'month' },
              y: { field: 'units', aggregate: 'sum' }
            }
          },
          layout: { x: 0, y: 0, w: 6, h: 4 }
        }
      }
    });
    // opened by Alice, who edits, and by Bob, whose dashboard is read-only (as a viewer's is)
    const guest = await openGuest();
    for (const p of [page, guest]) {
      await openPath(p, path);
      await expect(
        cell(p, 'c2').locator('.jp-LiveGraphs-ChartView')
      ).toHaveAttribute('data-lg-state', 'ready', { timeout: 30000 });
    }
    await guest.evaluate(() => {
      (window as any).jupyterapp.shell.currentWidget.content.readOnly = true;
    });
    const whole = await drawn(page, 'c2');
    expect(whole).toEqual([[4, 7]]);

    // Bob sees the filter by its column, without its design's lists or removal
    const filter = guest.locator('.jp-LiveGraphs-DashboardFilter');
    await expect(
      filter.locator('.jp-LiveGraphs-DashboardViewerLabel')
    ).toHaveText('carrier');
    await expect(filter.getByLabel('Filter column')).toBeHidden();
    await expect(filter.getByLabel('Filter kind')).toBeHidden();
    await expect(filter.getByRole('button', { name: 'Remove' })).toBeHidden();
    // When Bob ticks B6 in the filter's values
    await filter.getByRole('button', { name: 'Filter values' }).click();
    const values = guest.getByRole('dialog', { name: 'Values of carrier' });
    await values.getByRole('checkbox', { name: 'B6', exact: true }).check();
    await guest.keyboard.press('Escape');
    // Then Bob's chart shows B6's units only
    await expect(
      filter.getByRole('button', { name: 'Filter values' })
    ).toHaveText('B6');
    await expect.poll(() => drawn(guest!, 'c2')).toEqual([[1, 3]]);
    await expect
      .poll(() => filtersOf(guest!, 'c2'))
      .toEqual([{ column: 'carrier', cmp: 'in', value: ['B6'] }]);
    // and Alice's dashboard and the file are as they were
    await page.getByLabel('Dashboard title').fill('Flights, spring');
    await page.getByLabel('Dashboard title').dispatchEvent('change');
    await expect
      .poll(async () => (await savedFile(page, baseURL!, path))?.title, {
        timeout: 15000
      })
      .toBe('Flights, spring');
    expect((await savedFile(page, baseURL!, path)).filters[0].value).toBeNull();
    expect(await drawn(page, 'c2')).toEqual(whole);
    await expect(
      page
        .locator('.jp-LiveGraphs-DashboardFilter')
        .getByRole('button', { name: 'Filter values' })
    ).toHaveText('All');

    // When Alice sets the filter to AA in the document, that replaces Bob's own pick
    const mine = page.locator('.jp-LiveGraphs-DashboardFilter');
    await mine.getByRole('button', { name: 'Filter values' }).click();
    await page
      .getByRole('dialog', { name: 'Values of carrier' })
      .getByRole('checkbox', { name: 'AA', exact: true })
      .check();
    await page.keyboard.press('Escape');
    await expect.poll(() => drawn(guest!, 'c2')).toEqual([[2, 1]]);
    await expect(
      filter.getByRole('button', { name: 'Filter values' })
    ).toHaveText('AA');
  });
});
