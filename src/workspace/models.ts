import { Panel, Widget } from '@lumino/widgets';

import { acceptFields, FieldDragger } from '../charts/builder/dragdrop';
import { ChartView } from '../charts/view';
import { IChartResult, IChartSpec, IResultField } from '../charts/types';

import { IDataset, ILiveGraphsAPI, IModelReport, IModelSpec } from '../tokens';
import { button, el, option } from '../dom';

/**
 * The Model panel of a dataset: pick a target and features, train, read the
 * report (metrics beside the baseline, residuals or confusion matrix, feature
 * importance, warnings), then add the predictions as a new version or copy
 * the scikit-learn code.
 *
 * The node's `data-lg-state` is `idle`, `training`, `done` or `failed`.
 */
export class ModelView extends Panel {
  constructor(options: ModelView.IOptions) {
    super();
    this._options = options;
    this.addClass('jp-LiveGraphs-ModelView');
    this.title.label = 'Model';
    this.node.dataset.lgState = 'idle';

    this._target = el('select', 'jp-mod-styled', { 'aria-label': 'Target' });
    this._target.addEventListener('change', () => this._syncFeatures());
    this._features = el('fieldset', 'jp-LiveGraphs-modelFeatures', {
      'aria-label': 'Features'
    });
    this._features.addEventListener('change', () => this._renderShelves());
    // Drag a column onto a shelf, or pick it above: both say the same.
    this._dragger = new FieldDragger({ host: this, onEnd: () => undefined });
    this._columns = el('div', 'jp-LiveGraphs-modelColumns', {
      'aria-label': 'Columns'
    });
    this._targetShelf = el('ul', 'jp-LiveGraphs-modelShelf', {
      'aria-label': 'Target shelf'
    });
    this._featureShelf = el('ul', 'jp-LiveGraphs-modelShelf', {
      'aria-label': 'Features shelf'
    });
    acceptFields(this._targetShelf, payload => {
      if (payload.field) {
        this._target.value = payload.field;
        this._syncFeatures();
      }
    });
    acceptFields(this._featureShelf, payload => {
      const box = this._box(payload.field);
      if (box && !box.disabled) {
        box.checked = true;
        this._renderShelves();
      }
    });
    this._kind = this._select('Kind', [
      ['', 'From the target'],
      ['regression', 'Regression'],
      ['classification', 'Classification']
    ]);
    this._algorithm = this._select('Algorithm', [
      ['linear', 'Linear (regularised) / logistic'],
      ['boosting', 'Gradient boosting']
    ]);
    this._evaluation = this._select('Evaluation', [
      ['holdout', 'Holdout (25%)'],
      ['cv', '5-fold cross-validation']
    ]);
    this._train = button(
      'Train',
      'jp-Button jp-mod-styled jp-mod-accept',
      () => void this.train()
    );
    this._cancel = button(
      'Cancel',
      'jp-Button jp-mod-styled jp-mod-reject',
      () => this.cancel()
    );
    this._cancel.hidden = true;
    this._progress = el('progress', 'jp-LiveGraphs-modelProgress', {
      'aria-label': 'Training'
    });
    this._progress.hidden = true;
    this._message = el('div', 'jp-LiveGraphs-modelMessage');
    this._message.setAttribute('role', 'status');
    this._report = el('div', 'jp-LiveGraphs-modelReport');

    const form = el('div', 'jp-LiveGraphs-modelForm');
    form.append(
      this._labelled('Drag columns onto the shelves', this._columns),
      this._labelled('Target shelf', this._targetShelf),
      this._labelled('Features shelf', this._featureShelf),
      this._labelled('Target', this._target),
      this._labelled('Features', this._features),
      this._labelled('Kind', this._kind),
      this._labelled('Algorithm', this._algorithm),
      this._labelled('Evaluation', this._evaluation)
    );
    const actions = el('div', 'jp-LiveGraphs-modelActions');
    actions.append(this._train, this._cancel, this._progress);
    const top = new Widget();
    top.node.append(form, actions, this._message, this._report);
    this.addWidget(top);
    // the charts go between the report and these buttons
    this._outputs = el('div', 'jp-LiveGraphs-modelActions');
    this.addWidget(new Widget({ node: this._outputs }));
  }

