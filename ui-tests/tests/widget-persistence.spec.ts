import { expect, test } from '@jupyterlab/galata';
import type { Locator, Page } from '@playwright/test';

import { uploadCSV } from './collab-helpers';
import { codeNotebook } from './workspace-helpers';

const CSV = ['region,revenue', 'EMEA,100', 'APAC,50', 'AMER,10'].join('\n');

async function open(page: Page, path: string): Promise<void> {
  await page.evaluate(async p => {
    await (window as any).jupyterapp.commands.execute('docmanager:open', {
      path: p,
      factory: 'Notebook'
    });
  }, path);
  await expect(page.locator('.jp-NotebookPanel .jp-Cell').first()).toBeVisible();
}

/**
 * The bar heights drawn in the first chart of `output`, smallest first.
 */
function bars(output: Locator): Promise<number[]> {
  return output
    .locator('.jp-LiveGraphs-chartPlot')
    .first()
    .evaluate((node: any) =>
      Array.from<number>(node.data[0].y).sort((a, b) => a - b)
    );
}

// Galata's kernel tracking answers every POST to a kernel as a creation, which breaks a
// restart; this test talks to the real kernels API and shuts its kernels down itself.
test.use({ kernels: null as any });

test('a chart widget survives a kernel restart and a reopened notebook', async ({
  page,
  baseURL,
  tmpPath
}) => {
  test.setTimeout(180000);
  // Given a dataset and a notebook that draws a chart of it with lg.chart
  const dataset = await uploadCSV(page, baseURL!, CSV, `persist-${Date.now()}`);
  const name = dataset.name;
  const path = `${tmpPath}/persist.ipynb`;
  const created = await page.request.put(
    new URL(`api/contents/${path}`, `${baseURL}/`).href,
    {
      data: {
        type: 'notebook',
        content: codeNotebook(
          `import livegraphs_ext as lg\nlg.chart(${JSON.stringify(name)}, mark="bar", x="region", y="sum(revenue)")`
        )
      }
    }
  );
  expect(created.status()).toBeLessThan(300);
  await open(page, path);
  await page.notebook.runCell(0);
  const output = page.locator('.jp-NotebookPanel .jp-OutputArea-output').first();
  const view = output.locator('.jp-LiveGraphs-ChartView').first();
  await expect(view).toHaveAttribute('data-lg-state', 'ready', { timeout: 60000 });
  expect(await bars(output)).toEqual([10, 50, 100]);

  // When the kernel restarts
  await page.evaluate(async () => {
    const panel = (window as any).jupyterapp.shell.currentWidget;
    await panel.sessionContext.session.kernel.restart();
  });
  await expect
    .poll(
      () =>
        page.evaluate(
          () => (window as any).jupyterapp.shell.currentWidget.sessionContext.session?.kernel?.status
        ),
      { timeout: 60000 }
    )
    .toBe('idle');

  // Then the chart is still drawn
  await expect(output.locator('.jp-LiveGraphs-ChartView').first()).toHaveAttribute(
    'data-lg-state',
    'ready',
    { timeout: 60000 }
  );
  expect(await bars(output)).toEqual([10, 50, 100]);

  // When the notebook is saved, closed, its kernel shut down and the notebook reopened
  await page.notebook.save();
  await page.evaluate(async () => {
    const app = (window as any).jupyterapp;
    const panel = app.shell.currentWidget;
    await panel.sessionContext.shutdown();
    panel.dispose();
  });
  await expect(page.locator('.jp-NotebookPanel')).toHaveCount(0);
  await open(page, path);

  // Then the chart is drawn again from what the notebook saved, without running anything
  const reopened = page.locator('.jp-NotebookPanel .jp-OutputArea-output').first();
  await expect(reopened.locator('.jp-LiveGraphs-ChartView').first()).toHaveAttribute(
    'data-lg-state',
    'ready',
    { timeout: 60000 }
  );
  expect(await bars(reopened)).toEqual([10, 50, 100]);
  await expect(
    page.locator('.jp-NotebookPanel .jp-OutputArea-output.jp-LiveGraphs-WidgetFallback')
  ).toHaveCount(1);
  await expect(reopened).not.toContainText('Error displaying widget');

  // and the file on disk holds the chart's spec beside the widget
  const saved = await page.request.get(
    new URL(`api/contents/${path}?content=1`, `${baseURL}/`).href
  );
  const outputs = (await saved.json()).content.cells[0].outputs;
  const bundle = outputs.find((o: any) => o.data?.['application/vnd.livegraphs.chart+json']);
  expect(bundle.data['application/vnd.livegraphs.chart+json'].spec).toMatchObject({
    mark: 'bar',
    dataset: { id: dataset.id }
  });
  await page.evaluate(() =>
    (window as any).jupyterapp.shell.currentWidget.sessionContext.shutdown()
  );
});
