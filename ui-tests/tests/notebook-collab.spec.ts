import { expect } from '@jupyterlab/galata';
import type { Page } from '@playwright/test';

import { ALICE, createFile, test, openPath, uploadCSV } from './collab-helpers';

const PAYLOAD = '<img src=x onerror="window.__xss=1">';

const CSV = [
  'region,revenue',
  'EMEA,100',
  'APAC,50',
  `"${PAYLOAD.replace(/"/g, '""')}",10`
].join('\n');

test.use({ mockUser: ALICE });

async function open(page: Page, path: string): Promise<void> {
  await openPath(page, path, 'Notebook');
  await expect(page.locator('.jp-NotebookPanel .jp-Cell').first()).toBeVisible();
}

test('a chart widget run by one person shows as a chart for another, without a reload or Trust', async ({
  page,
  baseURL,
  tmpPath,
  openGuest
}) => {
  // Two browsers and a kernel start here, as in the notebook widget test of charts.spec.ts.
  test.setTimeout(180000);
  // Given a dataset whose values include an HTML payload
  const { name } = await uploadCSV(page, baseURL!, CSV);
  // and a notebook open in Alice's browser and in Bob's (a second context)
  const path = `${tmpPath}/collab.ipynb`;
  const notebook = {
    cells: [{ cell_type: 'code', id: 'c1', metadata: {}, outputs: [], execution_count: null, source: '' }],
    metadata: {
      kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' }
    },
    nbformat: 4,
    nbformat_minor: 5
  };
  await createFile(page, baseURL!, path, notebook, 'notebook');
  const guest = await openGuest();
  await open(page, path);
  await open(guest, path);

  // When Alice runs lg.chart(...)
  await page.notebook.setCell(
    0,
    'code',
    `import livegraphs_ext as lg\nlg.chart(${JSON.stringify(name)}, mark="bar", x="region", y="sum(revenue)")`
  );
  await page.notebook.runCell(0);

  // Then Alice has the live widget
  const mine = page.locator('.jp-NotebookPanel .jp-OutputArea-output').first();
  await expect(mine.locator('.jp-LiveGraphs-widget')).toBeVisible({ timeout: 30000 });
  await expect(mine.locator('.jp-LiveGraphs-ChartOutput')).toHaveCount(0);

  // and Bob, who received the output over the shared notebook, sees the same chart
  // drawn from its spec (no reload, no Trust)
  const theirs = guest.locator('.jp-NotebookPanel .jp-OutputArea-output').first();
  const view = theirs.locator('.jp-LiveGraphs-ChartOutput .jp-LiveGraphs-ChartView');
  await expect(view).toHaveAttribute('data-lg-state', 'ready', { timeout: 30000 });
  await expect(theirs.locator('.jp-LiveGraphs-widget')).toHaveCount(0);
  await expect(view.locator('.bars .point')).toHaveCount(3);
  const drawn = await view
    .locator('.jp-LiveGraphs-chartPlot')
    .evaluate((node: any) => node.data.map((t: any) => Array.from(t.y).sort((a: any, b: any) => a - b)));
  expect(drawn).toEqual([[10, 50, 100]]);

  // and the payload in the data is drawn as text, never as HTML
  await expect(view.locator('.xtick text', { hasText: '<img src=x' })).toHaveCount(1);
  await expect(theirs.locator('img')).toHaveCount(0);
  expect(await guest.evaluate(() => (window as any).__xss)).toBeUndefined();

  // When Bob's copy of the output is untrusted (jupyterlab#11435), the safe renderer
  // alone draws it from the spec
  await guest.evaluate(() => {
    const panel = (window as any).jupyterapp.shell.currentWidget;
    panel.content.widgets[0].model.trusted = false;
  });
  const untrusted = guest.locator('.jp-NotebookPanel .jp-OutputArea-output.jp-LiveGraphs-ChartOutput');
  await expect(untrusted.locator('.jp-LiveGraphs-ChartView')).toHaveAttribute('data-lg-state', 'ready', {
    timeout: 30000
  });
  await expect(untrusted.locator('.bars .point')).toHaveCount(3);
  await expect(guest.locator('.jp-NotebookPanel .jp-OutputArea img')).toHaveCount(0);
  expect(await guest.evaluate(() => (window as any).__xss)).toBeUndefined();
});
