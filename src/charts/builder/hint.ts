/**
 * The line under the builder's shelves that says what the builder chose by
 * itself (the mark, a field taken as a category, an aggregate or a count the
 * mark fills in) and how to change it.
 */
import { refTitle } from '../text';
import { Channel, IEncoding, Mark } from '../types';
import { ColumnOf, roleOf } from './showme';
import { IFilledIn } from './state';

const MARK_NAMES: { [mark: string]: string } = {
  bar: 'bars',
  line: 'a line',
  area: 'an area',
  scatter: 'a scatter plot',
  pie: 'a pie',
  heatmap: 'a heatmap',
  histogram: 'a histogram',
  box: 'box plots',
  map: 'a map',
  kpi: 'a KPI',
  table: 'a table'
};

const CHANNEL_NAMES: { [channel: string]: string } = {
  x: 'X',
  y: 'Y',
  color: 'Color',
  size: 'Size',
  label: 'Label'
};

/**
 * The channels whose fields group the records, where a column of few values
 * acts as a category.
 */
const GROUPING: ReadonlyArray<Channel> = ['x', 'y', 'color', 'row', 'column'];

/**
 * What the hint is made from.
 */
export interface IHintOptions {
  /**
   * The mark drawn; null while there is no chart.
   */
  mark: Mark | null;
  /**
   * Whether the mark is the automatic one.
   */
  automatic: boolean;
  /**
   * What is on the shelves.
   */
  encoding: IEncoding;
  /**
   * What the mark filled in (see `deriveEncoding`).
   */
  filledIn: ReadonlyArray<IFilledIn>;
  columnOf: ColumnOf;
}

/**
 * The hint's text; empty when the builder chose nothing by itself.
 */
export function defaultsHint(options: IHintOptions): string {
  const { mark, encoding, filledIn, columnOf } = options;
  if (!mark) {
    return '';
  }
  const said: string[] = [];
  if (options.automatic) {
    said.push(`Automatic mark: ${MARK_NAMES[mark] ?? mark}.`);
  }
  const seen = new Set<string>();
  for (const channel of GROUPING) {
    const ref = encoding[channel];
    const field = ref?.field;
    if (!field || seen.has(field) || roleOf(ref, columnOf) !== 'ordinal') {
      continue;
    }
    seen.add(field);
    const values = columnOf(field)?.distinct;
    said.push(`${field} has ${values} values, so it acts as a category.`);
  }
  for (const filled of filledIn) {
    const shelf = CHANNEL_NAMES[filled.channel] ?? filled.channel;
    if (filled.alone !== undefined) {
      said.push(
        mark === 'bar'
          ? `Bars lie across, counting the records of each ${filled.alone}.`
          : `${filled.alone} is drawn along X, and Y counts the records.`
      );
    } else {
      said.push(
        filled.field === undefined
          ? `${shelf} counts the records.`
          : `${shelf} shows ${refTitle({ field: filled.field, aggregate: filled.aggregate })}, the default for ${MARK_NAMES[mark] ?? mark}.`
      );
    }
  }
  const raw =
    mark === 'scatter' &&
    roleOf(encoding.x, columnOf) === 'continuous' &&
    roleOf(encoding.y, columnOf) === 'continuous';
  if (raw) {
    said.push('Each row is a point: numbers are not aggregated.');
  }
  if (!said.length) {
    return '';
  }
  const change = filledIn.some(f => f.field !== undefined)
    ? 'Click a pill to pick another aggregate, or choose a mark.'
    : raw
      ? 'Click a pill to aggregate, or choose a mark.'
      : 'Click a pill or choose a mark to change this.';
  return `${said.join(' ')} ${change}`;
}
