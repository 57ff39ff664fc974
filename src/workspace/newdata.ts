import { Dialog, showDialog, showErrorMessage } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import {
  ICompare,
  IDataset,
  IDocumentUse,
  IDocumentUses,
  IFileUse,
  ILiveGraphsAPI,
  IProblem
} from '../tokens';
import { el, formatValue, option } from '../dom';
import { DATA_EXTENSIONS } from './uploads';

/**
 * The form of "Upload new data…": a file, append or replace, and what becomes
 * of values that break their column's type.
 */
class NewDataForm extends Widget {
  constructor(dataset: IDataset, trans: TranslationBundle) {
    super();
    this.addClass('jp-LiveGraphs-newDataForm');
    this.file = el('input');
    this.file.type = 'file';
    this.file.accept = DATA_EXTENSIONS.join(',');
    this.file.setAttribute('aria-label', trans.__('File of new data'));
    const modes = el('fieldset', 'jp-LiveGraphs-newDataMode');
    modes.append(el('legend', '', trans.__('The new rows')));
    for (const [value, text] of [
      ['append', trans.__('Append to the rows of %1', dataset.name)],
      ['replace', trans.__('Replace the data of %1', dataset.name)]
    ]) {
      const label = el('label');
      const radio = el('input');
      radio.type = 'radio';
      radio.name = 'lg-new-data-mode';
      radio.value = value;
      radio.checked = value === 'append';
      label.append(radio, ' ', text);
      modes.append(label);
    }
    this.modes = modes;
    this.badValues = el('select', 'jp-mod-styled');
    this.badValues.setAttribute('aria-label', trans.__('Bad values'));
    this.badValues.append(
      option('text', trans.__('Keep as text (the column becomes text)')),
      option('null', trans.__('Make missing (the column keeps its type)'))
    );
    const bad = el('label', 'jp-LiveGraphs-newDataBad');
    bad.append(
      el('span', '', trans.__('Values that break their column’s type: ')),
      this.badValues
    );
    this.node.append(this.file, modes, bad);
  }

  get mode(): 'append' | 'replace' {
    const on = this.modes.querySelector<HTMLInputElement>('input:checked');
    return on?.value === 'replace' ? 'replace' : 'append';
  }

  readonly file: HTMLInputElement;
  readonly modes: HTMLFieldSetElement;
  readonly badValues: HTMLSelectElement;
}

/**
 * The list of shared documents using a removed or retyped column.
 */
function documentsList(
  uses: IDocumentUses | null,
  trans: TranslationBundle
): HTMLElement[] {
  const files = uses?.files ?? [];
  const incomplete = uses?.files_complete === false;
  if (
    !uses ||
    (!uses.documents.length && !uses.hidden && !files.length && !incomplete)
  ) {
    return [];
  }
  const list = el('ul', 'jp-LiveGraphs-changeDocuments');
  list.setAttribute(
    'aria-label',
    trans.__('Charts and dashboards using those columns')
  );
  const usesOf = (d: IDocumentUse | IFileUse) => {
    const parts = d.charts.map(c =>
      trans.__('chart %1 (%2)', c.title || c.id, c.columns.join(', '))
    );
    parts.push(...d.filters.map(f => trans.__('filter on %1', f.column)));
    return parts.length ? parts.join('; ') : d.columns.join(', ');
  };
  const kind = (d: IDocumentUse | IFileUse) =>
    d.kind === 'dashboard' ? trans.__('Dashboard') : trans.__('Chart');
  for (const d of uses.documents) {
    const item = el('li');
    item.dataset.documentId = d.id;
    item.textContent = `${kind(d)} “${d.title}” (${d.owner}): ${usesOf(d)}`;
    list.append(item);
  }
  for (const f of files) {
    const item = el('li', 'jp-LiveGraphs-changeFile');
    item.dataset.path = f.path;
    item.textContent = trans.__(
      '%1 file %2 (“%3”): %4',
      kind(f),
      f.path,
      f.title,
      usesOf(f)
    );
    list.append(item);
  }
  if (incomplete) {
    list.append(
      el(
        'li',
        'jp-LiveGraphs-changeHidden',
        trans.__(
          'Not every chart and dashboard file was looked through (too many): check the others'
        )
      )
    );
  }
  if (uses.hidden) {
    list.append(
      el(
        'li',
        'jp-LiveGraphs-changeHidden',
        trans._n(
          'and %1 more you may not open',
          'and %1 more you may not open',
          uses.hidden
        )
      )
    );
  }
  return [
    el(
      'h3',
      'jp-LiveGraphs-sectionTitle',
      trans.__('Charts and dashboards to check')
    ),
    list
  ];
}

/**
 * What new data changed: rows, columns, the documents using columns that
 * changed, and the values that broke their column's type.
 */
