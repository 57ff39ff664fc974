/**
 * The value controls of a dashboard filter, typed by its kind: a dropdown
 * opens a checklist of the column's values with their counts, a range has
 * two number inputs and a date range two date inputs, hinted with the
 * column's smallest and largest values.
 */
import { closePopup, openPopup } from '../charts/builder/popup';
import {
  readValue,
  ValueChecklist,
  valueInput,
  writeValue
} from '../charts/filtercontrols';
import { FilterValues } from '../charts/filtervalues';
import { formatValue } from '../charts/text';
import { IChartClient } from '../charts/types';
import { el } from '../dom';
import { IDashboardFilter } from './types';

/**
 * A dashboard filter's dataset (an id, else a name) as a spec's dataset.
 */
export function datasetRef(key: string): { id: string } | { name: string } {
  return /^[0-9a-f]{32}$/.test(key) ? { id: key } : { name: key };
}

/**
 * What a dropdown's button says: "All", or the values picked.
 */
export function valuesSummary(value: unknown[] | null): string {
  if (!value || !value.length) {
    return 'All';
  }
  const shown = value.slice(0, 3).map(v => formatValue(v));
  const more = value.length - shown.length;
  return shown.join(', ') + (more > 0 ? ` +${more} more` : '');
}

/**
 * The controls that set filter `f`'s value; `current` reads its value now
 * (it may change while a checklist is open), `setValue` writes it.
 *
 * Without a client, a dropdown's values are typed as text.
 */
export function valueControls(
  f: IDashboardFilter,
  client: IChartClient | null,
  current: () => unknown[] | null,
  setValue: (value: unknown[] | null) => void
): HTMLElement[] {
  const values =
    client && f.dataset && f.column
      ? new FilterValues(client, datasetRef(f.dataset))
      : null;
  if (f.kind === 'dropdown') {
    if (!values) {
      const input = el('input', '', {
        'aria-label': 'Filter values',
        placeholder: 'values, comma separated'
      });
      input.dataset.part = 'values';
      input.addEventListener('change', () => {
        const list = input.value
          .split(',')
          .map(v => v.trim())
          .filter(Boolean);
        setValue(list.length ? list : null);
      });
      return [input];
    }
    const open = el(
      'button',
      'jp-Button jp-mod-minimal jp-LiveGraphs-DashboardValues',
      valuesSummary(current()),
      {
        type: 'button',
        'aria-label': 'Filter values',
        'aria-haspopup': 'dialog'
      }
    );
    open.dataset.summary = '';
    open.addEventListener('click', () => {
      const list = new ValueChecklist({
        load: search => values.values(f.column, search),
        selected: current() ?? [],
        onChange: picked => setValue(picked.length ? picked : null)
      });
      const box = el('div', 'jp-LiveGraphs-filterEditor', {
        role: 'dialog',
        'aria-label': `Values of ${f.column}`
      });
      box.appendChild(list.node);
      if (open.isConnected) {
        openPopup(open, box);
      } else {
        closePopup();
      }
    });
    return [open];
  }
  const type = f.kind === 'range' ? 'float' : 'date';
  const bounds = [0, 1].map(i => {
    const input = valueInput(type, i ? 'Filter maximum' : 'Filter minimum');
    input.dataset.part = String(i);
    return input;
  });
  const write = () => {
    const pair = bounds.map(b => readValue(b, type));
    setValue(pair.every(v => v === null) ? null : pair);
  };
  bounds.forEach(b => b.addEventListener('change', write));
  if (values) {
    void values.extent(f.column).then(
      ({ min, max }) => {
        bounds.forEach((input, i) => {
          const edge = i ? max : min;
          if (edge === null || edge === undefined) {
            return;
          }
          // The data's range as a hint, and the bounds of the date pickers.
          const probe = valueInput(type, '');
          writeValue(probe, edge, type);
          input.placeholder = probe.value;
          input.title = `${i ? 'Largest' : 'Smallest'} value: ${formatValue(edge)}`;
          if (type === 'date') {
            input.min = String(min).slice(0, 10);
            input.max = String(max).slice(0, 10);
          }
        });
      },
      () => undefined
    );
  }
  return bounds;
}
