/**
 * The builder's field list: the dataset's columns and "Count of records",
 * each dragged onto a shelf, or added to the first free one by a
 * double-click or Enter.
 */
import { el } from '../../dom';
import { IDatasetInfo } from '../types';
import { typeIcon } from './pills';

/**
 * A field list entry's actions; `field` is null for "Count of records".
 */
export interface IFieldActions {
  press: (event: PointerEvent, item: HTMLElement, field: string | null) => void;
  add: (field: string | null) => void;
}

/**
 * The heading and list of a dataset's fields.
 */
export function fieldList(
  dataset: IDatasetInfo,
  actions: IFieldActions
): HTMLElement[] {
  const heading = el('div', 'jp-LiveGraphs-builderDataset', dataset.name, {
    title: dataset.name
  });
  const list = el('ul', 'jp-LiveGraphs-fieldList', { 'aria-label': 'Fields' });
  const entries: [string | null, string][] = dataset.columns.map(c => [
    c.name,
    c.type
  ]);
  entries.push([null, 'count']);
  for (const [field, type] of entries) {
    const name = field ?? 'Count of records';
    const item = el('li', 'jp-LiveGraphs-field', {
      title: `${name} (${type}): drag onto a shelf, or double-click to add`
    });
    item.tabIndex = 0;
    item.dataset.type = type;
    if (field !== null) {
      item.dataset.field = field;
    } else {
      item.dataset.count = 'true';
    }
    item.append(typeIcon(type), el('span', 'jp-LiveGraphs-fieldName', name));
    item.addEventListener('pointerdown', event =>
      actions.press(event, item, field)
    );
    item.addEventListener('dblclick', () => actions.add(field));
    item.addEventListener('keydown', event => {
      if (event.key === 'Enter') {
        actions.add(field);
      }
    });
    list.appendChild(item);
  }
  return [heading, list];
}
