import { expect, test } from '@jupyterlab/galata';

import {
  attachScreenshot,
  deleteAll,
  openDataset,
  openPanel,
  uploadViaApi
} from './workspace-helpers';

const ROWS = 1_000_000;
const CITIES = ['Zürich', 'Oslo', 'São Paulo', 'Kraków', 'Lyon', 'Québec', 'Tromsø'];
const WORDS = ['quick', 'brown', 'fox', 'café', 'naïve', 'data', 'chart', 'sales'];

/**
 * Row `i` (1-based) of the text dataset; the expected counts below are
 * worked out from it, not asked of the server.
 */
function row(i: number): [number, string, string] {
  return [
    i,
    CITIES[i % CITIES.length],
    `item ${i % 977} ${WORDS[i % WORDS.length]} ${WORDS[(i * 3) % WORDS.length]}`
  ];
}

function textCsv(rows: number): Buffer {
  const parts: string[] = ['id,city,note\n'];
  for (let i = 1; i <= rows; i++) {
    const [id, city, note] = row(i);
    parts.push(`${id},${city},${note}\n`);
  }
  return Buffer.from(parts.join(''));
}

function count(rows: number, keep: (i: number) => boolean): number {
  let n = 0;
  for (let i = 1; i <= rows; i++) {
    n += keep(i) ? 1 : 0;
  }
  return n;
}

test.describe('search', () => {
  test.setTimeout(300_000);

  test('a 1,000,000-row dataset is searched from the grid: words, accents, phrases, with sort', async ({
    page,
    request,
    baseURL
  }, testInfo) => {
    // Given a million rows of cities and notes
    await deleteAll(request, baseURL);
    const dataset = await uploadViaApi(request, baseURL, 'cities', textCsv(ROWS));
    expect(dataset.rows).toBe(ROWS);
    const panel = await openPanel(page);
    const view = await openDataset(page, panel, dataset);
    const area = page.locator(`#livegraphs-dataset-${dataset.id}`);
    const box = area.getByRole('searchbox', { name: 'Search rows' });
    const matches = area.getByRole('status', { name: 'Search matches' });
    const searched = (q: string) =>
      page.waitForResponse(r => {
        const url = new URL(r.url());
        return (
          url.pathname.endsWith(`/datasets/${dataset.id}/rows`) &&
          url.searchParams.get('q') === q
        );
      });

    // When "ZURICH" is typed (no accent, upper case)
    let answered = searched('ZURICH');
    await box.fill('ZURICH');
    let page1 = await (await answered).json();

    // Then only the Zürich rows are shown, and how many there are
    const zurich = count(ROWS, i => i % CITIES.length === 0);
    await expect(matches).toHaveText(`${zurich.toLocaleString('en-US')} matches`);
    expect(page1.total).toBe(zurich);
    expect(page1.rows.length).toBeGreaterThan(0);
    expect(page1.rows.every((r: any[]) => r[1] === 'Zürich')).toBe(true);
    expect(page1.search.clauses).toEqual([{ words: ['zurich'], prefix: false }]);
    await attachScreenshot(page, testInfo, 'search-zurich', area);

    // And sorting the matches by id, descending, keeps them a search
    const grid = view.locator('.jp-LiveGraphs-grid');
    const gridBox = (await grid.boundingBox())!;
    for (let click = 0; click < 2; click++) {
      const sorted = page.waitForResponse(r => {
        const url = new URL(r.url());
        return url.searchParams.get('q') === 'ZURICH' && !!url.searchParams.get('sort');
      });
      await page.mouse.click(gridBox.x + 72 + 70, gridBox.y + 14);
      page1 = await (await sorted).json();
    }
    expect(page1.total).toBe(zurich);
    const ids = page1.rows.map((r: any[]) => r[0]);
    const largest = Math.floor(ROWS / CITIES.length) * CITIES.length;
    expect(ids[0]).toBe(largest);
    expect(ids).toEqual([...ids].sort((a: number, b: number) => b - a));
    expect(page1.rows.every((r: any[]) => r[1] === 'Zürich')).toBe(true);

    // When a quoted phrase with accents left out is searched
    answered = searched('"item 42 cafe"');
    await box.fill('"item 42 cafe"');
    page1 = await (await answered).json();
    const phrase = count(ROWS, i => i % 977 === 42 && WORDS[i % WORDS.length] === 'café');
    await expect(matches).toHaveText(`${phrase.toLocaleString('en-US')} matches`);
    expect(page1.total).toBe(phrase);

    // And a prefix
    answered = searched('KRA*');
    await box.fill('KRA*');
    const krakow = count(ROWS, i => CITIES[i % CITIES.length] === 'Kraków');
    expect((await (await answered).json()).total).toBe(krakow);
    await expect(matches).toHaveText(`${krakow.toLocaleString('en-US')} matches`);

    // A query that cannot be read says why
    answered = searched('"unclosed');
    await box.fill('"unclosed');
    expect((await answered).status()).toBe(400);
    await expect(matches).toContainText('quote');

    // And Escape shows every row again
    const all = page.waitForResponse(r => {
      const url = new URL(r.url());
      return (
        url.pathname.endsWith(`/datasets/${dataset.id}/rows`) &&
        !url.searchParams.get('q')
      );
    });
    await box.press('Escape');
    expect((await (await all).json()).total).toBe(ROWS);
    await expect(matches).toHaveText('');
  });

  test('the Datasets panel finds names, columns and values of every dataset, grouped', async ({
    page,
    request,
    baseURL
  }) => {
    // Given three datasets, two of which mention Zürich
    await deleteAll(request, baseURL);
    await uploadViaApi(request, baseURL, 'trips', 'id,from,to\n1,Oslo,Zürich\n2,Lyon,Oslo\n3,ZURICH,Bern\n');
    await uploadViaApi(request, baseURL, 'Zurich trams', 'line,stop\n4,Bahnhof\n');
    await uploadViaApi(request, baseURL, 'sales', 'id,amount\n1,2\n');
    const panel = await openPanel(page);

    // When "zürich" is typed in the panel's search box
    await panel.getByRole('searchbox', { name: 'Search datasets' }).fill('zürich');

    // Then the matches are listed by dataset, with their rows and the count
    const results = panel.getByRole('region', { name: 'Search results' });
    await expect(results.getByRole('status')).toHaveText('2 datasets match');
    const trips = results.getByRole('listitem', { name: 'trips' });
    await expect(trips).toContainText('2 matching rows');
    await expect(trips.locator('mark').first()).toHaveText('Zürich');
    await expect(results.getByRole('listitem', { name: 'Zurich trams' })).toBeVisible();
    await expect(results.getByRole('listitem', { name: 'sales' })).toHaveCount(0);

    // And a result opens its dataset
    await trips.getByRole('button', { name: 'trips' }).click();
    await expect(page.locator('.jp-LiveGraphs-DatasetView').last()).toHaveAttribute(
      'data-lg-loaded',
      'yes'
    );
  });
});
