import { expect, test } from '@jupyterlab/galata';

import {
  attachScreenshot,
  corpus,
  deleteAll,
  openDataset,
  openPanel,
  showSidePanel,
  uploadViaApi
} from './workspace-helpers';
import * as fs from 'fs';

/**
 * The colour of a grid body pixel, as `rgb(r, g, b)`.
 */
async function gridPixel(page: any, viewId: string): Promise<string> {
  return page.evaluate((id: string) => {
    const canvas = document.querySelector(
      `#${id} .jp-LiveGraphs-grid canvas`
    ) as HTMLCanvasElement;
    // The most common colour along the canvas' middle line: the body cells'
    // background in any layout, whatever text crosses it. Only the part in
    // view: the canvas does not shrink with the grid, so past it is stale.
    const y = Math.floor(canvas.height / 2);
    const width = Math.min(
      canvas.width,
      Math.floor(canvas.parentElement!.clientWidth * window.devicePixelRatio)
    );
    const line = canvas.getContext('2d')!.getImageData(0, y, width, 1).data;
    const counts = new Map<string, number>();
    for (let i = 0; i < line.length; i += 4) {
      const key = `rgb(${line[i]}, ${line[i + 1]}, ${line[i + 2]})`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
  }, viewId);
}

/**
 * A CSS colour as `rgb(r, g, b)`.
 */
async function cssColor(page: any, variable: string): Promise<string> {
  return page.evaluate((name: string) => {
    const probe = document.createElement('div');
    probe.style.color = `var(${name})`;
    document.body.appendChild(probe);
    const color = getComputedStyle(probe).color;
    probe.remove();
    return color;
  }, variable);
}

test('the panel, the report and the grid in the light and the dark theme', async ({
  page,
  request,
  baseURL
}, testInfo) => {
  await deleteAll(request, baseURL);
  const dataset = await uploadViaApi(
    request,
    baseURL,
    'titanic',
    fs.readFileSync(corpus('real', 'titanic.csv'))
  );
  const panel = await openPanel(page);
  const view = await openDataset(page, panel, dataset);
  await showSidePanel(page, view);
  const viewId = `livegraphs-dataset-view-${dataset.id}`;

  const painted: string[] = [];
  for (const theme of ['light', 'dark']) {
    if (theme === 'dark') {
      await page.theme.setDarkTheme();
    }
    // The grid's canvas is painted in the theme's own row colours
    const rows = [
      await cssColor(page, '--jp-layout-color0'),
      await cssColor(page, '--jp-layout-color1')
    ];
    await expect.poll(() => gridPixel(page, viewId)).toMatch(
      new RegExp(rows.map(c => c.replace(/[()]/g, '\\$&')).join('|'))
    );
    painted.push(await gridPixel(page, viewId));
    await attachScreenshot(page, testInfo, `${theme}-panel`, panel);
    await attachScreenshot(page, testInfo, `${theme}-report-and-grid`, view);
    await view.getByRole('tab', { name: 'Profile' }).click();
    const box = (await view.locator('.jp-LiveGraphs-grid').boundingBox())!;
    await page.mouse.click(box.x + 72 + 140 + 70, box.y + 28 + 12);
    await expect(view.locator('.jp-LiveGraphs-histogram')).toBeVisible();
    await attachScreenshot(page, testInfo, `${theme}-profile`, view);
    await view.getByRole('tab', { name: 'Report' }).click();
    await attachScreenshot(page, testInfo, `${theme}-full`);
  }
  expect(painted[0]).not.toBe(painted[1]);
});
