import { expect, test } from '@jupyterlab/galata';
import type { Locator, Page } from '@playwright/test';

import { dragField } from './builder-helpers';
import { savedFile, uploadCSV } from './collab-helpers';
import { attachScreenshot } from './workspace-helpers';

/**
 * Four years of monthly sales with a trend and a yearly season, and two
 * numbers for a scatter.
 */
function monthly(): { csv: string; xs: number[]; ys: number[] } {
  const lines = ['month,sales,spend,visits'];
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < 48; i++) {
    const year = 2021 + Math.floor(i / 12);
    const month = String((i % 12) + 1).padStart(2, '0');
    const sales = 100 + 2 * i + 15 * Math.sin((2 * Math.PI * i) / 12);
    const spend = 10 + ((i * 7) % 23);
    const visits = 3 * spend + 5 + ((i * 5) % 11) - 5;
    xs.push(spend);
    ys.push(visits);
    lines.push(`${year}-${month}-01,${sales.toFixed(2)},${spend},${visits}`);
  }
  return { csv: lines.join('\n'), xs, ys };
}

/**
 * The traces Plotly drew, as far as the test reads them.
 */
function traces(builder: Locator): Promise<any[]> {
  return builder.locator('.jp-LiveGraphs-chartPlot').evaluate((node: any) =>
    (node.data ?? []).map((t: any) => ({
      name: t.name,
      mode: t.mode,
      dash: t.line?.dash,
      fill: t.fill,
      overlay: t.meta?.overlay,
      n: Array.from(t.x ?? []).length
    }))
  );
}

async function newChart(page: Page, datasetId: string): Promise<Locator> {
  await page.evaluate(
    id =>
      (window as any).jupyterapp.commands.execute('livegraphs:new-chart', {
        datasetId: id
      }),
    datasetId
  );
  return page
    .locator('.jp-MainAreaWidget:not(.lm-mod-hidden) .jp-LiveGraphs-ChartBuilder')
    .last();
}

test.describe('chart overlays', () => {
  test.use({ autoGoto: true });

  test('a forecast on a line over time, and a linear trend on a scatter', async ({
    page,
    baseURL
  }, testInfo) => {
    test.setTimeout(180000);
    const { csv, xs, ys } = monthly();
    const dataset = await uploadCSV(page, baseURL!, csv, `monthly-${Date.now()}`);

    // Given a line of sales over the months
    const builder = await newChart(page, dataset.id);
    const chart = builder.locator('.jp-LiveGraphs-ChartView');
    const path: string = await page.evaluate(
      () => (window as any).jupyterapp.shell.currentWidget.context.path
    );
    await dragField(page, builder, 'month', 'X axis');
    await dragField(page, builder, 'sales', 'Y axis');
    await expect(builder.locator('.jp-LiveGraphs-markPicker')).toHaveAttribute(
      'data-suggested',
      'line'
    );
    await expect(chart).toHaveAttribute('data-lg-state', 'ready', {
      timeout: 30000
    });

    // When a forecast of 6 periods is added in the Analytics controls
    const periods = builder.getByRole('spinbutton', { name: 'Forecast periods' });
    await expect(periods).toBeEnabled();
    await periods.fill('6');
    await periods.press('Tab');

    // Then a dashed forecast of 6 months (after the last one) is drawn in a shaded band
    await expect
      .poll(async () =>
        (await traces(builder))
          .filter(t => t.overlay)
          .map(t => [t.overlay, t.dash ?? null, t.fill ?? null, t.n])
      , { timeout: 30000 })
      .toEqual([
        ['forecast-band', null, null, 7],
        ['forecast-band', null, 'tonexty', 7],
        ['forecast', 'dash', null, 7]
      ]);
    const legend = builder.locator('.jp-LiveGraphs-chartPlot .legendtext');
    await expect(legend.filter({ hasText: /forecast, ETS\(A,/ })).toHaveCount(1);
    // and the chosen overlay is in the shared spec
    await expect
      .poll(async () => (await savedFile(page, baseURL!, path))?.overlays, {
        timeout: 20000
      })
      .toEqual([{ kind: 'forecast', periods: 6 }]);
    await attachScreenshot(page, testInfo, 'forecast', builder);

    // When the mark becomes bars, which take no forecast
    await builder.locator('.jp-LiveGraphs-markPicker').selectOption('bar');
    // Then the bars draw without it, and the spec still holds it for when the line comes back
    await expect
      .poll(async () => (await traces(builder)).map(t => t.overlay ?? 'bars'), {
        timeout: 30000
      })
      .toEqual(['bars']);
    await expect(chart).toHaveAttribute('data-lg-state', 'ready');
    // (a trend cannot be added to bars; the forecast set stays editable, to remove it)
    await expect(
      builder.getByRole('combobox', { name: 'Trend line' })
    ).toBeDisabled();
    await expect(periods).toHaveValue('6');
    await builder.locator('.jp-LiveGraphs-markPicker').selectOption('line');
    await expect
      .poll(async () => (await traces(builder)).filter(t => t.overlay).length, {
        timeout: 30000
      })
      .toBe(3);
    expect((await savedFile(page, baseURL!, path))?.overlays).toEqual([
      { kind: 'forecast', periods: 6 }
    ]);

    // Given a scatter of visits against spend
    const scatter = await newChart(page, dataset.id);
    await dragField(page, scatter, 'spend', 'X axis');
    await dragField(page, scatter, 'visits', 'Y axis');
    await expect(scatter.locator('.jp-LiveGraphs-markPicker')).toHaveAttribute(
      'data-suggested',
      'scatter'
    );

    // When a linear trend is added
    await scatter
      .getByRole('combobox', { name: 'Trend line' })
      .selectOption('linear');

    // Then its legend gives the least-squares equation and R²
    const n = xs.length;
    const mx = xs.reduce((a, b) => a + b) / n;
    const my = ys.reduce((a, b) => a + b) / n;
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    for (let i = 0; i < n; i++) {
      sxy += (xs[i] - mx) * (ys[i] - my);
      sxx += (xs[i] - mx) ** 2;
      syy += (ys[i] - my) ** 2;
    }
    const slope = sxy / sxx;
    const intercept = my - slope * mx;
    const r2 = (sxy * sxy) / (sxx * syy);
    const equation = `visits = ${Number(slope.toPrecision(4))}·spend + ${Number(
      intercept.toPrecision(4)
    )}, R² = ${r2.toFixed(3)}`;
    await expect(
      scatter.locator('.jp-LiveGraphs-chartPlot .legendtext')
    ).toContainText([equation], { timeout: 30000 });
    await attachScreenshot(page, testInfo, 'trend', scatter);
  });
});
