/**
 * Dragging fields and pills onto the builder's shelves (@lumino/dragdrop).
 */
import { MimeData } from '@lumino/coreutils';
import { Drag } from '@lumino/dragdrop';

import { ShelfId } from './state';

/**
 * The mime type of a dragged field.
 */
const FIELD_MIME = 'application/x-livegraphs-field';

/**
 * What a drag carries.
 */
export interface IDragged {
  /**
   * The column, or null for "Count of records".
   */
  field: string | null;
  /**
   * The shelf and position a pill was dragged from.
   */
  from?: { shelf: ShelfId; index: number };
}

/**
 * Starts a drag once the pointer pressed on a field or a pill has moved a
 * few pixels, so that a click stays a click. One drag at a time.
 */
export class FieldDragger {
  constructor(options: FieldDragger.IOptions) {
    this._options = options;
  }

  /**
   * Watch a press on `source`, which carries `payload` if dragged.
   */
  press(event: PointerEvent, source: HTMLElement, payload: IDragged): void {
    if (event.button !== 0 || this._drag) {
      return;
    }
    // No text selection while dragging (clicks still arrive).
    event.preventDefault();
    const startX = event.clientX;
    const startY = event.clientY;
    const move = (e: PointerEvent) => {
      if (Math.abs(e.clientX - startX) + Math.abs(e.clientY - startY) < 5) {
        return;
      }
      stop();
      this._start(e, source, payload);
    };
    const stop = () => {
      document.removeEventListener('pointermove', move, true);
      document.removeEventListener('pointerup', stop, true);
    };
    document.addEventListener('pointermove', move, true);
    document.addEventListener('pointerup', stop, true);
  }

  private _start(
    event: PointerEvent,
    source: HTMLElement,
    payload: IDragged
  ): void {
    const mimeData = new MimeData();
    mimeData.setData(FIELD_MIME, payload);
    const image = source.cloneNode(true) as HTMLElement;
    image.classList.add('jp-LiveGraphs-dragImage');
    const host = this._options.host;
    this._drag = new Drag({
      mimeData,
      dragImage: image,
      proposedAction: payload.from ? 'move' : 'copy',
      supportedActions: 'copy-move',
      source: host
    });
    host.node.classList.add('jp-mod-dragging');
    void this._drag.start(event.clientX, event.clientY).then(action => {
      this._drag = null;
      host.node.classList.remove('jp-mod-dragging');
      this._options.onEnd(payload, action);
    });
  }

  private _options: FieldDragger.IOptions;
  private _drag: Drag | null = null;
}

/**
 * A namespace for `FieldDragger` options.
 */
export namespace FieldDragger {
  export interface IOptions {
    /**
     * The widget the drags start in (it is marked while one is under way).
     */
    host: { node: HTMLElement };

    /**
     * Called when a drag ends, with what was dropped (`'none'`: nowhere).
     */
    onEnd: (payload: IDragged, action: Drag.DropAction) => void;
  }
}

/**
 * Make `zone` accept dragged fields; `onDrop` gets what was dropped.
 */
export function acceptFields(
  zone: HTMLElement,
  onDrop: (payload: IDragged) => void
): void {
  const accepts = (event: Event) =>
    (event as Drag.Event).mimeData?.hasData(FIELD_MIME) ?? false;
  zone.addEventListener('lm-dragenter', event => {
    if (!accepts(event)) {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
    zone.classList.add('jp-mod-dropTarget');
  });
  zone.addEventListener('lm-dragleave', event => {
    event.preventDefault();
    event.stopPropagation();
    zone.classList.remove('jp-mod-dropTarget');
  });
  zone.addEventListener('lm-dragover', event => {
    if (!accepts(event)) {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
    const drag = event as Drag.Event;
    drag.dropAction = drag.proposedAction;
  });
  zone.addEventListener('lm-drop', event => {
    if (!accepts(event)) {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
    zone.classList.remove('jp-mod-dropTarget');
    const drag = event as Drag.Event;
    const payload = drag.mimeData.getData(FIELD_MIME) as IDragged;
    drag.dropAction = drag.proposedAction;
    onDrop(payload);
  });
}
