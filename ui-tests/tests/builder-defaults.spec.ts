import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { Locator, TestInfo } from '@playwright/test';

import { dragField, shelf } from './builder-helpers';
import { savedFile, uploadCSV } from './collab-helpers';
import { attachScreenshot } from './workspace-helpers';

const ROWS = 400;
const ORIGINS = ['EWR', 'JFK', 'LGA', 'Zürich'];

/**
 * A flights-like table: an origin, a month (12 values), and two delays of
 * many values with a few blanks (missing).
 */
function flights(): {
  csv: string;
  rows: {
    origin: string;
    month: number;
    dep: number | null;
    arr: number | null;
  }[];
} {
  const rows = Array.from({ length: ROWS }, (_, i) => ({
    origin: ORIGINS[i % ORIGINS.length],
    month: 1 + ((i * 7) % 12),
    dep: i % 50 === 3 ? null : ((i * 37) % 151) - 20,
    arr: i % 40 === 5 ? null : ((i * 53) % 181) - 30
  }));
  const csv = [
    'origin,month,dep_delay,arr_delay',
    ...rows.map(r => `${r.origin},${r.month},${r.dep ?? ''},${r.arr ?? ''}`)
  ].join('\n');
  return { csv, rows };
}

/**
 * The traces Plotly drew.
 */
function traces(builder: Locator): Promise<any[]> {
  return builder.locator('.jp-LiveGraphs-chartPlot').evaluate((node: any) =>
    (node.data ?? []).map((t: any) => ({
      type: t.type,
      mode: t.mode,
      x: Array.from(t.x ?? []),
      y: Array.from(t.y ?? []),
      z: Array.from(t.z ?? [])
    }))
  );
}

/**
 * The label of the pill on a shelf (a button: click for its options).
 */
function pillLabel(builder: Locator, name: string): Locator {
  return shelf(builder, name).locator('.jp-LiveGraphs-pillLabel');
}

async function screenshots(
  page: IJupyterLabPageFixture,
  testInfo: TestInfo,
  builder: Locator,
  name: string
): Promise<void> {
  await attachScreenshot(page, testInfo, `light-${name}`, builder);
  await page.theme.setDarkTheme();
  await attachScreenshot(page, testInfo, `dark-${name}`, builder);
  await page.theme.setLightTheme();
}