  /**
   * Show the pickers for `dataset`'s columns, keeping what still fits.
   */
  render(dataset: IDataset, editable: boolean): void {
    this._dataset = dataset;
    this._editable = editable;
    const chosen = this._target.value;
    this._target.replaceChildren(option('', 'Choose a column'));
    for (const c of dataset.columns) {
      this._target.appendChild(option(c.name, `${c.name} (${c.type})`));
    }
    if (dataset.columns.some(c => c.name === chosen)) {
      this._target.value = chosen;
    }
    this._columns.replaceChildren(
      ...dataset.columns.map(c => {
        const chip = el('span', 'jp-LiveGraphs-field', c.name);
        chip.dataset.field = c.name;
        chip.title = `${c.name} (${c.type}): drag onto a shelf`;
        chip.addEventListener('pointerdown', event =>
          this._dragger.press(event, chip, { field: c.name })
        );
        return chip;
      })
    );
    const ticked = new Set(this._checked());
    this._features.replaceChildren();
    for (const c of dataset.columns) {
      const box = el('input', '', {
        type: 'checkbox',
        value: c.name,
        'aria-label': `Feature ${c.name}`
      });
      box.checked = ticked.has(c.name);
      const label = el('label', 'jp-LiveGraphs-modelFeature');
      label.append(box, document.createTextNode(` ${c.name}`));
      this._features.appendChild(label);
    }
    this._syncFeatures();
  }

  /**
   * The spec the pickers describe, or null while it lacks a target or features.
   */
  spec(): IModelSpec | null {
    const target = this._target.value;
    const features = this._checked().filter(f => f !== target);
    if (!target || !features.length) {
      return null;
    }
    const spec: IModelSpec = {
      target,
      features,
      algorithm: this._algorithm.value as IModelSpec['algorithm'],
      evaluation: this._evaluation.value as IModelSpec['evaluation']
    };
    if (this._kind.value) {
      spec.kind = this._kind.value as IModelSpec['kind'];
    }
    return spec;
  }

  /**
   * Fit the model on the server and show its report; Cancel stops it there.
   */
  async train(): Promise<void> {
    const spec = this.spec();
    if (!spec || !this._dataset) {
      this._message.textContent = 'Choose a target and at least one feature.';
      return;
    }
    this._abort?.abort();
    const abort = new AbortController();
    this._abort = abort;
    this._setState('training');
    this._message.textContent = 'Training…';
    this._report.replaceChildren();
    this._outputs.replaceChildren();
    this._clearCharts();
    try {
      const report = await this._options.api.fitModel(this._dataset.id, spec, {
        version: this._dataset.version,
        signal: abort.signal
      });
      this._spec = spec;
      this._last = report;
      this._message.textContent = '';
      this._showReport(report);
      this._setState('done');
    } catch (e) {
      this._message.textContent = abort.signal.aborted
        ? 'Training cancelled.'
        : `Training failed: ${(e as Error).message}`;
      this._setState('failed');
    } finally {
      if (this._abort === abort) {
        this._abort = null;
      }
    }
  }

  /**
   * Stop the training (the server stops its work when the request goes).
   */
  cancel(): void {
    this._abort?.abort();
  }

  /**
   * The last report shown, if any.
   */
  get report(): IModelReport | null {
    return this._last;
  }

  private _showReport(report: IModelReport): void {
    const parts: Element[] = [
      el(
        'p',
        'jp-LiveGraphs-modelSummary',
        `${report.spec.kind}: ${report.evaluation}`
      ),
      this._metrics(report)
    ];
    if (report.warnings.length || report.notes.length) {
      const list = el('ul', 'jp-LiveGraphs-modelWarnings', {
        'aria-label': 'Warnings'
      });
      for (const w of report.warnings) {
        list.appendChild(el('li', 'jp-LiveGraphs-modelWarning', w.message));
      }
      for (const n of report.notes) {
        list.appendChild(el('li', 'jp-LiveGraphs-modelNote', n));
      }
      parts.push(list);
    }
    if (report.confusion) {
      parts.push(this._confusion(report));
    }
    this._report.replaceChildren(...parts);
    this._clearCharts();
    if (report.residuals) {
      const h = report.residuals.histogram;
      const from = h.edges.slice(0, -1).map(e => e.toPrecision(3));
      this._chart(
        'residuals',
        'bar',
        'Residuals: actual − predicted (test rows)',
        [
          Private.field('residual', 'x', 'string', 'Residual from', from),
          Private.field('rows', 'y', 'integer', 'Test rows', h.counts)
        ]
      );
    }
    if (report.confusion) {
      const { labels, matrix } = report.confusion;
      const actual: string[] = [];
      const predicted: string[] = [];
      const rows: number[] = [];
      matrix.forEach((row, i) =>
        row.forEach((v, j) => {
          actual.push(labels[i]);
          predicted.push(labels[j]);
          rows.push(v);
        })
      );
      this._chart('confusion', 'heatmap', 'Confusion matrix (test rows)', [
        Private.field('predicted', 'x', 'string', 'Predicted', predicted),
        Private.field('actual', 'y', 'string', 'Actual', actual),
        Private.field('rows', 'color', 'integer', 'Test rows', rows)
      ]);
    }
    const features = report.importance.map(f => f.feature);
    const drops = report.importance.map(f => f.mean);
    this._chart(
      'importance',
      'bar',
      'Feature importance (permutation, test rows)',
      [
        Private.field('feature', 'x', 'string', 'Feature', features),
        Private.field('importance', 'y', 'float', 'Score drop', drops)
      ]
    );
    const add = button(
      'Add predictions',
      'jp-Button jp-mod-styled jp-mod-accept',
      () => void this._addPredictions()
    );
    add.disabled = !this._editable;
    const copy = button('Copy code', 'jp-Button jp-mod-styled', () =>
      this._options.onCopyCode(report.code)
    );
    this._outputs.replaceChildren(add, copy);
  }

