import { expect, test } from '@jupyterlab/galata';
import { execFileSync } from 'child_process';
import * as path from 'path';

const ROWS = 10_000_000;
const MAX_MARKS = 5000;

/**
 * A 10M-row dataset made next to the server (DuckDB writes it, the store ingests it)
 * rather than uploaded through the browser.
 */
function makeDataset(name: string): any {
  const uiTests = path.resolve(__dirname, '..');
  const out = execFileSync(
    'python',
    [
      path.join(uiTests, 'scale_dataset.py'),
      path.join(uiTests, '.livegraphs-data'),
      String(ROWS),
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
});
