/**
 * The Plotly traces of each mark, for the rows of one facet cell.
 */
import {
  Columns,
  fieldTitle,
  groupBy,
  hoverText,
  NUMERIC,
  PlotlyObject
} from './columns';
import { escapeText, formatValue, truncate } from './text';
import { IChartSpec } from './types';

/**
 * Where one facet cell draws: Plotly axis ids and a pie domain.
 */
export interface ICell {
  xaxis: string;
  yaxis: string;
  domain: { x: [number, number]; y: [number, number] };
  showLegend: boolean;
}

type IMapOptions = NonNullable<NonNullable<IChartSpec['options']>['map']>;

/**
 * The context every mark builder receives.
 */
export interface IMarkContext {
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
    // each point's row of the result, for "View rows"
    trace.customdata = indices;
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

export function barTraces(ctx: IMarkContext): PlotlyObject[] {
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
      customdata: indices,
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
        customdata: indices,
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
  // Columns as wide as their longest text (within limits), not all equal.
  const widths = fields.map(f => {
    const values = cols.values(f);
    let longest = fieldTitle(f, spec).length;
    for (const i of indices) {
      longest = Math.max(longest, formatValue(values[i], f.type).length);
    }
    return Math.min(Math.max(longest, 4), 40);
  });
  return [
    {
      type: 'table',
      columnwidth: widths,
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

export const MARK_TRACES: {
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
export const CARTESIAN = new Set([
  'bar',
  'histogram',
  'line',
  'area',
  'scatter',
  'heatmap',
  'box'
]);
