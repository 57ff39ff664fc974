/**
 * "Add existing chart": a dialog listing the chart documents the user can
 * read and the `.lgchart` files of a folder; the picked one's spec is what
 * the dashboard copies.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Contents } from '@jupyterlab/services';
import { Widget } from '@lumino/widgets';

import { IChartDraft } from '../charts/types';
import { el, option } from '../dom';
import { DocumentsAPI } from '../documents/api';

/**
 * The dialog's body: one list of the charts to choose from.
 */
class ChartList extends Widget {
  constructor(choices: [string, string][]) {
    super();
    this.addClass('jp-LiveGraphs-ChartPicker');
    this._select = el('select', '', {
      'aria-label': 'Chart to add',
      size: String(Math.min(10, Math.max(2, choices.length)))
    });
    this._select.append(...choices.map(([value, text]) => option(value, text)));
    if (choices.length) {
      this._select.value = choices[0][0];
    }
    this.node.append(
      choices.length
        ? this._select
        : el('p', '', 'There is no chart document or chart file to add.')
    );
  }

  getValue(): string {
    return this._select.value;
  }

  private _select: HTMLSelectElement;
}

/**
 * Ask which chart to copy; answers its spec, or null when none is chosen.
 * `documents` lists chart documents, `contents` and `folder` the chart files.
 */
export async function pickChart(options: {
  documents: DocumentsAPI | null;
  contents: Contents.IManager;
  folder: string;
}): Promise<IChartDraft | null> {
  const { documents, contents, folder } = options;
  const choices: [string, string][] = [];
  if (documents) {
    for (const doc of await documents.list('chart')) {
      choices.push([`doc:${doc.id}`, `${doc.title} (${doc.owner})`]);
    }
  }
  try {
    const dir = await contents.get(folder, { content: true });
    for (const item of (dir.content ?? []) as Contents.IModel[]) {
      if (item.type === 'file' && item.name.endsWith('.lgchart')) {
        choices.push([`file:${item.path}`, `${item.path} (file)`]);
      }
    }
  } catch {
    // A folder that cannot be listed offers no files.
  }
  const result = await showDialog({
    title: 'Add an existing chart',
    body: new ChartList(choices),
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Add' })]
  });
  const value = result.value;
  if (!result.button.accept || !value) {
    return null;
  }
  const [kind, ref] = [
    value.slice(0, value.indexOf(':')),
    value.slice(value.indexOf(':') + 1)
  ];
  let spec: unknown;
  if (kind === 'doc' && documents) {
    spec = await documents.content(ref);
  } else {
    const file = await contents.get(ref, { content: true, format: 'text' });
    spec = JSON.parse(file.content as string);
  }
  return spec && typeof spec === 'object' ? (spec as IChartDraft) : null;
}
