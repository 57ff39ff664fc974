/**
 * Whole-dashboard export, done in the browser from what is drawn: a PDF
 * (jsPDF, each chart's Plotly SVG drawn as vector by svg2pdf.js) and one PNG
 * (each chart's Plotly PNG composed on a canvas). Used by the JupyterLab
 * dashboard, the chart builder and the viewer page, so it imports nothing of
 * JupyterLab.
 *
 * Layout: a header (title, date, the filters and selections applied), then
 * the charts in reading order, packed left to right in rows. A chart is never
 * split: one that does not fit below the last row starts a new page, and one
 * larger than a page is scaled down to fit it.
 */
import { jsPDF } from 'jspdf';
import { svg2pdf } from 'svg2pdf.js';

import { formatValue } from '../charts/text';
import { loadPlotly } from '../charts/view';
import { IChartSpec } from '../charts/types';
import {
  describeCondition,
  describeSelection,
  ISelection
} from '../dashboard/crossfilter';
import { valuesSummary } from '../dashboard/filtervalues';
import { IDashboardFilter } from '../dashboard/types';
import { saveBlob } from '../dom';

/**
 * One chart to export: its title and the Plotly plot drawing it (null, or
 * a plot not drawn, when it shows a message instead).
 */
export interface IExportChart {
  title: string;
  plot: HTMLElement | null;
  /** What the chart shows in place of a plot (an error, "no fields"). */
  message?: string;
}

/**
 * What an export shows.
 */
export interface IExportDashboard {
  title: string;
  /** The filters and selections applied, one line each. */
  filters: string[];
  charts: IExportChart[];
  /** The width the charts are laid out in on screen (CSS px): the PDF
   * scales it to its page's width, so charts sit side by side as drawn. */
  width?: number;
  date?: Date;
}

/** Page margin, points. */
const MARGIN = 36;
/** Space between two charts, points (or CSS pixels on the PNG). */
const GUTTER = 12;
/** A chart's title line. */
const CHART_TITLE = 18;
/** Below this size (points) a chart is not shrunk further to share a row. */
const MIN_WIDTH = 240;

/**
 * Regions that use Letter paper; everywhere else uses A4.
 */
const LETTER_REGIONS = new Set([
  'US',
  'CA',
  'MX',
  'PH',
  'CL',
  'CO',
  'VE',
  'GT',
  'CR',
  'PR'
]);

/**
 * The paper of the user's locale: Letter in the Americas' Letter regions,
 * A4 elsewhere (both landscape).
 */
export function paperFormat(locale = navigator.language): 'letter' | 'a4' {
  let region = '';
  try {
    region = new Intl.Locale(locale).maximize().region ?? '';
  } catch {
    region = locale.split(/[-_]/)[1]?.toUpperCase() ?? '';
  }
  return LETTER_REGIONS.has(region) ? 'letter' : 'a4';
}

/**
 * One line per filter that restricts something, then one per selection.
 */
export function appliedFilters(
  filters: readonly IDashboardFilter[],
  selections: ReadonlyMap<string, ISelection>,
  chartTitle: (chartId: string) => string
): string[] {
  const lines: string[] = [];
  for (const f of filters) {
    const v = f.value;
    if (!v || !v.length || v.every(x => x === null)) {
      continue;
    }
    const name = f.label || f.column;
    if (f.kind === 'dropdown') {
      lines.push(`${name}: ${valuesSummary(v)}`);
    } else {
      const [lo, hi] = v.map(x => (x === null ? null : formatValue(x)));
      const range =
        lo !== null && hi !== null
          ? `${lo} – ${hi}`
          : lo !== null
            ? `≥ ${lo}`
            : `≤ ${hi}`;
      lines.push(`${name}: ${range}`);
    }
  }
  for (const [id, selection] of selections) {
    lines.push(
      `Selected in ${chartTitle(id)}: ${describeSelection(selection)}`
    );
  }
  return lines;
}

/**
 * The charts of a dashboard grid's cells, in reading (DOM) order.
 */
export function gridCharts(grid: HTMLElement): IExportChart[] {
  return Array.from(
    grid.querySelectorAll<HTMLElement>('.jp-LiveGraphs-DashboardCell')
  ).map(cell => ({
    title:
      cell.querySelector('.jp-LiveGraphs-DashboardCellTitle')?.textContent ??
      '',
    ...viewChart(cell)
  }));
}

