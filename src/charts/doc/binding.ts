/**
 * Two-way binding of a `ChartBuilder` to a shared spec map: the Yjs layout of
 * a `.lgchart` file's `spec` and of each dashboard chart's `spec` (a Map of
 * the spec's keys whose `encoding` is a nested Map of channel → field).
 *
 * An edit in the builder writes only the keys and shelves it changed, so two
 * people who fill different shelves at the same moment both keep theirs; an
 * edit from someone else redraws the builder without writing anything back.
 */
import { IDisposable } from '@lumino/disposable';
import * as Y from 'yjs';

import { ChartBuilder } from '../builder/builder';
import { IChartDraft } from '../types';
import { isPopupOpen, onPopupClosed } from '../builder/popup';

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function clone<T>(value: T): T {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}

/**
 * A plain copy of a shared spec map.
 */
export function readSpec(yspec: Y.Map<any>): IChartDraft {
  return yspec.toJSON() as IChartDraft;
}

/**
 * Write into `yspec` what changed from `before` to `after`, key by key and,
 * in `encoding`, channel by channel (one transaction, tagged `origin`).
 * Keys that did not change are not touched, whatever `yspec` holds for them.
 */
export function writeSpecChanges(
  yspec: Y.Map<any>,
  before: object | null,
  after: object,
  origin: unknown = null
): void {
  const old = (before ?? {}) as Record<string, any>;
  const next = after as Record<string, any>;
  const write = () => {
    for (const key of new Set([...Object.keys(old), ...Object.keys(next)])) {
      if (key === 'encoding' || equal(old[key], next[key])) {
        continue;
      }
      if (next[key] === undefined) {
        yspec.delete(key);
      } else {
        yspec.set(key, clone(next[key]));
      }
    }
    const oldEnc: Record<string, unknown> = old.encoding ?? {};
    const nextEnc: Record<string, unknown> = next.encoding ?? {};
    let yenc = yspec.get('encoding');
    if (!(yenc instanceof Y.Map)) {
      yenc = new Y.Map<any>();
      yspec.set('encoding', yenc);
    }
    for (const channel of new Set([
      ...Object.keys(oldEnc),
      ...Object.keys(nextEnc)
    ])) {
      if (equal(oldEnc[channel], nextEnc[channel])) {
        continue;
      }
      if (nextEnc[channel] === undefined) {
        yenc.delete(channel);
      } else {
        yenc.set(channel, clone(nextEnc[channel]));
      }
    }
  };
  if (yspec.doc) {
    yspec.doc.transact(write, origin);
  } else {
    write();
  }
}

/**
 * Keeps a chart builder and a shared spec map in step, both ways.
 */
export class SpecBinding implements IDisposable {
  constructor(options: SpecBinding.IOptions) {
    this._builder = options.builder;
    this._yspec = options.yspec;
    this._applyRemote();
    this._builder.specChanged.connect(this._onLocal, this);
    this._yspec.observeDeep(this._onRemote);
    this._stopPopupWatch = onPopupClosed(() =>
      // A popup closes just before the next one opens; look once it has.
      setTimeout(() => this._flush(), 0)
    );
  }

  /**
   * The shared spec map the builder is bound to.
   */
  get yspec(): Y.Map<any> {
    return this._yspec;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._builder.specChanged.disconnect(this._onLocal, this);
    this._yspec.unobserveDeep(this._onRemote);
    this._stopPopupWatch();
  }

  private _onLocal(): void {
    const next = this._builder.draft;
    writeSpecChanges(this._yspec, this._base, next, this);
    this._base = next;
    // Remote edits held back while a menu was open now come in, on top.
    this._flush();
  }

  private _onRemote = (_: unknown, transaction: Y.Transaction): void => {
    if (transaction.origin === this) {
      return;
    }
    this._pending = true;
    this._flush();
  };

  private _flush(): void {
    // An open pill menu or filter editor stays as it is; the edit is shown
    // when it closes (or at the next local edit).
    if (this._isDisposed || !this._pending || isPopupOpen()) {
      return;
    }
    this._applyRemote();
  }

  private _applyRemote(): void {
    this._pending = false;
    const spec = readSpec(this._yspec);
    this._builder.spec = spec;
    this._base = this._builder.draft;
  }

  private _builder: ChartBuilder;
  private _yspec: Y.Map<any>;
  private _base: IChartDraft | null = null;
  private _pending = false;
  private _isDisposed = false;
  private _stopPopupWatch: () => void;
}

/**
 * A namespace for `SpecBinding` statics.
 */
export namespace SpecBinding {
  export interface IOptions {
    /**
     * The builder to keep in step.
     */
    builder: ChartBuilder;
    /**
     * The shared spec map (`encoding` a nested Map).
     */
    yspec: Y.Map<any>;
  }
}
