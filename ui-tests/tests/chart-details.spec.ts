import { expect, test } from '@jupyterlab/galata';
import type { Download, Locator, Page } from '@playwright/test';

import { createFile, openPath, uploadCSV } from './collab-helpers';

/**
 * Delays (minutes) around -27.8, which binned by 0.2 doubles write as
 * -27.800000000000004; a date and a time column; a null delay.
 */
const CSV = [
  'dep_delay,day,departed',
  '-27.75,2025-01-01,2025-01-01T06:05:00',
  '-27.7,2025-01-02,2025-01-02T07:15:00',
  '-27.61,2025-01-02,2025-01-02T08:25:00',
  '-27.6,2025-01-03,2025-01-03T09:35:00',
  '-27.2,2025-01-04,2025-01-04T10:45:00',
  ',2025-01-05,2025-01-05T11:55:00'
].join('\n');

async function text(download: Download): Promise<string> {
  const stream = await download.createReadStream();
  let out = '';
  for await (const chunk of stream) {
    out += chunk;
  }
  return out;
}

/**
 * A chart file of `spec` over `datasetId`, opened in the chart builder.
 */
async function openChart(
  page: Page,
  baseURL: string,
  path: string,
  datasetId: string,
  spec: Record<string, unknown>
): Promise<Locator> {
  await createFile(page, baseURL, path, {
    version: 1,
    dataset: { id: datasetId },
    ...spec
  });
  await openPath(page, path);
  const chart = page.locator(
    '.jp-LiveGraphs-ChartDocument .jp-LiveGraphs-ChartView'
  );
  await expect(chart).toHaveAttribute('data-lg-state', 'ready', {
    timeout: 30000
  });
  return chart;
}

test.describe('chart details', () => {
  test.use({ autoGoto: true });

  test("a binned chart's CSV names each column once and writes the bins' edges as their step does", async ({
    page,
    baseURL,
    tmpPath
  }) => {
    const dataset = await uploadCSV(page, baseURL!, CSV, `delays-${Date.now()}`);
    const chart = await openChart(page, baseURL!, `${tmpPath}/hist.lgchart`, dataset.id, {
      mark: 'histogram',
      encoding: { x: { field: 'dep_delay', bin: { step: 0.2 } } }
    });
    const download = page.waitForEvent('download');
    await chart
      .getByRole('button', { name: "Download the chart's data as CSV" })
      .click();
    const lines = (await text(await download)).trim().split('\r\n');
    expect(lines[0]).toBe(
      'dep_delay (bin start),dep_delay (bin end),Count of records'
    );
    // -27.6 is on an edge: it starts the bin it is the start of
    expect(lines.slice(1)).toEqual([
      '-27.8,-27.6,3',
      '-27.6,-27.4,1',
      '-27.2,-27,1'
    ]);
  });

  test('the PNG, SVG and CSV buttons are at full strength before the pointer comes near', async ({
    page,
    baseURL,
    tmpPath
  }) => {
    const dataset = await uploadCSV(page, baseURL!, CSV, `delays-${Date.now()}`);
    const chart = await openChart(page, baseURL!, `${tmpPath}/bars.lgchart`, dataset.id, {
      mark: 'bar',
      encoding: { x: { field: 'day' }, y: { aggregate: 'count' } }
    });
    // the pointer far from the chart
    await page.mouse.move(0, 0);
    for (const name of ['PNG', 'SVG', 'CSV']) {
      const button = chart.getByRole('button', {
        name: new RegExp(`as ${name}$`)
      });
      await expect(button).toBeVisible();
      await expect(button).toBeEnabled();
      // the opacity the button is drawn with: its own times its ancestors'
      const opacity = await button.evaluate(node => {
        let value = 1;
        for (let n: Element | null = node; n; n = n.parentElement) {
          value *= Number(getComputedStyle(n).opacity);
        }
        return value;
      });
      expect(opacity, name).toBe(1);
      // and its text in the theme's first font color, not a faded one
      const colors = await button.evaluate(node => {
        const probe = document.createElement('span');
        probe.style.color = 'var(--jp-ui-font-color1)';
        node.parentElement!.append(probe);
        const expected = getComputedStyle(probe).color;
        probe.remove();
        return { text: getComputedStyle(node).color, expected };
      });
      expect(colors.text, name).toBe(colors.expected);
    }
  });

  test('new chart files are numbered as JupyterLab numbers new files', async ({
    page,
    baseURL,
    tmpPath
  }) => {
    const dataset = await uploadCSV(page, baseURL!, CSV, `flights-${Date.now()}`);
    const paths: string[] = [];
    for (let i = 0; i < 3; i++) {
      await page.evaluate(
        async ([id, cwd]) => {
          await (window as any).jupyterapp.commands.execute(
            'livegraphs:new-chart',
            { datasetId: id, file: true, cwd }
          );
        },
        [dataset.id, tmpPath] as const
      );
      await expect
        .poll(() =>
          page.evaluate(
            () => (window as any).jupyterapp.shell.currentWidget?.context?.path
          )
        )
        .not.toBe(paths[paths.length - 1]);
      paths.push(
        await page.evaluate(
          () => (window as any).jupyterapp.shell.currentWidget.context.path
        )
      );
    }
    expect(paths).toEqual([
      `${tmpPath}/${dataset.name}.lgchart`,
      `${tmpPath}/${dataset.name}1.lgchart`,
      `${tmpPath}/${dataset.name}2.lgchart`
    ]);
  });

  test('date, time and notice icons are drawn, never glyphs a font may lack', async ({
    page,
    baseURL,
    tmpPath
  }) => {
    const dataset = await uploadCSV(page, baseURL!, CSV, `delays-${Date.now()}`);
    // a scatter allowed only four marks: the engine bins it and says so
    const chart = await openChart(page, baseURL!, `${tmpPath}/dense.lgchart`, dataset.id, {
      mark: 'scatter',
      encoding: { x: { field: 'departed' }, y: { field: 'dep_delay' } },
      max_marks: 4
    });
    const builder = page.locator(
      '.jp-LiveGraphs-ChartDocument .jp-LiveGraphs-ChartBuilder'
    );
    for (const type of ['date', 'datetime']) {
      const icon = builder
        .getByRole('list', { name: 'Fields' })
        .locator(`.jp-LiveGraphs-typeIcon[data-type="${type}"]`)
        .first();
      await expect(icon).toHaveText('');
      const svg = icon.locator('svg');
      await expect(svg).toBeVisible();
      const box = await svg.boundingBox();
      expect(box!.width, type).toBeGreaterThan(8);
      expect(box!.height, type).toBeGreaterThan(8);
    }
    // the date and time pills on the shelves too
    await expect(
      builder.locator('.jp-LiveGraphs-pill[data-type="datetime"] svg')
    ).toBeVisible();
    const notice = chart.locator('.jp-LiveGraphs-chartNotice');
    await expect(notice).toHaveText(/binned/);
    await expect(notice.locator('svg')).toBeVisible();
  });
});
