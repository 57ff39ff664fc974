/**
 * Plotly traces for a result's overlays: a trend as a line whose legend entry
 * gives its equation and R², a forecast as a dashed line in a shaded band
 * (its prediction interval). Pure functions, like `figure.ts`.
 */
import { PlotlyObject } from './columns';
import { escapeText, formatValue, truncate } from './text';
import { IChartResult, IOverlayResult, IOverlaySeries } from './types';

/**
 * `#rrggbb` at `alpha` opacity.
 */
function faded(color: string, alpha: number): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (!m) {
    return color;
  }
  const [r, g, b] = m.slice(1).map(h => parseInt(h, 16));
  return `rgba(${r},${g},${b},${alpha})`;
}

function r2Text(r2: number | null | undefined): string {
  return typeof r2 === 'number' ? `R² = ${r2.toFixed(3)}` : '';
}

function groupText(s: IOverlaySeries): string {
  return 'group' in s ? `${truncate(formatValue(s.group), 24)}: ` : '';
}

function trendTraces(
  overlay: IOverlayResult,
  colorOf: (key: unknown) => string,
  ink: string
): PlotlyObject[] {
  return overlay.series
    .filter(s => s.x && s.y && s.x.length)
    .map(s => {
      const label = [s.equation ?? '', r2Text(s.r2)].filter(Boolean).join(', ');
      return {
        type: 'scatter',
        mode: 'lines',
        x: s.x,
        y: s.y,
        name: escapeText(groupText(s) + label),
        legendgroup: 'trend',
        showlegend: true,
        line: {
          color: 'group' in s ? colorOf(s.group) : ink,
          width: 2
        },
        hovertemplate: `${escapeText(label)}<extra>trend</extra>`,
        meta: { overlay: 'trend' }
      };
    });
}

function forecastTraces(
  overlay: IOverlayResult,
  colorOf: (key: unknown) => string
): PlotlyObject[] {
  const out: PlotlyObject[] = [];
  const share = Math.round((overlay.interval ?? 0.95) * 100);
  for (const s of overlay.series) {
    if (!s.x || !s.y || !s.x.length) {
      continue;
    }
    // the forecast continues its line, in the line's color
    const color = colorOf('group' in s ? s.group : null);
    const x = s.start ? [s.start.x, ...s.x] : s.x;
    const at = (values: (number | null)[] | undefined) =>
      s.start ? [s.start.y, ...(values ?? [])] : (values ?? []);
    const name = escapeText(`${groupText(s)}forecast, ${s.model ?? ''}`);
    // The band: the upper edge, then the lower one filled up to it.
    out.push({
      type: 'scatter',
      mode: 'lines',
      x,
      y: at(s.upper),
      line: { width: 0, color },
      hoverinfo: 'skip',
      showlegend: false,
      legendgroup: `forecast-${name}`,
      meta: { overlay: 'forecast-band' }
    });
    out.push({
      type: 'scatter',
      mode: 'lines',
      x,
      y: at(s.lower),
      line: { width: 0, color },
      fill: 'tonexty',
      fillcolor: faded(color.startsWith('#') ? color : '#888888', 0.2),
      name: escapeText(`${share}% interval`),
      hoverinfo: 'skip',
      showlegend: false,
      legendgroup: `forecast-${name}`,
      meta: { overlay: 'forecast-band' }
    });
    out.push({
      type: 'scatter',
      mode: 'lines',
      x,
      y: at(s.y),
      name,
      legendgroup: `forecast-${name}`,
      showlegend: true,
      line: { color, width: 2, dash: 'dash' },
      hovertemplate: `%{y}<extra>${name}</extra>`,
      meta: { overlay: 'forecast' }
    });
  }
  return out;
}

/**
 * The traces of every overlay of `result` (none when it has none), colored
 * as the chart's groups; `ink` draws the ones of a chart without groups.
 */
export function overlayTraces(
  result: IChartResult,
  colorOf: (key: unknown) => string,
  ink: string
): PlotlyObject[] {
  const out: PlotlyObject[] = [];
  for (const overlay of result.overlays ?? []) {
    if (overlay.kind === 'trend') {
      out.push(...trendTraces(overlay, colorOf, ink));
    } else if (overlay.kind === 'forecast') {
      out.push(...forecastTraces(overlay, colorOf));
    }
  }
  return out;
}

/**
 * The overlays' notes (a sample, groups left out), for the chart's caption.
 */
export function overlayNotes(result: IChartResult): string[] {
  return (result.overlays ?? [])
    .map(o => o.message)
    .filter((m): m is string => !!m);
}
