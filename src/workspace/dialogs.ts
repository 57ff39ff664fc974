import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { IColumn, ILiveGraphsAPI, IStep } from '../tokens';
import { COLUMN_TYPES, el, formatValue } from '../dom';
import { FormulaEditor } from './formula';

/**
 * The cleaning steps a dialog can ask for.
 */
export type StepKind =
  | 'cast'
  | 'rename'
  | 'drop_columns'
  | 'drop_nulls'
  | 'fill_nulls'
  | 'filter'
  | 'dedupe'
  | 'derive';

/**
 * What a step dialog needs to know.
 */
export interface IStepContext {
  api: ILiveGraphsAPI;
  id: string;
  version: number;
  columns: ReadonlyArray<IColumn>;

  /**
   * The column the step starts on, if any.
   */
  column?: string;

  /**
   * A type to preselect (a cast from the report).
   */
  to?: string;
}

/**
 * Ask for one cleaning step; resolves to null when the user cancels.
 */
export async function askStep(
  kind: StepKind,
  context: IStepContext
): Promise<IStep | null> {
  const body = new StepForm(kind, context);
  const result = await showDialog<IStep | null>({
    title: StepForm.TITLES[kind],
    body,
    buttons: [
      Dialog.cancelButton(),
      Dialog.okButton({ label: StepForm.ACTIONS[kind] })
    ],
    focusNodeSelector: 'select, input',
    checkbox: null
  });
  return result.button.accept ? result.value : null;
}

/**
 * Turn typed text into the JSON value a column of `type` takes.
 */
export function typedValue(text: string, type: string): unknown {
  if (type === 'integer' || type === 'float') {
    const n = Number(text.trim());
    return text.trim() === '' || isNaN(n) ? text : n;
  }
  if (type === 'boolean') {
    const t = text.trim().toLowerCase();
    return t === 'true' ? true : t === 'false' ? false : text;
  }
  return text;
}

const CMPS: Array<[string, string]> = [
  ['eq', 'equals'],
  ['ne', 'does not equal'],
  ['lt', 'is less than'],
  ['le', 'is at most'],
  ['gt', 'is greater than'],
  ['ge', 'is at least'],
  ['between', 'is between'],
  ['in', 'is one of'],
  ['not_in', 'is none of'],
  ['contains', 'contains'],
  ['not_contains', 'does not contain'],
  ['starts_with', 'starts with'],
  ['ends_with', 'ends with'],
  ['matches', 'matches the pattern'],
  ['is_null', 'is empty (null)'],
  ['not_null', 'is not empty']
];
const TEXT_CMPS = [
  'contains',
  'not_contains',
  'starts_with',
  'ends_with',
  'matches'
];

/**
 * The form inside a step dialog. Its `getValue` builds the step.
 */
class StepForm extends Widget implements Dialog.IBodyWidget<IStep | null> {
  constructor(kind: StepKind, context: IStepContext) {
    super();
    this._kind = kind;
    this._context = context;
    this.addClass('jp-LiveGraphs-StepForm');
    const first = context.column ?? context.columns[0]?.name ?? '';
    switch (kind) {
      case 'cast':
        this._column = this._columnSelect('Column', first);
        this._to = this._select(
          'New type',
          COLUMN_TYPES.map(t => [t, t]),
          context.to ?? 'string'
        );
        this._text = this._input('Date format (optional, e.g. %d/%m/%Y)', '');
        break;
      case 'rename':
        this._column = this._columnSelect('Column', first);
        this._text = this._input('New name', first);
        break;
      case 'drop_columns':
        this._column = this._columnSelect('Column to drop', first);
        break;
      case 'drop_nulls':
        this._column = this._columnSelect('Drop rows with a null in', first, [
          ['', '(any column)']
        ]);
        break;
      case 'fill_nulls':
        this._column = this._columnSelect('Column', first);
        this._to = this._select(
          'Fill with',
          [
            ['value', 'a value'],
            ['mean', 'the mean'],
            ['median', 'the median'],
            ['mode', 'the most common value'],
            ['forward', 'the previous value'],
            ['backward', 'the next value'],
            ['zero', 'zero']
          ],
          'value'
        );
        this._text = this._input('Value', '');
        break;
      case 'filter':
        this._column = this._columnSelect('Keep rows where', first);
        this._to = this._select('Condition', CMPS, 'eq');
        this._text = this._input('Value (a list: comma separated)', '');
        this._text2 = this._input('And (for "is between")', '');
        this._values = el('fieldset', 'jp-LiveGraphs-valueChoices');
        this.node.appendChild(this._values);
        this._column.addEventListener('change', () => void this._loadValues());
        this._to.addEventListener('change', () => this._showFields());
        this._showFields();
        void this._loadValues();
        break;
      case 'dedupe':
        this._column = this._columnSelect('Compare', '', [
          ['', '(all columns)']
        ]);
        this._to = this._select(
          'Keep',
          [
            ['first', 'the first of each duplicate'],
            ['last', 'the last of each duplicate']
          ],
          'first'
        );
        break;
      case 'derive':
        this._text = this._input('New column name', 'new_column');
        this._formula = new FormulaEditor({
          api: context.api,
          id: context.id,
          version: context.version
        });
        this.node.append(el('label', 'jp-LiveGraphs-formLabel', 'Formula'));
        this.node.appendChild(this._formula.node);
        break;
    }
  }

  dispose(): void {
    this._formula?.dispose();
    super.dispose();
  }