  /**
   * Draw a chart of the report with the charts' own view (a Plotly figure
   * built from a result, as the engine's results are).
   */
  private _chart(
    name: string,
    mark: IChartSpec['mark'],
    title: string,
    fields: [IResultField, unknown[]][]
  ): void {
    const dataset = this._dataset!;
    const spec: IChartSpec = {
      version: 1,
      dataset: { id: dataset.id, version: dataset.version },
      mark,
      encoding: {},
      title
    };
    const data: { [name: string]: unknown[] } = {};
    for (const [f, values] of fields) {
      data[f.name] = values;
    }
    const result: IChartResult = {
      spec_version: 1,
      dataset: { id: dataset.id, version: dataset.version },
      fields: fields.map(([f]) => f),
      data,
      marks: fields[0][1].length,
      source_rows: fields[0][1].length,
      reduction: null
    };
    const chart = new ChartView({ placeholder: title });
    chart.addClass('jp-LiveGraphs-modelChart');
    chart.node.dataset.lgChart = name;
    chart.node.setAttribute('aria-label', title);
    this.insertWidget(this.widgets.length - 1, chart);
    this._charts.push(chart);
    void chart.setResult(result, spec);
  }

  private _clearCharts(): void {
    for (const chart of this._charts) {
      chart.dispose();
    }
    this._charts = [];
  }

  private _metrics(report: IModelReport): HTMLElement {
    const table = el('table', 'jp-LiveGraphs-modelMetrics', {
      'aria-label': 'Metrics'
    });
    const head = el('tr');
    head.append(
      el('th', '', 'Metric'),
      el('th', '', 'Model'),
      el('th', '', 'Baseline')
    );
    table.appendChild(head);
    const names: Record<string, string> = {
      r2: 'R²',
      mae: 'MAE',
      rmse: 'RMSE',
      accuracy: 'Accuracy',
      f1: 'F1 (macro)',
      roc_auc: 'ROC AUC'
    };
    for (const [key, value] of Object.entries(report.metrics.model)) {
      const row = el('tr');
      row.dataset.metric = key;
      const base = report.metrics.baseline[key];
      row.append(
        el('td', '', names[key] ?? key),
        el('td', '', Private.fmt(value)),
        el('td', '', Private.fmt(base))
      );
      table.appendChild(row);
    }
    return table;
  }

  private _confusion(report: IModelReport): HTMLElement {
    const { labels, matrix } = report.confusion!;
    const most = Math.max(1, ...matrix.flat());
    const table = el('table', 'jp-LiveGraphs-modelConfusion', {
      'aria-label': 'Confusion matrix'
    });
    const head = el('tr');
    head.append(el('th', '', 'actual \\ predicted'));
    labels.forEach(l => head.appendChild(el('th', '', l)));
    table.appendChild(head);
    matrix.forEach((row, i) => {
      const tr = el('tr');
      tr.appendChild(el('th', '', labels[i]));
      row.forEach(v => {
        const td = el('td', '', String(v));
        td.style.setProperty('--lg-share', String(v / most));
        tr.appendChild(td);
      });
      table.appendChild(tr);
    });
    return table;
  }

