/**
 * Shared documents through the LiveGraphs drive: a dashboard made with New
 * Dashboard lives in the store, two people edit it through its room and see
 * each other, a reload keeps the edits, and the Share dialog changes shares.
 */
import { expect } from '@jupyterlab/galata';
import type { Page } from '@playwright/test';

import { dragField } from './builder-helpers';
import { ALICE, test, openPath, uploadCSV } from './collab-helpers';

const CSV = [
  'month,region,revenue,units',
  '2025-01-01,EMEA,100,1',
  '2025-01-01,APAC,50,2',
  '2025-02-01,EMEA,300,3'
].join('\n');

test.use({ mockUser: ALICE });

function api(baseURL: string, path: string): string {
  return new URL(`livegraphs/api/${path}`, `${baseURL}/`).href;
}

/**
 * The store's document titled `title`.
 */
async function documentTitled(page: Page, baseURL: string, title: string) {
  const response = await page.request.get(api(baseURL, 'documents'));
  expect(response.status()).toBe(200);
  const { documents } = await response.json();
  return documents.find((d: any) => d.title === title) ?? null;
}

function cells(page: Page) {
  return page.locator('.jp-LiveGraphs-DashboardDocument .jp-LiveGraphs-DashboardCell');
}

function roomStatus(page: Page) {
  return page.locator('.jp-LiveGraphs-DashboardDocument .jp-LiveGraphs-RoomStatus');
}

async function openDashboard(page: Page, path: string): Promise<void> {
  await openPath(page, path);
  await expect(page.locator('.jp-LiveGraphs-DashboardDocument .jp-LiveGraphs-Dashboard')).toBeVisible();
  await expect(roomStatus(page)).toHaveAttribute('data-status', 'connected');
}