/**
 * The plot (or message) of the chart view inside `node`.
 */
export function viewChart(node: HTMLElement): {
  plot: HTMLElement | null;
  message: string;
} {
  const plot = node.querySelector<HTMLElement>('.jp-LiveGraphs-chartPlot');
  const message =
    node.querySelector('.jp-LiveGraphs-chartMessage')?.textContent ?? '';
  return { plot: isDrawn(plot) ? plot : null, message };
}

function isDrawn(plot: HTMLElement | null): plot is HTMLElement {
  return !!plot && Array.isArray((plot as any).data) && !!plot.offsetWidth;
}

/**
 * The date line of an export.
 */
function dateLine(date: Date): string {
  return `Exported ${date.toLocaleString(undefined, {
    dateStyle: 'long',
    timeStyle: 'short'
  })}`;
}

/**
 * A plot's figure, without Plotly's own title (the export writes it as text
 * above the drawing), and its size on screen in CSS pixels.
 */
function figureOf(plot: HTMLElement): {
  figure: any;
  width: number;
  height: number;
} {
  const gd = plot as any;
  const layout = { ...(gd.layout ?? {}) };
  const hadTitle = !!layout.title?.text;
  layout.title = { text: '' };
  if (hadTitle && layout.margin) {
    layout.margin = { ...layout.margin, t: 24 };
  }
  const rect = plot.getBoundingClientRect();
  return {
    figure: { data: gd.data, layout, config: { staticPlot: true } },
    width: Math.max(Math.round(rect.width), 300),
    height: Math.max(Math.round(rect.height), 200)
  };
}

/**
 * Whether a plot has traces drawn with WebGL, which have no vector form.
 */
function usesWebGL(plot: HTMLElement): boolean {
  // the types Plotly drew: a bundle without WebGL draws a `scattergl` as SVG
  const traces = (plot as any)._fullData ?? (plot as any).data ?? [];
  return traces.some((t: any) =>
    /gl$|^(scattermap|choroplethmap|densitymap|mapbox)/.test(
      String(t.type ?? '')
    )
  );
}

/**
 * Place charts of the given sizes (title line included) on pages of
 * `pageWidth` × `pageHeight` below a header of `headerHeight`: left to right
 * in rows, a new row when the next does not fit beside, a new page when the
 * row does not fit below. Sizes are scaled down to fit a page, never up.
 */
export function layoutCharts(
  sizes: { width: number; height: number }[],
  pageWidth: number,
  pageHeight: number,
  headerHeight: number
): { page: number; x: number; y: number; scale: number }[] {
  const out: { page: number; x: number; y: number; scale: number }[] = [];
  let page = 0;
  let x = 0;
  let y = headerHeight;
  let rowHeight = 0;
  for (const size of sizes) {
    const scale = Math.min(
      1,
      pageWidth / size.width,
      (pageHeight - CHART_TITLE) / size.height
    );
    const w = size.width * scale;
    const h = size.height * scale + CHART_TITLE;
    if (x > 0 && x + w > pageWidth) {
      x = 0;
      y += rowHeight + GUTTER;
      rowHeight = 0;
    }
    if (y + h > pageHeight && y > 0) {
      page += 1;
      x = 0;
      y = 0;
      rowHeight = 0;
    }
    out.push({ page, x, y, scale });
    x += w + GUTTER;
    rowHeight = Math.max(rowHeight, h);
  }
  return out;
}

/**
 * The dashboard as a PDF: Letter or A4 (by the locale) landscape.
 */
