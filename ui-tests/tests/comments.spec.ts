/**
 * Comments on a dashboard of the store: two people on one dashboard see a
 * comment appear, a thread pinned to a clicked point (with its marker), and a
 * thread resolved, without reloading (the room's comments_version tells them).
 * A chart document opened on its own has the same threads; its author edits
 * and deletes their own comments.
 */
import { expect } from '@jupyterlab/galata';
import type { Page } from '@playwright/test';

import { ALICE, test, openPath, uploadCSV } from './collab-helpers';
import { clickPoint } from './plot-helpers';

const CSV = ['region,revenue', 'EMEA,100', 'APAC,50', 'AMER,300'].join('\n');

test.use({ mockUser: ALICE });

function api(baseURL: string, path: string): string {
  return new URL(`livegraphs/api/${path}`, `${baseURL}/`).href;
}

function cell(page: Page) {
  return page.locator('.jp-LiveGraphs-DashboardDocument .jp-LiveGraphs-DashboardCell').first();
}

function pane(page: Page) {
  return page.locator('.jp-LiveGraphs-DashboardDocument .jp-LiveGraphs-CommentsPane');
}

function chartDoc(page: Page) {
  return page.locator('.jp-LiveGraphs-ChartDocument');
}

function chartPane(page: Page) {
  return chartDoc(page).locator('.jp-LiveGraphs-CommentsPane');
}

/**
 * A chart document of the store (revenue by region), open in the builder.
 */
async function openChartDocument(page: Page, baseURL: string): Promise<{ id: string }> {
  const dataset = await uploadCSV(page, baseURL, CSV);
  const title = `Chart ${Date.now()}`;
  const created = await page.request.post(api(baseURL, 'documents'), {
    data: {
      kind: 'chart',
      title,
      content: {
        version: 1,
        dataset: { id: dataset.id },
        mark: 'bar',
        encoding: { x: { field: 'region' }, y: { field: 'revenue', aggregate: 'sum' } }
      }
    }
  });
  expect(created.status(), await created.text()).toBe(201);
  await openPath(page, `LiveGraphs:mine/${title}.lgchart`);
  await expect(chartDoc(page).locator('.jp-LiveGraphs-ChartView')).toHaveAttribute('data-lg-state', 'ready', {
    timeout: 20000
  });
  await expect(chartDoc(page).locator('.jp-LiveGraphs-RoomStatus')).toHaveAttribute('data-status', 'connected');
  return created.json();
}

/**
 * A chart document open with its comments pane, and the pane's new-comment box.
 */
async function openChartComments(page: Page, baseURL: string) {
  const doc = await openChartDocument(page, baseURL);
  await chartDoc(page).getByRole('button', { name: 'Comments' }).click();
  const pane = chartPane(page);
  return { doc, pane, box: pane.getByLabel('New comment') };
}

async function openDashboard(page: Page, path: string): Promise<void> {
  await openPath(page, path);
  await expect(page.locator('.jp-LiveGraphs-DashboardDocument .jp-LiveGraphs-Dashboard')).toBeVisible();
  await expect(page.locator('.jp-LiveGraphs-DashboardDocument .jp-LiveGraphs-RoomStatus')).toHaveAttribute(
    'data-status',
    'connected'
  );
}