export function changesSummary(
  dataset: IDataset,
  compare: ICompare,
  badValues: string,
  trans: TranslationBundle
): HTMLElement {
  const node = el('div', 'jp-LiveGraphs-changes');
  const changes = dataset.changes;
  const rows = compare.rows;
  const summary = el(
    'p',
    'jp-LiveGraphs-changeRows',
    trans.__(
      '%1 rows added, %2 rows removed: %3 rows now (version %4).',
      rows.added.toLocaleString('en-US'),
      rows.removed.toLocaleString('en-US'),
      dataset.rows.toLocaleString('en-US'),
      dataset.version
    )
  );
  node.append(summary);
  const cols = el('ul', 'jp-LiveGraphs-changeColumns');
  cols.setAttribute('aria-label', trans.__('Column changes'));
  for (const c of compare.columns.added) {
    cols.append(el('li', '', trans.__('Added %1 (%2)', c.name, c.type)));
  }
  for (const c of compare.columns.removed) {
    cols.append(el('li', '', trans.__('Removed %1 (%2)', c.name, c.type)));
  }
  for (const c of compare.columns.retyped) {
    cols.append(
      el('li', '', trans.__('Retyped %1: %2 → %3', c.name, c.from, c.to))
    );
  }
  if (!cols.children.length) {
    cols.append(el('li', '', trans.__('Columns unchanged')));
  }
  node.append(cols);
  node.append(
    ...documentsList(compare.charts ?? changes?.charts ?? null, trans)
  );
  if (
    changes?.note &&
    (compare.columns.removed.length || compare.columns.retyped.length)
  ) {
    node.append(el('p', 'jp-LiveGraphs-changeNote', changes.note));
  }
  const report = dataset.report ?? {};
  const problems: ReadonlyArray<IProblem> = report.problems ?? [];
  const count = Math.max(report.problem_count ?? 0, problems.length);
  const heading = el(
    'h3',
    'jp-LiveGraphs-sectionTitle',
    count
      ? trans._n(
          '%1 value broke its column’s type',
          '%1 values broke their column’s type',
          count
        )
      : trans.__('No problem values')
  );
  node.append(heading);
  if (count) {
    node.append(
      el(
        'p',
        'jp-LiveGraphs-changeBad',
        badValues === 'null'
          ? trans.__('They were made missing; their columns kept their type.')
          : trans.__('They were kept as text; their columns became text.')
      )
    );
    const list = el('ul', 'jp-LiveGraphs-problems');
    list.setAttribute('aria-label', trans.__('Problem values'));
    for (const p of problems) {
      list.append(
        el(
          'li',
          'jp-LiveGraphs-problem',
          trans.__(
            'Row %1, %2: %3 (expected %4)',
            p.row ?? '?',
            p.column ?? '',
            formatValue(p.value),
            p.expected
          )
        )
      );
    }
    node.append(list);
  }
  return node;
}

/**
 * Ask for a file and send it as new data for `dataset`, then show what changed.
 * Resolves to the dataset at its new version, or null when nothing was sent.
 *
 * When values broke their column's type and were kept as text, "Make them
 * missing" sends the same file again with the type kept, onto the version
 * before the first try: one request, which undoes the first try and adds the
 * data again together (or changes nothing).
 */
export async function uploadNewData(
  api: ILiveGraphsAPI,
  dataset: IDataset,
  trans: TranslationBundle
): Promise<IDataset | null> {
  const form = new NewDataForm(dataset, trans);
  const result = await showDialog({
    title: trans.__('Upload new data for %1', dataset.name),
    body: form,
    buttons: [
      Dialog.cancelButton(),
      Dialog.okButton({ label: trans.__('Upload') })
    ],
    focusNodeSelector: 'input[type="file"]'
  });
  const file = form.file.files?.[0];
  if (!result.button.accept || !file) {
    return null;
  }
  const mode = form.mode;
  let badValues = form.badValues.value as 'text' | 'null';
  let out: IDataset;
  let compare: ICompare;
  try {
    out = await api.newData(dataset.id, file, {
      mode,
      badValues,
      filename: file.name,
      baseVersion: dataset.version
    });
    compare = await api.compareVersions(dataset.id, out.changes?.from_version);
  } catch (reason) {
    await showErrorMessage(
      trans.__('Could not add the new data'),
      reason as Error
    );
    return null;
  }
  for (;;) {
    const count = Math.max(
      out.report?.problem_count ?? 0,
      out.report?.problems?.length ?? 0
    );
    const retry = count > 0 && badValues === 'text';
    const body = new Widget({
      node: changesSummary(out, compare, badValues, trans)
    });
    const shown = await showDialog({
      title: trans.__('What changed in %1', out.name),
      body,
      buttons: [
        ...(retry
          ? [
              Dialog.createButton({
                label: trans.__('Make them missing'),
                caption: trans.__(
                  'Send the file again, keeping the columns’ types and making the bad values missing'
                ),
                actions: ['lg-make-missing']
              })
            ]
          : []),
        Dialog.okButton({ label: trans.__('Done') })
      ]
    });
    if (!shown.button.actions.includes('lg-make-missing')) {
      return out;
    }
    try {
      const before = out.changes?.from_version ?? dataset.version;
      out = await api.newData(dataset.id, file, {
        mode,
        badValues: 'null',
        filename: file.name,
        baseVersion: out.version,
        ontoVersion: before
      });
      badValues = 'null';
      compare = await api.compareVersions(dataset.id, before);
    } catch (reason) {
      await showErrorMessage(
        trans.__('Could not make the bad values missing'),
        reason as Error
      );
      // the first try stands
      return out;
    }
  }
}