export async function dashboardPDF(dashboard: IExportDashboard): Promise<Blob> {
  const Plotly: any = await loadPlotly();
  const pdf = new jsPDF({
    orientation: 'landscape',
    unit: 'pt',
    format: paperFormat()
  });
  pdf.setProperties({ title: dashboard.title, creator: 'livegraphs' });
  const pageW = pdf.internal.pageSize.getWidth() - 2 * MARGIN;
  const pageH = pdf.internal.pageSize.getHeight() - 2 * MARGIN;

  // Header: title, date, then the filters, wrapped to the page.
  let header = 0;
  pdf.setFont('helvetica', 'bold').setFontSize(18);
  const titleLines: string[] = pdf.splitTextToSize(
    dashboard.title || 'Dashboard',
    pageW
  );
  pdf.text(titleLines, MARGIN, MARGIN + 18);
  header += 22 * titleLines.length;
  pdf.setFont('helvetica', 'normal').setFontSize(10);
  const lines = [
    dateLine(dashboard.date ?? new Date()),
    dashboard.filters.length
      ? `Filters: ${dashboard.filters.join('; ')}`
      : 'Filters: none'
  ].flatMap(line => pdf.splitTextToSize(line, pageW) as string[]);
  pdf.text(lines, MARGIN, MARGIN + header + 10);
  header += 13 * lines.length + GUTTER;

  // The dashboard's width fills the page's (a single chart keeps its size,
  // 1 CSS px = 1 pt); a chart taller than a page is scaled down to fit it.
  // A chart with no plot gets a small box with its message.
  const figures = dashboard.charts.map(c => (c.plot ? figureOf(c.plot) : null));
  const k = dashboard.width ? pageW / dashboard.width : 1;
  const sizes = figures.map(f =>
    f
      ? { width: f.width * k, height: f.height * k }
      : { width: MIN_WIDTH, height: 60 }
  );
  const placed = layoutCharts(sizes, pageW, pageH, header);
  let page = 0;
  for (let i = 0; i < dashboard.charts.length; i++) {
    const chart = dashboard.charts[i];
    const at = placed[i];
    while (page < at.page) {
      pdf.addPage();
      page++;
    }
    const x = MARGIN + at.x;
    const y = MARGIN + at.y;
    const w = sizes[i].width * at.scale;
    const h = sizes[i].height * at.scale;
    pdf.setFont('helvetica', 'bold').setFontSize(12);
    const title = pdf.splitTextToSize(chart.title || 'Chart', w)[0] as string;
    pdf.text(title, x, y + 12);
    const top = y + CHART_TITLE;
    const fig = figures[i];
    if (!fig) {
      pdf.setFont('helvetica', 'normal').setFontSize(10);
      pdf.text(
        pdf.splitTextToSize(chart.message || 'No chart', w) as string[],
        x,
        top + 12
      );
      continue;
    }
    await drawFigure(pdf, Plotly, chart.plot!, fig, { x, y: top, w, h });
  }
  return pdf.output('blob');
}

/**
 * Draw a figure in the box: vector from Plotly's SVG where it can be, a
 * PNG for WebGL plots or when the SVG cannot be converted.
 */
async function drawFigure(
  pdf: jsPDF,
  Plotly: any,
  plot: HTMLElement,
  fig: { figure: any; width: number; height: number },
  box: { x: number; y: number; w: number; h: number }
): Promise<void> {
  const size = { width: fig.width, height: fig.height };
  if (!usesWebGL(plot)) {
    try {
      const url: string = await Plotly.toImage(fig.figure, {
        format: 'svg',
        ...size
      });
      const text = decodeURIComponent(url.slice(url.indexOf(',') + 1));
      const svg = new DOMParser().parseFromString(text, 'image/svg+xml');
      await svg2pdf(svg.documentElement, pdf, {
        x: box.x,
        y: box.y,
        width: box.w,
        height: box.h
      });
      return;
    } catch {
      // fall through to a raster copy
    }
  }
  const png: string = await Plotly.toImage(fig.figure, {
    format: 'png',
    ...size,
    scale: 2
  });
  pdf.addImage(png, 'PNG', box.x, box.y, box.w, box.h);
}

/**
 * The dashboard as one PNG: the title, date and filters line above every
 * chart's Plotly PNG, laid out as on the PDF's first page but on one long
 * canvas (twice the screen's resolution).
 */
