/**
 * A published dashboard on its viewer page, opened from a public link in a
 * fresh browser (no cookies, no JupyterLab): the charts draw, the dropdown
 * filter and a cross-filter narrow them, nothing can be edited; a revoked
 * link is 404 and an expired one 410; at a phone's size (390×844) the charts
 * stack one per row at full width and the filters wait in a drawer.
 */
import { expect, test } from '@jupyterlab/galata';
import type { Browser, Page } from '@playwright/test';

import { ALICE, openPath, uploadCSV } from './collab-helpers';
import { clickPoint } from './plot-helpers';

const CSV = [
  'region,kind,revenue',
  'EMEA,a,100',
  'APAC,b,50',
  'EMEA,b,300',
  'AMER,a,20',
  'APAC,a,5'
].join('\n');

test.use({ mockUser: ALICE });

const SUM = { field: 'revenue', aggregate: 'sum' };

function api(baseURL: string, ...parts: string[]): string {
  return new URL(`livegraphs/api/${parts.join('/')}`, `${baseURL}/`).href;
}

async function publishDashboard(page: Page, baseURL: string, title?: string) {
  const dataset = await uploadCSV(page, baseURL, CSV);
  const chart = (x: string, y: number) => ({
    spec: {
      version: 1,
      dataset: { id: dataset.id },
      mark: 'bar',
      title: `Revenue by ${x}`,
      encoding: {
        x: { field: x },
        y: { field: 'revenue', aggregate: 'sum' }
      }
    },
    layout: { x: y === 0 ? 0 : 6, y: 0, w: 6, h: 5 }
  });
  const content = {
    version: 1,
    title: title ?? `Published ${Date.now()}`,
    crossfilter: true,
    filters: [
      {
        id: 'f1',
        kind: 'dropdown',
        dataset: dataset.id,
        column: 'region',
        value: []
      }
    ],
    charts: { c1: chart('region', 0), c2: chart('kind', 1) }
  };
  const created = await page.request.post(api(baseURL, 'documents'), {
    data: { kind: 'dashboard', content }
  });
  expect(created.status()).toBe(201);
  const doc = await created.json();
  const published = await page.request.post(
    api(baseURL, 'documents', doc.id, 'publish')
  );
  expect(published.status()).toBe(201);
  return doc as { id: string; title: string };
}

async function newLink(
  page: Page,
  baseURL: string,
  docId: string,
  expires?: string
): Promise<{ id: string; url: string; token: string }> {
  const r = await page.request.post(api(baseURL, 'documents', docId, 'links'), {
    data: { kind: 'public', ...(expires ? { expires } : {}) }
  });
  expect(r.status()).toBe(201);
  return r.json();
}

/**
 * A browser context of nobody: no cookies, no JupyterLab.
 */
async function stranger(
  browser: Browser,
  viewport = { width: 1280, height: 900 }
) {
  const context = await browser.newContext({ viewport });
  return { context, page: await context.newPage() };
}

function cell(page: Page, id: string) {
  return page.locator(`.jp-LiveGraphs-DashboardCell[data-chart-id="${id}"]`);
}

function plotOf(page: Page, id: string) {
  return cell(page, id).locator('.jp-LiveGraphs-chartPlot');
}

function drawn(page: Page, id: string): Promise<Record<string, number>> {
  return plotOf(page, id).evaluate((node: any) => {
    const t = node.data?.[0] ?? {};
    const out: Record<string, number> = {};
    Array.from(t.x ?? []).forEach((x: any, i: number) => {
      out[String(x)] = Number(t.y[i]);
    });
    return out;
  });
}

