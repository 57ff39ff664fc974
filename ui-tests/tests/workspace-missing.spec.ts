import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { APIRequestContext, Locator } from '@playwright/test';

import {
  apiUrl,
  attachScreenshot,
  deleteAll,
  openDataset,
  openPanel,
  showSidePanel,
  uploadViaApi
} from './workspace-helpers';

// a step rewrites the dataset on a shared, loaded test machine
const STEP = { timeout: 30_000 };

/**
 * Penguins as R writes them: NA for a missing sex or score. A third of the
 * scores are "pending", so the upload keeps score as text.
 */
function penguinsCsv(): string {
  const lines = ['species,island,bill_length_mm,sex,score'];
  const kinds = [
    ['Adelie', 'Torgersen'],
    ['Gentoo', 'Biscoe'],
    ['Chinstrap', 'Dream']
  ];
  for (let i = 0; i < 18; i++) {
    const [species, island] = kinds[i % 3];
    const bill = i % 9 === 4 ? 'NA' : (38 + i * 0.7).toFixed(1);
    const sex = i % 6 === 1 ? 'NA' : i % 2 ? 'female' : 'male';
    const score = i % 3 === 2 ? 'pending' : i % 6 === 1 ? 'NA' : String(10 + i);
    lines.push([species, island, bill, sex, score].join(','));
  }
  return lines.join('\n') + '\n';
}

/**
 * Upload the penguins, filter out the pending scores, and open the view with
 * its side panel.
 */
async function openPenguins(
  page: IJupyterLabPageFixture,
  request: APIRequestContext,
  baseURL: string | undefined
): Promise<{ view: Locator; report: Locator }> {
  await deleteAll(request, baseURL);
  const dataset = await uploadViaApi(request, baseURL, 'penguins', penguinsCsv());
  const types = Object.fromEntries(dataset.columns.map((c: any) => [c.name, c.type]));
  expect(types).toMatchObject({ sex: 'string', score: 'string' });
  const filtered = await request.post(apiUrl(baseURL, 'datasets', dataset.id, 'transforms'), {
    data: {
      step: { op: 'filter', conditions: [{ column: 'score', cmp: 'ne', value: 'pending' }] }
    }
  });
  expect(filtered.status()).toBe(201);
  const panel = await openPanel(page);
  const view = await openDataset(page, panel, dataset);
  await showSidePanel(page, view);
  const report = view.locator('.jp-LiveGraphs-ReportView');
  await expect(report.locator('.jp-LiveGraphs-reportSummary')).toContainText(
    '12 rows · 5 columns'
  );
  return { view, report };
}

/**
 * The report's row of a column.
 */
function row(report: Locator, name: string): Locator {
  return report.locator(`tr[data-column="${name}"]`);
}

