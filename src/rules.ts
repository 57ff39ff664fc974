/**
 * The rules the kernel and the front end share (the "show me" mark, the
 * Python line of a chart, the condition of a dashboard filter).
 *
 * Generated from livegraphs_ext/kernel/rules.json by scripts/rules.mjs (`jlpm build:rules`):
 * edit the table there, not this file.
 */
export const RULES = {
  $comment:
    'Rules the kernel (livegraphs_ext/kernel/rules.py) and the front end (src/rules.ts, generated from this file by scripts/rules.mjs) both follow. Edit here, then run `jlpm build:rules`.',
  roles: {
    $comment:
      'How a field on a shelf behaves: an aggregate is a measure; a time unit or a temporal column is time; a numeric column is continuous (category when binned); any other known column is a category; no field or an unknown column is none.',
    numeric: ['integer', 'float'],
    temporal: ['date', 'datetime']
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
      { x: 'category', y: 'continuous', swap: true, mark: 'box' },
      { x: 'category', swap: true, mark: 'bar' },
      { xBin: true, y: 'measure', mark: 'histogram' },
      { mark: 'scatter' }
    ]
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