test('a public link shows the published dashboard to a stranger, filterable and read-only', async ({
  page,
  baseURL,
  browser
}) => {
  // a title that would be markup if it were not drawn as text
  const title = `<img src=x onerror="document.title='owned'"> ${Date.now()}`;
  const doc = await publishDashboard(page, baseURL!, title);
  const link = await newLink(page, baseURL!, doc.id);
  const { context, page: viewer } = await stranger(browser);
  try {
    const response = await viewer.goto(new URL(link.url, baseURL).href);
    expect(response!.status()).toBe(200);
    const csp = response!.headers()['content-security-policy'];
    expect(csp).toContain("script-src 'self'");
    await expect(viewer.locator('.jp-LiveGraphs-DashboardHeading')).toHaveText(
      title
    );
    await expect(viewer.locator('img')).toHaveCount(0);
    expect(await viewer.title()).toBe(`${title} · livegraphs`);
    // the charts draw, each with the sums of the data
    for (const id of ['c1', 'c2']) {
      await expect(
        cell(viewer, id).locator('.jp-LiveGraphs-ChartView')
      ).toHaveAttribute('data-lg-state', 'ready', { timeout: 30000 });
    }
    await expect
      .poll(() => drawn(viewer, 'c1'))
      .toEqual({ AMER: 20, APAC: 55, EMEA: 400 });
    await expect.poll(() => drawn(viewer, 'c2')).toEqual({ a: 125, b: 350 });
    // the dropdown filter narrows both charts
    const select = viewer.getByLabel('region filter');
    await expect(select.locator('option', { hasText: 'EMEA' })).toHaveCount(1);
    await select.selectOption({ label: 'EMEA' });
    await expect.poll(() => drawn(viewer, 'c2')).toEqual({ a: 100, b: 300 });
    await expect.poll(() => drawn(viewer, 'c1')).toEqual({ EMEA: 400 });
    await select.selectOption({ label: 'All' });
    await expect
      .poll(() => drawn(viewer, 'c1'))
      .toEqual({ AMER: 20, APAC: 55, EMEA: 400 });
    // a click on a bar cross-filters the other chart
    await expect(
      cell(viewer, 'c1').locator('.jp-LiveGraphs-ChartView')
    ).toHaveAttribute('data-lg-state', 'ready', { timeout: 30000 });
    const index = await plotOf(viewer, 'c1').evaluate((node: any) =>
      Array.from(node.data[0].x).indexOf('APAC')
    );
    await clickPoint(viewer, plotOf(viewer, 'c1'), index);
    await expect.poll(() => drawn(viewer, 'c2')).toEqual({ a: 5, b: 50 });
    // nothing can be edited: no editable text, no inputs but the filter, no shelves or handles
    await expect(
      viewer.locator('[contenteditable="true"], textarea')
    ).toHaveCount(0);
    await expect(viewer.locator('input')).toHaveCount(0);
    await expect(
      viewer.locator('.jp-LiveGraphs-DashboardCell.jp-mod-editing')
    ).toHaveCount(0);
    await expect(viewer.locator('.jp-LiveGraphs-Shelf')).toHaveCount(0);
    // the next stranger's page carries the charts' answers and the dropdown's
    // values: it asks for none
    const next = await stranger(browser);
    try {
      const asked: string[] = [];
      next.page.on('request', r => {
        if (
          /\/(charts|filters)\/[^/]+\/query$/.test(new URL(r.url()).pathname)
        ) {
          asked.push(r.url());
        }
      });
      await next.page.goto(new URL(link.url, baseURL).href);
      await expect
        .poll(() => drawn(next.page, 'c1'))
        .toEqual({ AMER: 20, APAC: 55, EMEA: 400 });
      await expect
        .poll(() => drawn(next.page, 'c2'))
        .toEqual({ a: 125, b: 350 });
      const options = next.page.getByLabel('region filter').locator('option');
      await expect(options).toHaveCount(4); // All, and the three regions
      await expect(options.filter({ hasText: 'AMER' })).toHaveCount(1);
      expect(asked).toEqual([]);
      // and a filter is still asked of the server
      await next.page
        .getByLabel('region filter')
        .selectOption({ label: 'EMEA' });
      await expect
        .poll(() => drawn(next.page, 'c2'))
        .toEqual({ a: 100, b: 300 });
      expect(asked.length).toBeGreaterThan(0);
    } finally {
      await next.context.close();
    }
  } finally {
    await context.close();
  }
});

/**
 * Each mark, and the Plotly trace types it is drawn with (a scatter of more
 * than 1,000 points asks for `scattergl`, which the viewer draws as SVG).
 */
