/**
 * Turn a chart result into a Plotly figure (data + layout), for every mark.
 *
 * Pure functions only: no DOM, no Plotly import, so it is cheap to test.
 * Every string that comes from the data or the spec is passed through
 * `escapeText` before it reaches Plotly.
 */
import { escapeText, formatValue, refTitle, truncate } from './text';
import { IChartResult, IChartSpec, IResultField } from './types';

/**
 * A Plotly trace or layout; kept loose because the renderer builds many kinds.
 */
export type PlotlyObject = { [key: string]: any };

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

const NUMERIC = new Set(['integer', 'float']);

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
const TEMPORAL = new Set(['date', 'datetime']);

/**
 * Where a result keeps its columns, with helpers to read them.
 */
class Columns {
  constructor(readonly result: IChartResult) {
    this.length = 0;
    for (const field of result.fields) {
      const values = result.data[field.name] ?? [];
      this.length = Math.max(this.length, values.length);
    }
  }

  readonly length: number;

  /**
   * The field on a channel; the first one for `tooltip`.
   */
  field(channel: string): IResultField | undefined {
    return (
      this.result.fields.find(f => f.channel === channel && !f.stat) ??
      this.result.fields.find(f => f.name === channel)
    );
  }

  /**
   * A derived field on a channel: `bin_end`, a box statistic, `previous`...
   */
  stat(channel: string, stat: string): IResultField | undefined {
    return this.result.fields.find(
      f => f.channel === channel && f.stat === stat
    );
  }

  fields(channel: string): IResultField[] {
    return this.result.fields.filter(f => f.channel === channel);
  }

  values(field: IResultField | undefined): unknown[] {
    return field ? (this.result.data[field.name] ?? []) : [];
  }

  /**
   * A field's values at `indices`, escaped when they are text.
   */
  pick(field: IResultField | undefined, indices: number[]): unknown[] {
    if (!field) {
      return [];
    }
    const values = this.values(field);
    const text = !NUMERIC.has(field.type) && !TEMPORAL.has(field.type);
    return indices.map(i => {
      const value = values[i];
      if (!text) {
        return value ?? null;
      }
      return value === null || value === undefined
        ? '(null)'
        : escapeText(value);
    });
  }
}

/**
 * The title of a result field, with the spec's own titles first.
 */
function fieldTitle(
  field: IResultField | undefined,
  spec: IChartSpec | null
): string {
  if (!field) {
    return '';
  }
  const axis =
    field.channel === 'x' || field.channel === 'y'
      ? spec?.axes?.[field.channel]?.title
      : undefined;
  const ref = spec?.encoding?.[field.channel as 'x'];
  return axis || ref?.title || refTitle(field);
}

/**
 * An axis type Plotly should use for a field (never its guess from values).
 */
function axisType(field: IResultField | undefined): string | undefined {
  if (!field) {
    return undefined;
  }
  if (field.timeUnit || TEMPORAL.has(field.type)) {
    return 'date';
  }
  if (NUMERIC.has(field.type) && !field.aggregate) {
    return field.bin ? 'linear' : 'linear';
  }
  if (NUMERIC.has(field.type)) {
    return 'linear';
  }
  return 'category';
}

/**
 * Group row indices by the distinct values of a field, in first-seen order.
 */
function groupBy(
  cols: Columns,
  field: IResultField | undefined,
  indices: number[]
): Map<unknown, number[]> {
  const groups = new Map<unknown, number[]>();
  if (!field) {
    groups.set(undefined, indices);
    return groups;
  }
  const values = cols.values(field);
  for (const i of indices) {
    const key = values[i] ?? null;
    let list = groups.get(key);
    if (!list) {
      list = [];
      groups.set(key, list);
    }
    list.push(i);
  }
  return groups;
}

/**
 * Hover text for each index: one escaped `title: value` line per field.
 */