  getValue(): IStep | null {
    const column = this._column?.value ?? '';
    const type =
      this._context.columns.find(c => c.name === column)?.type ?? 'string';
    const text = this._text?.value ?? '';
    switch (this._kind) {
      case 'cast':
        return text.trim()
          ? { op: 'cast', column, to: this._to!.value, format: text.trim() }
          : { op: 'cast', column, to: this._to!.value };
      case 'rename':
        return { op: 'rename', column, to: text };
      case 'drop_columns':
        return { op: 'drop_columns', columns: [column] };
      case 'drop_nulls':
        return { op: 'drop_nulls', columns: column ? [column] : null };
      case 'fill_nulls': {
        const method = this._to!.value;
        return method === 'value'
          ? { op: 'fill_nulls', column, value: typedValue(text, type) }
          : { op: 'fill_nulls', column, method };
      }
      case 'filter':
        return { op: 'filter', conditions: [this._condition(column, type)] };
      case 'dedupe':
        return {
          op: 'dedupe',
          columns: column ? [column] : null,
          keep: this._to!.value
        };
      case 'derive':
        return { op: 'derive', name: text, formula: this._formula!.value };
    }
  }

  private _condition(column: string, type: string): Record<string, unknown> {
    const cmp = this._to!.value;
    const text = this._text?.value ?? '';
    if (cmp === 'is_null' || cmp === 'not_null') {
      return { column, cmp };
    }
    if (cmp === 'in' || cmp === 'not_in') {
      const typed = text
        .split(',')
        .map(v => v.trim())
        .filter(v => v !== '')
        .map(v => typedValue(v, type));
      const checked = this._choices
        .filter(choice => choice.box.checked)
        .map(choice => choice.value);
      return { column, cmp, value: [...checked, ...typed] };
    }
    if (cmp === 'between') {
      return {
        column,
        cmp,
        value: [typedValue(text, type), typedValue(this._text2!.value, type)]
      };
    }
    if (TEXT_CMPS.includes(cmp)) {
      return { column, cmp, value: text };
    }
    return { column, cmp, value: typedValue(text, type) };
  }

  /**
   * Show the fields the chosen condition needs.
   */
  private _showFields(): void {
    const cmp = this._to?.value ?? '';
    const list = cmp === 'in' || cmp === 'not_in';
    const none = cmp === 'is_null' || cmp === 'not_null';
    this._text!.parentElement!.hidden = none;
    this._text2!.parentElement!.hidden = cmp !== 'between';
    this._values!.hidden = !list || !this._choices.length;
  }

  /**
   * Offer the column's most common values as checkboxes ("is one of").
   */
  private async _loadValues(): Promise<void> {
    const column = this._column?.value ?? '';
    const ticket = ++this._valuesTicket;
    let top: ReadonlyArray<{ value: unknown; count: number }> = [];
    try {
      const profile = await this._context.api.getProfile(
        this._context.id,
        column,
        this._context.version
      );
      top = profile.top;
    } catch {
      // No choices: the typed list still works.
    }
    if (ticket !== this._valuesTicket || !this._values) {
      return;
    }
    const legend = el('legend', '', 'Most common values');
    this._choices = top.map(({ value, count }) => {
      const box = el('input');
      box.type = 'checkbox';
      const label = el('label', 'jp-LiveGraphs-valueChoice');
      label.append(box, el('span', '', `${formatValue(value)} (${count})`));
      return { value, box, label };
    });
    this._values.replaceChildren(legend, ...this._choices.map(c => c.label));
    this._showFields();
  }

  private _columnSelect(
    label: string,
    value: string,
    extra: Array<[string, string]> = []
  ): HTMLSelectElement {
    return this._select(
      label,
      [...extra, ...this._context.columns.map(c => [c.name, c.name])] as Array<
        [string, string]
      >,
      value
    );
  }

  private _select(
    label: string,
    options: Array<[string, string]>,
    value: string
  ): HTMLSelectElement {
    const select = el('select', 'jp-mod-styled');
    for (const [key, text] of options) {
      const option = el('option', '', text);
      option.value = key;
      select.appendChild(option);
    }
    select.value = value;
    this._field(label, select);
    return select;
  }

  private _input(label: string, value: string): HTMLInputElement {
    const input = el('input', 'jp-mod-styled');
    input.type = 'text';
    input.value = value;
    this._field(label, input);
    return input;
  }

  private _field(label: string, control: HTMLElement): void {
    const wrap = el('div', 'jp-LiveGraphs-formLabel');
    const text = el('label', '', label);
    control.id = `jp-LiveGraphs-field-${StepForm.nextId()}`;
    text.htmlFor = control.id;
    wrap.append(text, control);
    this.node.appendChild(wrap);
  }

  private _kind: StepKind;
  private _context: IStepContext;
  private _column?: HTMLSelectElement;
  private _to?: HTMLSelectElement;
  private _text?: HTMLInputElement;
  private _text2?: HTMLInputElement;
  private _formula?: FormulaEditor;
  private _values?: HTMLFieldSetElement;
  private _valuesTicket = 0;
  private _choices: Array<{
    value: unknown;
    box: HTMLInputElement;
    label: HTMLLabelElement;
  }> = [];
}

namespace StepForm {
  let counter = 0;

  /**
   * A number unique in this page, for element ids.
   */
  export function nextId(): number {
    return counter++;
  }

  export const TITLES: Record<StepKind, string> = {
    cast: 'Change column type',
    rename: 'Rename column',
    drop_columns: 'Drop column',
    drop_nulls: 'Drop rows with nulls',
    fill_nulls: 'Fill nulls',
    filter: 'Filter rows',
    dedupe: 'Remove duplicate rows',
    derive: 'New column from a formula'
  };
  export const ACTIONS: Record<StepKind, string> = {
    cast: 'Change type',
    rename: 'Rename',
    drop_columns: 'Drop',
    drop_nulls: 'Drop rows',
    fill_nulls: 'Fill',
    filter: 'Filter',
    dedupe: 'Remove duplicates',
    derive: 'Add column'
  };
}