const EVERY_MARK: Record<string, { spec: object; traces: string[] }> = {
  bar: {
    spec: { mark: 'bar', encoding: { x: { field: 'region' }, y: SUM } },
    traces: ['bar']
  },
  line: {
    spec: { mark: 'line', encoding: { x: { field: 'day' }, y: SUM } },
    traces: ['scatter']
  },
  area: {
    spec: { mark: 'area', encoding: { x: { field: 'day' }, y: SUM } },
    traces: ['scatter']
  },
  scatter: {
    spec: {
      mark: 'scatter',
      encoding: { x: { field: 'revenue' }, y: { field: 'cost' } }
    },
    traces: ['scattergl']
  },
  pie: { spec: { mark: 'pie', encoding: { color: { field: 'kind' } } }, traces: ['pie'] },
  heatmap: {
    spec: { mark: 'heatmap', encoding: { x: { field: 'region' }, y: { field: 'kind' } } },
    traces: ['heatmap']
  },
  histogram: {
    spec: { mark: 'histogram', encoding: { x: { field: 'cost' } } },
    traces: ['bar']
  },
  box: {
    spec: { mark: 'box', encoding: { x: { field: 'region' }, y: { field: 'cost' } } },
    traces: ['box']
  },
  points: {
    spec: {
      mark: 'map',
      encoding: { latitude: { field: 'lat' }, longitude: { field: 'lon' } }
    },
    traces: ['scattergeo']
  },
  choropleth: {
    spec: { mark: 'map', encoding: { location: { field: 'country' } } },
    traces: ['choropleth']
  },
  kpi: { spec: { mark: 'kpi', encoding: { y: SUM } }, traces: ['indicator'] },
  table: {
    spec: { mark: 'table', encoding: { x: { field: 'region' }, y: SUM } },
    traces: ['table']
  }
};

test('every mark is drawn on the viewer page with the trace types it asks for', async ({
  page,
  baseURL,
  browser
}) => {
  const regions = ['EMEA', 'APAC', 'AMER'];
  const countries = ['FRA', 'JPN', 'USA'];
  const rows = ['region,kind,revenue,cost,day,country,lat,lon'];
  for (let i = 0; i < 1200; i++) {
    const day = new Date(Date.UTC(2024, 0, 1 + (i % 90)))
      .toISOString()
      .slice(0, 10);
    rows.push(
      [
        regions[i % 3],
        i % 2 ? 'a' : 'b',
        i,
        (i * 7) % 101,
        day,
        countries[i % 3],
        (i % 120) - 60,
        (i % 300) - 150
      ].join(',')
    );
  }
  const dataset = await uploadCSV(page, baseURL!, rows.join('\n'));
  const names = Object.keys(EVERY_MARK);
  const charts = Object.fromEntries(
    names.map((name, i) => [
      name,
      {
        spec: {
          version: 1,
          dataset: { id: dataset.id },
          title: name,
          ...EVERY_MARK[name].spec
        },
        layout: { x: (i % 2) * 6, y: Math.floor(i / 2) * 4, w: 6, h: 4 }
      }
    ])
  );
  const created = await page.request.post(api(baseURL!, 'documents'), {
    data: {
      kind: 'dashboard',
      content: { version: 1, title: `Every mark ${Date.now()}`, charts }
    }
  });
  expect(created.status()).toBe(201);
  const doc = await created.json();
  const published = await page.request.post(
    api(baseURL!, 'documents', doc.id, 'publish')
  );
  expect(published.status()).toBe(201);
  const link = await newLink(page, baseURL!, doc.id);
  const { context, page: viewer } = await stranger(browser);
  try {
    await viewer.goto(new URL(link.url, baseURL).href);
    for (const name of names) {
      const view = cell(viewer, name).locator('.jp-LiveGraphs-ChartView');
      await view.scrollIntoViewIfNeeded();
      await expect(view, name).toHaveAttribute('data-lg-state', 'ready', {
        timeout: 30000
      });
      // What was asked for, and what Plotly made of it: a type it does not
      // know is drawn as its default, a scatter.
      const types = await plotOf(viewer, name).evaluate((node: any) => ({
        asked: node.data.map((t: any) => t.type ?? 'scatter'),
        drawn: node._fullData.map((t: any) => t.type)
      }));
      expect(types.asked, name).toEqual(EVERY_MARK[name].traces);
      expect(types.drawn, name).toEqual(
        types.asked.map((t: string) => (t === 'scattergl' ? 'scatter' : t))
      );
    }
    // the maps draw their outlines from the page's own bundle
    await expect(
      plotOf(viewer, 'choropleth').locator('path.choroplethlocation')
    ).toHaveCount(3);
    await expect(
      plotOf(viewer, 'points').locator('.geo .scattergeo .point')
    ).not.toHaveCount(0);
    await expect(
      plotOf(viewer, 'scatter').locator('.scatterlayer .point')
    ).toHaveCount(1200);
  } finally {
    await context.close();
  }
});

