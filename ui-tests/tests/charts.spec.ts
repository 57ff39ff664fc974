import { expect, test } from '@jupyterlab/galata';
import type { Locator, Page, TestInfo } from '@playwright/test';

const PANEL_ID = 'livegraphs-datasets';
const PAYLOAD = '<img src=x onerror="window.__xss=1">';
const LINK = '<a href="https://evil.example/phish">click</a>';

/**
 * Monthly sales in three regions; one region's name is an HTML payload.
 */
const CSV = [
  'month,region,revenue,units',
  '2025-01-01,EMEA,100,1',
  '2025-01-01,APAC,50,2',
  `2025-01-01,"${PAYLOAD.replace(/"/g, '""')}",10,1`,
  '2025-02-01,EMEA,300,3',
  '2025-02-01,APAC,20,1',
  `2025-02-01,"${LINK.replace(/"/g, '""')}",30,3`,
  '2025-03-01,EMEA,200,2',
  '2025-03-01,APAC,70,5'
].join('\n');

async function upload(page: Page, baseURL: string): Promise<any> {
  const url = new URL('livegraphs/api/datasets', `${baseURL}/`);
  url.searchParams.set('name', `sales-${Date.now()}`);
  const response = await page.request.post(url.href, {
    data: CSV,
    headers: { 'Content-Type': 'text/csv' }
  });
  expect(response.status()).toBe(201);
  return response.json();
}

/**
 * Drag a field from the builder's field list onto a shelf, with real mouse moves.
 */
async function dragField(
  page: Page,
  builder: Locator,
  field: string,
  shelf: string
): Promise<void> {
  const source = builder.locator(
    `.jp-LiveGraphs-field[data-field="${field}"]`
  );
  const target = builder.getByRole('list', { name: `${shelf} shelf` });
  const from = (await source.boundingBox())!;
  const to = (await target.boundingBox())!;
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  await page.mouse.move(from.x + from.width / 2 + 12, from.y + 12, {
    steps: 3
  });
  await page.mouse.move(to.x + to.width / 2, to.y + to.height / 2, {
    steps: 8
  });
  await page.mouse.up();
}

/**
 * The traces Plotly drew, read from the plot element.
 */
function traces(builder: Locator): Promise<any[]> {
  return builder
    .locator('.jp-LiveGraphs-chartPlot')
    .evaluate((node: any) =>
      (node.data ?? []).map((t: any) => ({
        type: t.type,
        mode: t.mode,
        x: Array.from(t.x ?? []),
        y: Array.from(t.y ?? [])
      }))
    );
}

function numeric(values: number[]): number[] {
  return values.slice().sort((a, b) => a - b);
}

async function attach(page: Page, testInfo: TestInfo, name: string) {
  const body = await page.screenshot({ path: testInfo.outputPath(`${name}.png`) });
  await testInfo.attach(name, { body, contentType: 'image/png' });
}

