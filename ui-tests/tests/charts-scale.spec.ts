import { expect, test } from '@jupyterlab/galata';
import { execFileSync } from 'child_process';
import * as path from 'path';

import { dragField, shelf } from './builder-helpers';

const ROWS = 10_000_000;
const MAX_MARKS = 5000;

/**
 * A dataset of two numeric columns (10M rows unless said) made next to the server
 * (DuckDB writes it, the store ingests it) rather than uploaded through the browser.
 */
function makeDataset(name: string, rows = ROWS): any {
  const uiTests = path.resolve(__dirname, '..');
  const out = execFileSync(
    'python',
    [
      path.join(uiTests, 'scale_dataset.py'),
      path.join(uiTests, '.livegraphs-data'),
      String(rows),
      name
    ],
    { encoding: 'utf-8', timeout: 90000 }
  );
  return JSON.parse(out);
}

test.describe('charts at scale', () => {
  test.use({ autoGoto: true });

  test('a 10M-row scatter draws binned within the mark budget', async ({
    page
  }) => {
    test.setTimeout(120000);
    const dataset = makeDataset(`scale-${Date.now()}`);
    expect(dataset.rows).toBe(ROWS);

    // When a scatter of the two numeric columns is opened
    const answered = page.waitForResponse(
      r => r.url().includes('livegraphs/api/charts/query'),
      { timeout: 60000 }
    );
    await page.evaluate(
      id =>
        (window as any).jupyterapp.commands.execute('livegraphs:new-chart', {
          datasetId: id,
          spec: {
            version: 1,
            dataset: { id },
            mark: 'scatter',
            encoding: { x: { field: 'x' }, y: { field: 'y' } }
          }
        }),
      dataset.id
    );
    const response = await answered;
    expect(response.status()).toBe(200);
    const payload = (await response.body()).length;

    const chart = page
      .locator(
        '.jp-MainAreaWidget:not(.lm-mod-hidden) .jp-LiveGraphs-ChartBuilder .jp-LiveGraphs-ChartView'
      )
      .last();
    await expect(chart).toHaveAttribute('data-lg-state', 'ready', {
      timeout: 60000
    });
    await expect(chart.locator('.jp-LiveGraphs-chartMessage')).toHaveText('');

    // Then it is drawn as a density of at most MAX_MARKS cells, not 10M points
    const drawn = await chart
      .locator('.jp-LiveGraphs-chartPlot')
      .evaluate((node: any) =>
        node.data.map((t: any) => {
          const z: any[] = Array.from(t.z ?? []);
          const cells = z.length
            ? z
                .flat()
                .filter((v: any) => v !== null && v !== undefined && v !== 0)
                .length
            : Array.from(t.x ?? []).length;
          return { type: t.type, cells };
        })
      );
    expect(drawn.map((t: any) => t.type)).toEqual(['heatmap']);
    const marks = drawn.reduce((sum: number, t: any) => sum + t.cells, 0);
    expect(marks).toBeGreaterThan(100);
    expect(marks).toBeLessThanOrEqual(MAX_MARKS);
    // and the payload is a few thousand cells, not the rows
    expect(payload).toBeLessThan(1_000_000);

    // and the notice says it was binned from all 10,000,000 points
    const notice = chart.locator('.jp-LiveGraphs-chartNotice');
    await expect(notice).toBeVisible();
    await expect(notice).toHaveText(/from 10,000,000 points, binned/);
    await expect(notice).toHaveAttribute('data-kind', 'binned');
  });

  test('two numbers dragged onto X and Y of 1M rows draw a binned scatter', async ({
    page
  }) => {
    test.setTimeout(120000);
    const rows = 1_000_000;
    const dataset = makeDataset(`drag-${Date.now()}`, rows);
    expect(dataset.rows).toBe(rows);

    // Given an empty chart of the dataset in the builder
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
    await expect(chart).toHaveAttribute('data-lg-state', 'empty');

    // When x is dragged onto X and y onto Y
    await dragField(page, builder, 'x', 'X axis');
    await expect(chart).toHaveAttribute('data-lg-state', 'ready', {
      timeout: 60000
    });
    const answered = page.waitForResponse(
      r => r.url().includes('livegraphs/api/charts/query'),
      { timeout: 60000 }
    );
    await dragField(page, builder, 'y', 'Y axis');
    expect((await answered).status()).toBe(200);

    // Then they make a scatter of the rows, not of a sum of y per x
    await expect(builder.locator('.jp-LiveGraphs-markPicker')).toHaveAttribute(
      'data-suggested',
      'scatter'
    );
    await expect(
      shelf(builder, 'Y axis').locator('.jp-LiveGraphs-pillLabel')
    ).toHaveText('y');

    // which the engine bins: a density of at most MAX_MARKS cells counting every row
    const notice = chart.locator('.jp-LiveGraphs-chartNotice');
    await expect(notice).toHaveAttribute('data-kind', 'binned', {
      timeout: 60000
    });
    await expect(notice).toBeVisible();
    await expect(notice).toHaveText(/from 1,000,000 points, binned/);
    await expect(chart).toHaveAttribute('data-lg-state', 'ready');
    const drawn = await chart
      .locator('.jp-LiveGraphs-chartPlot')
      .evaluate((node: any) =>
        node.data.map((t: any) => ({
          type: t.type,
          z: Array.from(t.z ?? []).filter((v: any) => v !== null)
        }))
      );
    expect(drawn.map((t: any) => t.type)).toEqual(['heatmap']);
    const cells: number[] = drawn[0].z;
    expect(cells.length).toBeGreaterThan(100);
    expect(cells.length).toBeLessThanOrEqual(MAX_MARKS);
    expect(cells.reduce((sum, n) => sum + n, 0)).toBe(rows);
  });
});
