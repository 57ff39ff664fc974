/**
 * Every chart follows its box: a dashboard's charts when the builder opens
 * beside the dashboard and closes again, when the side bar closes, when a
 * cell is resized and when the window narrows; and the builder's chart.
 */
import { expect, test } from '@jupyterlab/galata';
import type { Locator, Page } from '@playwright/test';

import { ALICE, createFile, openPath, uploadCSV } from './collab-helpers';

const CSV = [
  'month,region,revenue,units',
  '2025-01-01,EMEA,100,1',
  '2025-01-01,APAC,50,2',
  '2025-02-01,EMEA,300,3'
].join('\n');

test.use({ mockUser: ALICE });

function chart(name: string, field: string, layout: object) {
  return {
    spec: {
      version: 1,
      dataset: { name },
      mark: 'bar',
      encoding: { x: { field }, y: { field: 'revenue', aggregate: 'sum' } }
    },
    layout
  };
}

function cell(page: Page, id: string): Locator {
  return page.locator(`.jp-LiveGraphs-DashboardCell[data-chart-id="${id}"]`);
}

/**
 * The size of a chart's box and of the figure Plotly drew in it.
 */
function sizes(plot: Locator): Promise<{ box: number[]; drawn: number[] }> {
  return plot.evaluate((node: HTMLElement) => {
    const svg = node.querySelector('.main-svg');
    return {
      box: [node.clientWidth, node.clientHeight],
      drawn: [Number(svg?.getAttribute('width')), Number(svg?.getAttribute('height'))]
    };
  });
}

/**
 * Wait until the chart's figure has its box's size; answers that size.
 */
async function fitted(plot: Locator): Promise<number[]> {
  await expect
    .poll(async () => {
      const { box, drawn } = await sizes(plot);
      return box[0] > 0 && box.every((v, i) => Math.abs(v - drawn[i]) <= 1);
    })
    .toBe(true);
  return (await sizes(plot)).box;
}

test('the charts of a dashboard, and the builder\'s, follow their boxes', async ({
  page,
  baseURL,
  tmpPath
}) => {
  // Given a dashboard with two charts side by side, each half the width
  const dataset = await uploadCSV(page, baseURL!, CSV);
  const path = `${tmpPath}/sizes.lgdash`;
  await createFile(page, baseURL!, path, {
    version: 1,
    title: 'Sizes',
    crossfilter: true,
    filters: [],
    charts: {
      c1: chart(dataset.name, 'region', { x: 0, y: 0, w: 6, h: 4 }),
      c2: chart(dataset.name, 'month', { x: 6, y: 0, w: 6, h: 4 })
    }
  });
  await openPath(page, path);
  const plots = ['c1', 'c2'].map(id => cell(page, id).locator('.jp-LiveGraphs-chartPlot'));
  for (const id of ['c1', 'c2']) {
    await expect(cell(page, id).locator('.jp-LiveGraphs-ChartView')).toHaveAttribute(
      'data-lg-state',
      'ready',
      { timeout: 30000 }
    );
  }
  const wide = await fitted(plots[0]);
  await fitted(plots[1]);

  // When the builder opens beside the dashboard, its charts narrow with it
  await cell(page, 'c1').getByRole('button', { name: 'Edit chart' }).click();
  const builder = page.locator('.jp-LiveGraphs-ChartBuilderPanel');
  const builderPlot = builder.locator('.jp-LiveGraphs-chartPlot');
  await expect(builder.locator('.jp-LiveGraphs-ChartView')).toHaveAttribute(
    'data-lg-state',
    'ready',
    { timeout: 30000 }
  );
  await expect.poll(async () => (await sizes(plots[0])).box[0]).toBeLessThan(wide[0] * 0.75);
  const narrow = await fitted(plots[0]);
  await fitted(plots[1]);
  // and the builder's chart fits its own box
  await fitted(builderPlot);

  // When the builder closes, they widen again
  await page
    .getByRole('tab', { name: /\(sizes\.lgdash\)/ })
    .locator('.lm-TabBar-tabCloseIcon')
    .click();
  await expect(builder).toHaveCount(0);
  await expect.poll(async () => (await sizes(plots[0])).box[0]).toBeGreaterThan(narrow[0] * 1.3);
  await fitted(plots[0]);
  await fitted(plots[1]);

  // When the side bar closes (the window keeps its size), they widen with the main area
  const before = (await sizes(plots[0])).box[0];
  await page.sidebar.close('left');
  await expect.poll(async () => (await sizes(plots[0])).box[0]).toBeGreaterThan(before + 50);
  await fitted(plots[0]);
  await fitted(plots[1]);

  // When chart 2's cell is made narrower by its corner, its chart follows
  const c2Before = (await sizes(plots[1])).box[0];
  const corner = cell(page, 'c2').getByLabel('Resize chart');
  const at = (await corner.boundingBox())!;
  await page.mouse.move(at.x + at.width / 2, at.y + at.height / 2);
  await page.mouse.down();
  await page.mouse.move(at.x - c2Before / 2, at.y + at.height / 2, { steps: 6 });
  await page.mouse.up();
  await expect(cell(page, 'c2')).toHaveAttribute('data-layout', '6,0,3,4');
  await expect.poll(async () => (await sizes(plots[1])).box[0]).toBeLessThan(c2Before * 0.75);
  await fitted(plots[1]);

  // When the window narrows, every chart narrows with it
  await page.setViewportSize({ width: 640, height: 700 });
  await fitted(plots[0]);
  await fitted(plots[1]);
});
