/**
 * Picking a dashboard's datasets and columns from lists: the datasets the
 * user can read and those the dashboard's charts already use, as the keys
 * the dashboard stores (a chart's `{name}` or `{id}`, a filter's `dataset`).
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { IChartDraft } from '../charts/types';
import { el, option } from '../dom';
import { IDataset } from '../tokens';
import { datasetKey } from './crossfilter';

/**
 * A dataset to pick: the key stored for it and the text shown.
 */
export interface IDatasetChoice {
  key: string;
  label: string;
}

/**
 * The name a dataset is stored under in a new chart: its bare name for the
 * caller's own, `owner/name` for one shared with them (a bare name means
 * the caller's own first).
 */
export function nameKey(dataset: IDataset): string {
  return !dataset.access || dataset.access === 'owner'
    ? dataset.name
    : `${dataset.owner}/${dataset.name}`;
}

/**
 * The listed dataset a key stands for (an id, `owner/name` or a bare name),
 * if any.
 */
export function datasetOf(
  key: string,
  datasets: ReadonlyArray<IDataset>
): IDataset | null {
  return (
    datasets.find(d => d.id === key) ??
    datasets.find(d => nameKey(d) === key) ??
    datasets.find(d => `${d.owner}/${d.name}` === key) ??
    datasets.find(d => d.name === key) ??
    null
  );
}

/**
 * The datasets to pick from: first those of the dashboard's charts (under
 * the keys the charts use, so that a filter on one applies to them), then
 * the other datasets the user can read, by name.
 */
export function datasetChoices(
  specs: ReadonlyArray<IChartDraft>,
  datasets: ReadonlyArray<IDataset>
): IDatasetChoice[] {
  const choices: IDatasetChoice[] = [];
  const keys = new Set<string>();
  const used = new Set<string>();
  for (const spec of specs) {
    const key = datasetKey(spec);
    if (!key || keys.has(key)) {
      continue;
    }
    keys.add(key);
    const dataset = datasetOf(key, datasets);
    if (dataset) {
      used.add(dataset.id);
    }
    const label =
      key === dataset?.id ? `${nameKey(dataset)} (${key.slice(0, 8)})` : key;
    choices.push({ key, label });
  }
  for (const dataset of datasets) {
    const key = nameKey(dataset);
    if (!used.has(dataset.id) && !keys.has(key)) {
      keys.add(key);
      choices.push({ key, label: key });
    }
  }
  return choices;
}

/**
 * The dataset most of the dashboard's charts use (the first one's on a
 * tie), or '' when none names one.
 */
export function usualDataset(specs: ReadonlyArray<IChartDraft>): string {
  const counts = new Map<string, number>();
  for (const spec of specs) {
    const key = datasetKey(spec);
    if (key) {
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  let best = '';
  for (const [key, count] of counts) {
    if (count > (counts.get(best) ?? 0)) {
      best = key;
    }
  }
  return best;
}

/**
 * Fill a `<select>` with `choices` after a first option `none` (value ''),
 * keeping `value` picked (listed as it is when it is not a choice).
 */
export function fillSelect(
  select: HTMLSelectElement,
  none: string,
  choices: ReadonlyArray<IDatasetChoice>,
  value: string
): void {
  const all = [...choices];
  if (value && !all.some(c => c.key === value)) {
    all.push({ key: value, label: value });
  }
  const shape = JSON.stringify([none, all]);
  if (select.dataset.choices !== shape) {
    select.dataset.choices = shape;
    select.replaceChildren(
      option('', none),
      ...all.map(c => option(c.key, c.label))
    );
  }
  select.value = value;
}

/**
 * The dialog's body: the list of datasets.
 */
class DatasetList extends Widget {
  constructor(choices: ReadonlyArray<IDatasetChoice>) {
    super();
    this.addClass('jp-LiveGraphs-DatasetPicker');
    this._select = el('select', '', {
      'aria-label': 'Dataset of the new chart',
      size: String(Math.min(10, Math.max(2, choices.length)))
    });
    this._select.append(...choices.map(c => option(c.key, c.label)));
    if (choices.length) {
      this._select.value = choices[0].key;
    }
    this.node.append(
      choices.length
        ? this._select
        : el(
            'p',
            '',
            'There is no dataset you can read yet: upload one in the Datasets panel.'
          )
    );
  }

  getValue(): string {
    return this._select.value;
  }

  private _select: HTMLSelectElement;
}

/**
 * Ask which dataset a new chart draws; answers its key, or null.
 */
export async function askDataset(
  choices: ReadonlyArray<IDatasetChoice>
): Promise<string | null> {
  const result = await showDialog({
    title: 'Which dataset should the chart show?',
    body: new DatasetList(choices),
    buttons: [
      Dialog.cancelButton(),
      ...(choices.length ? [Dialog.okButton({ label: 'Add chart' })] : [])
    ]
  });
  return result.button.accept && result.value ? result.value : null;
}
