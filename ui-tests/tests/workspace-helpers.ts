/**
 * Shared steps of the data-workspace browser tests.
 */
import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { APIRequestContext, Locator, TestInfo } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

export const PANEL_ID = 'livegraphs-datasets';

/**
 * The repository root (ui-tests' parent).
 */
export const REPO = path.resolve(__dirname, '..', '..');

/**
 * The dataset store the test server uses (see jupyter_server_test_config.py).
 */
export const DATA_DIR = path.join(REPO, 'ui-tests', '.livegraphs-data');

/**
 * The shared test corpus: `../shared/corpus` from the repo root, or one level
 * further up when the repo is checked out inside a folder of worktrees.
 */
export function corpus(...parts: string[]): string {
  for (const base of [
    path.join(REPO, '..', 'shared', 'corpus'),
    path.join(REPO, '..', '..', 'shared', 'corpus')
  ]) {
    if (fs.existsSync(base)) {
      return path.join(base, ...parts);
    }
  }
  throw new Error('The shared test corpus (../shared/corpus) is missing');
}

export function apiUrl(baseURL: string | undefined, ...parts: string[]) {
  return new URL(
    ['livegraphs', 'api', ...parts.map(encodeURIComponent)].join('/'),
    `${baseURL}/`
  ).href;
}

/**
 * Upload text as a dataset through the REST API; returns the dataset.
 */
export async function uploadViaApi(
  request: APIRequestContext,
  baseURL: string | undefined,
  name: string,
  data: string | Buffer,
  contentType = 'text/csv'
): Promise<any> {
  const url = new URL(apiUrl(baseURL, 'datasets'));
  url.searchParams.set('name', name);
  const response = await request.post(url.href, {
    data,
    headers: { 'Content-Type': contentType },
    timeout: 300_000
  });
  expect(response.status(), await response.text()).toBe(201);
  return response.json();
}

export async function listViaApi(
  request: APIRequestContext,
  baseURL: string | undefined
): Promise<any[]> {
  const response = await request.get(apiUrl(baseURL, 'datasets'));
  expect(response.status()).toBe(200);
  return (await response.json()).datasets;
}

export async function deleteAll(
  request: APIRequestContext,
  baseURL: string | undefined
): Promise<void> {
  for (const dataset of await listViaApi(request, baseURL)) {
    await request.delete(apiUrl(baseURL, 'datasets', dataset.id));
  }
}

export async function openPanel(page: IJupyterLabPageFixture): Promise<Locator> {
  await page.sidebar.openTab(PANEL_ID);
  const panel = page.locator(`#${PANEL_ID}`);
  await expect(panel).toHaveAttribute('data-lg-state', 'ready');
  return panel;
}

/**
 * The panel's list item of a dataset.
 */
export function datasetItem(panel: Locator, name: string): Locator {
  return panel.locator('.jp-LiveGraphs-dataset').filter({
    has: panel.page().locator('.jp-LiveGraphs-datasetName', { hasText: name })
  });
}

/**
 * Open a dataset from the panel; returns the view's node.
 */
export async function openDataset(
  page: IJupyterLabPageFixture,
  panel: Locator,
  dataset: { id: string; name: string }
): Promise<Locator> {
  await datasetItem(panel, dataset.name).dblclick();
  const view = page.locator(`#livegraphs-dataset-view-${dataset.id}`);
  await expect(view).toHaveAttribute('data-lg-loaded', 'yes');
  return view;
}

export async function attachScreenshot(
  page: IJupyterLabPageFixture,
  testInfo: TestInfo,
  name: string,
  target?: Locator
): Promise<void> {
  const file = testInfo.outputPath(`${name}.png`);
  const body = target
    ? await target.screenshot({ path: file })
    : await page.screenshot({ path: file });
  await testInfo.attach(name, { body, contentType: 'image/png' });
}

/**
 * Files (not folders) directly under a folder of the data dir.
 */
export function entries(...parts: string[]): string[] {
  const dir = path.join(DATA_DIR, ...parts);
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
}

/**
 * Slow the browser's uploads down so progress can be seen and cancelled.
 */
export async function throttleUploads(
  page: IJupyterLabPageFixture,
  bytesPerSecond: number
): Promise<void> {
  // Galata's page fixture wraps Playwright's page; CDP needs the real one.
  const real = (page as any).page ?? page;
  const cdp = await page.context().newCDPSession(real);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: bytesPerSecond
  });
}

/**
 * Show a data view's side panel (report, recipe, profile): it starts hidden
 * when the grid beside it would be narrow.
 */
export async function showSidePanel(
  page: IJupyterLabPageFixture,
  view: Locator
): Promise<void> {
  if ((await view.getAttribute('data-lg-side')) === 'hidden') {
    await view.getByRole('button', { name: 'Side Panel' }).click();
  }
  await expect(view.getByRole('tab', { name: 'Report' })).toBeVisible();
}

/**
 * A table shaped like the public flights data (19 columns), `rows` rows with
 * `NA` in some departure times and tail numbers.
 */
export function flightsCsv(rows: number): string {
  const carriers = ['UA', 'AA', 'B6', 'DL', 'EV', 'MQ'];
  const places = ['EWR', 'LGA', 'JFK'];
  const lines = [
    'year,month,day,dep_time,sched_dep_time,dep_delay,arr_time,sched_arr_time,' +
      'arr_delay,carrier,flight,tailnum,origin,dest,air_time,distance,hour,minute,time_hour'
  ];
  for (let i = 0; i < rows; i++) {
    const month = 1 + (i % 12);
    const day = 1 + (i % 28);
    const cancelled = i % 7 === 3;
    const sched = 500 + ((i * 37) % 1800);
    const delay = ((i * 13) % 60) - 10;
    const dep = cancelled ? 'NA' : String(sched + delay);
    const hh = String(Math.floor(sched / 100)).padStart(2, '0');
    lines.push(
      [
        2013,
        month,
        day,
        dep,
        sched,
        cancelled ? 'NA' : delay,
        cancelled ? 'NA' : sched + delay + 200,
        sched + 200,
        cancelled ? 'NA' : delay - 5,
        carriers[i % carriers.length],
        1000 + i,
        i % 11 === 5 ? 'NA' : `N${100 + (i % 50)}UA`,
        places[i % 3],
        places[(i + 1) % 3],
        cancelled ? 'NA' : 100 + (i % 200),
        500 + (i % 2000),
        Math.floor(sched / 100),
        sched % 100,
        `2013-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')} ${hh}:00:00`
      ].join(',')
    );
  }
  return lines.join('\n') + '\n';
}

/**
 * A Python notebook (nbformat 4.5) of one code cell per source, not run.
 */
export function codeNotebook(...sources: string[]): Record<string, unknown> {
  return {
    cells: sources.map((source, i) => ({
      cell_type: 'code',
      id: `c${i + 1}`,
      execution_count: null,
      metadata: {},
      outputs: [],
      source
    })),
    metadata: {
      kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' }
    },
    nbformat: 4,
    nbformat_minor: 5
  };
}
