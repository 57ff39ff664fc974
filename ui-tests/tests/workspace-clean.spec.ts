import { expect, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';

import {
  attachScreenshot,
  deleteAll,
  openDataset,
  openPanel,
  showSidePanel,
  uploadViaApi
} from './workspace-helpers';

const CSV = [
  'product,price,quantity,region',
  'A,2.5,4,North',
  'B,3.0,,South',
  'C,1.25,8,North',
  'D,4.0,2,East',
  'E,,5,North',
  ''
].join('\n');

test.describe('cleaning without code', () => {
  test.setTimeout(180_000);

  test('cast, filter and derive through the UI; undo; the recipe code gives the same rows', async ({
    page,
    request,
    baseURL
  }, testInfo) => {
    await deleteAll(request, baseURL);
    const dataset = await uploadViaApi(request, baseURL, 'orders', CSV);
    const panel = await openPanel(page);
    const view = await openDataset(page, panel, dataset);
    await showSidePanel(page, view);
    const info = view.locator('.jp-LiveGraphs-viewInfo');
    const dialog = page.locator('.jp-Dialog');
    await expect(info).toContainText('5 rows · 4 columns · version 1');

    // When quantity's type is changed to float in the validation report
    const report = view.locator('.jp-LiveGraphs-ReportView');
    await report
      .locator('tr[data-column="quantity"]')
      .getByRole('combobox')
      .selectOption('float');
    await expect(dialog.getByLabel('New type')).toHaveValue('float');
    await expect(dialog.getByLabel('Column', { exact: true })).toHaveValue('quantity');
    await dialog.getByRole('button', { name: 'Change type' }).click();
    // Then the grid shows a new version, and the report the new type
    await expect(view).toHaveAttribute('data-lg-version', '2');
    await expect(
      report.locator('tr[data-column="quantity"]').getByRole('combobox')
    ).toHaveValue('float');

    // When rows are filtered from the toolbar: region is one of the values ticked
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await dialog.getByLabel('Keep rows where').selectOption('region');
    await dialog.getByLabel('Condition').selectOption('in');
    await expect(dialog.getByLabel('And (for "is between")')).toBeHidden();
    await dialog.getByRole('checkbox', { name: 'North (3)' }).check();
    await expect(dialog.getByRole('checkbox')).toHaveCount(3);
    await attachScreenshot(page, testInfo, 'filter-by-values', dialog);
    await dialog.getByRole('button', { name: 'Filter', exact: true }).click();
    await expect(view).toHaveAttribute('data-lg-version', '3');
    await expect(info).toContainText('3 rows · 4 columns · version 3');

    // When a column is derived with the formula editor
    await page.getByRole('button', { name: 'New Column', exact: true }).click();
    await dialog.getByLabel('New column name').fill('total');
    const formula = dialog.getByRole('combobox', { name: 'Formula' });
    // a broken formula shows its error inline, with a caret under it
    await formula.fill('[price] *');
    const error = dialog.locator('.jp-LiveGraphs-formulaError');
    await expect(error).toContainText('^');
    await expect(formula).toHaveAttribute('aria-invalid', 'true');
    // column names complete as you type
    await formula.fill('');
    await formula.pressSequentially('[pri');
    const option = dialog.getByRole('option').filter({ hasText: /^price/ });
    await expect(option).toBeVisible();
    await formula.press('Tab');
    await expect(formula).toHaveValue('[price]');
    await formula.pressSequentially(' * qua');
    await expect(dialog.getByRole('option').first()).toContainText('quantity');
    await formula.press('Enter');
    await expect(formula).toHaveValue('[price] * [quantity]');
    await expect(dialog.locator('.jp-LiveGraphs-formulaStatus')).toHaveText('→ float');
    await expect(error).toBeHidden();
    await attachScreenshot(page, testInfo, 'formula-editor', dialog);
    await dialog.getByRole('button', { name: 'Add column' }).click();
    await expect(view).toHaveAttribute('data-lg-version', '4');
    await expect(info).toContainText('3 rows · 5 columns · version 4');

    // Then the recipe lists the three steps
    await view.getByRole('tab', { name: 'Recipe' }).click();
    const steps = view.getByRole('list', { name: 'Recipe steps' }).getByRole('listitem');
    await expect(steps).toHaveCount(4);
    await attachScreenshot(page, testInfo, 'recipe-after-three-steps');

    // When the recipe is copied as code
    await view.getByRole('button', { name: 'Copy as code' }).click();
    const code = await dialog.getByLabel('Recipe code').textContent();
    expect(code).toContain("lg.load('orders', version=1)");
    await dialog.getByRole('button', { name: 'Close' }).click();

    // Then, run with pandas in a notebook, it gives the same rows as the dataset
    await runInNotebook(page, code!);

    // When the derive step is undone from the recipe panel
    await page.getByRole('tab', { name: 'orders' }).click();
    await steps.getByRole('button', { name: /^Undo: / }).last().click();
    // Then the version before it is back (as a new version)
    await expect(view).toHaveAttribute('data-lg-version', '5');
    await expect(info).toContainText('3 rows · 4 columns · version 5');
    await expect(steps).toHaveCount(3);
    const rows = await request.get(
      new URL(`livegraphs/api/datasets/${dataset.id}/rows?limit=10`, `${baseURL}/`).href
    );
    const page5 = await rows.json();
    expect(page5.columns).toEqual(['product', 'price', 'quantity', 'region']);
    expect(page5.rows).toEqual([
      ['A', 2.5, 4.0, 'North'],
      ['C', 1.25, 8.0, 'North'],
      ['E', null, 5.0, 'North']
    ]);
    await attachScreenshot(page, testInfo, 'after-undo');
  });
});

/**
 * Run the recipe code in a new notebook and compare its frame with the dataset.
 */
async function runInNotebook(page: any, code: string): Promise<void> {
  const check = [
    code,
    'expected = lg.load("orders")',
    // One line each: the editor indents typed lines after a block opener.
    'rows = lambda frame: [[None if pd.isna(v) else v for v in r] for r in frame.astype(object).itertuples(index=False)]',
    'same = list(df.columns) == list(expected.columns) and rows(df) == rows(expected)',
    'print("SAME" if same else f"DIFFERENT\\n{df}\\n{expected}")'
  ].join('\n');
  await page.notebook.createNew('recipe-check.ipynb');
  await page.notebook.setCell(0, 'code', check);
  await page.notebook.run();
  await expect
    .poll(async () => (await page.notebook.getCellTextOutput(0))?.join('') ?? '', {
      timeout: 60_000
    })
    .toContain('SAME');
  const output: Locator = page.locator('.jp-OutputArea-output').first();
  await expect(output).not.toContainText('DIFFERENT');
}

test('a cast lists the values that did not fit; each jumps to its row', async ({
  page,
  request,
  baseURL
}, testInfo) => {
  // Given a text column with a value that is not a number
  await deleteAll(request, baseURL);
  const rows = ['code,label'];
  for (let i = 1; i <= 300; i++) {
    rows.push(`${i === 250 ? 'n/a' : i},row ${i}`);
  }
  const dataset = await uploadViaApi(request, baseURL, 'codes', rows.join('\n') + '\n');
  expect(dataset.columns[0].type).toBe('string');
  const panel = await openPanel(page);
  const view = await openDataset(page, panel, dataset);

  // When it is cast to integer from the toolbar
  await page.getByRole('button', { name: 'Change Type', exact: true }).click();
  const dialog = page.locator('.jp-Dialog');
  await dialog.getByLabel('Column', { exact: true }).selectOption('code');
  await dialog.getByLabel('New type').selectOption('integer');
  await dialog.getByRole('button', { name: 'Change type' }).click();
  await expect(view).toHaveAttribute('data-lg-version', '2');

  // Then the report lists the problem value with its row and expected type
  const problems = view.getByRole('list', { name: 'Problem rows' });
  const problem = problems.getByRole('button');
  await expect(problem).toHaveCount(1);
  await expect(problem).toContainText('Row 250');
  await expect(problem).toContainText('n/a');
  await expect(problem).toContainText('expected integer');
  await expect(
    view.locator('tr[data-column="code"]').getByRole('combobox')
  ).toHaveValue('integer');

  // And clicking it takes the grid to that row
  await problem.click();
  await expect(view.locator('.jp-LiveGraphs-viewInfo')).toContainText(
    'Row 250 of 300 rows'
  );
  await attachScreenshot(page, testInfo, 'report-problem-jump');

  // And the keyboard opens that column's menu (Shift+F10)
  await page.keyboard.press('Shift+F10');
  const menu = page.locator('.jp-LiveGraphs-columnMenu');
  await expect(menu.getByText('Fill Nulls…')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(menu).toHaveCount(0);
});
