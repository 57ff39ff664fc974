/**
 * Whole-dashboard export: "Export PDF" and "Export PNG" of a dashboard open
 * in JupyterLab (six charts, a filter applied and a cross-filter selection),
 * and "Export PDF" on the viewer page of a public link. Each PDF is read back
 * by pypdf (check_pdf.py): its pages, the title, date and filters as text,
 * every chart title as text, each chart's drawing (its axis titles) on the
 * page of its title, and nothing drawn past a page's edge. The PNG is decoded
 * by the browser and its size and content checked.
 */
import { expect, test } from '@jupyterlab/galata';
import type { Download, Page } from '@playwright/test';
import { execFileSync } from 'child_process';
import * as path from 'path';

import { ALICE, openPath, uploadCSV } from './collab-helpers';
import { clickPoint } from './plot-helpers';

test.use({ mockUser: ALICE });

const REGIONS = ['EMEA', 'APAC', 'AMER'];
const CSV = [
  'region,kind,channel,product,quarter,revenue',
  ...Array.from({ length: 60 }, (_, i) =>
    [
      REGIONS[i % 3],
      ['a', 'b'][i % 2],
      ['web', 'shop', 'phone', 'partner'][i % 4],
      `p${i % 5}`,
      `Q${(i % 4) + 1}`,
      10 + ((i * 37) % 90)
    ].join(',')
  )
].join('\n');

/** The x field of each chart: its drawing carries it as the x axis title. */
const CHARTS: Record<
  string,
  { x: string; mark: string; layout: [number, number, number, number] }
> = {
  c1: { x: 'region', mark: 'bar', layout: [0, 0, 6, 5] },
  c2: { x: 'kind', mark: 'bar', layout: [6, 0, 6, 5] },
  c3: { x: 'channel', mark: 'heatmap', layout: [0, 5, 6, 5] },
  c4: { x: 'product', mark: 'bar', layout: [6, 5, 6, 5] },
  c5: { x: 'quarter', mark: 'line', layout: [0, 10, 12, 5] },
  // taller than a page: scaled down to fit one, never split
  c6: { x: 'channel', mark: 'bar', layout: [0, 15, 12, 14] }
};

const titleOf = (id: string) =>
  `${id.toUpperCase()} revenue by ${CHARTS[id].x}`;

function api(baseURL: string, ...parts: string[]): string {
  return new URL(`livegraphs/api/${parts.join('/')}`, `${baseURL}/`).href;
}

async function createDashboard(page: Page, baseURL: string) {
  const dataset = await uploadCSV(page, baseURL, CSV);
  const charts = Object.fromEntries(
    Object.entries(CHARTS).map(([id, c]) => {
      const [x, y, w, h] = c.layout;
      const encoding: Record<string, unknown> =
        c.mark === 'heatmap'
          ? {
              x: { field: c.x },
              y: { field: 'region' },
              color: { field: 'revenue', aggregate: 'sum' }
            }
          : {
              x: { field: c.x },
              y: { field: 'revenue', aggregate: 'sum' }
            };
      return [
        id,
        {
          spec: {
            version: 1,
            dataset: { id: dataset.id },
            mark: c.mark,
            title: titleOf(id),
            encoding
          },
          layout: { x, y, w, h }
        }
      ];
    })
  );
  const title = `Quarterly review ${Date.now()}`;
  const content = {
    version: 1,
    title,
    crossfilter: true,
    filters: [
      {
        id: 'f1',
        kind: 'dropdown',
        dataset: dataset.id,
        column: 'region',
        value: ['EMEA', 'APAC']
      }
    ],
    charts
  };
  const created = await page.request.post(api(baseURL, 'documents'), {
    data: { kind: 'dashboard', content }
  });
  expect(created.status()).toBe(201);
  return (await created.json()) as { id: string; title: string };
}

async function allDrawn(page: Page) {
  for (const id of Object.keys(CHARTS)) {
    await expect(
      page.locator(
        `.jp-LiveGraphs-DashboardCell[data-chart-id="${id}"] .jp-LiveGraphs-ChartView`
      )
    ).toHaveAttribute('data-lg-state', 'ready', { timeout: 30000 });
  }
}

interface ICheckedPage {
  size: [number, number];
  text: string;
  texts: { text: string; x: number; y: number }[];
  drawn: [number, number, number, number] | null;
  images: number;
}

/**
 * Save a download and read it back with pypdf.
 */
async function readPDF(
  download: Download,
  file: string
): Promise<{ title: string; pages: ICheckedPage[] }> {
  await download.saveAs(file);
  const out = execFileSync(
    'python',
    [path.resolve(__dirname, '..', 'check_pdf.py'), file],
    { encoding: 'utf-8', timeout: 60000 }
  );
  return JSON.parse(out);
}

