import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { Locator, Page } from '@playwright/test';

import { dragField, shelf } from './builder-helpers';
import {
  ALICE,
  createFile,
  test,
  openPath,
  savedFile,
  uploadCSV
} from './collab-helpers';

const CSV = [
  'month,region,revenue,units',
  '2025-01-01,EMEA,100,1',
  '2025-01-01,APAC,50,2',
  '2025-02-01,EMEA,300,3',
  '2025-02-01,<b>LATAM</b>,30,3'
].join('\n');

test.use({ mockUser: ALICE });

/**
 * The builder of the chart file open in `page`, once its fields are listed.
 */
async function builderOf(page: Page) {
  const builder = page.locator(
    '.jp-LiveGraphs-ChartDocument .jp-LiveGraphs-ChartBuilder'
  );
  await expect(
    builder.locator('.jp-LiveGraphs-field[data-field="region"]')
  ).toBeVisible();
  return builder;
}

/**
 * A chart file on the sales data (`spec` less its dataset) at `name` in the
 * test's folder, opened in the builder by Alice (`page`) and by Bob (a
 * second browser context).
 */
async function openForTwo(
  fixtures: {
    page: IJupyterLabPageFixture;
    baseURL?: string;
    tmpPath: string;
    openGuest: () => Promise<IJupyterLabPageFixture>;
  },
  name: string,
  spec: object
): Promise<{
  path: string;
  guest: IJupyterLabPageFixture;
  mine: Locator;
  theirs: Locator;
}> {
  const { page, baseURL, tmpPath, openGuest } = fixtures;
  const dataset = await uploadCSV(page, baseURL!, CSV);
  const path = `${tmpPath}/${name}`;
  await createFile(page, baseURL!, path, {
    version: 1,
    dataset: { id: dataset.id },
    ...spec
  });
  const guest = await openGuest();
  await openPath(page, path);
  await openPath(guest, path);
  return {
    path,
    guest,
    mine: await builderOf(page),
    theirs: await builderOf(guest)
  };
}

test('two people fill different shelves of one chart file at the same moment; both keep theirs, also in the file', async ({
  page,
  baseURL,
  tmpPath,
  openGuest
}) => {
  // Given a chart file with nothing on its shelves, opened in the builder by
  // Alice and by Bob
  const { path, guest, mine, theirs } = await openForTwo(
    { page, baseURL, tmpPath, openGuest },
    'sales.lgchart',
    { encoding: {} }
  );
  // and each sees the other there
  const badge = (p: Page, name: string) =>
    p.locator(
      `.jp-LiveGraphs-BoundBuilderHeader .jp-LiveGraphs-DashboardBadge[data-user="${name}"]`
    );
  await expect(badge(page, 'Bob')).toBeVisible();
  await expect(badge(guest, 'Alice')).toBeVisible();
  await expect(badge(page, 'Alice')).toHaveCount(0);

  // When Alice drags region onto X while Bob drags units onto Color
  await Promise.all([
    dragField(page, mine, 'region', 'X axis'),
    dragField(guest, theirs, 'units', 'Color')
  ]);

  // Then both pills show for both of them
  for (const builder of [mine, theirs]) {
    await expect(
      shelf(builder, 'X axis').locator(
        '.jp-LiveGraphs-pill[data-field="region"]'
      )
    ).toBeVisible();
    await expect(
      shelf(builder, 'Color').locator(
        '.jp-LiveGraphs-pill[data-field="units"]'
      )
    ).toBeVisible();
  }
  // and the server saves both to the file
  await expect
    .poll(
      async () => {
        const saved = await savedFile(page, baseURL!, path);
        return saved && [saved.encoding.x?.field, saved.encoding.color?.field];
      },
      { timeout: 15000 }
    )
    .toEqual(['region', 'units']);

  // When Bob changes the mark, Alice's builder follows without a reload
  await theirs.locator('.jp-LiveGraphs-markPicker').selectOption('line');
  await expect(mine.locator('.jp-LiveGraphs-markPicker')).toHaveValue('line');
});

test('the builder stores only what people chose: the mark stays automatic for both, and no default y is written', async ({
  page,
  baseURL,
  tmpPath,
  openGuest
}) => {
  // Given a chart file with nothing on its shelves, open for Alice and Bob
  const { path, guest, mine, theirs } = await openForTwo(
    { page, baseURL, tmpPath, openGuest },
    'auto.lgchart',
    { encoding: {} }
  );
  // When Alice drags region onto X
  await dragField(page, mine, 'region', 'X axis');
  // Then both draw it with the automatic mark
  for (const builder of [mine, theirs]) {
    await expect(
      shelf(builder, 'X axis').locator(
        '.jp-LiveGraphs-pill[data-field="region"]'
      )
    ).toBeVisible();
    await expect(builder.locator('.jp-LiveGraphs-markPicker')).toHaveValue(
      'auto'
    );
    await expect(
      builder.locator('.jp-LiveGraphs-ChartView')
    ).toHaveAttribute('data-lg-state', 'ready', { timeout: 30000 });
  }
  // When Bob then drags units onto Color (a remote update for Alice)
  await dragField(guest, theirs, 'units', 'Color');
  await expect(
    shelf(mine, 'Color').locator('.jp-LiveGraphs-pill[data-field="units"]')
  ).toBeVisible();
  // Then Alice's mark is still automatic
  await expect(mine.locator('.jp-LiveGraphs-markPicker')).toHaveValue(
    'auto'
  );
  // and the file holds the two fields, with no mark and no y
  await expect
    .poll(
      async () => {
        const saved = await savedFile(page, baseURL!, path);
        return saved && [saved.mark ?? null, saved.encoding];
      },
      { timeout: 15000 }
    )
    .toEqual([
      null,
      { x: { field: 'region' }, color: { field: 'units' } }
    ]);
});