test.describe('missing values in one step', () => {
  test.setTimeout(240_000);
  test.use({ viewport: { width: 1440, height: 900 } });

  test('a column changed on its own reads NA as missing, not as problems', async ({
    page,
    request,
    baseURL
  }) => {
    // Given penguins whose pending scores were filtered out: score holds NA as text
    const { view, report } = await openPenguins(page, request, baseURL);
    const problems = view.getByRole('list', { name: 'Problem rows' });

    // When score alone is changed to integer in the report
    await row(report, 'score').getByRole('combobox').selectOption('integer');
    await page
      .locator('.jp-Dialog')
      .getByRole('button', { name: 'Change type' })
      .click();
    await expect(view).toHaveAttribute('data-lg-version', '3', STEP);

    // Then its NA are missing values, not problems (as on upload)
    await expect(problems).toHaveCount(0);
    await expect(report.locator('.jp-LiveGraphs-reportSummary')).toContainText(
      'version 3 · no problems'
    );
    await expect(row(report, 'score').locator('td').nth(2)).toHaveText('3');
  });

  test('"Treat NA as missing in all columns" is one step, reported, coded and undoable', async ({
    page,
    request,
    baseURL,
    tmpPath
  }, testInfo) => {
    // Given penguins whose sex and score hold NA as text
    const { view, report } = await openPenguins(page, request, baseURL);
    const summary = report.locator('.jp-LiveGraphs-reportSummary');
    const problems = view.getByRole('list', { name: 'Problem rows' });
    const dialog = page.locator('.jp-Dialog');

    // When NA is treated as missing in all columns at once
    const treat = report.getByRole('button', {
      name: 'Treat NA as missing in all columns'
    });
    await expect(treat).toBeVisible();
    await treat.click();

    // Then one new version: the report, drawn again, says what the step did
    await expect(view).toHaveAttribute('data-lg-version', '3', STEP);
    await expect(summary).toContainText('12 rows · 5 columns · version 3 · no problems');
    const notes = report.getByRole('list', { name: 'Notes' });
    await expect(notes).toContainText("column 'sex': 3 values read as missing");
    await expect(notes).toContainText(
      "column 'score' is now integer: its other values are all whole numbers"
    );
    await expect(row(report, 'score').getByRole('combobox')).toHaveValue('integer');
    await expect(row(report, 'sex').locator('td').nth(2)).toHaveText('3');
    await expect(problems).toHaveCount(0);
    await attachScreenshot(page, testInfo, 'report-after-treat-na-light', report);

    // And sex's categories no longer include NA
    const grid = view.locator('.jp-LiveGraphs-grid');
    await grid.click({ position: { x: 72 + 70, y: 28 + 12 } });
    for (let i = 0; i < 3; i++) {
      await page.keyboard.press('ArrowRight');
    }
    await expect(view).toHaveAttribute('data-lg-column', 'sex');
    await view.getByRole('tab', { name: 'Profile' }).click();
    const profile = view.locator('.jp-LiveGraphs-ProfileView');
    await expect(profile.locator('.jp-LiveGraphs-topValue')).toHaveText([
      'male',
      'female'
    ]);

    // And the recipe shows it as one step, which "Copy as code" writes in pandas
    await view.getByRole('tab', { name: 'Recipe' }).click();
    const steps = view
      .getByRole('list', { name: 'Recipe steps' })
      .getByRole('listitem');
    await expect(steps).toHaveCount(3);
    await expect(steps.last()).toContainText('markers_to_null');
    await expect(steps.last()).toContainText(
      'Treat missing-value markers (empty text, NA, N/A'
    );
    await attachScreenshot(page, testInfo, 'recipe-after-treat-na', view);
    await view.getByRole('button', { name: 'Copy as code' }).click();
    const code = (await dialog.getByLabel('Recipe code').textContent())!;
    expect(code).toContain('# markers_to_null');
    expect(code).toContain("df['sex'] = df['sex'].mask(df['sex'].isin(");
    await dialog.getByRole('button', { name: 'Close' }).click();

    // And that code, run in a notebook, gives the dataset exactly
    await page.contents.uploadContent(code, 'text', `${tmpPath}/recipe.py`);
    await page.notebook.createNew('check.ipynb');
    await page.notebook.setCell(
      0,
      'code',
      [
        'exec(open("recipe.py").read())',
        'expected = lg.load("penguins")',
        'rows = lambda frame: [[None if pd.isna(v) else v for v in r] for r in frame.astype(object).itertuples(index=False)]',
        'same = list(df.dtypes) == list(expected.dtypes) and rows(df) == rows(expected)',
        'print("SAME" if same else f"DIFFERENT\\n{df.dtypes}\\n{expected.dtypes}")'
      ].join('\n')
    );
    await page.notebook.run();
    await expect
      .poll(
        async () => (await page.notebook.getCellTextOutput(0))?.join('') ?? '',
        { timeout: 60_000 }
      )
      .toContain('SAME');

    // And the step is undone like any other
    await page.getByRole('tab', { name: 'penguins' }).click();
    await steps.getByRole('button', { name: /^Undo: Treat/ }).click();
    await expect(view).toHaveAttribute('data-lg-version', '4', STEP);
    await view.getByRole('tab', { name: 'Report' }).click();
    await expect(row(report, 'sex').locator('td').nth(2)).toHaveText('0');
    await expect(row(report, 'score').getByRole('combobox')).toHaveValue('string');

    await page.theme.setDarkTheme();
    await attachScreenshot(page, testInfo, 'report-after-undo-dark', report);
  });

  test('a column kept as text for one bad date is made a date, the bad value missing', async ({
    page,
    request,
    baseURL
  }) => {
    // Given an upload whose shipped column holds dates and one value that is not
    await deleteAll(request, baseURL);
    const lines = ['order,shipped'];
    for (let i = 1; i <= 18; i++) {
      lines.push(`${i},${i === 7 ? 'soon' : i === 12 ? '' : `2024-01-${String(i).padStart(2, '0')}`}`);
    }
    const csv = lines.join('\n') + '\n';
    const dataset = await uploadViaApi(request, baseURL, 'orders', csv);
    expect(dataset.columns.find((c: any) => c.name === 'shipped').type).toBe('string');
    const panel = await openPanel(page);
    const view = await openDataset(page, panel, dataset);
    await showSidePanel(page, view);
    const report = view.locator('.jp-LiveGraphs-ReportView');
    const problems = view.getByRole('list', { name: 'Problem rows' });
    await expect(problems.getByRole('listitem')).toHaveCount(1);
    await expect(problems).toContainText('soon');
    await expect(problems).toContainText('expected date');
    // (no such offer on a column that is not text)
    await expect(row(report, 'order').getByRole('button')).toHaveCount(0);

    // When the report's offer for that column is taken
    await row(report, 'shipped')
      .getByRole('button', { name: 'Make shipped date, its bad values missing' })
      .click();
    await page
      .locator('.jp-Dialog')
      .getByRole('button', { name: 'Change type' })
      .click();

    // Then shipped is a date column in a new version, "soon" one more missing value,
    // listed as the value the step made missing
    await expect(view).toHaveAttribute('data-lg-version', '2', STEP);
    await expect(row(report, 'shipped').getByRole('combobox')).toHaveValue('date');
    await expect(row(report, 'shipped').locator('td').nth(2)).toHaveText('2');
    await expect(problems.getByRole('listitem')).toHaveCount(1);
    await expect(problems).toContainText('soon');
    await expect(row(report, 'shipped').getByRole('button')).toHaveCount(0);
  });
});