function hoverText(
  cols: Columns,
  spec: IChartSpec | null,
  indices: number[]
): string[] {
  const seen = new Set<string>();
  const fields = cols.result.fields.filter(f => {
    if (seen.has(f.name)) {
      return false;
    }
    seen.add(f.name);
    return f.channel !== 'row' && f.channel !== 'column';
  });
  const lines = fields.map(f => ({
    title: escapeText(fieldTitle(f, spec)),
    values: cols.values(f),
    type: f.type
  }));
  return indices.map(i =>
    lines
      .map(
        line =>
          `${line.title}: <b>${escapeText(formatValue(line.values[i], line.type))}</b>`
      )
      .join('<br>')
  );
}

/**
 * Where one facet cell draws: Plotly axis ids and a pie domain.
 */
interface ICell {
  xaxis: string;
  yaxis: string;
  domain: { x: [number, number]; y: [number, number] };
  showLegend: boolean;
}

type IMapOptions = NonNullable<NonNullable<IChartSpec['options']>['map']>;

/**
 * The context every mark builder receives.
 */
interface IMarkContext {
  cols: Columns;
  spec: IChartSpec | null;
  indices: number[];
  cell: ICell;
  colorOf: (key: unknown) => string;
}

function colorTraces(
  ctx: IMarkContext,
  make: (
    indices: number[],
    name: string | undefined,
    color: string
  ) => PlotlyObject
): PlotlyObject[] {
  const colorField = ctx.cols.field('color');
  const categorical =
    colorField &&
    !(
      NUMERIC.has(colorField.type) &&
      ctx.spec?.mark !== 'bar' &&
      ctx.spec?.mark !== 'line' &&
      ctx.spec?.mark !== 'area'
    );
  const groups = groupBy(
    ctx.cols,
    categorical ? colorField : undefined,
    ctx.indices
  );
  const traces: PlotlyObject[] = [];
  for (const [key, indices] of groups) {
    const name =
      key === undefined
        ? undefined
        : escapeText(truncate(formatValue(key, colorField?.type), 30));
    const trace = make(indices, name, ctx.colorOf(key));
    trace.xaxis = ctx.cell.xaxis;
    trace.yaxis = ctx.cell.yaxis;
    trace.hovertext = hoverText(ctx.cols, ctx.spec, indices);
    trace.hoverinfo = 'text';
    if (name !== undefined) {
      trace.name = name;
      trace.legendgroup = name;
      trace.showlegend = ctx.cell.showLegend;
    } else {
      trace.showlegend = false;
    }
    traces.push(trace);
  }
  return traces;
}

function barTraces(ctx: IMarkContext): PlotlyObject[] {
  const { cols, spec } = ctx;
  if (
    cols.stat('x', 'bin_end') &&
    spec?.options?.orientation !== 'horizontal'
  ) {
    return histogramTraces(ctx);
  }
  const horizontal = spec?.options?.orientation === 'horizontal';
  const xField = cols.field('x');
  const yField = cols.field('y');
  return colorTraces(ctx, (indices, _name, color) => {
    const x = cols.pick(xField, indices);
    const y = cols.pick(yField, indices);
    return {
      type: 'bar',
      orientation: horizontal ? 'h' : 'v',
      x: horizontal ? y : x,
      y: horizontal ? x : y,
      marker: { color }
    };
  });
}

function histogramTraces(ctx: IMarkContext): PlotlyObject[] {
  const { cols } = ctx;
  const xField = cols.field('x');
  const endField = cols.stat('x', 'bin_end');
  const yField = cols.field('y');
  return colorTraces(ctx, (indices, _name, color) => {
    const x = cols.pick(xField, indices) as number[];
    const trace: PlotlyObject = {
      type: 'bar',
      x,
      y: cols.pick(yField, indices),
      marker: { color, line: { width: 0 } },
      offset: 0
    };
    if (endField) {
      const end = cols.pick(endField, indices) as number[];
      trace.width = x.map((start, i) => Number(end[i]) - Number(start));
    } else if (x.length > 1) {
      const sorted = [...x].map(Number).sort((a, b) => a - b);
      let step = Infinity;
      for (let i = 1; i < sorted.length; i++) {
        const d = sorted[i] - sorted[i - 1];
        if (d > 0 && d < step) {
          step = d;
        }
      }
      if (Number.isFinite(step)) {
        trace.width = step;
      }
    }
    return trace;
  });
}