test('a revoked link is 404 and an expired one 410, each a plain page', async ({
  page,
  baseURL,
  browser
}) => {
  const doc = await publishDashboard(page, baseURL!);
  const revoked = await newLink(page, baseURL!, doc.id);
  const r = await page.request.delete(
    api(baseURL!, 'documents', doc.id, 'links', revoked.id)
  );
  expect(r.status()).toBe(204);
  const soon = new Date(Date.now() + 3000).toISOString();
  const expiring = await newLink(page, baseURL!, doc.id, soon);
  const { context, page: viewer } = await stranger(browser);
  try {
    const gone = await viewer.goto(new URL(revoked.url, baseURL).href);
    expect(gone!.status()).toBe(404);
    await expect(viewer.getByRole('heading', { level: 1 })).toHaveText(
      'Not Found'
    );
    await expect(viewer.locator('body')).toContainText('revoked');
    // the link expires 3 s after it was made
    await expect
      .poll(
        async () =>
          (await viewer.goto(new URL(expiring.url, baseURL).href))!.status(),
        {
          timeout: 20000
        }
      )
      .toBe(410);
    await expect(viewer.locator('body')).toContainText('expired');
  } finally {
    await context.close();
  }
});

test('at 390×844 the charts stack one per row at full width and the filters are in a drawer', async ({
  page,
  baseURL,
  browser
}, testInfo) => {
  const doc = await publishDashboard(page, baseURL!);
  const link = await newLink(page, baseURL!, doc.id);
  const { context, page: phone } = await stranger(browser, {
    width: 390,
    height: 844
  });
  try {
    await phone.goto(new URL(link.url, baseURL).href);
    for (const id of ['c1', 'c2']) {
      await expect(
        cell(phone, id).locator('.jp-LiveGraphs-ChartView')
      ).toHaveAttribute('data-lg-state', 'ready', { timeout: 30000 });
    }
    const [a, b] = [
      await cell(phone, 'c1').boundingBox(),
      await cell(phone, 'c2').boundingBox()
    ];
    expect(a!.width).toBeGreaterThan(390 * 0.9);
    expect(b!.width).toBeGreaterThan(390 * 0.9);
    expect(b!.y).toBeGreaterThanOrEqual(a!.y + a!.height);
    // the filters wait in a drawer until the toolbar's button opens it
    const select = phone.getByLabel('region filter');
    await expect(select).toBeHidden();
    await phone.getByRole('button', { name: 'Filters' }).click();
    await expect(select).toBeVisible();
    await phone.screenshot({
      path: testInfo.outputPath('viewer-390x844-filters.png')
    });
    await phone.getByRole('button', { name: 'Filters' }).click();
    await expect(select).toBeHidden();
    await phone.screenshot({
      path: testInfo.outputPath('viewer-390x844.png'),
      fullPage: true
    });
  } finally {
    await context.close();
  }
});

test('the live viewer page follows an edit through the room at once', async ({
  page,
  baseURL
}) => {
  const doc = await publishDashboard(page, baseURL!);
  const viewer = await page.context().newPage();
  // what the page sends its room
  const sent: number[][] = [];
  viewer.on('websocket', ws =>
    ws.on('framesent', ({ payload }) =>
      sent.push([...Buffer.from(payload as any)])
    )
  );
  try {
    const response = await viewer.goto(
      new URL(`livegraphs/view/${doc.id}`, `${baseURL}/`).href
    );
    // the page's policy lets it reach its own origin's WebSocket, and no other
    const csp = response!.headers()['content-security-policy'];
    const origin = new URL(baseURL!);
    expect(csp).toContain(`connect-src 'self' ws://${origin.host};`);
    await expect(viewer.locator('.jp-LiveGraphs-DashboardHeading')).toHaveText(
      doc.title
    );
    await expect(
      cell(viewer, 'c1').locator('.jp-LiveGraphs-ChartView')
    ).toHaveAttribute('data-lg-state', 'ready', { timeout: 30000 });
    await expect
      .poll(() => drawn(viewer, 'c1'))
      .toEqual({ AMER: 20, APAC: 55, EMEA: 400 });
    // Given the page has joined the document's room
    await expect(viewer.locator('body')).toHaveAttribute(
      'data-lg-live',
      'open'
    );
    // When an editor renames the dashboard
    const renamed = `${doc.title} (renamed)`;
    const r = await page.request.patch(api(baseURL!, 'documents', doc.id), {
      data: { title: renamed }
    });
    expect(r.status()).toBe(200);
    // Then the room brings the change well before a 10 s look would
    await expect(viewer.locator('.jp-LiveGraphs-DashboardHeading')).toHaveText(
      renamed,
      {
        timeout: 2000
      }
    );
    await expect(viewer.locator('body')).toHaveAttribute(
      'data-lg-live',
      'open'
    );
    await expect(
      viewer.locator('[contenteditable="true"], textarea, input')
    ).toHaveCount(0);
    // and the page only ever asked for the room's state: a sync step 1 and
    // empty sync step 2s, no update and no presence
    const isStep1 = (f: number[]) => f[0] === 0 && f[1] === 0;
    expect(sent.filter(isStep1).length).toBeGreaterThan(0);
    for (const frame of sent.filter(f => !isStep1(f))) {
      expect(frame).toEqual([0, 1, 2, 0, 0]);
    }
  } finally {
    await viewer.close();
  }
});

