/**
 * "Show me": the mark that best fits the fields on the shelves, as Tableau's
 * Show Me panel picks one. The rules are the table in `RULES.showMe`, shared
 * with the kernel's `suggest_mark`.
 */
import { RULES } from '../../rules';
import { IEncoding, IFieldRef, Mark } from '../types';

/**
 * How a field on a shelf behaves: a measure (a number to aggregate or plot),
 * a time dimension or a category.
 */
export type Role = 'measure' | 'continuous' | 'time' | 'category' | 'none';

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
const SHOW_ME: ReadonlyArray<IShowMeRule> = RULES.showMe.rules;

export function roleOf(
  ref: IFieldRef | undefined,
  typeOf: (field: string) => string | undefined
): Role {
  if (!ref || !given(ref)) {
    return 'none';
  }
  if (ref.aggregate) {
    return 'measure';
  }
  const type = typeOf(ref.field ?? '');
  if (type === undefined) {
    return 'none';
  }
  if (ref.timeUnit || TEMPORAL.includes(type)) {
    return 'time';
  }
  if (NUMERIC.includes(type)) {
    return ref.bin ? 'category' : 'continuous';
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
  typeOf: (field: string) => string | undefined
): Mark | null {
  const x = roleOf(encoding.x, typeOf);
  const y = roleOf(encoding.y, typeOf);
  const rule = SHOW_ME.find(
    r =>
      matches(r, encoding, x, y, encoding.x) ||
      (r.swap && matches(r, encoding, y, x, encoding.y))
  );
  return (rule?.mark ?? null) as Mark | null;
}