  private async _addPredictions(): Promise<void> {
    if (!this._dataset || !this._spec) {
      return;
    }
    this._setState('training');
    this._message.textContent = 'Adding predictions…';
    try {
      const next = await this._options.api.addPredictions(
        this._dataset.id,
        this._spec,
        this._dataset.version
      );
      this._message.textContent = `Predictions added as version ${next.version}.`;
      this._setState('done');
      this._options.onAdded(next);
    } catch (e) {
      this._message.textContent = `Could not add predictions: ${(e as Error).message}`;
      this._setState('failed');
    }
  }

  private _setState(state: string): void {
    this.node.dataset.lgState = state;
    const busy = state === 'training';
    this._progress.hidden = !busy;
    this._cancel.hidden = !busy;
    this._train.disabled = busy;
  }

  private _checked(): string[] {
    return Array.from(
      this._features.querySelectorAll<HTMLInputElement>('input[type=checkbox]')
    )
      .filter(b => b.checked)
      .map(b => b.value);
  }

  private _syncFeatures(): void {
    // the target cannot also be a feature
    for (const box of Array.from(
      this._features.querySelectorAll<HTMLInputElement>('input')
    )) {
      box.disabled = box.value === this._target.value;
      if (box.disabled) {
        box.checked = false;
      }
    }
    this._renderShelves();
  }

  private _box(name: string | null): HTMLInputElement | null {
    return (
      Array.from(
        this._features.querySelectorAll<HTMLInputElement>('input')
      ).find(b => b.value === name) ?? null
    );
  }

  /**
   * The shelves show what the pickers say; a pill's × takes it off.
   */
  private _renderShelves(): void {
    const pill = (name: string, remove: () => void) => {
      const item = el('li', 'jp-LiveGraphs-modelPill', name);
      item.dataset.field = name;
      item.appendChild(
        button('×', 'jp-Button jp-mod-minimal jp-mod-small', remove, {
          'aria-label': `Remove ${name}`
        })
      );
      return item;
    };
    const target = this._target.value;
    this._targetShelf.replaceChildren(
      ...(target
        ? [
            pill(target, () => {
              this._target.value = '';
              this._syncFeatures();
            })
          ]
        : [])
    );
    this._featureShelf.replaceChildren(
      ...this._checked().map(name =>
        pill(name, () => {
          const box = this._box(name);
          if (box) {
            box.checked = false;
          }
          this._renderShelves();
        })
      )
    );
  }

  private _select(
    label: string,
    choices: [string, string][]
  ): HTMLSelectElement {
    const node = el('select', 'jp-mod-styled', { 'aria-label': label });
    for (const [value, text] of choices) {
      node.appendChild(option(value, text));
    }
    return node;
  }

  private _labelled(text: string, control: HTMLElement): HTMLElement {
    const row = el('div', 'jp-LiveGraphs-modelField');
    row.append(el('span', 'jp-LiveGraphs-modelLabel', text), control);
    return row;
  }

  private _options: ModelView.IOptions;
  private _dataset: IDataset | null = null;
  private _editable = false;
  private _spec: IModelSpec | null = null;
  private _last: IModelReport | null = null;
  private _abort: AbortController | null = null;
  private _target: HTMLSelectElement;
  private _features: HTMLFieldSetElement;
  private _kind: HTMLSelectElement;
  private _algorithm: HTMLSelectElement;
  private _evaluation: HTMLSelectElement;
  private _train: HTMLButtonElement;
  private _cancel: HTMLButtonElement;
  private _progress: HTMLProgressElement;
  private _message: HTMLElement;
  private _report: HTMLElement;
  private _outputs: HTMLElement;
  private _charts: ChartView[] = [];
  private _dragger: FieldDragger;
  private _columns: HTMLElement;
  private _targetShelf: HTMLElement;
  private _featureShelf: HTMLElement;
}

/**
 * The ModelView namespace.
 */
export namespace ModelView {
  /**
   * Options of a Model panel.
   */
  export interface IOptions {
    api: ILiveGraphsAPI;
    /**
     * Called with the dataset at the version that holds the predictions.
     */
    onAdded: (dataset: IDataset) => void;
    /**
     * Called with the exported code, to copy and show it.
     */
    onCopyCode: (code: string) => void;
  }
}

namespace Private {
  export function fmt(value: number | null | undefined): string {
    return value === null || value === undefined ? '—' : value.toFixed(4);
  }

  /**
   * A column of a chart result built from the report, and its values.
   */
  export function field(
    name: string,
    channel: string,
    type: string,
    title: string,
    values: unknown[]
  ): [IResultField, unknown[]] {
    return [{ name, channel, column: name, type, title }, values];
  }
}