test('without its room the live page looks again every 10 s', async ({
  page,
  baseURL
}) => {
  const doc = await publishDashboard(page, baseURL!);
  const viewer = await page.context().newPage();
  try {
    // Given a room that refuses the page (as it does a document gone)
    await viewer.routeWebSocket(/\/room$/, ws =>
      ws.close({ code: 4404, reason: 'gone' })
    );
    await viewer.goto(new URL(`livegraphs/view/${doc.id}`, `${baseURL}/`).href);
    await expect(viewer.locator('.jp-LiveGraphs-DashboardHeading')).toHaveText(
      doc.title
    );
    await expect(viewer.locator('body')).toHaveAttribute(
      'data-lg-live',
      'polling'
    );
    // When an editor renames the dashboard
    const renamed = `${doc.title} (renamed)`;
    const r = await page.request.patch(api(baseURL!, 'documents', doc.id), {
      data: { title: renamed }
    });
    expect(r.status()).toBe(200);
    // Then the page's next look finds it
    await expect(viewer.locator('.jp-LiveGraphs-DashboardHeading')).toHaveText(
      renamed,
      {
        timeout: 15000
      }
    );
  } finally {
    await viewer.close();
  }
});

test('the Share dialog publishes, makes a public link shown once, lists and revokes it', async ({
  page,
  baseURL,
  browser
}) => {
  const doc = await publishDashboard(page, baseURL!);
  await openPath(page, `LiveGraphs:mine/${doc.title}.lgdash`);
  await expect(
    page.locator('.jp-LiveGraphs-DashboardDocument .jp-LiveGraphs-Dashboard')
  ).toBeVisible();
  await page.locator('.jp-LiveGraphs-ShareButton').click();
  const dialog = page.locator('.jp-Dialog .jp-LiveGraphs-Publish');
  await expect(dialog.locator('.jp-LiveGraphs-PublishStatus')).toContainText(
    'Snapshot 1'
  );
  // When Alice publishes again and makes a public link
  await dialog.getByRole('button', { name: 'Publish now' }).click();
  await expect(dialog.locator('.jp-LiveGraphs-PublishStatus')).toContainText(
    'Snapshot 2'
  );
  await dialog.getByRole('button', { name: 'New public link' }).click();
  const address = dialog.getByLabel('Link address');
  await expect(address).toHaveValue(/\/livegraphs\/public\/[A-Za-z0-9_-]{43}$/);
  const url = await address.inputValue();
  await expect(
    dialog.locator('.jp-LiveGraphs-PublishLink[data-state="active"]')
  ).toHaveCount(1);
  // Then the address opens the dashboard for a stranger
  const { context, page: viewer } = await stranger(browser);
  try {
    expect((await viewer.goto(url))!.status()).toBe(200);
    await expect(
      cell(viewer, 'c1').locator('.jp-LiveGraphs-ChartView')
    ).toHaveAttribute('data-lg-state', 'ready', { timeout: 30000 });
    // and once revoked it is gone
    await dialog.locator('.jp-LiveGraphs-PublishRevoke').click();
    await expect(
      dialog.locator('.jp-LiveGraphs-PublishLink[data-state="revoked"]')
    ).toHaveCount(1);
    expect((await viewer.goto(url))!.status()).toBe(404);
    // a link pinned to snapshot 1, with a last day, is listed so and kept so by the server
    await dialog.getByLabel('Link shows').selectOption({ label: 'snapshot 1' });
    await dialog.getByLabel('Link expires after').fill('2099-12-31');
    await dialog.getByRole('button', { name: 'New signed-in link' }).click();
    await expect(
      dialog.locator('.jp-LiveGraphs-PublishLink[data-kind="signed_in"]')
    ).toContainText('snapshot 1');
    const listed = await (
      await page.request.get(api(baseURL!, 'documents', doc.id, 'links'))
    ).json();
    const pinned = listed.links.find((l: any) => l.kind === 'signed_in');
    expect(pinned.snapshot).toBe(1);
    expect(
      pinned.expires.startsWith('2099-12-31') ||
        pinned.expires.startsWith('2100-01-01')
    ).toBe(true);
  } finally {
    await context.close();
  }
});
