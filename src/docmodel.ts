/**
 * The document model JupyterLab opens a collaborative JSON file with (a
 * dashboard, a chart): a thin wrapper around its shared model, which the
 * server loads and saves.
 */
import { DocumentChange, ISharedDocument, YDocument } from '@jupyter/ydoc';
import { IChangedArgs } from '@jupyterlab/coreutils';
import { DocumentRegistry } from '@jupyterlab/docregistry';
import { PartialJSONObject, PartialJSONValue } from '@lumino/coreutils';
import { ISignal, Signal } from '@lumino/signaling';

/**
 * A change of a shared JSON document.
 */
export interface IJSONDocChange extends DocumentChange {
  /**
   * Something in the content changed.
   */
  contentChange?: true;
}

/**
 * A shared model holding a JSON file's content.
 */
export interface IJSONSharedDoc extends YDocument<IJSONDocChange> {
  /**
   * The content, in the shape of the file.
   */
  toJSON(): unknown;
  /**
   * Replace the content (from the file's text or its parsed value).
   */
  setSource(value: PartialJSONValue | string): void;
}

/**
 * The document model of a collaborative JSON file.
 */
export class JSONDocModel<D extends IJSONSharedDoc>
  implements DocumentRegistry.IModel
{
  constructor(sharedModel: D) {
    this.sharedModel = sharedModel;
    this.sharedModel.changed.connect(this._onSharedChanged, this);
  }

  readonly collaborative = true;
  readonly sharedModel: D;
  readonly defaultKernelName = '';
  readonly defaultKernelLanguage = '';

  get contentChanged(): ISignal<this, void> {
    return this._contentChanged;
  }

  get stateChanged(): ISignal<this, IChangedArgs<any>> {
    return this._stateChanged;
  }

  get dirty(): boolean {
    return this._dirty;
  }
  set dirty(value: boolean) {
    if (value !== this._dirty) {
      const oldValue = this._dirty;
      this._dirty = value;
      this._stateChanged.emit({ name: 'dirty', oldValue, newValue: value });
    }
  }

  get readOnly(): boolean {
    return this._readOnly;
  }
  set readOnly(value: boolean) {
    if (value !== this._readOnly) {
      const oldValue = this._readOnly;
      this._readOnly = value;
      this._stateChanged.emit({ name: 'readOnly', oldValue, newValue: value });
    }
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  toString(): string {
    return JSON.stringify(this.sharedModel.toJSON(), null, 2) + '\n';
  }

  fromString(value: string): void {
    this.sharedModel.setSource(value);
  }

  toJSON(): PartialJSONObject {
    return this.sharedModel.toJSON() as PartialJSONObject;
  }

  fromJSON(value: PartialJSONValue): void {
    this.sharedModel.setSource(value);
  }

  initialize(): void {
    // The server fills the shared model; nothing to do here.
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this.sharedModel.changed.disconnect(this._onSharedChanged, this);
    // The model owns its shared model: disposing it closes its connection.
    this.sharedModel.dispose();
    Signal.clearData(this);
  }

  private _onSharedChanged(_: D, change: IJSONDocChange): void {
    if (change.contentChange) {
      this._contentChanged.emit();
    }
    const dirty = change.stateChange?.find(c => c.name === 'dirty');
    if (dirty) {
      this.dirty = dirty.newValue as boolean;
    }
  }

  private _dirty = false;
  private _readOnly = false;
  private _isDisposed = false;
  private _contentChanged = new Signal<this, void>(this);
  private _stateChanged = new Signal<this, IChangedArgs<any>>(this);
}

/**
 * Creates the document models of one collaborative JSON file type.
 */
export class JSONDocModelFactory<
  M extends JSONDocModel<any>
> implements DocumentRegistry.IModelFactory<M> {
  constructor(options: JSONDocModelFactory.IOptions<M>) {
    this.name = options.name;
    this.contentType = options.contentType as any;
    this._create = options.create;
  }

  readonly name: string;
  readonly contentType: DocumentRegistry.IModelFactory<M>['contentType'];
  readonly fileFormat = 'text';
  readonly collaborative = true;

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    this._isDisposed = true;
  }

  preferredLanguage(): string {
    return '';
  }

  createNew(options: DocumentRegistry.IModelOptions<ISharedDocument> = {}): M {
    return this._create(options.sharedModel);
  }

  private _create: (sharedModel?: ISharedDocument) => M;
  private _isDisposed = false;
}

/**
 * A namespace for `JSONDocModelFactory` statics.
 */
export namespace JSONDocModelFactory {
  export interface IOptions<M> {
    /**
     * The model name widget factories ask for.
     */
    name: string;
    /**
     * The content type of the files (the shared model's type on the server).
     */
    contentType: string;
    /**
     * Make a model around a shared model (a new one when none is given).
     */
    create: (sharedModel?: ISharedDocument) => M;
  }
}