function lineTraces(ctx: IMarkContext, area: boolean): PlotlyObject[] {
  const { cols, spec } = ctx;
  const xField = cols.field('x');
  const yField = cols.field('y');
  const stack = spec?.options?.stack ?? (area ? 'stacked' : 'grouped');
  return colorTraces(ctx, (indices, _name, color) => {
    const trace: PlotlyObject = {
      type: 'scatter',
      mode: indices.length > 60 ? 'lines' : 'lines+markers',
      x: cols.pick(xField, indices),
      y: cols.pick(yField, indices),
      line: { color, width: 2 },
      marker: { color, size: 5 }
    };
    if (area) {
      if (stack === 'grouped') {
        trace.fill = 'tozeroy';
      } else {
        trace.stackgroup = `${ctx.cell.xaxis}${ctx.cell.yaxis}`;
        if (stack === 'normalized') {
          trace.groupnorm = 'percent';
        }
      }
    }
    return trace;
  });
}

function sizeScale(values: unknown[]): (v: unknown) => number {
  const numbers = values.map(Number).filter(Number.isFinite);
  const max = numbers.length ? Math.max(...numbers.map(Math.abs)) : 0;
  return v => {
    const n = Math.abs(Number(v));
    if (!max || !Number.isFinite(n)) {
      return 6;
    }
    // Area, not radius, is proportional to the value.
    return 4 + 26 * Math.sqrt(n / max);
  };
}

function scatterTraces(ctx: IMarkContext): PlotlyObject[] {
  const { cols } = ctx;
  const xField = cols.field('x');
  const yField = cols.field('y');
  const sizeField = cols.field('size');
  const colorField = cols.field('color');
  const countField = cols.field('count');
  const binned = countField && cols.stat('x', 'bin_end');
  if (binned && !(colorField && !NUMERIC.has(colorField.type))) {
    // Too many points: the engine sent a 2-D histogram; draw its density.
    return heatmapTraces({ ...ctx, zChannel: 'count' } as IMarkContext);
  }
  const sizeBy = sizeField ?? (binned ? countField : undefined);
  const scale = sizeScale(cols.values(sizeBy));
  const numericColor = colorField && NUMERIC.has(colorField.type);
  return colorTraces(ctx, (indices, _name, color) => {
    const marker: PlotlyObject = { color, opacity: 0.75 };
    if (sizeBy) {
      marker.size = cols.pick(sizeBy, indices).map(scale);
    }
    if (numericColor) {
      marker.color = cols.pick(colorField, indices);
      marker.colorscale = 'Viridis';
      marker.showscale = ctx.cell.showLegend;
      marker.colorbar = {
        title: { text: escapeText(fieldTitle(colorField, ctx.spec)) }
      };
    }
    return {
      type: indices.length > 1000 ? 'scattergl' : 'scatter',
      mode: 'markers',
      x: cols.pick(xField, indices),
      y: cols.pick(yField, indices),
      marker
    };
  });
}

function heatmapTraces(ctx: IMarkContext): PlotlyObject[] {
  const { cols, spec, indices, cell } = ctx;
  const zChannel = (ctx as IMarkContext & { zChannel?: string }).zChannel;
  const zField = zChannel
    ? cols.field(zChannel)
    : (cols.field('color') ?? cols.field('size') ?? cols.field('count'));
  return [
    {
      type: 'heatmap',
      x: cols.pick(cols.field('x'), indices),
      y: cols.pick(cols.field('y'), indices),
      z: cols.pick(zField, indices),
      colorscale: 'Viridis',
      showscale: cell.showLegend,
      colorbar: { title: { text: escapeText(fieldTitle(zField, spec)) } },
      hovertext: hoverText(cols, spec, indices),
      hoverinfo: 'text',
      xaxis: cell.xaxis,
      yaxis: cell.yaxis
    }
  ];
}

