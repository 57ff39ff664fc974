import { Widget } from '@lumino/widgets';

import { IDataset, IProblem } from '../tokens';
import { mayEdit } from './access';
import { COLUMN_TYPES, el, formatValue, typeBadge } from '../dom';

/**
 * The validation report of a dataset version: what the upload or the step
 * that made it did, each column with its type and nulls, and the values that
 * did not fit, each a link to its row. It is drawn again for every version.
 */
export class ReportView extends Widget {
  constructor(options: ReportView.IOptions) {
    super();
    this._options = options;
    this.addClass('jp-LiveGraphs-ReportView');
    this.title.label = 'Report';
    this.node.tabIndex = -1;
  }

  /**
   * Show the report of `dataset`'s current version.
   */
  render(dataset: IDataset): void {
    const report = dataset.report ?? {};
    const problems: ReadonlyArray<IProblem> =
      dataset.problems ?? report.problems ?? [];
    const count =
      typeof report.problem_count === 'number'
        ? Math.max(report.problem_count, problems.length)
        : problems.length;
    const summary = el(
      'p',
      'jp-LiveGraphs-reportSummary',
      `${dataset.rows.toLocaleString()} rows · ${dataset.columns.length} columns · ` +
        `version ${dataset.version} · ` +
        (count ? `${count.toLocaleString()} problem values` : 'no problems')
    );
    const notes = el('ul', 'jp-LiveGraphs-reportNotes');
    notes.setAttribute('aria-label', 'Notes');
    for (const note of Array.isArray(report.notes) ? report.notes : []) {
      notes.appendChild(el('li', '', String(note)));
    }
    // One step for every text column's NA, N/A, … (the upload's markers).
    const actions = el('div', 'jp-LiveGraphs-reportActions');
    if (mayEdit(dataset) && dataset.columns.some(c => c.type === 'string')) {
      const treat = el(
        'button',
        'jp-Button jp-mod-styled jp-mod-accept',
        'Treat NA as missing in all columns'
      );
      treat.type = 'button';
      treat.title =
        'In every text column, NA, N/A, null, -, empty text and the other ' +
        'missing-value markers of uploads become missing; a column then ' +
        'holding only numbers, dates or true/false takes that type. One ' +
        'step of the recipe, undoable.';
      treat.addEventListener('click', () => this._options.onTreatMissing());
      actions.appendChild(treat);
    }
    const read = [report.format, report.encoding, report.compression]
      .filter(x => typeof x === 'string' && x)
      .join(' · ');
    const source = el('p', 'jp-LiveGraphs-reportSource', read);

    const table = el('table', 'jp-LiveGraphs-reportColumns');
    const head = el('tr');
    head.append(
      el('th', '', 'Column'),
      el('th', '', 'Type'),
      el('th', '', 'Nulls'),
      el('th', '', 'Problems')
    );
    table.createTHead().appendChild(head);
    const body = table.createTBody();
    for (const column of dataset.columns) {
      const row = el('tr');
      row.dataset.column = column.name;
      const name = el('td', 'jp-LiveGraphs-reportColumnName');
      name.append(typeBadge(column.type), el('span', '', column.name));
      const type = el('td');
      const select = el('select', 'jp-mod-styled jp-LiveGraphs-typeSelect');
      select.setAttribute('aria-label', `Type of ${column.name}`);
      for (const t of COLUMN_TYPES) {
        const option = el('option', '', t);
        option.value = t;
        select.appendChild(option);
      }
      select.value = column.type;
      // a viewer sees the type but may not change it
      select.disabled = !mayEdit(dataset);
      select.addEventListener('change', () => {
        const to = select.value;
        select.value = column.type;
        this._options.onCast(column.name, to);
      });
      type.appendChild(select);
      const own = problems.filter(p => p.column === column.name);
      const bad = own.length;
      const problemCell = el(
        'td',
        'jp-LiveGraphs-num',
        bad ? bad.toLocaleString() : ''
      );
      // A column kept as text for a few values that broke its type: keep the
      // type instead, those values missing (a cast step, undoable).
      const expected = own.find(p => p.expected)?.expected ?? '';
      if (
        bad &&
        mayEdit(dataset) &&
        column.type === 'string' &&
        expected !== 'string' &&
        (COLUMN_TYPES as ReadonlyArray<string>).includes(expected)
      ) {
        const keep = el(
          'button',
          'jp-Button jp-mod-styled jp-LiveGraphs-keepType',
          `Make ${expected}`
        );
        keep.type = 'button';
        keep.title =
          `Make ${column.name} ${expected}: the values that are not ` +
          `${expected} become missing. One step of the recipe, undoable.`;
        keep.setAttribute(
          'aria-label',
          `Make ${column.name} ${expected}, its bad values missing`
        );
        keep.addEventListener('click', () =>
          this._options.onCast(column.name, expected)
        );
        problemCell.append(' ', keep);
      }
      row.append(
        name,
        type,
        el('td', 'jp-LiveGraphs-num', column.nulls.toLocaleString()),
        problemCell
      );
      body.appendChild(row);
    }

    const list = el('ul', 'jp-LiveGraphs-problems');
    list.setAttribute('aria-label', 'Problem rows');
    for (const problem of problems) {
      const item = el('li');
      const button = el('button', 'jp-LiveGraphs-problem');
      button.type = 'button';
      const where = problem.row === null ? '' : `Row ${problem.row}`;
      button.append(
        el('span', 'jp-LiveGraphs-problemRow', where),
        el('span', 'jp-LiveGraphs-problemColumn', problem.column ?? ''),
        el('code', 'jp-LiveGraphs-problemValue', formatValue(problem.value)),
        el(
          'span',
          'jp-LiveGraphs-problemExpected',
          `expected ${problem.expected}`
        )
      );
      if (problem.row !== null) {
        button.addEventListener('click', () =>
          this._options.onJump(problem.row as number, problem.column)
        );
      } else {
        button.disabled = true;
      }
      item.appendChild(button);
      list.appendChild(item);
    }
    const more =
      count > problems.length
        ? el(
            'p',
            'jp-LiveGraphs-reportMore',
            `and ${(count - problems.length).toLocaleString()} more`
          )
        : el('span');
    const heading = el('h3', 'jp-LiveGraphs-sectionTitle', 'Problem values');
    this.node.replaceChildren(
      summary,
      source,
      ...(notes.childElementCount ? [notes] : []),
      actions,
      table,
      ...(problems.length ? [heading, list, more] : [])
    );
  }

  private _options: ReportView.IOptions;
}

/**
 * A namespace for `ReportView` statics.
 */
export namespace ReportView {
  /**
   * The options used to create a report view.
   */
  export interface IOptions {
    /**
     * Jump to a 1-based data row.
     */
    onJump: (row: number, column: string | null) => void;

    /**
     * Change a column's type.
     */
    onCast: (column: string, to: string) => void;

    /**
     * Treat missing-value markers as missing in every text column.
     */
    onTreatMissing: () => void;
  }
}