export async function dashboardPNG(dashboard: IExportDashboard): Promise<Blob> {
  const Plotly: any = await loadPlotly();
  const scale = 2;
  const figures = dashboard.charts.map(c => (c.plot ? figureOf(c.plot) : null));
  const sizes = figures.map(f =>
    f ? { width: f.width, height: f.height } : { width: MIN_WIDTH, height: 60 }
  );
  // as wide as the dashboard on screen, at least 800 px
  const width = Math.max(800, dashboard.width ?? 0, ...sizes.map(s => s.width));
  const header = 40 + 20 * 2 + GUTTER;
  const placed = layoutCharts(sizes, width, Infinity, header);
  const height = Math.max(
    header,
    ...placed.map((p, i) => p.y + sizes[i].height * p.scale + CHART_TITLE)
  );
  const canvas = document.createElement('canvas');
  canvas.width = (width + 2 * GUTTER) * scale;
  canvas.height = (height + 2 * GUTTER) * scale;
  const ctx = canvas.getContext('2d')!;
  ctx.scale(scale, scale);
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width + 2 * GUTTER, height + 2 * GUTTER);
  ctx.translate(GUTTER, GUTTER);
  ctx.fillStyle = '#000000';
  ctx.textBaseline = 'top';
  ctx.font = 'bold 24px sans-serif';
  ctx.fillText(dashboard.title || 'Dashboard', 0, 0, width);
  ctx.font = '14px sans-serif';
  ctx.fillText(dateLine(dashboard.date ?? new Date()), 0, 40, width);
  ctx.fillText(
    dashboard.filters.length
      ? `Filters: ${dashboard.filters.join('; ')}`
      : 'Filters: none',
    0,
    60,
    width
  );
  for (let i = 0; i < dashboard.charts.length; i++) {
    const at = placed[i];
    const w = sizes[i].width * at.scale;
    const h = sizes[i].height * at.scale;
    ctx.font = 'bold 16px sans-serif';
    ctx.fillText(dashboard.charts[i].title || 'Chart', at.x, at.y, w);
    const fig = figures[i];
    if (!fig) {
      ctx.font = '14px sans-serif';
      ctx.fillText(
        dashboard.charts[i].message || 'No chart',
        at.x,
        at.y + CHART_TITLE + 4,
        w
      );
      continue;
    }
    const url: string = await Plotly.toImage(fig.figure, {
      format: 'png',
      width: fig.width,
      height: fig.height,
      scale
    });
    const image = new Image();
    image.src = url;
    await image.decode();
    ctx.drawImage(image, at.x, at.y + CHART_TITLE, w, h);
  }
  return new Promise((resolve, reject) =>
    canvas.toBlob(
      blob => (blob ? resolve(blob) : reject(new Error('No PNG'))),
      'image/png'
    )
  );
}

/**
 * One chart (the builder's) as a dashboard of one: its title, its own
 * filters, and its drawing; `node` holds its chart view.
 */
export function chartExport(
  spec: IChartSpec | null,
  node: HTMLElement
): IExportDashboard {
  const title = spec?.title || spec?.mark || 'Chart';
  return {
    title,
    filters: (spec?.filters ?? []).map(describeCondition),
    charts: [{ title, ...viewChart(node) }]
  };
}

/**
 * A file name stem from a title, safe on every OS.
 */
export function exportStem(title: string): string {
  const base = (title || 'dashboard').replace(/[^\w.\- ]+/g, '_').trim();
  return base.slice(0, 100) || 'dashboard';
}

/**
 * The "Export PDF" and "Export PNG" buttons of a toolbar; `collect` reads
 * the dashboard as drawn when a button is clicked.
 */
export function exportButtons(
  collect: () => IExportDashboard,
  className = 'jp-Button jp-mod-minimal'
): HTMLButtonElement[] {
  return (['pdf', 'png'] as const).map(format => {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = `${className} jp-LiveGraphs-ExportDashboard`;
    b.dataset.format = format;
    b.textContent = `Export ${format.toUpperCase()}`;
    b.title = `Download the whole dashboard as ${format.toUpperCase()}`;
    b.addEventListener('click', async () => {
      b.disabled = true;
      delete b.dataset.error;
      try {
        const dashboard = collect();
        const blob = await (format === 'pdf'
          ? dashboardPDF(dashboard)
          : dashboardPNG(dashboard));
        saveBlob(blob, `${exportStem(dashboard.title)}.${format}`);
      } catch (e) {
        // said on the button: the page has no other place for it
        b.dataset.error = (e as Error).message ?? String(e);
        b.title = `Export failed: ${b.dataset.error}`;
      } finally {
        b.disabled = false;
      }
    });
    return b;
  });
}