/**
 * The checks every exported dashboard PDF passes: the header on page 1,
 * every chart title once, each chart's axis title on its title's page and
 * below it, nothing drawn off a page, no empty page.
 */
function checkDashboardPDF(
  pdf: { title: string; pages: ICheckedPage[] },
  title: string,
  filters: string[]
) {
  expect(pdf.title).toBe(title);
  const first = pdf.pages[0].text;
  expect(first).toContain(title);
  expect(first).toContain('Exported');
  for (const f of filters) {
    expect(first).toContain(f);
  }
  const pageOfChart = new Map<string, number>();
  for (const id of Object.keys(CHARTS)) {
    const where = pdf.pages.flatMap((p, i) =>
      p.texts.filter(t => t.text === titleOf(id)).map(t => ({ ...t, page: i }))
    );
    // the title once, on one page
    expect(where, `title of ${id}`).toHaveLength(1);
    const { page, y } = where[0];
    pageOfChart.set(id, page);
    // the chart's own x axis title, drawn as text by the vector chart, is on
    // that page, below the title and within the chart's height
    const axis = pdf.pages[page].texts.filter(
      t => t.text === CHARTS[id].x && t.y < y
    );
    expect(axis.length, `axis of ${id} on page ${page + 1}`).toBeGreaterThan(0);
  }
  for (const [i, p] of pdf.pages.entries()) {
    const [w, h] = p.size;
    // landscape, and every mark inside the page: nothing cut at its edge
    expect(w).toBeGreaterThan(h);
    expect(p.drawn).not.toBeNull();
    const [x0, y0, x1, y1] = p.drawn!;
    expect(x0, `page ${i + 1}`).toBeGreaterThanOrEqual(0);
    expect(y0, `page ${i + 1}`).toBeGreaterThanOrEqual(0);
    expect(x1, `page ${i + 1}`).toBeLessThanOrEqual(w);
    expect(y1, `page ${i + 1}`).toBeLessThanOrEqual(h);
    // no page without a chart
    expect([...pageOfChart.values()]).toContain(i);
  }
  return pageOfChart;
}