function boxTraces(ctx: IMarkContext): PlotlyObject[] {
  const { cols, spec } = ctx;
  const horizontal = spec?.options?.orientation === 'horizontal';
  const xField = cols.field('x');
  const q = (stat: string) => cols.stat('y', stat);
  const precomputed = q('q1') && q('q3') && q('median');
  return colorTraces(ctx, (indices, _name, color) => {
    const cat = cols.pick(xField, indices);
    const trace: PlotlyObject = {
      type: 'box',
      orientation: horizontal ? 'h' : 'v',
      marker: { color },
      line: { color }
    };
    if (precomputed) {
      const lower = q('lower') ?? q('min');
      const upper = q('upper') ?? q('max');
      Object.assign(trace, {
        q1: cols.pick(q('q1'), indices),
        median: cols.pick(q('median'), indices),
        q3: cols.pick(q('q3'), indices),
        ...(lower ? { lowerfence: cols.pick(lower, indices) } : {}),
        ...(upper ? { upperfence: cols.pick(upper, indices) } : {}),
        ...(q('mean') ? { mean: cols.pick(q('mean'), indices) } : {})
      });
      trace[horizontal ? 'y' : 'x'] = xField ? cat : indices.map(() => '');
    } else {
      const values = cols.pick(cols.field('y'), indices);
      trace[horizontal ? 'x' : 'y'] = values;
      if (xField) {
        trace[horizontal ? 'y' : 'x'] = cat;
      }
    }
    // Box traces take no hovertext per box; Plotly's own statistics hover.
    return trace;
  }).map(trace => {
    delete trace.hovertext;
    trace.hoverinfo = horizontal ? 'x' : 'y';
    return trace;
  });
}

function pieTraces(ctx: IMarkContext): PlotlyObject[] {
  const { cols, spec, indices, cell } = ctx;
  const labelField =
    cols.field('color') ?? cols.field('x') ?? cols.field('label');
  const valueField =
    cols.field('y') ?? cols.field('size') ?? cols.field('theta');
  const labels = cols
    .pick(labelField, indices)
    .map(v =>
      typeof v === 'string' ? v : escapeText(formatValue(v, labelField?.type))
    );
  const hole = Number(spec?.options?.hole ?? 0);
  return [
    {
      type: 'pie',
      labels,
      values: cols.pick(valueField, indices),
      hole: Number.isFinite(hole) ? Math.min(Math.max(hole, 0), 0.9) : 0,
      marker: {
        colors: indices.map(i =>
          ctx.colorOf(cols.values(labelField)[i] ?? null)
        )
      },
      sort: false,
      textinfo: 'percent',
      hovertext: hoverText(cols, spec, indices),
      hoverinfo: 'text',
      domain: cell.domain,
      showlegend: cell.showLegend
    }
  ];
}

function mapTraces(ctx: IMarkContext): PlotlyObject[] {
  const { cols, spec, indices } = ctx;
  const settled = (cols.result.options as { map?: IMapOptions } | undefined)
    ?.map;
  const options: IMapOptions = settled ?? spec?.options?.map ?? {};
  const location = cols.field('location');
  const hover = hoverText(cols, spec, indices);
  if (location || options.kind === 'choropleth') {
    const zField = cols.field('color') ?? cols.field('y') ?? cols.field('size');
    const locations = cols.pick(location, indices);
    const usStates = options.locations === 'us-state';

    return [
      {
        type: 'choropleth',
        locations,
        z: cols.pick(zField, indices),
        locationmode: usStates ? 'USA-states' : 'ISO-3',
        colorscale: 'Viridis',
        colorbar: { title: { text: escapeText(fieldTitle(zField, spec)) } },
        hovertext: hover,
        hoverinfo: 'text'
      }
    ];
  }
  const latField = cols.field('latitude');
  const lonField = cols.field('longitude');
  const sizeField = cols.field('size') ?? cols.field('count');
  const scale = sizeScale(cols.values(sizeField));
  return colorTraces(ctx, (subset, _name, color) => ({
    type: 'scattergeo',
    lat: cols.pick(latField, subset),
    lon: cols.pick(lonField, subset),
    mode: 'markers',
    marker: {
      color,
      opacity: 0.8,
      ...(sizeField ? { size: cols.pick(sizeField, subset).map(scale) } : {})
    }
  })).map(trace => {
    delete trace.xaxis;
    delete trace.yaxis;
    return trace;
  });
}

