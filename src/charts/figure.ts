/**
 * Turn a chart result into a Plotly figure (data + layout), for every mark.
 *
 * Pure functions only: no DOM, no Plotly import, so it is cheap to test.
 * Every string that comes from the data or the spec is passed through
 * `escapeText` before it reaches Plotly.
 */
import { escapeText, formatValue, truncate } from './text';
import { IChartResult, IChartSpec, IResultField } from './types';
import {
  axisType,
  Columns,
  fieldTitle,
  groupBy,
  PlotlyObject
} from './columns';
import { barTraces, CARTESIAN, ICell, MARK_TRACES } from './marks';
import { overlayTraces } from './overlaytraces';

export type { PlotlyObject } from './columns';

/**
 * A figure ready for `Plotly.react`.
 */
export interface IFigure {
  data: PlotlyObject[];
  layout: PlotlyObject;
}

/**
 * Colors and fonts taken from the page, so both themes work.
 */
export interface ITheme {
  font: string;
  fontFamily: string;
  grid: string;
  line: string;
  paper: string;
}

export const DEFAULT_THEME: ITheme = {
  font: '#444',
  fontFamily:
    'system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif',
  grid: '#e5e5e5',
  line: '#bdbdbd',
  paper: 'rgba(0,0,0,0)'
};

/**
 * The categorical palette (Tableau 10), so facets and legends agree on colors.
 */
export const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac'
];

/**
 * Tick format and spacing per time unit.
 */
const TIME_TICKS: { [unit: string]: [string, string | number | null] } = {
  year: ['%Y', 'M12'],
  quarter: ['Q%q %Y', 'M3'],
  month: ['%b %Y', 'M1'],
  week: ['%b %d, %Y', 7 * 86400000],
  day: ['%b %d, %Y', 86400000],
  hour: ['%b %d %H:00', null],
  minute: ['%H:%M', null]
};

/**
 * Build the Plotly figure for a result.
 *
 * @param result - the engine's result.
 * @param spec - the spec it answers; titles and options come from it.
 * @param theme - page colors, so dark themes work.
 */
