import { expect, test } from '@jupyterlab/galata';
import * as fs from 'fs';

import {
  apiUrl,
  attachScreenshot,
  datasetItem,
  deleteAll,
  openPanel,
  uploadViaApi
} from './workspace-helpers';

const OLD = 'city,temp,day\nOslo,-3.5,2024-01-01\nLima,24.0,2024-01-02\n';

/** 24 rows of dates and one that does not exist: a date column with one bad value. */
function withBadDate(): string {
  const rows = ['city,temp,day'];
  for (let i = 1; i <= 24; i++) {
    rows.push(`Rome,${i}.5,2024-03-${String(i).padStart(2, '0')}`);
  }
  rows.push('Bern,0.5,2024-02-30');
  return rows.join('\n') + '\n';
}

async function columnsOf(request: any, baseURL: string | undefined, id: string) {
  const response = await request.get(apiUrl(baseURL, 'datasets', id));
  expect(response.status()).toBe(200);
  const out = await response.json();
  return Object.fromEntries(out.columns.map((c: any) => [c.name, c.type]));
}

test.describe('new data for a dataset', () => {
  test.beforeEach(async ({ request, baseURL }) => {
    await deleteAll(request, baseURL);
    const listed = await request.get(apiUrl(baseURL, 'documents'));
    for (const doc of (await listed.json()).documents) {
      await request.delete(apiUrl(baseURL, 'documents', doc.id));
    }
  });

  test('append from the panel shows rows and columns added', async ({
    page,
    request,
    baseURL
  }, testInfo) => {
    // Given a dataset in the panel and a file with two more rows and a new column
    const ds = await uploadViaApi(request, baseURL, 'weather', OLD);
    const file = testInfo.outputPath('march.csv');
    fs.writeFileSync(file, 'city,temp,day,wind\nRome,1.5,2024-03-01,4\nBern,0.5,2024-03-02,7\n');
    const panel = await openPanel(page);

    // When "Upload New Data…" sends it in append mode
    await datasetItem(panel, 'weather').click({ button: 'right' });
    await page.getByRole('menuitem', { name: 'Upload New Data…' }).click();
    const form = page.locator('.jp-Dialog');
    await form.locator('input[type="file"]').setInputFiles(file);
    await form.getByLabel('Append to the rows of weather').check();
    await form.getByRole('button', { name: 'Upload' }).click();

    // Then the summary says what changed
    const summary = page.locator('.jp-LiveGraphs-changes');
    await expect(summary.locator('.jp-LiveGraphs-changeRows')).toHaveText(
      '2 rows added, 0 rows removed: 4 rows now (version 2).'
    );
    await expect(summary.getByRole('list', { name: 'Column changes' })).toHaveText(
      'Added wind (integer)'
    );
    await expect(summary).toContainText('No problem values');
    await attachScreenshot(page, testInfo, 'new-data-append');
    await page.locator('.jp-Dialog').getByRole('button', { name: 'Done' }).click();
    await expect(datasetItem(panel, 'weather')).toContainText('4 rows');
    expect(await columnsOf(request, baseURL, ds.id)).toEqual({
      city: 'string',
      temp: 'float',
      day: 'date',
      wind: 'integer'
    });
  });

  test('a replace names the chart using a retyped column; making bad values missing keeps the type', async ({
    page,
    request,
    baseURL,
    tmpPath
  }, testInfo) => {
    // Given a dataset and a shared chart on its day column
    const ds = await uploadViaApi(request, baseURL, 'weather', OLD);
    const made = await request.post(apiUrl(baseURL, 'documents'), {
      data: {
        kind: 'chart',
        title: 'Days',
        content: { version: 1, dataset: { id: ds.id }, mark: 'bar', encoding: { x: { field: 'day' } } }
      }
    });
    expect(made.status(), await made.text()).toBe(201);
    // and a dashboard file of the file browser with a chart on it
    const board = {
      version: 1,
      title: 'Weather board',
      charts: {
        c1: {
          spec: { version: 1, dataset: { id: ds.id }, title: 'By day', mark: 'bar', encoding: { x: { field: 'day' } } },
          layout: { x: 0, y: 0, w: 6, h: 4 }
        }
      }
    };
    await page.contents.uploadContent(JSON.stringify(board), 'text', `${tmpPath}/weather.lgdash`);
    const file = testInfo.outputPath('new.csv');
    fs.writeFileSync(file, withBadDate());
    const panel = await openPanel(page);

    // When the file with one bad date replaces the data, its bad values kept as text
    await datasetItem(panel, 'weather').click({ button: 'right' });
    await page.getByRole('menuitem', { name: 'Upload New Data…' }).click();
    const dialog = page.locator('.jp-Dialog');
    await dialog.locator('input[type="file"]').setInputFiles(file);
    await dialog.getByLabel('Replace the data of weather').check();
    await expect(dialog.getByLabel('Bad values')).toHaveValue('text');
    await dialog.getByRole('button', { name: 'Upload' }).click();

    // Then the day column became text, the chart using it is named, and the bad value listed
    const summary = page.locator('.jp-LiveGraphs-changes');
    await expect(summary.getByRole('list', { name: 'Column changes' })).toHaveText(
      'Retyped day: date → string'
    );
    await expect(
      summary.getByRole('list', { name: 'Charts and dashboards using those columns' })
    ).toContainText('Chart “Days”');
    await expect(summary.locator('.jp-LiveGraphs-changeFile')).toHaveText(
      `Dashboard file ${tmpPath}/weather.lgdash (“Weather board”): chart By day (day)`
    );
    await expect(summary).toContainText('1 value broke its column’s type');
    await expect(summary.getByRole('list', { name: 'Problem values' })).toContainText(
      'Row 25, day: 2024-02-30 (expected date)'
    );
    await attachScreenshot(page, testInfo, 'new-data-bad-values');
    expect((await columnsOf(request, baseURL, ds.id)).day).toBe('string');

    // And "Make them missing" sends it again: day stays a date column
    await dialog.getByRole('button', { name: 'Make them missing' }).click();
    await expect(summary.locator('.jp-LiveGraphs-changeBad')).toHaveText(
      'They were made missing; their columns kept their type.'
    );
    await expect(summary.getByRole('list', { name: 'Column changes' })).toHaveText(
      'Columns unchanged'
    );
    await expect(summary.locator('.jp-LiveGraphs-changeRows')).toContainText('25 rows now');
    expect(await columnsOf(request, baseURL, ds.id)).toEqual({
      city: 'string',
      temp: 'float',
      day: 'date'
    });
    // in one step onto the version before the first try: no revert between
    const versions = await request.get(
      apiUrl(baseURL, 'datasets', ds.id, 'versions')
    );
    const kinds = (await versions.json()).versions.map(
      (v: { kind: string }) => v.kind
    );
    expect(kinds.slice(-2)).toEqual(['replace', 'replace']);
    await dialog.getByRole('button', { name: 'Done' }).click();
    await expect(dialog).toHaveCount(0);
  });
});
