/**
 * The inline shelves of a dashboard chart being edited: its title, dataset,
 * mark and the x / y / color / size fields with their aggregates, written
 * key by key to the shared dashboard: a control writes only its own key, so
 * it never writes back a value someone else has changed meanwhile.
 */
import { Aggregate, AGGREGATES, IChartDraft, MARKS } from '../charts/types';
import { el, option } from '../dom';
import { DashboardDoc } from './model';

const SHELVES = ['x', 'y', 'color', 'size'];
const INLINE_AGGREGATES = ['', ...AGGREGATES];

/**
 * The controls of chart `id`'s inline shelves, one labelled row each.
 */
export function createShelves(doc: DashboardDoc, id: string): HTMLElement[] {
  const rows: HTMLElement[] = [];
  const field = (label: string, control: HTMLElement) => {
    const wrap = el('label', 'jp-LiveGraphs-DashboardShelf');
    wrap.append(el('span', '', label), control);
    rows.push(wrap);
  };
  const title = el('input', '', {
    'aria-label': 'Chart title',
    'data-key': 'spec:title'
  });
  title.addEventListener('change', () =>
    doc.setSpecField(id, 'title', title.value || undefined)
  );
  field('Title', title);
  const dataset = el('input', '', {
    'aria-label': 'Chart dataset',
    'data-key': 'spec:dataset'
  });
  dataset.addEventListener('change', () =>
    doc.setSpecField(
      id,
      'dataset',
      dataset.value ? { name: dataset.value } : undefined
    )
  );
  field('Dataset', dataset);
  const mark = el('select', '', {
    'aria-label': 'Mark',
    'data-key': 'spec:mark'
  });
  mark.append(option('', 'Automatic'), ...MARKS.map(m => option(m)));
  mark.addEventListener('change', () =>
    doc.setSpecField(id, 'mark', mark.value || undefined)
  );
  field('Mark', mark);
  for (const channel of SHELVES) {
    const wrap = el('span', 'jp-LiveGraphs-DashboardShelfPair');
    const input = el('input', '', {
      'aria-label': `${channel} field`,
      'data-key': `enc:${channel}:field`,
      placeholder: 'column'
    });
    const agg = el('select', '', {
      'aria-label': `${channel} aggregate`,
      'data-key': `enc:${channel}:aggregate`
    });
    agg.append(...INLINE_AGGREGATES.map(a => option(a, a || '—')));
    // Without a field a shelf means nothing (a count needs none): it goes.
    const stored = () => doc.getChart(id)?.spec.encoding?.[channel as 'x'];
    input.addEventListener('change', () => {
      const field = input.value.trim();
      if (!field && stored()?.aggregate !== 'count') {
        doc.setEncoding(id, channel, null);
      } else {
        doc.setShelfKey(id, channel, 'field', field || undefined);
      }
    });
    agg.addEventListener('change', () => {
      const aggregate = agg.value as Aggregate | '';
      if (!stored()?.field && aggregate !== 'count') {
        doc.setEncoding(id, channel, null);
      } else {
        doc.setShelfKey(id, channel, 'aggregate', aggregate || undefined);
      }
    });
    wrap.append(input, agg);
    field(channel, wrap);
  }
  return rows;
}

/**
 * Show `spec` in shelves made by `createShelves`. A control keeps what is
 * being typed in it; a control that merely has focus shows others' edits.
 */
export function updateShelves(shelves: HTMLElement, spec: IChartDraft): void {
  for (const input of Array.from(
    shelves.querySelectorAll<HTMLInputElement | HTMLSelectElement>('[data-key]')
  )) {
    const [kind, channel, part] = input.dataset.key!.split(':');
    let value = '';
    if (kind === 'spec') {
      const v =
        channel === 'dataset'
          ? spec.dataset?.name
          : (spec as Record<string, unknown>)[channel];
      value = typeof v === 'string' ? v : '';
    } else {
      const ref = (spec.encoding as Record<string, unknown> | undefined)?.[
        channel
      ];
      value = String((ref as any)?.[part] ?? '');
    }
    // Text typed and not yet committed stays; committed (a change event),
    // it writes only this control's key.
    const typing =
      input instanceof HTMLInputElement &&
      input === document.activeElement &&
      input.value !== (input.dataset.shown ?? '');
    if (input.value !== value && typing) {
      continue;
    }
    input.dataset.shown = value;
    if (input.value !== value) {
      input.value = value;
    }
  }
}