export function buildFigure(
  result: IChartResult,
  spec: IChartSpec | null,
  theme: ITheme = DEFAULT_THEME
): IFigure {
  const cols = new Columns(result);
  const mark = spec?.mark ?? 'bar';
  const makeTraces = MARK_TRACES[mark] ?? barTraces;
  const all = Array.from({ length: cols.length }, (_, i) => i);

  // Colors by color value, the same in every facet.
  const colorField =
    cols.field('color') ?? (mark === 'pie' ? cols.field('x') : undefined);
  const palette = new Map<unknown, string>();
  for (const value of cols.values(colorField)) {
    const key = value ?? null;
    if (!palette.has(key)) {
      palette.set(key, PALETTE[palette.size % PALETTE.length]);
    }
  }
  const colorOf = (key: unknown) => palette.get(key ?? null) ?? PALETTE[0];

  // Facets: one cell per (row, column) value pair.
  const facetable = mark !== 'kpi' && mark !== 'table' && mark !== 'map';
  const rowField = facetable ? cols.field('row') : undefined;
  const colField = facetable ? cols.field('column') : undefined;
  const rowKeys = [...groupBy(cols, rowField, all).keys()];
  const colKeys = [...groupBy(cols, colField, all).keys()];
  const nRows = rowKeys.length;
  const nCols = colKeys.length;
  const gapX = nCols > 1 ? 0.04 : 0;
  const gapY = nRows > 1 ? 0.08 : 0;
  const cellW = (1 - gapX * (nCols - 1)) / nCols;
  const cellH = (1 - gapY * (nRows - 1)) / nRows;

  const rowValues = cols.values(rowField);
  const colValues = cols.values(colField);
  const cellIndices = new Map<string, number[]>();
  const key = (r: number, c: number) => `${r},${c}`;
  for (const i of all) {
    const r = rowField ? rowKeys.indexOf(rowValues[i] ?? null) : 0;
    const c = colField ? colKeys.indexOf(colValues[i] ?? null) : 0;
    const list = cellIndices.get(key(r, c)) ?? [];
    list.push(i);
    cellIndices.set(key(r, c), list);
  }

  const cartesian = CARTESIAN.has(mark);
  const xField = cols.field('x');
  const yField = cols.field('y');
  const horizontal =
    (mark === 'bar' || mark === 'box') &&
    spec?.options?.orientation === 'horizontal';
  const catField = horizontal ? yField : xField;
  const valField = horizontal ? xField : yField;

  const axisBase = {
    gridcolor: theme.grid,
    linecolor: theme.line,
    zerolinecolor: theme.line,
    automargin: true
  };
  const layout: PlotlyObject = {
    autosize: true,
    paper_bgcolor: theme.paper,
    plot_bgcolor: theme.paper,
    font: { color: theme.font, family: theme.fontFamily, size: 12 },
    margin: { l: 56, r: 24, t: spec?.title ? 48 : 24, b: 48 },
    hovermode: 'closest',
    legend: {
      title: {
        text:
          colorField && mark !== 'pie'
            ? escapeText(fieldTitle(colorField, spec))
            : ''
      }
    },
    annotations: [] as PlotlyObject[]
  };
  if (spec?.title) {
    layout.title = {
      text: escapeText(spec.title),
      x: 0,
      xanchor: 'left',
      font: { size: 16 }
    };
  }
  if (mark === 'bar') {
    const stack = spec?.options?.stack ?? 'grouped';
    layout.barmode = stack === 'grouped' ? 'group' : 'stack';
    if (stack === 'normalized') {
      layout.barnorm = 'percent';
    }
  }
  if (mark === 'histogram') {
    layout.bargap = 0;
  }
  if (mark === 'box') {
    layout.boxmode = cols.field('color') ? 'group' : 'overlay';
  }

  const data: PlotlyObject[] = [];
  let n = 0;
  for (let r = 0; r < nRows; r++) {
    for (let c = 0; c < nCols; c++) {
      n++;
      const suffix = n === 1 ? '' : String(n);
      const domain: ICell['domain'] = {
        x: [c * (cellW + gapX), c * (cellW + gapX) + cellW],
        y: [1 - (r * (cellH + gapY) + cellH), 1 - r * (cellH + gapY)]
      };
      const cell: ICell = {
        xaxis: `x${suffix}`,
        yaxis: `y${suffix}`,
        domain,
        showLegend: n === 1
      };
      const indices = cellIndices.get(key(r, c)) ?? [];
      data.push(...makeTraces({ cols, spec, indices, cell, colorOf }));
      if (cartesian) {
        const xTitle =
          r === nRows - 1
            ? fieldTitle(horizontal ? valField : catField, spec)
            : '';
        const yTitle =
          c === 0 ? fieldTitle(horizontal ? catField : valField, spec) : '';
        layout[`xaxis${suffix}`] = {
          ...axisBase,
          domain: domain.x,
          anchor: `y${suffix}`,
          type: axisType(horizontal ? valField : xField),
          title: { text: escapeText(xTitle) },
          ...(n > 1 ? { matches: 'x' } : {}),
          showticklabels: r === nRows - 1
        };
        layout[`yaxis${suffix}`] = {
          ...axisBase,
          domain: domain.y,
          anchor: `x${suffix}`,
          type: axisType(horizontal ? yField : yField),
          title: { text: escapeText(yTitle) },
          ...(n > 1 ? { matches: 'y' } : {}),
          showticklabels: c === 0
        };
      }
      if (rowField && c === nCols - 1) {
        layout.annotations.push(
          facetLabel(rowField, rowKeys[r], domain, 'row')
        );
      }
      if (colField && r === 0) {
        layout.annotations.push(
          facetLabel(colField, colKeys[c], domain, 'column')
        );
      }
    }
  }
  if (cartesian && nRows === 1 && nCols === 1) {
    data.push(...overlayTraces(result, colorOf, theme.font));
  }
  if (cartesian && mark !== 'heatmap' && mark !== 'box') {
    // Category order as the engine sorted it.
    for (const name of Object.keys(layout)) {
      const axis = layout[name];
      if (/^[xy]axis\d*$/.test(name) && axis.type === 'category') {
        axis.categoryorder = 'trace';
      }
    }
  }
  if (cartesian) {
    // Long category names get short tick labels, with an ellipsis; hover shows
    // them whole. Under the x axis they stand side by side, so the more there
    // are the shorter they get: else their margin squeezes the plot.
    for (const [letter, field] of [
      ['x', horizontal ? valField : xField],
      ['y', horizontal ? catField : yField]
    ] as const) {
      if (axisType(field) !== 'category') {
        continue;
      }
      const raw = [...new Set(cols.values(field).map(v => v ?? null))];
      const max = tickChars(letter, raw.length);
      const long = raw.some(
        v => Array.from(formatValue(v, field?.type)).length > max
      );
      if (!long) {
        continue;
      }
      for (const name of Object.keys(layout)) {
        if (name.startsWith(`${letter}axis`)) {
          layout[name].tickmode = 'array';
          layout[name].tickvals = raw.map(v =>
            v === null ? '(null)' : escapeText(v)
          );
          layout[name].ticktext = raw.map(v =>
            escapeText(truncate(formatValue(v, field?.type), max))
          );
        }
      }
    }
  }
  if (cartesian) {
    // Truncated dates read as their unit ("Mar 2025"), one tick per period when few.
    for (const [letter, field] of [
      ['x', horizontal ? valField : xField],
      ['y', horizontal ? catField : yField]
    ] as const) {
      const unit = field?.timeUnit;
      if (!unit || !TIME_TICKS[unit]) {
        continue;
      }
      const [format, dtick] = TIME_TICKS[unit];
      const periods = new Set(cols.values(field)).size;
      for (const name of Object.keys(layout)) {
        if (name.startsWith(`${letter}axis`)) {
          layout[name].tickformat = format;
          if (dtick && periods <= 12) {
            layout[name].dtick = dtick;
          }
        }
      }
    }
  }
  if (rowField) {
    layout.margin.r = 48;
  }
  if (colField) {
    layout.margin.t += 20;
  }
  if (mark === 'map') {
    layout.geo = {
      scope: spec?.options?.map?.locations === 'us-state' ? 'usa' : 'world',
      showframe: false,
      bgcolor: theme.paper,
      showland: true,
      landcolor: 'rgba(128,128,128,0.15)',
      countrycolor: theme.line,
      coastlinecolor: theme.line,
      projection: { type: 'natural earth' }
    };
  }
  return { data, layout };
}