test.describe('dashboards of the store', () => {

  test('New Dashboard makes a store document that two people edit together, see each other in, and that a reload keeps', async ({
    page,
    baseURL,
    tmpPath,
    openGuest
  }) => {
    const dataset = await uploadCSV(page, baseURL!, CSV);
    const title = `Board ${Date.now()}`;

    // When Alice runs New Dashboard
    await page.evaluate(
      t => (window as any).jupyterapp.commands.execute('livegraphs:new-dashboard', { title: t }),
      title
    );
    // Then it opens from the LiveGraphs drive, connected to its room
    const path = `LiveGraphs:mine/${title}.lgdash`;
    await expect(page.getByRole('tab', { name: `${title}.lgdash` })).toBeVisible();
    expect(await page.evaluate(() => (window as any).jupyterapp.shell.currentWidget.context.path)).toBe(path);
    await expect(roomStatus(page)).toHaveAttribute('data-status', 'connected');
    // and the store lists it as Alice's dashboard
    const doc = await documentTitled(page, baseURL!, title);
    expect(doc).toMatchObject({ kind: 'dashboard', access: 'owner' });

    // and the LiveGraphs file browser lists it under "My dashboards and charts"
    await page.sidebar.openTab('livegraphs-documents');
    const browserPanel = page.locator('#livegraphs-documents');
    await browserPanel.getByText('My dashboards and charts').dblclick();
    await expect(browserPanel.locator('.jp-DirListing-item', { hasText: `${title}.lgdash` })).toBeVisible();

    // When Bob opens it too
    const guest = await openGuest();
    const joined = Date.now();
    await openDashboard(guest, path);
    // Then each sees the other in the toolbar
    const people = (p: Page, who: string) =>
      p.locator(`.jp-LiveGraphs-DashboardPeople .jp-LiveGraphs-DashboardBadge[data-user="${who}"]`);
    await expect(people(page, 'Bob')).toBeVisible();
    await expect(people(guest, 'Alice')).toBeVisible();
    console.warn(`presence: Bob seen by Alice ${Date.now() - joined} ms after Bob's open began`);

    // When Alice adds a chart on the dataset
    await page.getByLabel('Dataset for new charts and filters').selectOption(dataset.name);
    await page.getByRole('button', { name: 'Add chart' }).click();
    // Then Bob gets it, and sees Alice editing it (she is, having added it)
    await expect(cells(guest)).toHaveCount(1);
    await expect(cells(guest).first().locator('.jp-LiveGraphs-DashboardBadge[data-user="Alice"]')).toBeVisible();
    // When Bob renames the dashboard
    const renamed = `${title} (Q1)`;
    const titleInput = guest.getByLabel('Dashboard title');
    await titleInput.fill(renamed);
    await titleInput.dispatchEvent('change');
    // Then Alice sees the new title
    await expect(page.getByLabel('Dashboard title')).toHaveValue(renamed);
    // and, once the store has the new title, her tab shows it too
    await expect(page.getByRole('tab', { name: `${renamed}.lgdash` })).toBeVisible();

    // When Alice reloads the page and opens the dashboard again
    // (a plain reload: Galata's waits for a Launcher the restored layout lacks)
    await page.evaluate(() => window.location.reload());
    await page.waitForFunction(() => !!(window as any).jupyterapp?.started);
    await page.evaluate(() => (window as any).jupyterapp.started);
    await expect(page.locator('#jupyterlab-splash')).toHaveCount(0, { timeout: 30000 });
    const reopenPath = `LiveGraphs:mine/${renamed}.lgdash`;
    await openDashboard(page, reopenPath);
    // Then both edits are still there
    await expect(cells(page)).toHaveCount(1);
    await expect(page.getByLabel('Dashboard title')).toHaveValue(renamed);
    // and the store's content has them
    const content = await page.request.get(api(baseURL!, `documents/${doc.id}/content`));
    expect(content.status()).toBe(200);
    const body = await content.json();
    expect(body.title).toBe(renamed);
    expect(Object.keys(body.charts)).toHaveLength(1);

    // When Bob, still there, closes his browser
    await expect(people(page, 'Bob')).toBeVisible();
    await guest.context().close();
    // Then Alice's toolbar drops him, well before an awareness timeout (30 s)
    await expect(people(page, 'Bob')).toHaveCount(0, { timeout: 15000 });
  });

  test('the Share dialog lists, adds and removes shares, as the REST API sees them', async ({ page, baseURL }) => {
    // Given a dashboard of the store, open from the drive
    const title = `Shared ${Date.now()}`;
    const created = await page.request.post(api(baseURL!, 'documents'), {
      data: { kind: 'dashboard', title }
    });
    expect(created.status()).toBe(201);
    const doc = await created.json();
    await openDashboard(page, `LiveGraphs:mine/${title}.lgdash`);
    const shares = async () => {
      const response = await page.request.get(api(baseURL!, `documents/${doc.id}/shares`));
      expect(response.status()).toBe(200);
      return (await response.json()).shares.map((s: any) => `${s.kind}:${s.name}:${s.role}`).sort();
    };

    // When Alice opens the Share dialog from the toolbar
    await page.locator('.jp-LiveGraphs-ShareButton').click();
    const dialog = page.locator('.jp-Dialog .jp-LiveGraphs-Share');
    await expect(dialog).toBeVisible();
    await expect(dialog.locator('.jp-LiveGraphs-ShareNone')).toBeVisible();
    // and shares it with the user carol as editor and the group analysts as viewer
    await dialog.getByLabel('Name').fill('carol');
    await dialog.getByLabel('Role').selectOption('editor');
    await dialog.getByRole('button', { name: 'Share', exact: true }).click();
    await expect(dialog.locator('.jp-LiveGraphs-ShareRow[data-name="carol"]')).toContainText('editor');
    await dialog.getByLabel('Share with').selectOption('group');
    await dialog.getByLabel('Name').fill('analysts');
    await dialog.getByLabel('Role').selectOption('viewer');
    await dialog.getByRole('button', { name: 'Share', exact: true }).click();
    await expect(dialog.locator('.jp-LiveGraphs-ShareRow')).toHaveCount(2);
    // Then the server has both shares
    expect(await shares()).toEqual(['group:analysts:viewer', 'user:carol:editor']);

    // When Alice removes carol
    await dialog.getByRole('button', { name: 'Remove carol' }).click();
    // Then the dialog and the server no longer list her
    await expect(dialog.locator('.jp-LiveGraphs-ShareRow')).toHaveCount(1);
    expect(await shares()).toEqual(['group:analysts:viewer']);

    // When the group's share is removed through the REST API, a new dialog
    // shows the document shared with no one
    const removed = await page.request.delete(api(baseURL!, `documents/${doc.id}/shares/group/analysts`));
    expect(removed.status()).toBe(204);
    await page.locator('.jp-Dialog').getByRole('button', { name: 'Close' }).click();
    await page.locator('.jp-LiveGraphs-ShareButton').click();
    await expect(page.locator('.jp-Dialog .jp-LiveGraphs-ShareNone')).toBeVisible();

    // A bad name is refused with the server's message, and nothing is added
    await page.locator('.jp-Dialog').getByLabel('Name').fill('x'.repeat(256));
    await page.locator('.jp-Dialog').getByRole('button', { name: 'Share', exact: true }).click();
    await expect(page.locator('.jp-Dialog .jp-LiveGraphs-ShareError')).not.toBeEmpty();
    expect(await shares()).toEqual([]);
  });

  test('a lost connection shows as offline, and edits made meanwhile reach the other person once it is back', async ({
    page,
    baseURL,
    tmpPath,
    openGuest
  }) => {
    // Given Alice's room connections pass through a switch she can turn off
    let online = true;
    const sockets: Array<{ close: (o?: { code?: number }) => Promise<void> }> = [];
    await page.routeWebSocket(/livegraphs\/api\/documents\/[0-9a-f]{32}\/room/, ws => {
      if (!online) {
        void ws.close({ code: 1006 });
        return;
      }
      ws.connectToServer();
      sockets.push(ws);
    });
    // and a dashboard open by Alice and Bob
    const dataset = await uploadCSV(page, baseURL!, CSV);
    const title = `Offline ${Date.now()}`;
    const created = await page.request.post(api(baseURL!, 'documents'), {
      data: { kind: 'dashboard', title }
    });
    expect(created.status()).toBe(201);
    const path = `LiveGraphs:mine/${title}.lgdash`;
    await openDashboard(page, path);
    const guest = await openGuest();
    await openDashboard(guest, path);

    // When Alice's connection drops
    online = false;
    await Promise.all(sockets.splice(0).map(ws => ws.close({ code: 1006 })));
    // Then her toolbar says she is offline and reconnecting
    await expect(roomStatus(page)).toHaveAttribute('data-status', 'reconnecting');
    await expect(roomStatus(page)).toContainText('Offline');
    // and a chart she adds meanwhile stays with her
    await page.getByLabel('Dataset for new charts and filters').selectOption(dataset.name);
    await page.getByRole('button', { name: 'Add chart' }).click();
    await expect(cells(page)).toHaveCount(1);
    await expect(cells(guest)).toHaveCount(0);

    // When the connection is back
    online = true;
    // Then she is live again and Bob gets the chart
    await expect(roomStatus(page)).toHaveAttribute('data-status', 'connected', { timeout: 15000 });
    await expect(cells(guest)).toHaveCount(1);
  });

  test('New Chart makes a chart document of the store, and a drop in its builder is stored', async ({
    page,
    baseURL
  }) => {
    const dataset = await uploadCSV(page, baseURL!, CSV);
    // When Alice runs New Chart on a dataset
    await page.evaluate(
      id => (window as any).jupyterapp.commands.execute('livegraphs:new-chart', { datasetId: id }),
      dataset.id
    );
    // Then a chart document named after it opens in the builder, from the drive
    await expect(page.getByRole('tab', { name: `${dataset.name}.lgchart` })).toBeVisible();
    expect(await page.evaluate(() => (window as any).jupyterapp.shell.currentWidget.context.path)).toBe(
      `LiveGraphs:mine/${dataset.name}.lgchart`
    );
    const builder = page.locator('.jp-LiveGraphs-ChartDocument .jp-LiveGraphs-ChartBuilder');
    await expect(builder.locator('.jp-LiveGraphs-field[data-field="region"]')).toBeVisible();
    const doc = await documentTitled(page, baseURL!, dataset.name);
    expect(doc).toMatchObject({ kind: 'chart', access: 'owner' });
    // When she drops region on the X axis
    await dragField(page, builder, 'region', 'X axis');
    // Then the store's chart has it
    await expect
      .poll(async () => {
        const response = await page.request.get(api(baseURL!, `documents/${doc.id}/content`));
        return (await response.json()).encoding?.x?.field ?? null;
      })
      .toBe('region');
  });

  test('a dashboard chart edited in the builder shows its editor to the other person', async ({
    page,
    baseURL,
    tmpPath,
    openGuest
  }) => {
    // Given a dashboard with one chart, open by Alice and Bob
    const dataset = await uploadCSV(page, baseURL!, CSV);
    const title = `Builder ${Date.now()}`;
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
              spec: { version: 1, dataset: { id: dataset.id }, mark: 'bar', encoding: { x: { field: 'region' } } },
              layout: { x: 0, y: 0, w: 6, h: 4 }
            }
          }
        }
      }
    });
    expect(created.status()).toBe(201);
    const path = `LiveGraphs:mine/${title}.lgdash`;
    await openDashboard(page, path);
    const guest = await openGuest();
    await openDashboard(guest, path);
    await expect(cells(page)).toHaveCount(1);
    // When Bob opens the chart in the builder
    await cells(guest).first().getByRole('button', { name: 'Edit chart' }).click();
    await expect(guest.locator('.jp-LiveGraphs-ChartBuilderPanel .jp-LiveGraphs-ChartBuilder')).toBeVisible();
    // Then Alice sees Bob's badge on that chart
    await expect(cells(page).first().locator('.jp-LiveGraphs-DashboardBadge[data-user="Bob"]')).toBeVisible();
    // and it goes when Bob closes the builder
    await guest.evaluate(() => (window as any).jupyterapp.shell.currentWidget.close());
    await expect(cells(page).first().locator('.jp-LiveGraphs-DashboardBadge[data-user="Bob"]')).toHaveCount(0);
  });

  test('renaming and deleting in the drive rename and delete the store document; the open dashboard follows', async ({
    page,
    baseURL
  }) => {
    // Given a dashboard of the store, open from the drive
    const title = `Rename ${Date.now()}`;
    const created = await page.request.post(api(baseURL!, 'documents'), {
      data: { kind: 'dashboard', title }
    });
    expect(created.status()).toBe(201);
    const doc = await created.json();
    await openDashboard(page, `LiveGraphs:mine/${title}.lgdash`);

    // When it is renamed in the drive
    const renamed = `${title} final`;
    await page.evaluate(
      ([from, to]) => (window as any).jupyterapp.serviceManager.contents.rename(from, to),
      [`LiveGraphs:mine/${title}.lgdash`, `LiveGraphs:mine/${renamed}.lgdash`] as const
    );
    // Then the store has the new title, and so do the open dashboard and its tab
    const stored = await page.request.get(api(baseURL!, `documents/${doc.id}`));
    expect((await stored.json()).title).toBe(renamed);
    await expect(page.getByLabel('Dashboard title')).toHaveValue(renamed);
    await expect(page.getByRole('tab', { name: `${renamed}.lgdash` })).toBeVisible();

    // A name in another folder or with another extension is refused, and nothing changes
    const refused = await page.evaluate(
      async ([from, to]) => {
        try {
          await (window as any).jupyterapp.serviceManager.contents.rename(from, to);
          return '';
        } catch (e) {
          return String(e);
        }
      },
      [`LiveGraphs:mine/${renamed}.lgdash`, `LiveGraphs:mine/${renamed}.lgchart`] as const
    );
    expect(refused).toContain('keeping ".lgdash"');

    // When it is deleted in the drive
    await page.evaluate(
      path => (window as any).jupyterapp.serviceManager.contents.delete(path),
      `LiveGraphs:mine/${renamed}.lgdash`
    );
    // Then the store no longer has it and the open dashboard says it is gone
    expect((await page.request.get(api(baseURL!, `documents/${doc.id}`))).status()).toBe(404);
    await expect(roomStatus(page)).toHaveAttribute('data-status', 'gone');
  });

  test('the launcher offers New Dashboard and New Chart; New Dashboard makes a store dashboard', async ({ page }) => {
    // Given the launcher (its LiveGraphs cards: a dashboard, a chart and a SQL query)
    const cards = page.locator('.jp-Launcher .jp-LauncherCard[data-category="LiveGraphs"]');
    await expect(cards).toHaveCount(3);
    await expect(cards.filter({ hasText: 'New Chart' })).toHaveCount(1);
    // When New Dashboard is clicked
    await cards.filter({ hasText: 'New Dashboard' }).click();
    // Then a dashboard of the drive opens, connected to its room
    await expect(page.locator('.jp-LiveGraphs-DashboardDocument .jp-LiveGraphs-Dashboard')).toBeVisible();
    expect(await page.evaluate(() => (window as any).jupyterapp.shell.currentWidget.context.path)).toMatch(
      /^LiveGraphs:mine\/Untitled dashboard( \d+)?\.lgdash$/
    );
    await expect(roomStatus(page)).toHaveAttribute('data-status', 'connected');
  });

  test('a .lgdash file uploaded to the drive is imported as a store dashboard', async ({ page, baseURL }) => {
    const title = `Imported ${Date.now()} ü`;
    const file = { version: 1, title, crossfilter: false, filters: [], charts: {} };
    // When the file is uploaded into "My dashboards and charts" (as the file browser does: base64)
    await page.evaluate(
      async ([path, text]) => {
        const bytes = new TextEncoder().encode(text);
        const content = btoa(String.fromCharCode(...bytes));
        await (window as any).jupyterapp.serviceManager.contents.save(path, {
          type: 'file',
          format: 'base64',
          content
        });
      },
      [`LiveGraphs:mine/${title}.lgdash`, JSON.stringify(file)] as const
    );
    // Then the store has it, with its content
    const doc = await documentTitled(page, baseURL!, title);
    expect(doc).toMatchObject({ kind: 'dashboard', access: 'owner' });
    const content = await page.request.get(api(baseURL!, `documents/${doc.id}/content`));
    expect(await content.json()).toMatchObject({ title, crossfilter: false });
  });
});
