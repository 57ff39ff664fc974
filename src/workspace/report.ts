import { Widget } from '@lumino/widgets';

import { IDataset, IProblem } from '../tokens';
import { mayEdit } from './access';
import { COLUMN_TYPES, el, formatValue, typeBadge } from '../dom';

/**
 * The validation report of a dataset version: each column with its type and
 * nulls, and the values that did not fit, each a link to its row.
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
        (count ? `${count.toLocaleString()} problem values` : 'no problems')
    );
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
      const bad = problems.filter(p => p.column === column.name).length;
      row.append(
        name,
        type,
        el('td', 'jp-LiveGraphs-num', column.nulls.toLocaleString()),
        el('td', 'jp-LiveGraphs-num', bad ? bad.toLocaleString() : '')
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
  }
}
