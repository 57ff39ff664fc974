/**
 * The shared model of a `.lgchart` chart file: a Yjs document with the same
 * layout as the server's `YChart` (`livegraphs_ext/chartdoc.py`) and as one
 * dashboard chart's spec:
 *
 * - `spec`: Map of the spec's keys, `encoding` a nested Map channel → field
 */
import { YDocument } from '@jupyter/ydoc';
import { DocumentRegistry } from '@jupyterlab/docregistry';
import { JSONValue, PartialJSONValue } from '@lumino/coreutils';
import * as Y from 'yjs';

import {
  IJSONDocChange,
  JSONDocModel,
  JSONDocModelFactory
} from '../../docmodel';
import { IChartDraft } from '../types';
import { readSpec, writeSpecChanges } from './binding';

/**
 * The shared (Yjs) document of a chart file.
 */
export class ChartDoc extends YDocument<IJSONDocChange> {
  constructor(options?: YDocument.IOptions) {
    super(options);
    this._spec = this.ydoc.getMap('spec');
    this.undoManager.addToScope(this._spec);
    this._spec.observeDeep(() => this._changed.emit({ contentChange: true }));
  }

  /**
   * Create a new chart shared model (the factory registered with the
   * collaborative drive).
   */
  static create(): ChartDoc {
    return new ChartDoc();
  }

  readonly version = '1.0.0';

  /**
   * The shared spec map (to bind a chart builder to).
   */
  get yspec(): Y.Map<any> {
    return this._spec;
  }

  /**
   * The chart spec, in the shape of the file.
   */
  toJSON(): IChartDraft {
    const spec = readSpec(this._spec);
    return { ...spec, version: 1, encoding: spec.encoding ?? {} };
  }

  getSource(): JSONValue {
    return this.toJSON() as unknown as JSONValue;
  }

  /**
   * Replace the spec (e.g. when reverting), writing only what differs.
   */
  setSource(value: PartialJSONValue | string): void {
    const spec = (
      typeof value === 'string' ? JSON.parse(value || '{}') : (value ?? {})
    ) as object;
    writeSpecChanges(this._spec, readSpec(this._spec), spec);
  }

  private _spec: Y.Map<any>;
}

/**
 * The document model JupyterLab opens a `.lgchart` file with.
 */
export class ChartModel extends JSONDocModel<ChartDoc> {
  constructor(options: DocumentRegistry.IModelOptions<ChartDoc> = {}) {
    super(options.sharedModel ?? ChartDoc.create());
  }
}

/**
 * Creates chart file document models.
 */
export class ChartModelFactory extends JSONDocModelFactory<ChartModel> {
  constructor() {
    super({
      name: 'livegraphs-chart',
      contentType: 'lgchart',
      create: sharedModel =>
        new ChartModel({ sharedModel: sharedModel as ChartDoc })
    });
  }
}