test('a filter edited while the other person removes another: both edits stay, also in the file', async ({
  page,
  baseURL,
  tmpPath,
  openGuest
}) => {
  // Given a chart file filtered on region and on units, opened by Alice and by Bob
  const { path, mine, theirs } = await openForTwo({ page, baseURL, tmpPath, openGuest }, 'filtered.lgchart', {
    mark: 'bar',
    encoding: { x: { field: 'region' }, y: { field: 'revenue', aggregate: 'sum' } },
    filters: [
      { column: 'region', cmp: 'in', value: ['EMEA', 'APAC'] },
      { column: 'units', cmp: 'between', value: [1, 3] }
    ]
  });
  const pill = (builder: Locator, field: string) =>
    shelf(builder, 'Filters').locator(`.jp-LiveGraphs-pill[data-field="${field}"]`);
  await expect(pill(theirs, 'units')).toHaveCount(1);

  // When Alice opens the units filter and narrows it
  await pill(mine, 'units').locator('.jp-LiveGraphs-pillLabel').click();
  const editor = page.locator('.jp-LiveGraphs-filterEditor');
  await editor.getByRole('spinbutton', { name: 'Minimum' }).fill('2');
  // while Bob removes the region filter, which reaches the server (and her)
  await pill(theirs, 'region').getByRole('button', { name: /^Remove/ }).click();
  await expect(pill(theirs, 'region')).toHaveCount(0);
  await expect
    .poll(async () => (await savedFile(page, baseURL!, path))?.filters?.length, { timeout: 15000 })
    .toBe(1);
  // and then applies hers
  await editor.getByRole('button', { name: 'Apply' }).click();

  // Then both keep Bob's removal and Alice's narrowed filter, also in the file
  for (const builder of [mine, theirs]) {
    await expect(pill(builder, 'region')).toHaveCount(0);
    await expect(pill(builder, 'units')).toContainText('units between 2 and 3');
  }
  await expect
    .poll(async () => (await savedFile(page, baseURL!, path))?.filters, { timeout: 15000 })
    .toEqual([{ column: 'units', cmp: 'between', value: [2, 3] }]);
});

test('two people who remove two filters at the same moment both keep their removal, also in the file', async ({
  page,
  baseURL,
  tmpPath,
  openGuest
}) => {
  // Given a chart file with three filters, opened by Alice and by Bob, whose
  // messages to and from the server can be held back
  const dataset = await uploadCSV(page, baseURL!, CSV);
  const path = `${tmpPath}/three-filters.lgchart`;
  await createFile(page, baseURL!, path, {
    version: 1,
    dataset: { id: dataset.id },
    mark: 'bar',
    encoding: { x: { field: 'region' }, y: { field: 'revenue', aggregate: 'sum' } },
    filters: [
      { column: 'region', cmp: 'in', value: ['EMEA', 'APAC'] },
      { column: 'units', cmp: 'between', value: [1, 3] },
      { column: 'revenue', cmp: 'ge', value: 10 }
    ]
  });
  const guest = await openGuest();
  let holding = false;
  const held: { out: Array<() => void>; in: Array<() => void> } = { out: [], in: [] };
  await guest.routeWebSocket(/\/api\/collaboration\/room\//, ws => {
    const server = ws.connectToServer();
    ws.onMessage(message =>
      holding ? held.out.push(() => server.send(message)) : server.send(message)
    );
    server.onMessage(message =>
      holding ? held.in.push(() => ws.send(message)) : ws.send(message)
    );
  });
  // (the route takes the WebSockets of a page loaded after it)
  await guest.reload();
  await openPath(page, path);
  await openPath(guest, path);
  const mine = await builderOf(page);
  const theirs = await builderOf(guest);
  const pill = (builder: Locator, field: string) =>
    shelf(builder, 'Filters').locator(`.jp-LiveGraphs-pill[data-field="${field}"]`);
  await expect(pill(theirs, 'revenue')).toHaveCount(1);

  // When Bob removes the region filter while nothing reaches the server from him
  holding = true;
  await pill(theirs, 'region').getByRole('button', { name: /^Remove/ }).click();
  await expect(pill(theirs, 'region')).toHaveCount(0);
  // and Alice removes the revenue filter, which the server keeps, unseen by Bob
  await pill(mine, 'revenue').getByRole('button', { name: /^Remove/ }).click();
  await expect
    .poll(async () => (await savedFile(page, baseURL!, path))?.filters?.length, { timeout: 15000 })
    .toBe(2);
  await expect(pill(theirs, 'revenue')).toHaveCount(1);
  expect(held.out.length).toBeGreaterThan(0);
  // and then what each wrote reaches the other: two whole lists written at once
  holding = false;
  for (const send of [...held.out.splice(0), ...held.in.splice(0)]) {
    send();
  }

  // Then both removals stay, for both of them and in the file
  for (const builder of [mine, theirs]) {
    await expect(pill(builder, 'region')).toHaveCount(0);
    await expect(pill(builder, 'revenue')).toHaveCount(0);
    await expect(pill(builder, 'units')).toHaveCount(1);
  }
  await expect
    .poll(async () => (await savedFile(page, baseURL!, path))?.filters, { timeout: 15000 })
    .toEqual([{ column: 'units', cmp: 'between', value: [1, 3] }]);
});