test.describe('builder defaults', () => {
  test.use({ autoGoto: true });

  test('two numbers make a scatter of the rows, month acts as a category, and the aggregate follows the mark', async ({
    page,
    baseURL
  }, testInfo) => {
    test.setTimeout(180000);
    const { csv, rows } = flights();
    const dataset = await uploadCSV(page, baseURL!, csv, `flights-${Date.now()}`);

    // Given an empty chart of the flights in the builder
    await page.evaluate(
      id =>
        (window as any).jupyterapp.commands.execute('livegraphs:new-chart', {
          datasetId: id
        }),
      dataset.id
    );
    const builder = page
      .locator(
        '.jp-MainAreaWidget:not(.lm-mod-hidden) .jp-LiveGraphs-ChartBuilder'
      )
      .last();
    const chart = builder.locator('.jp-LiveGraphs-ChartView');
    const picker = builder.locator('.jp-LiveGraphs-markPicker');
    const hint = builder.getByRole('status', { name: 'Automatic choices' });
    await expect(chart).toHaveAttribute('data-lg-state', 'empty');
    const path: string = await page.evaluate(
      () => (window as any).jupyterapp.shell.currentWidget.context.path
    );

    // When dep_delay goes to X and arr_delay to Y
    await dragField(page, builder, 'dep_delay', 'X axis');
    await expect(chart).toHaveAttribute('data-lg-state', 'ready', {
      timeout: 30000
    });
    await dragField(page, builder, 'arr_delay', 'Y axis');

    // Then they make a scatter of every row with both values, not a sum per dep_delay
    await expect(picker).toHaveAttribute('data-suggested', 'scatter');
    await expect(pillLabel(builder, 'Y axis')).toHaveText('arr_delay');
    const both = rows.filter(r => r.dep !== null && r.arr !== null);
    await expect
      .poll(async () => {
        const drawn = await traces(builder);
        return drawn.map(t => [t.mode, t.x.length]);
      })
      .toEqual([['markers', both.length]]);
    const [points] = await traces(builder);
    expect(
      points.x.map((x: number, i: number) => `${x},${points.y[i]}`).sort()
    ).toEqual(both.map(r => `${r.dep},${r.arr}`).sort());
    // and the line under the shelves says so, and how to change it
    await expect(hint).toHaveText(/Automatic mark: a scatter plot\./);
    await expect(hint).toHaveText(/Each row is a point: numbers are not aggregated\./);
    await expect(hint).toHaveText(/Click a pill to aggregate, or choose a mark\./);
    await screenshots(page, testInfo, builder, 'scatter');

    // When origin replaces dep_delay on X and month replaces arr_delay on Y
    await dragField(page, builder, 'origin', 'X axis');
    await dragField(page, builder, 'month', 'Y axis');

    // Then month (12 values) is a category: a heatmap counting the flights
    await expect(picker).toHaveAttribute('data-suggested', 'heatmap');
    await expect(pillLabel(builder, 'Y axis')).toHaveText('month');
    await expect(hint).toHaveText(/month has 12 values, so it acts as a category\./);
    await expect(hint).toHaveText(/Color counts the records\./);
    const cells = new Map<string, number>();
    for (const r of rows) {
      const key = `${r.origin}|${r.month}`;
      cells.set(key, (cells.get(key) ?? 0) + 1);
    }
    await expect
      .poll(async () => {
        const drawn = await traces(builder);
        if (drawn.length !== 1 || drawn[0].type !== 'heatmap') {
          return null;
        }
        const [t] = drawn;
        return t.z
          .map((z: number, i: number) => `${t.x[i]}|${t.y[i]}=${z}`)
          .sort();
      })
      .toEqual([...cells].map(([key, n]) => `${key}=${n}`).sort());
    await screenshots(page, testInfo, builder, 'heatmap');

    // When month alone is on X: bars counting the flights of each month
    await shelf(builder, 'Y axis').getByRole('button', { name: 'Remove month' }).click();
    await dragField(page, builder, 'month', 'X axis');
    await expect(picker).toHaveAttribute('data-suggested', 'bar');
    await expect(hint).toHaveText(/Y counts the records\./);
    const perMonth = new Map<number, number>();
    for (const r of rows) {
      perMonth.set(r.month, (perMonth.get(r.month) ?? 0) + 1);
    }
    await expect
      .poll(async () => {
        const [bars] = await traces(builder);
        return bars?.type === 'bar'
          ? bars.x.map((m: number, i: number) => [m, bars.y[i]]).sort((a: number[], b: number[]) => a[0] - b[0])
          : null;
      })
      .toEqual([...perMonth].sort((a, b) => a[0] - b[0]));

    // When arr_delay goes to Y: a line of its mean per month, said so on the pill
    await dragField(page, builder, 'arr_delay', 'Y axis');
    await expect(picker).toHaveAttribute('data-suggested', 'line');
    const yPill = pillLabel(builder, 'Y axis');
    await expect(yPill).toHaveText('Average arr_delay');
    await expect(hint).toHaveText(
      /Y shows Average arr_delay, the default for a line\. Click a pill to pick another aggregate, or choose a mark\./
    );
    const byMonth = (f: (values: number[]) => number) =>
      [...new Set(rows.map(r => r.month))]
        .sort((a, b) => a - b)
        .map(m => {
          const values = rows
            .filter(r => r.month === m && r.arr !== null)
            .map(r => r.arr as number);
          return [m, f(values)];
        });
    const lineOf = async () => {
      const [line] = await traces(builder);
      return line?.type === 'scatter' && line.mode !== 'markers'
        ? line.x.map((m: number, i: number) => [m, Math.round(line.y[i] * 1e6) / 1e6])
        : null;
    };
    await expect
      .poll(lineOf)
      .toEqual(
        byMonth(v => Math.round((v.reduce((a, b) => a + b, 0) / v.length) * 1e6) / 1e6)
      );
    await screenshots(page, testInfo, builder, 'line');

    // and what the mark chose is not stored: the chart file holds the fields as placed
    await expect
      .poll(async () => {
        const saved = await savedFile(page, baseURL!, path);
        return saved && [saved.mark ?? null, saved.encoding];
      }, { timeout: 15000 })
      .toEqual([null, { x: { field: 'month' }, y: { field: 'arr_delay' } }]);

    // When the pill's menu picks sum instead of the automatic mean
    await yPill.click();
    await expect(
      page.getByRole('menuitemradio', { name: 'Automatic (mean)' })
    ).toHaveAttribute('aria-checked', 'true');
    await page.getByRole('menuitemradio', { name: 'sum' }).click();

    // Then the line shows the sums, and that choice is stored
    await expect(yPill).toHaveText('Sum of arr_delay');
    await expect
      .poll(lineOf)
      .toEqual(byMonth(v => v.reduce((a, b) => a + b, 0)));
    await expect(hint).toHaveText(
      'Automatic mark: a line. month has 12 values, so it acts as a category. Click a pill or choose a mark to change this.'
    );
    await expect
      .poll(async () => (await savedFile(page, baseURL!, path))?.encoding?.y, {
        timeout: 15000
      })
      .toEqual({ field: 'arr_delay', aggregate: 'sum' });
  });
});
