/**
 * "Show me": the mark that best fits the fields on the shelves, as Tableau's
 * Show Me panel picks one. The rules are the table in `RULES.showMe`, shared
 * with the kernel's `suggest_mark`.
 */
import { RULES } from '../../rules';
import { IEncoding, IFieldInfo, IFieldRef, Mark } from '../types';

/**
 * How a field on a shelf behaves: a measure (an aggregate), a continuous
 * number, an ordinal (an integer column of few values, such as month or
 * size: an ordered category), a time dimension or a category.
 */
export type Role =
  'measure' | 'continuous' | 'ordinal' | 'time' | 'category' | 'none';

/**
 * What the rules know of a column: its type, and when known its count of
 * distinct values (kept by the store for integers of few values) and of
 * values (rows less nulls).
 */
export interface IColumnFacts {
  type: string;
  distinct?: number;
  values?: number;
}

/**
 * What the rules know of a column, by name (undefined: no such column).
 */
export type ColumnOf = (field: string) => IColumnFacts | undefined;

/**
 * The lookup of a dataset's columns, with its row count when known (as the
 * kernel's `columns_by_name`).
 */
export function columnLookup(dataset: {
  rows?: number;
  columns: ReadonlyArray<IFieldInfo>;
}): ColumnOf {
  const byName = new Map<string, IColumnFacts>(
    dataset.columns.map(c => [
      c.name,
      dataset.rows === undefined
        ? { ...c }
        : { ...c, values: dataset.rows - (c.nulls ?? 0) }
    ])
  );
  return field => byName.get(field);
}

/**
 * Whether a column's values repeat as an ordered category's do: at most
 * `upTo` of them, and at most the square root of its count of values.
 */
function repeats(column: IColumnFacts): boolean {
  const { distinct, values } = column;
  return (
    ORDINAL.types.includes(column.type) &&
    typeof distinct === 'number' &&
    typeof values === 'number' &&
    distinct <= ORDINAL.upTo &&
    distinct * distinct <= values
  );
}

/**
 * One row of the table: what it asks of the shelves, and the mark it gives.
 */
interface IShowMeRule {
  has?: string[];
  hasAny?: string[];
  x?: string;
  y?: string;
  xBin?: boolean;
  swap?: boolean;
  mark: string | null;
}

const NUMERIC: ReadonlyArray<string> = RULES.roles.numeric;
const TEMPORAL: ReadonlyArray<string> = RULES.roles.temporal;
const ORDINAL: { types: ReadonlyArray<string>; upTo: number } =
  RULES.roles.ordinal;
const SHOW_ME: ReadonlyArray<IShowMeRule> = RULES.showMe.rules;

export function roleOf(ref: IFieldRef | undefined, columnOf: ColumnOf): Role {
  if (!ref || !given(ref)) {
    return 'none';
  }
  if (ref.aggregate) {
    return 'measure';
  }
  const column = columnOf(ref.field ?? '');
  if (column === undefined) {
    return 'none';
  }
  const type = column.type;
  if (ref.timeUnit || TEMPORAL.includes(type)) {
    return 'time';
  }
  if (NUMERIC.includes(type)) {
    if (ref.bin) {
      return 'category';
    }
    return repeats(column) ? 'ordinal' : 'continuous';
  }
  return 'category';
}

/**
 * Whether a shelf holds something: an empty reference is as good as none.
 */
export function given(value: unknown): boolean {
  return (
    !!value && (typeof value !== 'object' || Object.keys(value).length > 0)
  );
}

function matches(
  rule: IShowMeRule,
  encoding: IEncoding,
  x: Role,
  y: Role,
  xRef: IFieldRef | undefined
): boolean {
  const set = (channel: string) => given(encoding[channel as keyof IEncoding]);
  return (
    (rule.has ?? []).every(set) &&
    (!rule.hasAny || rule.hasAny.some(set)) &&
    (rule.x ?? x) === x &&
    (rule.y ?? y) === y &&
    (!rule.xBin || !!xRef?.bin)
  );
}

/**
 * The mark to suggest for an encoding; null when there is nothing to draw.
 */
export function suggestMark(
  encoding: IEncoding,
  columnOf: ColumnOf
): Mark | null {
  const x = roleOf(encoding.x, columnOf);
  const y = roleOf(encoding.y, columnOf);
  const rule = SHOW_ME.find(
    r =>
      matches(r, encoding, x, y, encoding.x) ||
      (r.swap && matches(r, encoding, y, x, encoding.y))
  );
  return (rule?.mark ?? null) as Mark | null;
}
