import { expect, test } from '@jupyterlab/galata';
import * as fs from 'fs';

import { dragField, drawnTraces } from './builder-helpers';
import {
  apiUrl,
  attachScreenshot,
  corpus,
  deleteAll,
  openDataset,
  openPanel,
  showSidePanel,
  uploadViaApi
} from './workspace-helpers';

test.describe('the Model panel', () => {
  test.setTimeout(240_000);

  test('pick a target and features, train, read the report, add the predictions', async ({
    page,
    request,
    baseURL
  }, testInfo) => {
    await deleteAll(request, baseURL);
    const tips = fs.readFileSync(corpus('real', 'tips.csv'));
    const dataset = await uploadViaApi(request, baseURL, 'tips', tips);
    const panel = await openPanel(page);
    const view = await openDataset(page, panel, dataset);
    await showSidePanel(page, view);
    await view.getByRole('tab', { name: 'Model' }).click();
    const model = view.locator('.jp-LiveGraphs-ModelView');

    // Given a target and three features dragged onto their shelves
    await dragField(page, model, 'tip', 'Target');
    for (const name of ['total_bill', 'day']) {
      await dragField(page, model, name, 'Features');
    }
    // (or picked)
    await model.getByLabel('Feature size').check();
    await expect(model.getByLabel('Target', { exact: true })).toHaveValue('tip');
    await expect(
      model.getByRole('list', { name: 'Features shelf' }).locator('li')
    ).toHaveText(['total_bill×', 'day×', 'size×']);
    // the target cannot be ticked as a feature too
    await expect(model.getByLabel('Feature tip')).toBeDisabled();

    // When it is trained, Cancel stops it
    await model.getByLabel('Algorithm').selectOption('boosting');
    await model.getByLabel('Evaluation').selectOption('cv');
    await model.getByRole('button', { name: 'Train' }).click();
    await expect(model.getByLabel('Training')).toBeVisible();
    await model.getByRole('button', { name: 'Cancel' }).click();
    await expect(model).toHaveAttribute('data-lg-state', 'failed');
    await expect(model.getByRole('status')).toHaveText('Training cancelled.');

    // When it is trained to the end
    await model.getByLabel('Algorithm').selectOption('linear');
    await model.getByLabel('Evaluation').selectOption('holdout');
    await model.getByRole('button', { name: 'Train' }).click();
    await expect(model).toHaveAttribute('data-lg-state', 'done', {
      timeout: 120_000
    });
    await expect(model.getByRole('button', { name: 'Cancel' })).toBeHidden();

    // Then the report shows the server's metrics beside the baseline
    const response = await request.post(
      apiUrl(baseURL, 'datasets', dataset.id, 'models'),
      {
        data: {
          spec: {
            target: 'tip',
            features: ['total_bill', 'day', 'size'],
            algorithm: 'linear',
            evaluation: 'holdout'
          }
        },
        timeout: 120_000
      }
    );
    expect(response.status()).toBe(200);
    const expected = (await response.json()).metrics;
    const metrics = model.getByRole('table', { name: 'Metrics' });
    for (const key of ['r2', 'mae', 'rmse']) {
      const cells = metrics.locator(`tr[data-metric="${key}"] td`);
      await expect(cells.nth(1)).toHaveText(expected.model[key].toFixed(4));
      await expect(cells.nth(2)).toHaveText(expected.baseline[key].toFixed(4));
    }
    // drawn by the charts' own view
    const residuals = model.locator('[data-lg-chart="residuals"]');
    const importance = model.locator('[data-lg-chart="importance"]');
    await expect(residuals).toHaveAttribute('data-lg-state', 'ready');
    await expect(importance).toHaveAttribute('data-lg-state', 'ready');
    await expect(residuals.locator('.bars .point')).toHaveCount(30);
    await expect(importance.locator('.xtick text').first()).toHaveText(
      'total_bill'
    );
    await attachScreenshot(page, testInfo, 'model-report', view);

    // The code copies and shows
    await model.getByRole('button', { name: 'Copy code' }).click();
    const code = page.getByLabel('Model code');
    await expect(code).toContainText("lg.load('tips', version=1)");
    await page.locator('.jp-Dialog').getByRole('button', { name: 'Close' }).click();

    // When the predictions are added, the dataset moves to a new version with the column
    await model.getByRole('button', { name: 'Add predictions' }).click();
    await expect(view).toHaveAttribute('data-lg-version', '2', { timeout: 120_000 });
    const after = await request.get(apiUrl(baseURL, 'datasets', dataset.id));
    const columns = (await after.json()).columns.map((c: any) => c.name);
    expect(columns[columns.length - 1]).toBe('tip_predicted');
    await view.getByRole('tab', { name: 'Recipe' }).click();
    await expect(view.locator('.jp-LiveGraphs-recipeOp')).toHaveText(['model']);
  });

  test('a class target: classification, metrics beside the majority class, a confusion matrix', async ({
    page,
    request,
    baseURL
  }, testInfo) => {
    await deleteAll(request, baseURL);
    const titanic = fs.readFileSync(corpus('real', 'titanic.csv'));
    const dataset = await uploadViaApi(request, baseURL, 'titanic', titanic);
    const panel = await openPanel(page);
    const view = await openDataset(page, panel, dataset);
    await showSidePanel(page, view);
    await view.getByRole('tab', { name: 'Model' }).click();
    const model = view.locator('.jp-LiveGraphs-ModelView');

    // Given Survived (0 or 1) as the target and three features, the kind left to the target
    await dragField(page, model, 'Survived', 'Target');
    for (const name of ['Pclass', 'Sex', 'Fare']) {
      await dragField(page, model, name, 'Features');
    }
    await expect(model.getByLabel('Kind')).toHaveValue('');

    // When it is trained
    await model.getByRole('button', { name: 'Train' }).click();
    await expect(model).toHaveAttribute('data-lg-state', 'done', {
      timeout: 120_000
    });

    // Then the type was chosen from the target: a classification
    await expect(model.locator('.jp-LiveGraphs-modelSummary')).toHaveText(
      /^classification: holdout/
    );
    const response = await request.post(
      apiUrl(baseURL, 'datasets', dataset.id, 'models'),
      {
        data: {
          spec: {
            target: 'Survived',
            features: ['Pclass', 'Sex', 'Fare'],
            algorithm: 'linear',
            evaluation: 'holdout'
          }
        },
        timeout: 120_000
      }
    );
    expect(response.status()).toBe(200);
    const report = await response.json();
    expect(report.spec.kind).toBe('classification');
    // accuracy, F1 and ROC AUC beside the majority class's
    const metrics = model.getByRole('table', { name: 'Metrics' });
    await expect(metrics.locator('tr[data-metric] td:first-child')).toHaveText([
      'Accuracy',
      'F1 (macro)',
      'ROC AUC'
    ]);
    for (const key of ['accuracy', 'f1', 'roc_auc']) {
      const cells = metrics.locator(`tr[data-metric="${key}"] td`);
      await expect(cells.nth(1)).toHaveText(report.metrics.model[key].toFixed(4));
      await expect(cells.nth(2)).toHaveText(
        report.metrics.baseline[key].toFixed(4)
      );
    }
    // the majority class always says "died": it is right as often as the test rows died
    const [died, lived] = report.confusion.matrix.map((row: number[]) =>
      row.reduce((a, b) => a + b, 0)
    );
    expect(report.metrics.baseline.accuracy).toBeCloseTo(
      died / (died + lived),
      9
    );
    expect(report.metrics.model.accuracy).toBeGreaterThan(
      report.metrics.baseline.accuracy
    );

    // the confusion matrix: a table and a heatmap drawn by the charts' own view
    expect(report.confusion.labels).toEqual(['0', '1']);
    const table = model.getByRole('table', { name: 'Confusion matrix' });
    await expect(table.locator('td')).toHaveText(
      report.confusion.matrix.flat().map(String)
    );
    const confusion = model.locator('[data-lg-chart="confusion"]');
    await expect(confusion).toHaveAttribute('data-lg-state', 'ready');
    const cells: string[] = [];
    report.confusion.matrix.forEach((row: number[], i: number) =>
      row.forEach((n, j) => cells.push(`${i}|${j}=${n}`))
    );
    await expect
      .poll(async () => {
        const drawn = await drawnTraces(confusion);
        if (drawn.length !== 1 || drawn[0].type !== 'heatmap') {
          return drawn.map(t => t.type);
        }
        const [t] = drawn;
        return t.z.map((z: number, i: number) => `${t.y[i]}|${t.x[i]}=${z}`);
      })
      .toEqual(cells);
    // no residuals for a classification
    await expect(model.locator('[data-lg-chart="residuals"]')).toHaveCount(0);
    await attachScreenshot(page, testInfo, 'model-classification', view);
  });
});
