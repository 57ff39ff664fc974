import { expect, test } from '@jupyterlab/galata';

import { uploadCSV } from './collab-helpers';
import { attachScreenshot, codeNotebook } from './workspace-helpers';

const CSV = ['city,temp', 'Oslo,-3.5', 'Lima,24', 'Pune,31'].join('\n');

test.describe('Open in Voila', () => {
  test.use({ autoGoto: true });

  test("a notebook's Voila button opens it in a new tab, where lg.chart draws", async ({
    page,
    baseURL,
    tmpPath
  }, testInfo) => {
    test.setTimeout(180000);
    const dataset = await uploadCSV(page, baseURL!, CSV, `temps-${Date.now()}`);
    const notebook = codeNotebook(
      [
        'import livegraphs_ext as lg',
        `lg.chart(${JSON.stringify(dataset.name)}, mark="bar", x="city", y="sum(temp)", title="Temperatures")`
      ].join('\n')
    );
    const path = `${tmpPath}/temps dashboard.ipynb`;
    await page.contents.uploadContent(JSON.stringify(notebook), 'text', path);

    // Given the notebook open in JupyterLab
    await page.filebrowser.open(path);
    const panel = page.locator('.jp-NotebookPanel:visible');
    // Then its toolbar has the Voila button
    const button = panel
      .locator('.jp-NotebookPanel-toolbar')
      .getByRole('button', { name: 'Voila' });
    await expect(button).toBeVisible();
    // and not the hub's Publish (there is no hub to publish on)
    await expect(
      panel
        .locator('.jp-NotebookPanel-toolbar')
        .getByRole('button', { name: 'Publish' })
    ).toHaveCount(0);
    await attachScreenshot(page, testInfo, 'notebook-toolbar');

    // When it is clicked, a new tab opens the notebook in Voila
    const [voila] = await Promise.all([
      page.context().waitForEvent('page'),
      button.click()
    ]);
    await voila.waitForLoadState();
    expect(decodeURIComponent(new URL(voila.url()).pathname)).toBe(
      `/voila/render/${path}`
    );
    // And the chart widget draws there, with no JupyterLab and no source shown
    const chart = voila.locator(
      '.jp-LiveGraphs-widget .jp-LiveGraphs-ChartView'
    );
    await expect(chart).toHaveAttribute('data-lg-state', 'ready', {
      timeout: 90000
    });
    await expect(chart.locator('.bars .point')).toHaveCount(3);
    await expect(chart.locator('.gtitle')).toHaveText('Temperatures');
    await expect(voila.locator('#jp-main-dock-panel')).toHaveCount(0);
    await expect(voila.getByText('import livegraphs_ext')).toHaveCount(0);
    const body = await voila.screenshot({
      path: testInfo.outputPath('voila.png')
    });
    await testInfo.attach('voila', { body, contentType: 'image/png' });
    await voila.close();

    // The command is in the palette too
    await page.evaluate(async () => {
      await (window as any).jupyterapp.commands.execute(
        'apputils:activate-command-palette'
      );
    });
    await page.locator('.lm-CommandPalette-input').fill('Open in Voila');
    await expect(
      page.locator('.lm-CommandPalette-item', { hasText: 'Open in Voila' })
    ).toBeVisible();
    await page.locator('.lm-CommandPalette-input').fill('Publish with Voila');
    await expect(
      page.locator('.lm-CommandPalette-item', {
        hasText: 'Publish with Voila'
      })
    ).toHaveCount(0);
  });
});
