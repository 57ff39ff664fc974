/**
 * "Show me": the mark that best fits the fields on the shelves, as Tableau's
 * Show Me panel picks one.
 */
import { IEncoding, IFieldRef, Mark } from '../types';

const NUMERIC = new Set(['integer', 'float']);
const TEMPORAL = new Set(['date', 'datetime']);

/**
 * How a field on a shelf behaves: a measure (a number to aggregate or plot),
 * a time dimension or a category.
 */
export type Role = 'measure' | 'continuous' | 'time' | 'category' | 'none';

export function roleOf(
  ref: IFieldRef | undefined,
  typeOf: (field: string) => string | undefined
): Role {
  if (!ref) {
    return 'none';
  }
  if (ref.aggregate) {
    return 'measure';
  }
  const type = ref.field ? typeOf(ref.field) : undefined;
  if (type === undefined) {
    return 'none';
  }
  if (ref.timeUnit || TEMPORAL.has(type)) {
    return 'time';
  }
  if (NUMERIC.has(type)) {
    return ref.bin ? 'category' : 'continuous';
  }
  return 'category';
}

/**
 * The mark to suggest for an encoding; null when there is nothing to draw.
 */
export function suggestMark(
  encoding: IEncoding,
  typeOf: (field: string) => string | undefined
): Mark | null {
  if (encoding.latitude && encoding.longitude) {
    return 'map';
  }
  if (encoding.location) {
    return 'map';
  }
  const x = roleOf(encoding.x, typeOf);
  const y = roleOf(encoding.y, typeOf);
  if (x === 'none' && y === 'none') {
    return encoding.color || encoding.size ? 'pie' : null;
  }
  if (x === 'none' || y === 'none') {
    const one = x === 'none' ? y : x;
    const ref = x === 'none' ? encoding.y : encoding.x;
    if (one === 'measure') {
      return encoding.color ? 'pie' : 'kpi';
    }
    if (one === 'continuous' || (one === 'category' && ref?.bin)) {
      return 'histogram';
    }
    if (one === 'time') {
      return 'line';
    }
    return 'bar';
  }
  if (x === 'time' || y === 'time') {
    return 'line';
  }
  if (x === 'category' && y === 'category') {
    return 'heatmap';
  }
  if (
    (x === 'category' && y === 'continuous') ||
    (x === 'continuous' && y === 'category')
  ) {
    return 'box';
  }
  if (x === 'category' || y === 'category') {
    return 'bar';
  }
  if (encoding.x?.bin && y === 'measure') {
    return 'histogram';
  }
  return 'scatter';
}
