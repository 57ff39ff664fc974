import { expect, test } from '@jupyterlab/galata';
import * as fs from 'fs';

import {
  attachScreenshot,
  corpus,
  datasetItem,
  deleteAll,
  entries,
  listViaApi,
  openPanel,
  throttleUploads
} from './workspace-helpers';

test.describe('uploads', () => {
  test.beforeEach(async ({ request, baseURL }) => {
    await deleteAll(request, baseURL);
  });

  test('a real file chosen in the file chooser shows progress, then its report and grid', async ({
    page
  }, testInfo) => {
    // Given the Datasets panel, and an upload slow enough to watch
    const panel = await openPanel(page);
    const file = corpus('real', '2014_us_cities.csv');
    await throttleUploads(page, 20 * 1024);

    // When the file is chosen with the Upload button
    const chooser = page.waitForEvent('filechooser');
    await panel.getByRole('button', { name: 'Upload' }).click();
    await (await chooser).setFiles(file);

    // Then a progress bar shows the bytes, the percentage and the time left
    const upload = panel.locator('.jp-LiveGraphs-upload');
    await expect(upload.locator('.jp-LiveGraphs-uploadText')).toContainText(
      /KB of 13\d\.\d KB · \d+% · .* left/
    );
    await expect(upload.locator('progress')).toBeVisible();
    await attachScreenshot(page, testInfo, 'upload-progress', panel);

    // And when it is done, the view opens on the validation report
    const view = page.locator('.jp-LiveGraphs-DatasetView');
    await expect(view).toHaveAttribute('data-lg-loaded', 'yes', {
      timeout: 60_000
    });
    await expect(upload).toHaveCount(0);
    const report = view.locator('.jp-LiveGraphs-ReportView');
    await expect(report).toBeVisible();
    await expect(report.locator('.jp-LiveGraphs-reportSummary')).toContainText(
      '3,228 rows · 4 columns'
    );
    const pop = report.locator('tr[data-column="pop"]');
    await expect(pop.getByRole('combobox')).toHaveValue('integer');
    await expect(pop.locator('.jp-LiveGraphs-typeBadge')).toHaveText('#');
    await expect(view.locator('.jp-LiveGraphs-viewInfo')).toContainText(
      '3,228 rows · 4 columns · version 1'
    );
    await expect(datasetItem(panel, '2014_us_cities')).toContainText('3,228 rows');
    await attachScreenshot(page, testInfo, 'upload-report-and-grid');
  });

  test('files dropped on the panel queue and upload', async ({ page, request, baseURL }) => {
    const panel = await openPanel(page);
    const text = fs.readFileSync(corpus('real', 'tips.csv'), 'utf-8');

    // When a file is dragged from the desktop and dropped on the panel
    const drag = (type: string) =>
      page.evaluate(
        ([type, content]) => {
          const dt = new DataTransfer();
          dt.items.add(new File([content], 'tips.csv', { type: 'text/csv' }));
          dt.items.add(
            new File(['{"a": 1}\n{"a": 2}\n'], 'two.jsonl', { type: '' })
          );
          const target = document.querySelector('#livegraphs-datasets .jp-LiveGraphs-body')!;
          target.dispatchEvent(
            new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true })
          );
        },
        [type, text]
      );
    await drag('dragenter');
    await expect(panel).toHaveClass(/jp-mod-dropTarget/);
    await drag('drop');
    await expect(panel).not.toHaveClass(/jp-mod-dropTarget/);

    // Then both queue and become datasets with every row
    await expect(datasetItem(panel, 'tips')).toContainText('244 rows', {
      timeout: 60_000
    });
    await expect(datasetItem(panel, 'two')).toContainText('2 rows');
    const names = (await listViaApi(request, baseURL)).map(d => d.name);
    expect(names.sort()).toEqual(['tips', 'two']);
  });

  test('a large upload cancelled half-way leaves nothing behind', async ({
    page,
    request,
    baseURL
  }, testInfo) => {
    // Given a 40 MB file, sent at 8 MB/s
    const big = testInfo.outputPath('big.csv');
    const out = fs.openSync(big, 'w');
    const block: string[] = ['id,name,value'];
    for (let i = 0; i < 1_000_000; i++) {
      block.push(`${i},row number ${i},${(i * 0.37).toFixed(3)}`);
      if (block.length === 100_000) {
        fs.writeSync(out, block.join('\n') + '\n');
        block.length = 0;
      }
    }
    fs.writeSync(out, block.join('\n') + '\n');
    fs.closeSync(out);
    const size = fs.statSync(big).size;
    expect(size).toBeGreaterThan(30e6);
    const before = entries('datasets');
    const panel = await openPanel(page);
    await throttleUploads(page, 8 * 1024 * 1024);

    // When it is chosen and cancelled once part of it has gone
    const chooser = page.waitForEvent('filechooser');
    await panel.getByRole('button', { name: 'Upload' }).click();
    await (await chooser).setFiles(big);
    const upload = panel.locator('.jp-LiveGraphs-upload');
    await expect
      .poll(async () => Number(await upload.getAttribute('data-percent')))
      .toBeGreaterThanOrEqual(20);
    const percent = Number(await upload.getAttribute('data-percent'));
    expect(percent).toBeLessThan(100);
    await attachScreenshot(page, testInfo, 'upload-before-cancel', panel);
    await upload.getByRole('button', { name: /Cancel upload/ }).click();
    testInfo.annotations.push({
      type: 'cancelled at',
      description: `${percent}% of ${size} bytes`
    });

    // Then the upload is gone from the panel, the API and the data dir
    await expect(upload).toHaveCount(0);
    await expect.poll(() => entries('staging')).toEqual([]);
    await expect.poll(() => entries('work')).toEqual([]);
    expect(await listViaApi(request, baseURL)).toEqual([]);
    expect(entries('datasets')).toEqual(before);
    await expect(datasetItem(panel, 'big')).toHaveCount(0);
  });
});
