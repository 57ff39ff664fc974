import { expect, test } from '@jupyterlab/galata';
import type { Locator, Page, TestInfo } from '@playwright/test';

import { dragField } from './builder-helpers';
import { savedFile, uploadCSV } from './collab-helpers';
import { codeNotebook } from './workspace-helpers';

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

function upload(page: Page, baseURL: string) {
  return uploadCSV(page, baseURL, CSV, `sales-${Date.now()}`);
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
    await page
      .getByRole('menuitem', { name: 'New Chart', exact: true })
      .click();

    // Then a chart file named after the dataset opens in the builder, with
    // the fields and their types
    const builder = page.locator('.jp-LiveGraphs-ChartBuilder');
    await expect(builder).toBeVisible();
    await expect(
      page.getByRole('tab', { name: `${dataset.name}.lgchart` })
    ).toBeVisible();
    const path: string = await page.evaluate(
      () => (window as any).jupyterapp.shell.currentWidget.context.path
    );
    expect(path.endsWith(`${dataset.name}.lgchart`)).toBe(true);
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

    // A filter dropped on the Filters shelf asks for its condition
    await dragField(page, builder, 'region', 'Filters');
    const editor = page.locator('.jp-LiveGraphs-filterEditor');
    await expect(editor.getByRole('combobox', { name: 'Condition' })).toHaveValue(
      'in'
    );
    const values = editor.getByRole('group', { name: 'Values' });
    await values.getByRole('checkbox', { name: 'EMEA', exact: true }).check();
    await values.getByRole('checkbox', { name: 'APAC', exact: true }).check();
    await editor.getByRole('button', { name: 'Apply' }).click();
    await expect(
      builder.getByRole('list', { name: 'Filters shelf' })
    ).toContainText('region is one of EMEA, APAC');
    await expect.poll(async () => (await traces(builder)).length).toBe(2);

    // Sorting by Y and keeping the top 2 of a bar chart
    await builder.locator('.jp-LiveGraphs-markPicker').selectOption('bar');
    await dragField(page, builder, 'region', 'X axis');
    await builder.locator('.jp-LiveGraphs-sortPicker').selectOption('y:descending');
    const top = builder.locator('.jp-LiveGraphs-limitInput');
    await top.fill('1');
    await top.press('Enter');
    await expect
      .poll(async () => (await traces(builder)).map(t => t.x.join()))
      .toEqual(['EMEA']);

    // and the chart file on the server holds the spec being built
    await expect
      .poll(
        async () => {
          const saved = await savedFile(page, baseURL!, path);
          return saved && [saved.mark, saved.encoding.x, saved.limit];
        },
        { timeout: 15000 }
      )
      .toEqual(['bar', { field: 'region' }, 1]);

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
      await page.mouse.move(0, 0);
      await bar.hover({ force: true });
      await expect(plot.locator('.hoverlayer .hovertext')).toBeVisible();
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

test.describe('chart builder pills', () => {
  test('pills move between shelves, leave when dragged off, and fields add on double-click', async ({
    page,
    baseURL
  }) => {
    const dataset = await upload(page, baseURL!);
    await page.evaluate(
      id =>
        (window as any).jupyterapp.commands.execute('livegraphs:new-chart', {
          datasetId: id,
          spec: {
            version: 1,
            dataset: { id },
            mark: 'bar',
            encoding: {
              x: { field: 'region' },
              y: { field: 'revenue', aggregate: 'mean' }
            }
          }
        }),
      dataset.id
    );
    const builder = page.locator('.jp-LiveGraphs-ChartBuilder').last();
    const shelf = (name: string) =>
      builder.getByRole('list', { name: `${name} shelf` });
    await expect(shelf('Y axis')).toContainText('Average revenue');

    // When the Y pill is dragged onto Size, it keeps its aggregation there
    const pill = shelf('Y axis').locator('.jp-LiveGraphs-pill');
    const from = (await pill.boundingBox())!;
    const to = (await shelf('Size').boundingBox())!;
    await page.mouse.move(from.x + 10, from.y + from.height / 2);
    await page.mouse.down();
    await page.mouse.move(from.x + 30, from.y + 20, { steps: 3 });
    await page.mouse.move(to.x + to.width / 2, to.y + to.height / 2, {
      steps: 8
    });
    await page.mouse.up();
    await expect(shelf('Size')).toContainText('Average revenue');
    await expect(shelf('Y axis')).toContainText('Drop a field here');

    // When the Size pill is dragged off the shelves, it is removed
    const sized = shelf('Size').locator('.jp-LiveGraphs-pill');
    const box = (await sized.boundingBox())!;
    const fieldList = (await builder
      .locator('.jp-LiveGraphs-builderDataset')
      .boundingBox())!;
    await page.mouse.move(box.x + 10, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + 30, box.y + 20, { steps: 3 });
    await page.mouse.move(fieldList.x + 20, fieldList.y + 5, { steps: 8 });
    await page.mouse.up();
    await expect(shelf('Size')).toContainText('Drop a field here');

    // And double-clicking a field puts it on the first free shelf
    await builder.locator('.jp-LiveGraphs-field[data-field="units"]').dblclick();
    await expect(shelf('Y axis')).toContainText('Sum of units');
    await expect(builder.locator('.jp-LiveGraphs-ChartView')).toHaveAttribute(
      'data-lg-state',
      'ready',
      { timeout: 30000 }
    );
  });
});

test.describe('notebook chart widgets', () => {
  test('lg.chart draws and lg.ChartBuilder builds a chart in a notebook', async ({
    page,
    baseURL
  }, testInfo) => {
    test.setTimeout(180000);
    await page.evaluate(() => ((window as any).__xss = undefined));
    const dataset = await upload(page, baseURL!);

    // Given a notebook that draws a chart and opens a builder
    await page.notebook.createNew();
    await page.notebook.setCell(
      0,
      'code',
      [
        'import livegraphs_ext as lg',
        `c = lg.chart(${JSON.stringify(dataset.name)}, mark="bar", x="region", y="sum(revenue)",`,
        `             title=${JSON.stringify(PAYLOAD)}, height=320)`,
        'c'
      ].join('\n')
    );
    await page.notebook.addCell(
      'code',
      `b = lg.ChartBuilder(${JSON.stringify(dataset.name)}, height=520)\nb`
    );
    await page.notebook.addCell('code', 'print(b.code)');

    // When the first two cells run
    await page.notebook.runCell(0);
    await page.notebook.runCell(1);

    // Then the chart widget draws the bars from the kernel's Arrow result
    const widgets = page.locator('.jp-LiveGraphs-widget');
    const chart = widgets.nth(0).locator('.jp-LiveGraphs-ChartView');
    await expect(chart).toHaveAttribute('data-lg-state', 'ready', {
      timeout: 60000
    });
    await expect(chart.locator('.bars .point')).toHaveCount(4);
    await expect(chart.locator('.gtitle')).toHaveText(PAYLOAD);

    // When fields are dragged onto the builder widget's shelves
    const builder = widgets.nth(1).locator('.jp-LiveGraphs-ChartBuilder');
    await builder.scrollIntoViewIfNeeded();
    await dragField(page, builder, 'month', 'X axis');
    await dragField(page, builder, 'units', 'Y axis');

    // Then the kernel answers and the builder draws a line of the mean units a month
    const built = builder.locator('.jp-LiveGraphs-ChartView');
    await expect(built).toHaveAttribute('data-lg-state', 'ready', {
      timeout: 60000
    });
    await expect
      .poll(async () => {
        const [line] = await traces(builder);
        return line
          ? [line.type, line.y.map((v: number) => Math.round(v * 1000) / 1000)]
          : null;
      })
      .toEqual(['scatter', [1.333, 2.333, 3.5]]);
    await attach(page, testInfo, 'notebook-widgets');

    // And the kernel holds the spec: its Python line recreates the chart
    await page.notebook.runCell(2);
    await expect
      .poll(() => page.notebook.getCellTextOutput(2))
      .toEqual([
        `lg.chart(${JSON.stringify(dataset.name)}, mark="line", x="month(month)", y="mean(units)")\n`
      ]);
    expect(await page.evaluate(() => (window as any).__xss)).toBeUndefined();
  });
});

/**
 * 2,000 rows with every column type a mark needs.
 */
function galleryCSV(): string {
  const regions = ['EMEA', 'APAC', 'AMER'];
  const countries = ['USA', 'FRA', 'BRA', 'IND', 'CHN'];
  const lines = ['day,region,product,revenue,units,lat,lon,country'];
  const start = Date.UTC(2024, 0, 1);
  for (let i = 0; i < 2000; i++) {
    const day = new Date(start + (i % 730) * 86400000).toISOString().slice(0, 10);
    lines.push(
      [
        day,
        regions[i % 3],
        i % 2 ? 'B' : 'A',
        ((i * 37) % 500) + 10,
        i % 17,
        -60 + ((i * 7) % 120),
        -170 + ((i * 13) % 340),
        countries[i % 5]
      ].join(',')
    );
  }
  return lines.join('\n');
}

test.describe('chart renderer', () => {
  test('draws every mark from the engine, with facets, donut, maps, KPI delta, table and reduction notices', async ({
    page,
    baseURL
  }, testInfo) => {
    test.setTimeout(240000);
    const outside: string[] = [];
    page.on('request', request => {
      if (!request.url().startsWith(baseURL!) && !request.url().startsWith('blob:') && !request.url().startsWith('data:')) {
        outside.push(request.url());
      }
    });
    const url = new URL('livegraphs/api/datasets', `${baseURL}/`);
    url.searchParams.set('name', `gallery-${Date.now()}`);
    const response = await page.request.post(url.href, {
      data: galleryCSV(),
      headers: { 'Content-Type': 'text/csv' }
    });
    expect(response.status()).toBe(201);
    const dataset = await response.json();

    const f = (field: string, extra: object = {}) => ({ field, ...extra });
    const cases: {
      name: string;
      spec: any;
      types: string[];
      check?: (figure: any) => void;
      notice?: RegExp;
    }[] = [
      {
        name: 'bar-facets-stacked',
        spec: {
          mark: 'bar',
          encoding: {
            x: f('region'),
            y: f('revenue', { aggregate: 'sum' }),
            color: f('region'),
            column: f('product')
          },
          options: { stack: 'stacked' }
        },
        types: ['bar'],
        check: fig => {
          expect(fig.traces.length).toBe(6);
          expect(fig.layout.barmode).toBe('stack');
          expect(fig.layoutKeys).toContain('xaxis2');
          expect(fig.annotations.sort()).toEqual(['A', 'B']);
        }
      },
      {
        name: 'area-by-month',
        spec: {
          mark: 'area',
          encoding: {
            x: f('day', { timeUnit: 'month' }),
            y: f('revenue', { aggregate: 'sum' }),
            color: f('region')
          }
        },
        types: ['scatter'],
        check: fig => {
          expect(fig.traces.length).toBe(3);
          expect(fig.traces.every((t: any) => t.stackgroup)).toBe(true);
        }
      },
      {
        name: 'scatter-binned',
        spec: {
          mark: 'scatter',
          encoding: { x: f('revenue'), y: f('units') },
          max_marks: 100
        },
        types: ['heatmap'],
        notice: /binned/
      },
      {
        name: 'line-downsampled',
        spec: {
          mark: 'line',
          encoding: { x: f('day'), y: f('revenue') },
          max_marks: 200
        },
        types: ['scatter'],
        notice: /downsampled/
      },
      {
        name: 'donut',
        spec: {
          mark: 'pie',
          encoding: { color: f('region'), y: f('units', { aggregate: 'sum' }) },
          options: { hole: 0.5 }
        },
        types: ['pie'],
        check: fig => expect(fig.traces[0].hole).toBe(0.5)
      },
      {
        name: 'heatmap',
        spec: {
          mark: 'heatmap',
          encoding: { x: f('region'), y: f('product') }
        },
        types: ['heatmap']
      },
      {
        name: 'histogram',
        spec: { mark: 'histogram', encoding: { x: f('revenue') } },
        types: ['bar'],
        check: fig => expect(fig.layout.bargap).toBe(0)
      },
      {
        name: 'box',
        spec: { mark: 'box', encoding: { x: f('region'), y: f('revenue') } },
        types: ['box']
      },
      {
        name: 'map-points',
        spec: {
          mark: 'map',
          encoding: { latitude: f('lat'), longitude: f('lon') }
        },
        types: ['scattergeo']
      },
      {
        name: 'map-choropleth',
        spec: {
          mark: 'map',
          encoding: {
            location: f('country'),
            color: f('revenue', { aggregate: 'sum' })
          }
        },
        types: ['choropleth']
      },
      {
        name: 'kpi-delta',
        spec: {
          mark: 'kpi',
          encoding: {
            x: f('day', { timeUnit: 'month' }),
            y: f('revenue', { aggregate: 'sum' })
          },
          options: { delta: { compare: 'previous_period' } }
        },
        types: ['indicator'],
        check: fig => {
          expect(fig.traces[0].mode).toBe('number+delta');
          expect(typeof fig.traces[0].delta.reference).toBe('number');
        }
      },
      {
        name: 'table',
        spec: { mark: 'table', encoding: {}, limit: 20 },
        types: ['table'],
        notice: /./
      }
    ];

    for (const { name, spec, types, check, notice } of cases) {
      await page.evaluate(
        ([id, s]) =>
          (window as any).jupyterapp.commands.execute('livegraphs:new-chart', {
            datasetId: id,
            spec: { version: 1, dataset: { id }, ...s }
          }),
        [dataset.id, spec] as const
      );
      const builder = page
        .locator('.jp-MainAreaWidget:not(.lm-mod-hidden) .jp-LiveGraphs-ChartBuilder')
        .last();
      const chart = builder.locator('.jp-LiveGraphs-ChartView');
      await expect(chart, name).toHaveAttribute('data-lg-state', /ready|error/, {
        timeout: 30000
      });
      await expect(chart.locator('.jp-LiveGraphs-chartMessage'), name).toHaveText('');
      const figure = await chart.locator('.jp-LiveGraphs-chartPlot').evaluate((node: any) => ({
        traces: node.data.map((t: any) => ({
          type: t.type,
          hole: t.hole,
          mode: t.mode,
          stackgroup: t.stackgroup,
          delta: t.delta ? { reference: t.delta.reference } : undefined
        })),
        layout: { barmode: node.layout.barmode, bargap: node.layout.bargap },
        layoutKeys: Object.keys(node.layout),
        annotations: (node.layout.annotations ?? []).map((a: any) => a.text)
      }));
      expect([...new Set(figure.traces.map((t: any) => t.type))], name).toEqual(types);
      check?.(figure);
      const noticeNode = chart.locator('.jp-LiveGraphs-chartNotice');
      if (notice) {
        await expect(noticeNode, name).toHaveText(notice);
      } else {
        await expect(noticeNode, name).toHaveText('');
      }
      await attach(page, testInfo, name);
    }
    // Map outlines come from the extension, never from a CDN
    expect(outside).toEqual([]);

    // The open chart takes the dark theme's colors when the theme changes
    const plot = page
      .locator(
        '.jp-MainAreaWidget:not(.lm-mod-hidden) .jp-LiveGraphs-chartPlot'
      )
      .last();
    const colors = () =>
      plot.evaluate((node: any) => {
        // Compare colors as the browser writes them.
        const norm = (color: string) => {
          const probe = document.createElement('span');
          probe.style.color = color;
          document.body.appendChild(probe);
          const value = getComputedStyle(probe).color;
          probe.remove();
          return value;
        };
        return {
          drawn: norm(node.layout.font.color),
          theme: norm(
            getComputedStyle(node)
              .getPropertyValue('--jp-ui-font-color1')
              .trim()
          )
        };
      });
    const light = await colors();
    expect(light.drawn).toBe(light.theme);
    await page.theme.setDarkTheme();
    await expect
      .poll(async () => {
        const { drawn, theme } = await colors();
        return drawn === theme && drawn !== light.drawn;
      })
      .toBe(true);
    await attach(page, testInfo, 'dark-theme');
    await page.theme.setLightTheme();
  });
});

test.describe('chart widget in Voila', () => {
  test('a published notebook draws lg.chart and lg.Dashboard without JupyterLab', async ({
    page,
    baseURL,
    tmpPath
  }, testInfo) => {
    test.setTimeout(180000);
    await page.evaluate(() => ((window as any).__xss = undefined));
    const dataset = await upload(page, baseURL!);
    const source = [
      'import livegraphs_ext as lg',
      `lg.chart(${JSON.stringify(dataset.name)}, mark="bar", x="region", y="sum(revenue)", title=${JSON.stringify(PAYLOAD)})`
    ].join('\n');
    const dashboard = {
      version: 1,
      title: PAYLOAD,
      crossfilter: true,
      filters: [],
      charts: {
        units: {
          spec: {
            version: 1,
            dataset: { id: dataset.id },
            mark: 'bar',
            encoding: {
              x: { field: 'region' },
              y: { field: 'units', aggregate: 'sum' }
            }
          },
          layout: { x: 0, y: 0, w: 12, h: 5 }
        }
      }
    };
    const boardFile = await page.request.put(
      new URL(`api/contents/${tmpPath}/published.lgdash`, `${baseURL}/`).href,
      { data: { type: 'file', format: 'text', content: JSON.stringify(dashboard) } }
    );
    expect(boardFile.ok()).toBe(true);
    const notebook = codeNotebook(source, 'lg.Dashboard("published.lgdash")');
    const path = `${tmpPath}/published.ipynb`;
    const saved = await page.request.put(
      new URL(`api/contents/${path}`, `${baseURL}/`).href,
      { data: { type: 'notebook', format: 'json', content: notebook } }
    );
    expect(saved.ok()).toBe(true);

    // A plain page, outside JupyterLab
    const voila = await page.context().newPage();
    await voila.evaluate(() => ((window as any).__xss = undefined));
    await voila.goto(new URL(`voila/render/${path}`, `${baseURL}/`).href);
    const chart = voila.locator('.jp-LiveGraphs-widget .jp-LiveGraphs-ChartView');
    await expect(chart).toHaveAttribute('data-lg-state', 'ready', {
      timeout: 90000
    });
    await expect(chart.locator('.bars .point')).toHaveCount(4);
    await expect(chart.locator('.gtitle')).toHaveText(PAYLOAD);
    const board = voila.locator('.jp-LiveGraphs-dashboardWidget');
    await expect(board.locator('.jp-LiveGraphs-DashboardHeading')).toHaveText(PAYLOAD);
    const cell = board.locator('.jp-LiveGraphs-ChartView');
    await expect(cell).toHaveAttribute('data-lg-state', 'ready', { timeout: 90000 });
    await expect(cell.locator('.bars .point')).toHaveCount(4);
    expect(await voila.evaluate(() => (window as any).__xss)).toBeUndefined();
    await attach(voila, testInfo, 'voila');
    await voila.close();
  });
});