test.describe('comments', () => {

  test('two people on one dashboard see a comment appear, a pinned thread, and a thread resolved', async ({
    page,
    baseURL,
    tmpPath,
    openGuest
  }) => {
    const dataset = await uploadCSV(page, baseURL!, CSV);
    const title = `Commented ${Date.now()}`;
    const created = await page.request.post(api(baseURL!, 'documents'), {
      data: {
        kind: 'dashboard',
        title,
        content: {
          version: 1,
          title,
          crossfilter: false,
          filters: [],
          charts: {
            c1: {
              spec: {
                version: 1,
                dataset: { name: dataset.name },
                mark: 'bar',
                encoding: { x: { field: 'region' }, y: { field: 'revenue', aggregate: 'sum' } }
              },
              layout: { x: 0, y: 0, w: 6, h: 4 }
            }
          }
        }
      }
    });
    expect(created.status()).toBe(201);
    const doc = await created.json();
    const path = `LiveGraphs:mine/${title}.lgdash`;
    await openDashboard(page, path);
    const guest = await openGuest();
    await openDashboard(guest, path);
    const count = (p: Page) => cell(p).getByRole('button', { name: 'Comments' });
    await expect(count(page)).toHaveAttribute('data-count', '0');
    await expect(count(guest)).toHaveAttribute('data-count', '0');

    // When Alice comments on the chart
    await count(page).click();
    await pane(page).getByLabel('New comment').fill('Where is LATAM?');
    await pane(page).getByRole('button', { name: 'Comment', exact: true }).click();
    await expect(pane(page).locator('.jp-LiveGraphs-CommentThread')).toHaveCount(1);
    // Then Bob's chart counts it, and his pane shows it
    await expect(count(guest)).toHaveAttribute('data-count', '1');
    await count(guest).click();
    await expect(pane(guest).locator('.jp-LiveGraphs-CommentText')).toHaveText(['Where is LATAM?']);

    // When Bob clicks the AMER bar and comments on that point
    const bars = cell(guest).locator('.js-plotly-plot .bars .point path');
    await expect(bars).toHaveCount(3);
    await bars.nth(2).click({ force: true });
    await guest.getByRole('button', { name: 'Comment on this point' }).click();
    await expect(pane(guest).locator('.jp-LiveGraphs-CommentNew .jp-LiveGraphs-CommentAnchor')).toHaveText(
      /^At (AMER|APAC|EMEA)$/
    );
    const at = (await pane(guest).locator('.jp-LiveGraphs-CommentNew .jp-LiveGraphs-CommentAnchor').textContent())!;
    await pane(guest).getByLabel('New comment').fill('This spike');
    await pane(guest).getByRole('button', { name: 'Comment', exact: true }).click();
    // Then Alice sees the pinned thread, and a marker at that point on her chart
    await expect(count(page)).toHaveAttribute('data-count', '2');
    const pinned = pane(page).locator('.jp-LiveGraphs-CommentThread', { hasText: 'This spike' });
    await expect(pinned.locator('.jp-LiveGraphs-CommentAnchor')).toHaveText(at);
    await expect(cell(page).locator('.js-plotly-plot .annotation')).toHaveCount(1);
    // and the store has it anchored to that x value
    const stored = await (await page.request.get(api(baseURL!, `documents/${doc.id}/comments`))).json();
    expect(stored.threads.map((t: any) => t.anchor?.x ?? null)).toEqual([null, at.slice(3)]);

    // When Bob replies to the first thread and resolves it
    const first = pane(guest).locator('.jp-LiveGraphs-CommentThread', { hasText: 'Where is LATAM?' });
    await first.getByLabel('Reply').fill('Not loaded yet');
    await first.getByRole('button', { name: 'Reply' }).click();
    await expect(first.locator('.jp-LiveGraphs-CommentText')).toHaveCount(2);
    await first.getByRole('button', { name: 'Resolve' }).click();
    // Then Alice sees the reply and the thread resolved; one open thread is left
    const hers = pane(page).locator('.jp-LiveGraphs-CommentThread', { hasText: 'Where is LATAM?' });
    await expect(hers.locator('.jp-LiveGraphs-CommentText')).toHaveText(['Where is LATAM?', 'Not loaded yet']);
    await expect(hers).toHaveClass(/jp-mod-resolved/);
    await expect(hers.locator('.jp-LiveGraphs-CommentState')).toContainText('Resolved');
    await expect(count(page)).toHaveAttribute('data-count', '1');
    // When Alice reopens it, Bob sees it open again
    await hers.getByRole('button', { name: 'Reopen' }).click();
    await expect(first).not.toHaveClass(/jp-mod-resolved/);
    await expect(count(guest)).toHaveAttribute('data-count', '2');
  });

  test('Comment on this point does not get in the way of the next cross-filter click', async ({ page, baseURL }) => {
    // Given a cross-filtering store dashboard: revenue by region, and counts by revenue
    const dataset = await uploadCSV(page, baseURL!, CSV);
    const title = `Crossed ${Date.now()}`;
    const spec = (rest: object) => ({ version: 1, dataset: { name: dataset.name }, ...rest });
    const created = await page.request.post(api(baseURL!, 'documents'), {
      data: {
        kind: 'dashboard',
        title,
        content: {
          version: 1,
          title,
          crossfilter: true,
          filters: [],
          charts: {
            c1: {
              spec: spec({ mark: 'bar', encoding: { x: { field: 'region' }, y: { field: 'revenue', aggregate: 'sum' } } }),
              layout: { x: 0, y: 0, w: 6, h: 4 }
            },
            c2: {
              spec: spec({ mark: 'bar', encoding: { x: { field: 'revenue' }, y: { aggregate: 'count' } } }),
              layout: { x: 6, y: 0, w: 6, h: 4 }
            }
          }
        }
      }
    });
    expect(created.status()).toBe(201);
    await openDashboard(page, `LiveGraphs:mine/${title}.lgdash`);
    const byId = (id: string) =>
      page.locator(`.jp-LiveGraphs-DashboardDocument .jp-LiveGraphs-DashboardCell[data-chart-id="${id}"]`);
    const filtersOf = async () =>
      JSON.parse((await byId('c2').locator('.jp-LiveGraphs-DashboardCellBody').getAttribute('data-spec')) ?? 'null')
        ?.filters ?? [];
    for (const id of ['c1', 'c2']) {
      await expect(byId(id).locator('.jp-LiveGraphs-ChartView')).toHaveAttribute('data-lg-state', 'ready');
    }
    const plot = byId('c1').locator('.js-plotly-plot');
    await expect(plot.locator('.bars .point path')).toHaveCount(3);
    const regions: string[] = await plot.evaluate((gd: any) => Array.from(gd._fullData[0].x, String));
    const offer = byId('c1').getByRole('button', { name: 'Comment on this point' });

    // When a bar is clicked
    // (once drawn: a late redraw, e.g. the data coming through the dashboard, can swallow a click)
    await expect(async () => {
      await clickPoint(page, plot, regions.indexOf('EMEA'));
      await expect(offer).toBeVisible({ timeout: 2000 });
    }).toPass();
    await expect.poll(filtersOf).toEqual([{ column: 'region', cmp: 'in', value: ['EMEA'] }]);
    // Then clicking the same bar again clears the selection (the offer covers no mark)
    await clickPoint(page, plot, regions.indexOf('EMEA'));
    await expect.poll(filtersOf).toEqual([]);
    // And another bar cross-filters, with the offer for that point
    await clickPoint(page, plot, regions.indexOf('AMER'));
    await expect.poll(filtersOf).toEqual([{ column: 'region', cmp: 'in', value: ['AMER'] }]);
    await expect(offer).toHaveCount(1);
    await offer.click();
    await expect(pane(page).locator('.jp-LiveGraphs-CommentNew .jp-LiveGraphs-CommentAnchor')).toHaveText('At AMER');
    await expect(offer).toHaveCount(0);
  });

  test('a chart document has threads: pinned to a point, replied to, edited, deleted and resolved', async ({
    page,
    baseURL
  }) => {
    // Given a chart document of the store, open on its own
    const doc = await openChartDocument(page, baseURL!);
    const count = chartDoc(page).getByRole('button', { name: 'Comments' });
    await expect(count).toHaveAttribute('data-count', '0');
    const plot = chartDoc(page).locator('.js-plotly-plot');
    await expect(plot.locator('.bars .point path')).toHaveCount(3);
    const regions: string[] = await plot.evaluate((gd: any) => Array.from(gd._fullData[0].x, String));

    // When Alice clicks the AMER bar and comments on that point
    const offer = chartDoc(page).getByRole('button', { name: 'Comment on this point' });
    await expect(async () => {
      await clickPoint(page, plot, regions.indexOf('AMER'));
      await expect(offer).toBeVisible({ timeout: 2000 });
    }).toPass();
    await offer.click();
    const pane = chartPane(page);
    await expect(pane.locator('.jp-LiveGraphs-CommentNew .jp-LiveGraphs-CommentAnchor')).toHaveText('At AMER');
    await pane.getByLabel('New comment').fill('This spike');
    await pane.getByRole('button', { name: 'Comment', exact: true }).click();
    // Then the thread is pinned there, counted, and marked on the chart
    const thread = pane.locator('.jp-LiveGraphs-CommentThread');
    await expect(thread).toHaveCount(1);
    await expect(thread.locator('.jp-LiveGraphs-CommentThreadHead .jp-LiveGraphs-CommentAnchor')).toHaveText(
      'At AMER'
    );
    await expect(count).toHaveAttribute('data-count', '1');
    await expect(plot.locator('.annotation')).toHaveCount(1);
    const stored = await (await page.request.get(api(baseURL!, `documents/${doc.id}/comments`))).json();
    expect(stored.threads.map((t: any) => [t.chart, t.anchor?.x])).toEqual([['', 'AMER']]);

    // When she replies, then edits her reply in place
    await thread.getByLabel('Reply').fill('Typo here');
    await thread.getByRole('button', { name: 'Reply' }).click();
    const texts = thread.locator('.jp-LiveGraphs-CommentText');
    await expect(texts).toHaveText(['This spike', 'Typo here']);
    const reply = thread.locator('.jp-LiveGraphs-Comment').nth(1);
    await reply.getByRole('button', { name: 'Edit' }).click();
    await expect(reply.getByLabel('Edit comment')).toHaveValue('Typo here');
    // (Cancel leaves it as it was)
    await reply.getByLabel('Edit comment').fill('Never mind');
    await reply.getByRole('button', { name: 'Cancel' }).click();
    await expect(texts).toHaveText(['This spike', 'Typo here']);
    await expect(reply.locator('.jp-LiveGraphs-CommentEdited')).toHaveCount(0);
    await reply.getByRole('button', { name: 'Edit' }).click();
    await reply.getByLabel('Edit comment').fill('Fixed text');
    await reply.getByRole('button', { name: 'Save' }).click();
    // Then the reply shows the new text, marked edited, and the store has it
    await expect(texts).toHaveText(['This spike', 'Fixed text']);
    await expect(reply.locator('.jp-LiveGraphs-CommentEdited')).toHaveText('edited');
    const edited = await (await page.request.get(api(baseURL!, `documents/${doc.id}/comments`))).json();
    expect(edited.threads[0].comments.map((c: any) => [c.text, c.edited !== null])).toEqual([
      ['This spike', false],
      ['Fixed text', true]
    ]);

    // When she deletes the reply
    await reply.getByRole('button', { name: 'Delete' }).click();
    // Then the thread has its first comment only
    await expect(texts).toHaveText(['This spike']);

    // When she resolves the thread
    await thread.getByRole('button', { name: 'Resolve' }).click();
    // Then it is resolved, not counted, and its marker is gone
    await expect(thread).toHaveClass(/jp-mod-resolved/);
    await expect(count).toHaveAttribute('data-count', '0');
    await expect(plot.locator('.annotation')).toHaveCount(0);
    // And reopened, it counts again
    await thread.getByRole('button', { name: 'Reopen' }).click();
    await expect(count).toHaveAttribute('data-count', '1');
  });

  test("a comment another request posts to a chart document appears in its open pane", async ({ page, baseURL }) => {
    // Given a chart document with its comments pane open
    const doc = await openChartDocument(page, baseURL!);
    const count = chartDoc(page).getByRole('button', { name: 'Comments' });
    await count.click();
    const pane = chartPane(page);
    await expect(pane).toBeVisible();
    await expect(pane.locator('.jp-LiveGraphs-CommentThread')).toHaveCount(0);

    // When a comment is posted through the REST API, not through this page
    const posted = await page.request.post(api(baseURL!, `documents/${doc.id}/comments`), {
      data: { chart: '', text: 'From the API', anchor: { x: 'EMEA' } }
    });
    expect(posted.status(), await posted.text()).toBe(201);

    // Then the open pane shows it, and the chart counts and marks it, without a reload
    await expect(pane.locator('.jp-LiveGraphs-CommentText')).toHaveText(['From the API']);
    await expect(pane.locator('.jp-LiveGraphs-CommentThreadHead .jp-LiveGraphs-CommentAnchor')).toHaveText('At EMEA');
    await expect(count).toHaveAttribute('data-count', '1');
    await expect(chartDoc(page).locator('.js-plotly-plot .annotation')).toHaveCount(1);
  });

  test('a comment being typed keeps its text, caret and focus when another comment arrives', async ({
    page,
    baseURL
  }) => {
    // Given a chart document with its comments pane open, and Alice typing a comment
    const { doc, pane, box } = await openChartComments(page, baseURL!);
    await box.click();
    await page.keyboard.type('Half thought');
    // (the caret put back before "thought")
    for (let i = 0; i < 'thought'.length; i++) {
      await page.keyboard.press('ArrowLeft');
    }

    // When a comment from elsewhere arrives and the pane shows it
    const posted = await page.request.post(api(baseURL!, `documents/${doc.id}/comments`), {
      data: { chart: '', text: 'From elsewhere', anchor: null }
    });
    expect(posted.status(), await posted.text()).toBe(201);
    await expect(pane.locator('.jp-LiveGraphs-CommentText')).toHaveText(['From elsewhere']);

    // Then she types on where she was, in the same box, and posts it
    await page.keyboard.type('a ');
    await expect(box).toHaveValue('Half a thought');
    await expect(box).toBeFocused();
    await pane.getByRole('button', { name: 'Comment', exact: true }).click();
    await expect(pane.locator('.jp-LiveGraphs-CommentText')).toHaveText(['From elsewhere', 'Half a thought']);
    await expect(box).toHaveValue('');
  });

  test('a comment whose sending fails can be sent again: its text stays and its button comes back', async ({
    page,
    baseURL
  }) => {
    // Given a chart document with its comments pane open
    const { doc, pane, box } = await openChartComments(page, baseURL!);
    const post = pane.getByRole('button', { name: 'Comment', exact: true });

    // When the connection drops Alice's comment on its way
    const comments = (url: URL) => url.pathname.endsWith(`/documents/${doc.id}/comments`);
    await page.route(comments, route => (route.request().method() === 'POST' ? route.abort() : route.continue()));
    await box.fill('Lost on the way');
    await post.click();
    // Then the pane says so, and her text and the button are there to try again
    await expect(pane.locator('.jp-LiveGraphs-CommentsError')).not.toBeEmpty();
    await expect(post).toBeEnabled();
    await expect(box).toHaveValue('Lost on the way');

    // When the connection is back, the same button sends it
    await page.unroute(comments);
    await post.click();
    await expect(pane.locator('.jp-LiveGraphs-CommentText')).toHaveText(['Lost on the way']);
    await expect(pane.locator('.jp-LiveGraphs-CommentsError')).toBeEmpty();
  });
});