function facetLabel(
  field: IResultField,
  value: unknown,
  domain: ICell['domain'],
  kind: 'row' | 'column'
): PlotlyObject {
  const text = escapeText(formatValue(value, field.type));
  return kind === 'column'
    ? {
        text,
        showarrow: false,
        xref: 'paper',
        yref: 'paper',
        x: (domain.x[0] + domain.x[1]) / 2,
        y: domain.y[1],
        xanchor: 'center',
        yanchor: 'bottom',
        yshift: 4
      }
    : {
        text,
        showarrow: false,
        textangle: 90,
        xref: 'paper',
        yref: 'paper',
        x: domain.x[1],
        y: (domain.y[0] + domain.y[1]) / 2,
        xanchor: 'left',
        yanchor: 'middle',
        xshift: 8
      };
}

/**
 * The longest tick label of a category axis: 24 characters, fewer under an x
 * axis of many categories (16 past 5, 12 past 10).
 */
function tickChars(letter: 'x' | 'y', categories: number): number {
  if (letter === 'y' || categories <= 5) {
    return 24;
  }
  return categories <= 10 ? 16 : 12;
}

/**
 * What a derived column of a result holds, after its channel's title.
 */
const STAT_TITLES: { [stat: string]: string } = {
  bin_start: 'bin start',
  bin_end: 'bin end',
  min: 'minimum',
  q1: 'lower quartile',
  median: 'median',
  q3: 'upper quartile',
  max: 'maximum',
  lower: 'lower whisker',
  upper: 'upper whisker',
  mean: 'mean',
  count: 'count',
  outliers: 'outliers',
  previous: 'previous period',
  delta: 'change',
  delta_ratio: 'change ratio'
};

/**
 * The columns of a result for a CSV export: raw values, titled like the chart,
 * each title once: a bin's start and end, a box's statistics and a KPI's
 * previous period say which they are ("dep_delay (bin start)").
 */
export function resultColumns(
  result: IChartResult,
  spec: IChartSpec | null
): { title: string; values: unknown[] }[] {
  const seen = new Set<string>();
  const titles = new Set<string>();
  return result.fields
    .filter(f => !seen.has(f.name) && (seen.add(f.name), true))
    .map(f => {
      let title = fieldTitle(f, spec);
      const stat =
        typeof f.stat === 'string' ? f.stat : f.bin ? 'bin_start' : null;
      if (stat) {
        const base = title.replace(/ \(binned\)$/, '');
        title = `${base} (${STAT_TITLES[stat] ?? stat.replace(/_/g, ' ')})`;
      }
      // Two channels of one title (x and color of one column): the field's name tells them apart.
      if (titles.has(title)) {
        title = `${title} (${f.name})`;
      }
      titles.add(title);
      return { title, values: result.data[f.name] ?? [] };
    });
}
