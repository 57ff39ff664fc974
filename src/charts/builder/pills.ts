/**
 * Field chips: the type icon, the shelf pills and their option menus.
 */
import dateSvgstr from '../../../style/icons/type-date.svg';
import datetimeSvgstr from '../../../style/icons/type-datetime.svg';
import { el, svgIcon } from '../../dom';
import { Aggregate, AGGREGATES, IFieldRef, TIME_UNITS } from '../types';

const NUMERIC = new Set(['integer', 'float']);
const TEMPORAL = new Set(['date', 'datetime']);

/**
 * The icon and accessible name of a column type: text every font has, or an
 * SVG icon of the extension (`{ svg }`) where fonts may lack the glyph.
 */
const TYPE_ICONS: { [type: string]: [string | { svg: string }, string] } = {
  integer: ['#', 'whole number'],
  float: ['#.#', 'decimal number'],
  string: ['Abc', 'text'],
  boolean: ['T|F', 'true/false'],
  date: [{ svg: dateSvgstr }, 'date'],
  datetime: [{ svg: datetimeSvgstr }, 'date and time'],
  count: ['Σ', 'record count']
};

/**
 * A type icon element for a column type.
 */
export function typeIcon(type: string): HTMLElement {
  const [glyph, label] = TYPE_ICONS[type] ?? ['?', type];
  const icon = el('span', 'jp-LiveGraphs-typeIcon', {
    title: label,
    'aria-hidden': 'true'
  });
  if (typeof glyph === 'string') {
    icon.textContent = glyph;
  } else {
    icon.append(svgIcon(glyph.svg, 'jp-LiveGraphs-typeIconSvg'));
  }
  icon.dataset.type = type;
  return icon;
}

/**
 * A pill on a shelf: the type icon, a label button (click for options) and
 * a remove button; a press anywhere else on it may start a drag.
 */
export function pillElement(
  text: string,
  type: string,
  actions: {
    remove: () => void;
    press: (event: PointerEvent, pill: HTMLElement) => void;
  }
): { pill: HTMLElement; label: HTMLButtonElement } {
  const pill = el('div', 'jp-LiveGraphs-pill', { role: 'listitem' });
  pill.dataset.type = type;
  const label = el('button', 'jp-LiveGraphs-pillLabel', text, {
    type: 'button',
    title: `${text}: click for options, drag to move, drag off to remove`
  });
  const remove = el('button', 'jp-LiveGraphs-pillRemove', '×', {
    type: 'button',
    title: `Remove ${text}`,
    'aria-label': `Remove ${text}`
  });
  remove.addEventListener('click', actions.remove);
  pill.append(typeIcon(type), label, remove);
  pill.addEventListener('pointerdown', event => {
    if (event.target !== remove) {
      actions.press(event, pill);
    }
  });
  return { pill, label };
}

/**
 * One option of a pill's menu.
 */
export interface IPillOption {
  group: string;
  label: string;
  checked: boolean;
  apply: (ref: IFieldRef) => IFieldRef;
}

/**
 * The aggregation / bin / time unit choices for a field of `type` on `channel`;
 * `automatic` is the aggregate the mark gives the field when none is chosen.
 */
export function pillOptions(
  ref: IFieldRef,
  type: string | undefined,
  channel: string,
  automatic: Aggregate | null = null
): IPillOption[] {
  const options: IPillOption[] = [];
  if (ref.field === undefined) {
    return options;
  }
  const numeric = type !== undefined && NUMERIC.has(type);
  const temporal = type !== undefined && TEMPORAL.has(type);
  const without = (r: IFieldRef, ...keys: (keyof IFieldRef)[]) => {
    const copy = { ...r };
    for (const key of keys) {
      delete copy[key];
    }
    return copy;
  };
  const aggregates = numeric
    ? AGGREGATES
    : temporal
      ? (['min', 'max', 'count', 'distinct'] as const)
      : (['count', 'distinct'] as const);
  options.push({
    group: 'Aggregate',
    label: `Automatic (${automatic ?? 'none'})`,
    checked: !ref.aggregate,
    apply: r => without(r, 'aggregate')
  });
  for (const aggregate of aggregates) {
    options.push({
      group: 'Aggregate',
      label: aggregate,
      checked: ref.aggregate === aggregate,
      apply: r => ({ ...without(r, 'bin'), aggregate })
    });
  }
  if (numeric && channel !== 'size' && channel !== 'tooltip') {
    options.push({
      group: 'Bin',
      label: 'Off',
      checked: !ref.bin,
      apply: r => without(r, 'bin')
    });
    for (const maxbins of [10, 20, 50]) {
      const current =
        typeof ref.bin === 'object' ? ref.bin.maxbins : ref.bin ? 0 : -1;
      options.push({
        group: 'Bin',
        label: `${maxbins} bins`,
        checked: current === maxbins,
        apply: r => ({ ...without(r, 'aggregate'), bin: { maxbins } })
      });
    }
  }
  if (temporal) {
    options.push({
      group: 'Time unit',
      label: 'Exact',
      checked: !ref.timeUnit,
      apply: r => without(r, 'timeUnit')
    });
    for (const unit of TIME_UNITS) {
      options.push({
        group: 'Time unit',
        label: unit,
        checked: ref.timeUnit === unit,
        apply: r => ({ ...r, timeUnit: unit })
      });
    }
  }
  return options;
}

/**
 * The field reference a column gets when dropped on a channel: dates are cut
 * to a month (year on facets). A number is placed as it is: the mark decides
 * whether it is aggregated (`deriveEncoding`), so that choice follows the
 * mark as fields come and go, and is never stored.
 */
export function defaultRef(
  field: string | null,
  type: string | undefined,
  channel: string
): IFieldRef {
  if (field === null) {
    return { aggregate: 'count' };
  }
  const ref: IFieldRef = { field };
  const temporal = type !== undefined && TEMPORAL.has(type);
  if (temporal && (channel === 'x' || channel === 'y' || channel === 'color')) {
    ref.timeUnit = 'month';
  } else if (temporal && (channel === 'row' || channel === 'column')) {
    ref.timeUnit = 'year';
  }
  return ref;
}
