/**
 * What the collaboration tests share: mock users, a second person's browser
 * context, datasets, files on the server and documents opened by path.
 */
import {
  expect,
  galata,
  IJupyterLabPageFixture,
  test as base
} from '@jupyterlab/galata';
import type { Page } from '@playwright/test';

/**
 * A mock JupyterLab user (the identity the awareness badges show).
 */
export function user(name: string, initials: string, color: string) {
  return {
    identity: {
      username: name.toLowerCase(),
      name,
      display_name: name,
      initials,
      color,
      avatar_url: null
    },
    permissions: {}
  };
}

export const ALICE = user('Alice', 'AL', '#1f77b4');
export const BOB = user('Bob', 'BO', '#ff7f0e');

type NewPageOptions = Parameters<typeof galata.newPage>[0];

/**
 * Galata's `test` with `openGuest`: a second person (Bob unless told) in a
 * browser context of their own, on the same server and folder; each context
 * opened is closed when the test ends.
 */
export const test = base.extend<{
  openGuest: (
    who?: NewPageOptions['mockUser']
  ) => Promise<IJupyterLabPageFixture>;
}>({
  openGuest: async ({ baseURL, browser, tmpPath, waitForApplication }, use) => {
    const opened: IJupyterLabPageFixture[] = [];
    await use(async (who = BOB) => {
      const { page } = await galata.newPage({
        baseURL: baseURL!,
        browser,
        tmpPath,
        waitForApplication,
        mockUser: who
      });
      opened.push(page);
      return page;
    });
    for (const page of opened) {
      await page.context().close();
    }
  }
});

/**
 * Upload `csv` as a new dataset (named `sales-<time>` unless given); answers
 * the dataset's metadata.
 */
export async function uploadCSV(
  page: Page,
  baseURL: string,
  csv: string,
  name = `sales-${Date.now()}`
): Promise<{ id: string; name: string }> {
  const url = new URL('livegraphs/api/datasets', `${baseURL}/`);
  url.searchParams.set('name', name);
  const response = await page.request.post(url.href, {
    data: csv,
    headers: { 'Content-Type': 'text/csv' }
  });
  expect(response.status()).toBe(201);
  return response.json();
}

/**
 * Write a file on the server: `content` as JSON text (or as given, for a
 * notebook pass `type: 'notebook'`).
 */
export async function createFile(
  page: Page,
  baseURL: string,
  path: string,
  content: unknown,
  type: 'file' | 'notebook' = 'file'
): Promise<void> {
  const url = new URL(`api/contents/${path}`, `${baseURL}/`);
  const data =
    type === 'notebook'
      ? { type, content }
      : { type, format: 'text', content: JSON.stringify(content, null, 2) };
  const created = await page.request.put(url.href, { data });
  expect(created.status()).toBeLessThan(300);
}

/**
 * The prefix of the LiveGraphs drive's paths (documents of the store).
 */
export const DRIVE = 'LiveGraphs:';

/**
 * The content of the store's document at a LiveGraphs drive path
 * (`LiveGraphs:mine/<title>.lgdash`), as the store has it.
 */
export async function storedDocument(
  page: Page,
  baseURL: string,
  path: string
): Promise<any> {
  const file = path.split('/').pop()!;
  const dot = file.lastIndexOf('.');
  const title = file.slice(0, dot);
  const kind = file.slice(dot) === '.lgdash' ? 'dashboard' : 'chart';
  const api = (p: string) => new URL(`livegraphs/api/${p}`, `${baseURL}/`).href;
  const listed = await page.request.get(api(`documents?kind=${kind}`));
  expect(listed.status()).toBe(200);
  const doc = (await listed.json()).documents.find(
    (d: any) => d.title === title
  );
  expect(doc).toBeTruthy();
  const response = await page.request.get(api(`documents/${doc.id}/content`));
  expect(response.status()).toBe(200);
  return response.json();
}

/**
 * The parsed content of a JSON file on the server, or null while it does
 * not parse.
 */
export async function savedFile(
  page: Page,
  baseURL: string,
  path: string
): Promise<any> {
  if (path.startsWith(DRIVE)) {
    return storedDocument(page, baseURL, path);
  }
  const url = new URL(`api/contents/${path}`, `${baseURL}/`);
  url.searchParams.set('content', '1');
  const response = await page.request.get(url.href);
  expect(response.status()).toBe(200);
  const text: string = (await response.json()).content;
  // The server writes the file in place; a read can meet it half-written,
  // which the caller's poll reads again.
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/**
 * Open a file with the document manager (its default viewer, or `factory`).
 */
export async function openPath(
  page: Page,
  path: string,
  factory?: string
): Promise<void> {
  await page.evaluate(
    async ([p, f]) => {
      await (window as any).jupyterapp.commands.execute('docmanager:open', {
        path: p,
        ...(f ? { factory: f } : {})
      });
    },
    [path, factory ?? ''] as const
  );
}
