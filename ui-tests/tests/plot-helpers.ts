/**
 * Clicking a mark of a drawn Plotly chart as a person does.
 *
 * Plotly's drag layer lies over the marks: a click is turned into a pick
 * of whatever point Plotly's last hover found, and hovers are throttled
 * (50 ms). A bare `mouse.click` (one move, then down and up at once) can
 * therefore be reported as the point hovered before. A person sees the
 * hover label under the pointer before clicking; so do we.
 */
import { expect } from '@jupyterlab/galata';
import type { Locator, Page } from '@playwright/test';

/**
 * Where Plotly draws point `index` of trace `curve`, in page pixels, read
 * from Plotly's own axes (data to pixel) rather than from painted shapes.
 */
export async function pointPosition(
  plot: Locator,
  index: number,
  curve = 0
): Promise<{ x: number; y: number }> {
  return plot.evaluate(
    (gd: any, [i, c]) => {
      const layout = gd._fullLayout;
      const point = gd.calcdata?.[c]?.[i];
      if (!layout || !point) {
        throw new Error(`no point ${i} in trace ${c}`);
      }
      const trace = gd._fullData[c];
      const xa = layout[`xaxis${(trace.xaxis ?? 'x').slice(1)}`];
      const ya = layout[`yaxis${(trace.yaxis ?? 'y').slice(1)}`];
      let px: number, py: number;
      if (trace.type === 'bar' || trace.type === 'histogram') {
        // a bar: the middle of its edges, p0..p1 along the axis of
        // positions (offsets and widths applied) and s0..s1 along the other
        const along = (point.p0 + point.p1) / 2;
        const across = (point.s0 + point.s1) / 2;
        [px, py] =
          trace.orientation === 'h'
            ? [xa.c2p(across), ya.c2p(along)]
            : [xa.c2p(along), ya.c2p(across)];
      } else {
        [px, py] = [xa.c2p(point.x), ya.c2p(point.y)];
      }
      const box = gd.getBoundingClientRect();
      return { x: box.left + xa._offset + px, y: box.top + ya._offset + py };
    },
    [index, curve] as [number, number]
  );
}

/**
 * Click point `index` of trace `curve`: move there, wait until Plotly's
 * hover names that point, then press and release.
 */
export async function clickPoint(
  page: Page,
  plot: Locator,
  index: number,
  curve = 0,
  options: { modifiers?: ('Control' | 'Meta')[] } = {}
): Promise<void> {
  const { x, y } = await pointPosition(plot, index, curve);
  await page.mouse.move(x - 6, y - 6);
  await page.mouse.move(x, y, { steps: 4 });
  await expect
    .poll(() =>
      plot.evaluate((gd: any) => {
        const hovered = gd._hoverdata?.[0];
        return hovered ? [hovered.curveNumber, hovered.pointNumber] : null;
      })
    )
    .toEqual([curve, index]);
  for (const key of options.modifiers ?? []) {
    await page.keyboard.down(key);
  }
  await page.mouse.down();
  await page.mouse.up();
  for (const key of options.modifiers ?? []) {
    await page.keyboard.up(key);
  }
}