test.describe('chart builder', () => {
  test.use({ autoGoto: true });

  test('drag fields to build a bar and a line chart, change an aggregation, export', async ({
    page,
    baseURL
  }, testInfo) => {
    await page.evaluate(() => ((window as any).__xss = undefined));
    const dataset = await upload(page, baseURL!);

    // Given the dataset in the Datasets panel
    await page.sidebar.openTab(PANEL_ID);
    const panel = page.locator(`#${PANEL_ID}`);
    await page.evaluate(() =>
      (window as any).jupyterapp.commands.execute('livegraphs:refresh-datasets')
    );
    const item = panel.locator(
      `.jp-LiveGraphs-dataset[data-dataset-id="${dataset.id}"]`
    );
    await expect(item).toBeVisible();

    // When "New Chart" is chosen from its context menu
    await item.click({ button: 'right' });
    await page.getByRole('menuitem', { name: 'New Chart' }).click();

    // Then a builder tab opens with the fields and their types
    const builder = page.locator('.jp-LiveGraphs-ChartBuilder');
    await expect(builder).toBeVisible();
    await expect(
      page.getByRole('tab', { name: `Chart: ${dataset.name}` })
    ).toBeVisible();
    const fields = builder.getByRole('list', { name: 'Fields' });
    await expect(fields.locator('.jp-LiveGraphs-field')).toHaveText([
      /month/,
      /region/,
      /revenue/,
      /units/,
      /Count of records/
    ]);
    await expect(
      fields.locator('[data-field="revenue"] .jp-LiveGraphs-typeIcon')
    ).toHaveAttribute('data-type', /integer|float/);
    const chart = builder.locator('.jp-LiveGraphs-ChartView');
    await expect(chart).toHaveAttribute('data-lg-state', 'empty');

    // When region goes to X and revenue to Y
    await dragField(page, builder, 'region', 'X axis');
    // (the first chart also loads Plotly)
    await expect(chart).toHaveAttribute('data-lg-state', 'ready', {
      timeout: 30000
    });
    await dragField(page, builder, 'revenue', 'Y axis');
    await expect(
      builder.getByRole('list', { name: 'Y axis shelf' })
    ).toContainText('Sum of revenue');

    // Then show-me picks bars: one per region, summed
    await expect(builder.locator('.jp-LiveGraphs-markPicker')).toHaveAttribute(
      'data-suggested',
      'bar'
    );
    await expect
      .poll(async () => {
        const [bar] = await traces(builder);
        return bar && bar.type === 'bar' ? numeric(bar.y) : null;
      })
      .toEqual([10, 30, 140, 600]);
    await expect(chart.locator('.bars .point')).toHaveCount(4);
    await attach(page, testInfo, 'bar-chart');

    // When the Y pill's aggregation is changed to max
    await builder
      .getByRole('list', { name: 'Y axis shelf' })
      .locator('.jp-LiveGraphs-pillLabel')
      .click();
    await page.getByRole('menuitemradio', { name: 'max' }).click();

    // Then the bars change to each region's largest value
    await expect(
      builder.getByRole('list', { name: 'Y axis shelf' })
    ).toContainText('Maximum revenue');
    await expect
      .poll(async () => numeric((await traces(builder))[0]?.y ?? []))
      .toEqual([10, 30, 70, 300]);
    await attach(page, testInfo, 'bar-chart-max');

    // The data and the image export from the browser
    const csvDownload = page.waitForEvent('download');
    await chart.getByRole('button', { name: "Download the chart's data as CSV" }).click();
    const csv = await csvDownload;
    expect(csv.suggestedFilename()).toBe('chart.csv');
    const csvText = await new Promise<string>((resolve, reject) => {
      void csv.createReadStream().then(stream => {
        let text = '';
        stream.on('data', chunk => (text += chunk));
        stream.on('end', () => resolve(text));
        stream.on('error', reject);
      });
    });
    expect(csvText.split('\r\n')[0]).toBe('region,Maximum revenue');
    expect(csvText).toContain('EMEA,300');
    expect(csvText).toContain('"<img src=x onerror=""window.__xss=1"">",10');

    const pngDownload = page.waitForEvent('download');
    await chart.getByRole('button', { name: 'Download the chart as PNG' }).click();
    expect((await pngDownload).suggestedFilename()).toBe('chart.png');
    const svgDownload = page.waitForEvent('download');
    await chart.getByRole('button', { name: 'Download the chart as SVG' }).click();
    expect((await svgDownload).suggestedFilename()).toBe('chart.svg');

    // When month replaces region on X
    await dragField(page, builder, 'month', 'X axis');

    // Then show-me switches to a line over the three months
    await expect(builder.locator('.jp-LiveGraphs-markPicker')).toHaveAttribute(
      'data-suggested',
      'line'
    );
    await expect
      .poll(async () => {
        const [line] = await traces(builder);
        return line ? [line.type, line.mode, line.x.length] : null;
      })
      .toEqual(['scatter', 'lines+markers', 3]);
    await expect(chart.locator('.scatterlayer .trace .js-line')).toHaveCount(1);

    // And color splits it into one line per region
    await dragField(page, builder, 'region', 'Color');
    await expect.poll(async () => (await traces(builder)).length).toBe(4);
    await attach(page, testInfo, 'line-chart');

    // The Python line recreates the chart
    await expect(builder.locator('.jp-LiveGraphs-chartCode')).toHaveText(
      `lg.chart("${dataset.name}", mark="line", x="month(month)", y="max(revenue)", color="region")`
    );

    // A spec the server rejects shows its error inline
    await builder.locator('.jp-LiveGraphs-markPicker').selectOption('map');
    await expect(chart).toHaveAttribute('data-lg-state', 'error');
    await expect(chart.locator('.jp-LiveGraphs-chartMessage')).not.toBeEmpty();
    await attach(page, testInfo, 'inline-error');

    expect(await page.evaluate(() => (window as any).__xss)).toBeUndefined();
  });

  test('titles, labels and category values holding HTML render as text', async ({
    page,
    baseURL
  }, testInfo) => {
    await page.evaluate(() => ((window as any).__xss = undefined));
    const dataset = await upload(page, baseURL!);
    const requests: string[] = [];
    page.on('request', request => {
      if (!request.url().startsWith(baseURL!)) {
        requests.push(request.url());
      }
    });

    // Given a builder opened by the command, with a bar chart of the payload-bearing regions
    await page.evaluate(
      id =>
        (window as any).jupyterapp.commands.execute('livegraphs:new-chart', {
          datasetId: id
        }),
      dataset.id
    );
    const builder = page.locator('.jp-LiveGraphs-ChartBuilder');
    await dragField(page, builder, 'region', 'X axis');
    await dragField(page, builder, 'units', 'Y axis');
    await dragField(page, builder, 'region', 'Color');

    // When the title holds a payload too
    const title = builder.locator('.jp-LiveGraphs-titleInput');
    await title.fill(`Units ${PAYLOAD} <b style="fill:url(https://evil.example/x)">bold</b>`);
    await title.press('Enter');

    const plot = builder.locator('.jp-LiveGraphs-chartPlot');
    await expect(plot.locator('.gtitle')).toContainText(PAYLOAD);

    // Then every payload shows as its literal text: ticks (shortened), legend
    const axis = plot.locator('.xaxislayer-above');
    await expect(axis).toContainText('<img src=x onerror=');
    await expect(axis).toContainText('<a href="https://evil.e');
    await expect(plot.locator('.legend')).toContainText('<a href="https://');
    // and whole in the hover label of each payload bar
    const hovers: string[] = [];
    for (const bar of await plot.locator('.bars .point path').all()) {
      await bar.hover({ force: true });
      hovers.push((await plot.locator('.hoverlayer').textContent()) ?? '');
    }
    expect(hovers.some(text => text.includes(PAYLOAD))).toBe(true);
    expect(hovers.some(text => text.includes(LINK))).toBe(true);

    // And no element, link or style from the data reached the page
    const drawn = plot.locator('.main-svg');
    expect(
      await drawn.locator('a, img, image, script, iframe, foreignObject').count()
    ).toBe(0);
    expect(await drawn.locator('[style*="url(http"]').count()).toBe(0);
    expect(await builder.locator('img').count()).toBe(0);
    expect(await page.evaluate(() => (window as any).__xss)).toBeUndefined();
    expect(requests).toEqual([]);
    await attach(page, testInfo, 'html-payloads-as-text');
  });
});
