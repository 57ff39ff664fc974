import { expect, test } from '@jupyterlab/galata';

const PANEL_ID = 'livegraphs-datasets';

test.describe('livegraphs-ext', () => {
  test('activates and adds the Datasets sidebar tab', async ({ page }) => {
    // Given JupyterLab has loaded
    // Then the Datasets tab is in the left sidebar
    const tab = page.locator(
      `.jp-SideBar .lm-TabBar-tab[data-id="${PANEL_ID}"]`
    );
    await expect(tab).toBeVisible();
    await expect(tab).toHaveAttribute('title', 'Datasets');
  });

  test('a dataset uploaded through the API appears after a refresh', async ({
    page,
    baseURL
  }, testInfo) => {
    // Given the Datasets panel is open and loaded
    await page.sidebar.openTab(PANEL_ID);
    const panel = page.locator(`#${PANEL_ID}`);
    await expect(panel).toHaveAttribute('data-lg-state', 'ready');

    // When a CSV is uploaded through the REST API
    const name = `ui-test-${Date.now()}`;
    const url = new URL('livegraphs/api/datasets', `${baseURL}/`);
    url.searchParams.set('name', name);
    const response = await page.request.post(url.href, {
      data: 'city,population,area\nLyon,522250,47.87\nNantes,320732,65.19\nLille,236234,34.83\n',
      headers: { 'Content-Type': 'text/csv' }
    });
    expect(response.status()).toBe(201);
    const dataset = await response.json();
    // which the open panel does not show before it is refreshed
    const item = panel
      .getByRole('listitem')
      .filter({ has: page.getByText(name, { exact: true }) });
    await expect(item).toHaveCount(0);

    // And the refresh command is run from the command palette
    await page.keyboard.press('Control+Shift+C');
    const palette = page.getByRole('region', {
      name: 'Command Palette Section'
    });
    await palette.getByRole('textbox').fill('Refresh Datasets');
    await palette.getByRole('menuitem', { name: 'Refresh Datasets' }).click();

    // Then the panel lists it with its rows, columns and version
    await expect(item).toBeVisible();
    await expect(item).toContainText('3 rows');
    await expect(item).toContainText('3 columns');
    await expect(item).toContainText(`v${dataset.version}`);
    await expect(item).toContainText('city');

    const screenshot = await page.screenshot({
      path: testInfo.outputPath('datasets-panel.png')
    });
    await testInfo.attach('datasets-panel', {
      body: screenshot,
      contentType: 'image/png'
    });

    const deleted = await page.request.delete(
      new URL(
        `livegraphs/api/datasets/${encodeURIComponent(dataset.id)}`,
        `${baseURL}/`
      ).href
    );
    expect(deleted.status()).toBe(204);
  });
});
