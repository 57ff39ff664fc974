/**
 * Two-way binding of a `ChartBuilder` to a shared spec map: the Yjs layout of
 * a `.lgchart` file's `spec` and of each dashboard chart's `spec` (a Map of
 * the spec's keys whose `encoding` is a nested Map of channel → shelf, a
 * shelf being a Map of its keys `field`, `aggregate`, `bin`, `timeUnit`…;
 * `tooltip` stays a plain list), as the server's `specmap.py` has it.
 *
 * An edit in the builder writes only the keys, shelves and shelf keys it
 * changed, so two people who change different shelves, or the field and the
 * aggregate of one shelf, at the same moment both keep theirs; an edit from
 * someone else redraws the builder without writing anything back. A list
 * (the filters, the tooltip) is one value: two people who change it at the
 * same moment each write it whole, the document keeps one of the two, and
 * the builder whose write lost merges its change again on top of the other
 * (`ListWrites`). Only what people chose is written: the automatic mark and
 * default channels are derived by each client.
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
 * A JSON replacer that lists every object's keys in order.
 */
function sortedKeys(_: string, value: unknown): unknown {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? Object.fromEntries(
        Object.keys(value)
          .sort()
          .map(k => [k, (value as Record<string, unknown>)[k]])
      )
    : value;
}

/**
 * The list this edit made (`after`, from `before`) on top of the one the
 * document holds now (`shared`, a list unless someone wrote another kind of
 * value), which another person may have changed since `before` was read: a list (the filters, the tooltip) is one shared
 * value, and writing `after` whole would undo their change. The items this
 * edit removed go, an item it replaced is replaced where it is now (added at
 * the end if it went meanwhile), and the items it added come at the end.
 */
export function mergeList(
  before: ReadonlyArray<unknown>,
  after: ReadonlyArray<unknown>,
  shared: unknown
): unknown[] {
  const value = plain(shared);
  const current: unknown[] = Array.isArray(value) ? value : [];
  // (the builder's items and the document's may list their keys in another order)
  const key = (value: unknown) => JSON.stringify(value, sortedKeys);
  if (key(before) === key(current)) {
    return clone([...after]);
  }
  const was = before.map(key);
  const now = after.map(key);
  const merged = current.map(value => ({ value, key: key(value) }));
  const gone = new Set(was.filter(k => !now.includes(k)));
  const tail: unknown[] = [];
  after.forEach((value, i) => {
    if (was.includes(now[i])) {
      return;
    }
    // an item of `before` at the same place that this edit took out: replaced
    const old = was[i];
    const at =
      old !== undefined && gone.has(old)
        ? merged.findIndex(item => item.key === old)
        : -1;
    if (old !== undefined && gone.delete(old) && at >= 0) {
      merged[at] = { value, key: now[i] };
    } else {
      tail.push(value);
    }
  });
  return clone([
    ...merged.filter(item => !gone.has(item.key)).map(item => item.value),
    ...tail
  ]);
}

interface IListWrite {
  /**
   * The map item this client's write made.
   */
  item: Y.Item;
  before: ReadonlyArray<unknown>;
  after: ReadonlyArray<unknown>;
}

/**
 * The lists one client wrote whole (a key of a spec map, or the tooltip
 * shelf), each kept until another write replaces it.
 *
 * Two writes of one map key made at the same moment (neither seen by the
 * other's writer) both name the item they replaced as their origin; Yjs keeps
 * the one it orders last, on every copy alike. A write made after seeing
 * this client's names this client's item instead. So when this client's item
 * is replaced by one whose origin is not it, its change was never seen, and
 * it is merged again (`mergeList`) on top of the list the document kept.
 */
export class ListWrites {
  /**
   * Note a list just written whole at `key` of `map` (`before` → `after`).
   */
  record(
    map: Y.Map<any>,
    key: string,
    before: ReadonlyArray<unknown>,
    after: ReadonlyArray<unknown>
  ): void {
    const item = map._map.get(key);
    if (!item) {
      return;
    }
    let keys = this._writes.get(map);
    if (!keys) {
      keys = new Map();
      this._writes.set(map, keys);
    }
    keys.set(key, {
      item,
      before: clone([...before]),
      after: clone([...after])
    });
  }

  /**
   * Merge again each list whose write another one made at the same moment
   * replaced; returns whether any was written. Call outside a transaction.
   */
  remerge(origin: unknown): boolean {
    const lost: Array<[Y.Map<any>, string, IListWrite]> = [];
    for (const [map, keys] of this._writes) {
      for (const [key, write] of keys) {
        if (!write.item.deleted) {
          continue; // still the document's value
        }
        keys.delete(key);
        const next = write.item.right;
        const seen =
          next?.origin && Y.compareIDs(next.origin, write.item.lastId);
        if (next && !seen && map.doc && !map._item?.deleted) {
          lost.push([map, key, write]);
        }
      }
      if (keys.size === 0) {
        this._writes.delete(map);
      }
    }
    if (lost.length === 0) {
      return false;
    }
    let wrote = false;
    lost[0][0].doc!.transact(() => {
      for (const [map, key, write] of lost) {
        if (!map.has(key)) {
          continue; // taken away since: by someone who may have seen it
        }
        const kept = plain(map.get(key));
        const merged = mergeList(write.before, write.after, kept);
        if (equal(merged, kept)) {
          continue;
        }
        map.set(key, merged);
        this.record(map, key, Array.isArray(kept) ? kept : [], merged);
        wrote = true;
      }
    }, origin);
    return wrote;
  }