function kpiTraces(ctx: IMarkContext): PlotlyObject[] {
  const { cols, spec, indices, cell } = ctx;
  const valueField =
    cols.field('y') ?? cols.field('value') ?? cols.result.fields[0];
  const reference = cols.stat('y', 'previous');
  const first = indices[0];
  const value = first === undefined ? null : cols.values(valueField)[first];
  const trace: PlotlyObject = {
    type: 'indicator',
    mode: 'number',
    value: value ?? undefined,
    domain: cell.domain,
    number: { valueformat: ',.4~f' },
    title: { text: escapeText(fieldTitle(valueField, spec)) }
  };
  if (reference && first !== undefined) {
    const ref = cols.values(reference)[first];
    if (typeof ref === 'number') {
      trace.mode = 'number+delta';
      trace.delta = {
        reference: ref,
        relative: true,
        valueformat: '.1%',
        increasing: { color: '#59a14f' },
        decreasing: { color: '#e15759' }
      };
    }
  }
  return [trace];
}

function tableTraces(ctx: IMarkContext): PlotlyObject[] {
  const { cols, spec, indices, cell } = ctx;
  const fields = cols.result.fields;
  return [
    {
      type: 'table',
      domain: cell.domain,
      header: {
        values: fields.map(f => `<b>${escapeText(fieldTitle(f, spec))}</b>`),
        align: 'left',
        fill: { color: 'rgba(128,128,128,0.15)' }
      },
      cells: {
        values: fields.map(f => {
          const values = cols.values(f);
          return indices.map(i => escapeText(formatValue(values[i], f.type)));
        }),
        align: fields.map(f => (NUMERIC.has(f.type) ? 'right' : 'left')),
        fill: { color: 'rgba(0,0,0,0)' }
      }
    }
  ];
}

const MARK_TRACES: {
  [mark: string]: (ctx: IMarkContext) => PlotlyObject[];
} = {
  bar: barTraces,
  histogram: histogramTraces,
  line: ctx => lineTraces(ctx, false),
  area: ctx => lineTraces(ctx, true),
  scatter: scatterTraces,
  heatmap: heatmapTraces,
  box: boxTraces,
  pie: pieTraces,
  map: mapTraces,
  kpi: kpiTraces,
  table: tableTraces
};

/**
 * Marks drawn on x/y axes (the others use domains or a geo subplot).
 */
const CARTESIAN = new Set([
  'bar',
  'histogram',
  'line',
  'area',
  'scatter',
  'heatmap',
  'box'
]);

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
    // Long category names get short tick labels; hover shows them whole.
    for (const [letter, field] of [
      ['x', horizontal ? valField : xField],
      ['y', horizontal ? catField : yField]
    ] as const) {
      if (axisType(field) !== 'category') {
        continue;
      }
      const raw = [...new Set(cols.values(field).map(v => v ?? null))];
      const long = raw.some(
        v => Array.from(formatValue(v, field?.type)).length > 24
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
            escapeText(truncate(formatValue(v, field?.type)))
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
 * The columns of a result for a CSV export: raw values, titled like the chart.
 */
export function resultColumns(
  result: IChartResult,
  spec: IChartSpec | null
): { title: string; values: unknown[] }[] {
  const seen = new Set<string>();
  return result.fields
    .filter(f => !seen.has(f.name) && (seen.add(f.name), true))
    .map(f => ({
      title: fieldTitle(f, spec),
      values: result.data[f.name] ?? []
    }));
}
