/**
 * The rules the kernel and the front end share (the "show me" mark, the
 * Python line of a chart, the condition of a dashboard filter).
 *
 * Generated from livegraphs_ext/kernel/rules.json by scripts/rules.mjs (`jlpm build:rules`):
 * edit the table there, not this file.
 */
export const RULES = {
  $comment:
    'Rules the kernel (livegraphs_ext/kernel/rules.py, also used by the server for charts read through a document) and the front end (src/rules.ts, generated from this file by scripts/rules.mjs) both follow. Edit here, then run `jlpm build:rules`.',
  roles: {
    $comment:
      'How a field on a shelf behaves: an aggregate is a measure; a time unit or a temporal column is time; a binned number is a category; a column of an `ordinal` type whose values repeat, at most `upTo` of them and at most the square root of its count of values (month, day, size; the store counts the values of such columns, `distinct`: in a small table every integer has few values, and they act as numbers), is ordinal, an ordered category; any other number is continuous; any other known column is a category; no field or an unknown column is none.',
    numeric: ['integer', 'float'],
    temporal: ['date', 'datetime'],
    ordinal: { types: ['integer'], upTo: 31 }
  },
  showMe: {
    $comment:
      'The mark for the fields on the shelves: the first rule that matches wins. `has`: every channel set; `hasAny`: some channel set; `x`/`y`: the role on that shelf; `xBin`: the x field is binned; `swap`: also tried with x and y exchanged. A null mark: nothing to draw.',
    rules: [
      { has: ['latitude', 'longitude'], mark: 'map' },
      { has: ['location'], mark: 'map' },
      { x: 'none', y: 'none', hasAny: ['color', 'size'], mark: 'pie' },
      { x: 'none', y: 'none', mark: null },
      { x: 'measure', y: 'none', hasAny: ['color'], swap: true, mark: 'pie' },
      { x: 'measure', y: 'none', swap: true, mark: 'kpi' },
      { x: 'continuous', y: 'none', swap: true, mark: 'histogram' },
      { x: 'category', y: 'none', xBin: true, swap: true, mark: 'histogram' },
      { x: 'time', y: 'none', swap: true, mark: 'line' },
      { y: 'none', swap: true, mark: 'bar' },
      { x: 'time', swap: true, mark: 'line' },
      { x: 'category', y: 'category', mark: 'heatmap' },
      { x: 'ordinal', y: 'ordinal', mark: 'heatmap' },
      { x: 'category', y: 'ordinal', swap: true, mark: 'heatmap' },
      { x: 'ordinal', y: 'continuous', mark: 'line' },
      { x: 'ordinal', y: 'measure', mark: 'line' },
      { x: 'category', swap: true, mark: 'bar' },
      { xBin: true, y: 'measure', mark: 'histogram' },
      { mark: 'scatter' }
    ]
  },
  defaults: {
    $comment:
      "What every client derives for a mark from the stored fields, and never stores. `count`: by mark, the channel that counts the records when it is empty and x holds a field. `raw`: the marks whose y is drawn as it is (an aggregate there is dropped). `alone`: for these marks, a field placed alone on y (nothing on x, no aggregate) is drawn from x, as it would be there, with the mark's `options` under those chosen (bars lie across). `aggregates`: the aggregate a raw number (a field of a `numbers` role) gets on the channels listed, by mark; `value` stands for the axis holding the measured number, the other one grouping the records: the `channel` of the first row of `value` whose roles for x and y are among those listed (a role not listed matches any); none when no row matches. A chosen aggregate, bin or time unit is kept. Bars, areas, slices and a KPI add numbers up (sum); a line and a heatmap's colour show a level (mean); a scatter, a box, a histogram and a map draw numbers as they are (the engine bins or samples what is past the mark budget).",
    count: {
      bar: 'y',
      line: 'y',
      area: 'y',
      histogram: 'y',
      pie: 'y',
      heatmap: 'color'
    },
    countField: { aggregate: 'count' },
    raw: ['box'],
    alone: {
      marks: ['bar', 'line', 'area', 'histogram'],
      options: { bar: { orientation: 'horizontal' } }
    },
    numbers: ['continuous', 'ordinal'],
    value: [
      { y: ['continuous'], channel: 'y' },
      { x: ['continuous'], y: ['category', 'ordinal', 'time'], channel: 'x' },
      { x: ['ordinal', 'time'], y: ['ordinal'], channel: 'y' }
    ],
    aggregates: {
      bar: { aggregate: 'sum', channels: ['value', 'size', 'label'] },
      area: { aggregate: 'sum', channels: ['value', 'size', 'label'] },
      line: { aggregate: 'mean', channels: ['value', 'size', 'label'] },
      pie: { aggregate: 'sum', channels: ['y', 'size', 'label'] },
      kpi: { aggregate: 'sum', channels: ['y'] },
      heatmap: { aggregate: 'mean', channels: ['color', 'size', 'label'] }
    }
  },
  pythonCode: {
    $comment:
      "The `lg.chart(...)` line of a spec: the dataset's name (else its id), the mark, the channels in this order, then the keywords, each left out when its value is one of `skip`. A field reference is written as a shorthand (`sum(bin(price))`) when it has only the `shorthand.keys`, a `bin` of true, and a field without `reserved` characters, or is exactly `count()`; else as a dict.",
    call: 'lg.chart',
    defaultMark: 'bar',
    channels: [
      'x',
      'y',
      'color',
      'size',
      'row',
      'column',
      'label',
      'latitude',
      'longitude',
      'location'
    ],
    listChannels: ['tooltip'],
    keywords: [
      { name: 'filters', path: ['filters'] },
      { name: 'sort', path: ['sort'] },
      { name: 'limit', path: ['limit'] },
      { name: 'options', path: ['options'] },
      { name: 'overlays', path: ['overlays'] },
      { name: 'title', path: ['title'] },
      { name: 'version', path: ['dataset', 'version'] }
    ],
    skip: [null, '', [], {}],
    shorthand: {
      keys: ['field', 'aggregate', 'timeUnit', 'bin'],
      wrap: ['bin', 'timeUnit', 'aggregate'],
      reserved: '()',
      noField: { aggregate: 'count' }
    }
  },
  filterConditions: {
    $comment:
      'The condition a dashboard filter adds to each chart on its dataset. A `list` kind keeps the values picked (none picked: no condition). A bounds kind reads `[from, to]`, a blank or null bound being none: `from` and `to` give the condition of one bound, `both` of two (`between` takes [from, to]; `and` joins the two one-bound conditions). `nextDay`: the bound is moved to the day after (an ISO date), so `lt` holds the whole `to` day. Kinds not listed act as `default`.',
    default: 'range',
    kinds: {
      dropdown: { list: 'in' },
      range: { from: { cmp: 'ge' }, to: { cmp: 'le' }, both: 'between' },
      daterange: {
        from: { cmp: 'ge' },
        to: { cmp: 'lt', nextDay: true },
        both: 'and'
      }
    }
  }
};