  private _writes = new Map<Y.Map<any>, Map<string, IListWrite>>();
}

/**
 * A plain copy of a shared spec map.
 */
export function readSpec(yspec: Y.Map<any>): IChartDraft {
  return yspec.toJSON() as IChartDraft;
}

/**
 * A shelf's shared value: a Map of its keys (`tooltip`, a list, stays plain).
 */
export function shelfValue(channel: string, ref: unknown): unknown {
  if (channel === 'tooltip' || !ref || typeof ref !== 'object') {
    return clone(ref);
  }
  return new Y.Map<any>(Object.entries(clone(ref) as object));
}

/**
 * A new spec map holding `spec` (`encoding` a Map of shelf Maps).
 */
export function newSpecMap(spec: object): Y.Map<any> {
  const { encoding, ...fields } = spec as Record<string, any>;
  const yspec = new Y.Map<any>(Object.entries(clone(fields)));
  yspec.set('encoding', newEncodingMap(encoding ?? {}));
  return yspec;
}

function newEncodingMap(encoding: Record<string, unknown>): Y.Map<any> {
  return new Y.Map<any>(
    Object.entries(encoding).map(([channel, ref]) => [
      channel,
      shelfValue(channel, ref)
    ])
  );
}

/**
 * Write one key of a shelf (undefined removes it; a shelf left empty goes).
 * Call inside a transaction.
 */
export function writeShelfKey(
  yspec: Y.Map<any>,
  channel: string,
  key: string,
  value: unknown
): void {
  let yenc = yspec.get('encoding');
  if (!(yenc instanceof Y.Map)) {
    yenc = newEncodingMap(plainObject(yenc));
    yspec.set('encoding', yenc);
  }
  let shelf = yenc.get(channel);
  if (!(shelf instanceof Y.Map)) {
    if (value === undefined && !shelf) {
      return;
    }
    shelf = shelfValue(channel, shelf ?? {}) as Y.Map<any>;
    yenc.set(channel, shelf);
  }
  if (value === undefined) {
    shelf.delete(key);
  } else if (!equal(shelf.get(key), value)) {
    shelf.set(key, clone(value));
  }
  if (shelf.size === 0) {
    yenc.delete(channel);
  }
}

/**
 * A plain copy of a Yjs value.
 */
export function plain(value: unknown): any {
  return value instanceof Y.AbstractType ? value.toJSON() : value;
}

function plainObject(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' ? plain(value) : {};
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
  origin: unknown = null,
  lists: ListWrites | null = null
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
      } else if (Array.isArray(old[key]) && Array.isArray(next[key])) {
        yspec.set(key, mergeList(old[key], next[key], yspec.get(key)));
        lists?.record(yspec, key, old[key], next[key]);
      } else {
        yspec.set(key, clone(next[key]));
      }
    }
    const oldEnc: Record<string, unknown> = old.encoding ?? {};
    const nextEnc: Record<string, unknown> = next.encoding ?? {};
    let yenc = yspec.get('encoding');
    if (!(yenc instanceof Y.Map)) {
      yenc = newEncodingMap(plainObject(yenc));
      yspec.set('encoding', yenc);
    }
    for (const channel of new Set([
      ...Object.keys(oldEnc),
      ...Object.keys(nextEnc)
    ])) {
      const was = oldEnc[channel];
      const now = nextEnc[channel];
      if (equal(was, now)) {
        continue;
      }
      const shelf = yenc.get(channel);
      if (now === undefined) {
        yenc.delete(channel);
      } else if (
        shelf instanceof Y.Map &&
        channel !== 'tooltip' &&
        was &&
        typeof was === 'object' &&
        typeof now === 'object'
      ) {
        // The same shelf changed: only its keys that changed, so someone
        // else's change to another key of it stays.
        const a = was as Record<string, unknown>;
        const b = now as Record<string, unknown>;
        // Sets before removals, so the shelf is never empty on the way.
        const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])];
        for (const key of keys.filter(k => !equal(a[k], b[k]))) {
          writeShelfKey(yspec, channel, key, b[key]);
        }
      } else if (Array.isArray(was) && Array.isArray(now)) {
        yenc.set(channel, shelfValue(channel, mergeList(was, now, shelf)));
        lists?.record(yenc, channel, was, now);
      } else {
        yenc.set(channel, shelfValue(channel, now));
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
    writeSpecChanges(this._yspec, this._base, next, this, this._lists);
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
    // (a write of its own comes after the transaction that showed it lost)
    void Promise.resolve().then(() => {
      if (!this._isDisposed && this._lists.remerge(this)) {
        this._pending = true;
        this._flush();
      }
    });
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
  private _lists = new ListWrites();
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