test('Export PDF and PNG of a dashboard in JupyterLab: every chart whole, on as many pages as needed', async ({
  page,
  baseURL
}, testInfo) => {
  test.setTimeout(180000);
  const doc = await createDashboard(page, baseURL!);
  await openPath(page, `LiveGraphs:mine/${doc.title}.lgdash`);
  const dashboard = page.locator(
    '.jp-LiveGraphs-DashboardDocument .jp-LiveGraphs-Dashboard'
  );
  await expect(dashboard).toBeVisible();
  await allDrawn(page);
  // a cross-filter selection: APAC in the first chart
  const plot = page.locator(
    '.jp-LiveGraphs-DashboardCell[data-chart-id="c1"] .jp-LiveGraphs-chartPlot'
  );
  const index = await plot.evaluate((node: any) =>
    Array.from(node.data[0].x).indexOf('APAC')
  );
  await clickPoint(page, plot, index);
  await expect(page.locator('.jp-LiveGraphs-DashboardChip')).toHaveCount(1);
  await allDrawn(page);

  // When the dashboard is exported as PDF
  const pdfDownload = page.waitForEvent('download');
  await dashboard.getByRole('button', { name: 'Export PDF' }).click();
  const download = await pdfDownload;
  expect(download.suggestedFilename()).toMatch(/^Quarterly review \d+\.pdf$/);
  const pdf = await readPDF(download, testInfo.outputPath('dashboard.pdf'));

  // Then it has the header, every chart whole, over more than one page
  const pages = checkDashboardPDF(pdf, doc.title, [
    'region: EMEA, APAC',
    `Selected in ${titleOf('c1')}: region = APAC`
  ]);
  expect(pdf.pages.length).toBeGreaterThanOrEqual(2);
  // the browser's locale is en-US: Letter landscape
  expect(pdf.pages[0].size).toEqual([792, 612]);
  // the tall chart alone fills a page (scaled to fit it)
  expect([...pages.values()].filter(p => p === pages.get('c6'))).toHaveLength(
    1
  );
  // the heatmap's cells are an image inside its vector drawing
  expect(pdf.pages[pages.get('c3')!].images).toBeGreaterThan(0);
  console.warn(
    `PDF: ${pdf.pages.length} pages, charts on pages ${JSON.stringify([
      ...pages
    ])}`
  );

  // When it is exported as PNG
  const pngDownload = page.waitForEvent('download');
  await dashboard.getByRole('button', { name: 'Export PNG' }).click();
  const png = await pngDownload;
  expect(png.suggestedFilename()).toMatch(/^Quarterly review \d+\.png$/);
  const file = testInfo.outputPath('dashboard.png');
  await png.saveAs(file);
  const { readFileSync } = await import('fs');
  const bytes = readFileSync(file).toString('base64');
  const grid = await page
    .locator('.jp-LiveGraphs-DashboardDocument .jp-LiveGraphs-DashboardGrid')
    .evaluate(node => node.clientWidth);
  // Then the browser decodes one image of the whole dashboard: twice the
  // grid's width (plus margins), taller than wide (six charts, one tall),
  // with marks drawn down to its last chart
  const shape = await page.evaluate(async data => {
    const image = new Image();
    image.src = `data:image/png;base64,${data}`;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = image.naturalWidth;
    canvas.height = image.naturalHeight;
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(image, 0, 0);
    // how many non-white pixels in the bottom fifth
    const h = Math.floor(image.naturalHeight / 5);
    const pixels = ctx.getImageData(
      0,
      image.naturalHeight - h,
      image.naturalWidth,
      h
    ).data;
    let ink = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      if (pixels[i] < 200 || pixels[i + 1] < 200 || pixels[i + 2] < 200) {
        ink++;
      }
    }
    return { width: image.naturalWidth, height: image.naturalHeight, ink };
  }, bytes);
  expect(shape.width).toBe(2 * (Math.max(800, grid) + 2 * 12));
  expect(shape.height).toBeGreaterThan(shape.width);
  expect(shape.ink).toBeGreaterThan(1000);

  // When the tall chart is opened in the builder and exported as PDF
  await page
    .locator('.jp-LiveGraphs-DashboardCell[data-chart-id="c6"]')
    .getByRole('button', { name: 'Edit chart' })
    .click();
  const builder = page.locator(
    '.jp-LiveGraphs-ChartBuilderPanel .jp-LiveGraphs-ChartBuilder'
  );
  await expect(builder.locator('.jp-LiveGraphs-ChartView')).toHaveAttribute(
    'data-lg-state',
    'ready'
  );
  const chartDownload = page.waitForEvent('download');
  await builder.getByRole('button', { name: 'Download the chart as PDF' }).click();
  const chart = await readPDF(
    await chartDownload,
    testInfo.outputPath('chart.pdf')
  );
  // Then it is one page: the chart's title (as the document's and above
  // the drawing), the date, and its drawing with its axis titles
  expect(chart.pages).toHaveLength(1);
  expect(chart.title).toBe(titleOf('c6'));
  const [only] = chart.pages;
  expect(only.text).toContain('Exported');
  const heads = only.texts.filter(t => t.text === titleOf('c6'));
  expect(heads).toHaveLength(2);
  const below = Math.min(...heads.map(t => t.y));
  expect(only.texts.some(t => t.text === 'channel' && t.y < below)).toBe(true);
  expect(only.texts.some(t => t.text === 'Sum of revenue')).toBe(true);
  const [x0, y0, x1, y1] = only.drawn!;
  expect(Math.min(x0, y0)).toBeGreaterThanOrEqual(0);
  expect(x1).toBeLessThanOrEqual(only.size[0]);
  expect(y1).toBeLessThanOrEqual(only.size[1]);
});

test('Export PDF on the viewer page of a public link', async ({
  page,
  baseURL,
  browser
}, testInfo) => {
  test.setTimeout(120000);
  const doc = await createDashboard(page, baseURL!);
  const published = await page.request.post(
    api(baseURL!, 'documents', doc.id, 'publish')
  );
  expect(published.status()).toBe(201);
  const r = await page.request.post(api(baseURL!, 'documents', doc.id, 'links'), {
    data: { kind: 'public' }
  });
  expect(r.status()).toBe(201);
  const link = await r.json();
  // a stranger: no cookies, no JupyterLab
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true
  });
  try {
    const viewer = await context.newPage();
    const response = await viewer.goto(new URL(link.url, baseURL).href);
    expect(response!.status()).toBe(200);
    await allDrawn(viewer);
    const pdfDownload = viewer.waitForEvent('download');
    await viewer.getByRole('button', { name: 'Export PDF' }).click();
    const pdf = await readPDF(
      await pdfDownload,
      testInfo.outputPath('viewer.pdf')
    );
    checkDashboardPDF(pdf, doc.title, ['region: EMEA, APAC']);
    expect(pdf.pages.length).toBeGreaterThanOrEqual(2);
  } finally {
    await context.close();
  }
});
