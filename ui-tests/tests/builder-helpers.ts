/**
 * Driving the drag-and-drop chart builder with a real mouse.
 */
import type { Locator, Page } from '@playwright/test';

/**
 * Drag a field from the builder's field list onto a shelf (by its label,
 * e.g. "X axis", "Color"), with real mouse moves.
 */
export async function dragField(
  page: Page,
  builder: Locator,
  field: string,
  shelf: string
): Promise<void> {
  const source = builder.locator(
    `.jp-LiveGraphs-field[data-field="${field}"]`
  );
  const target = builder.getByRole('list', { name: `${shelf} shelf` });
  const from = (await source.boundingBox())!;
  const to = (await target.boundingBox())!;
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  await page.mouse.move(from.x + from.width / 2 + 12, from.y + 12, {
    steps: 3
  });
  await page.mouse.move(to.x + to.width / 2, to.y + to.height / 2, {
    steps: 8
  });
  await page.mouse.up();
}

/**
 * A shelf of the builder, by its label.
 */
export function shelf(builder: Locator, name: string): Locator {
  return builder.getByRole('list', { name: `${name} shelf` });
}

/**
 * The traces Plotly drew in a chart (its type, and x, y and z as arrays).
 */
export function drawnTraces(chart: Locator): Promise<any[]> {
  return chart.locator('.jp-LiveGraphs-chartPlot').evaluate((node: any) =>
    (node.data ?? []).map((t: any) => ({
      type: t.type,
      x: Array.from(t.x ?? []),
      y: Array.from(t.y ?? []),
      z: Array.from(t.z ?? [])
    }))
  );
}
