/**
 * How the live viewer page follows a dashboard: through the document's room
 * (`documents/{id}/room`, Yjs over y-websocket) as a silent reader, and by
 * looking again every few seconds when the room cannot be joined.
 *
 * The room only says *that* the document changed: each update it broadcasts
 * (stored before it is broadcast) makes the page read `content` again, so the
 * dashboard's JSON is made in one place, the server. The page never writes:
 * its Yjs document only ever holds what the room sent, so its sync answers
 * are empty, and it announces no presence and passes none on.
 */
import { WebsocketProvider } from 'y-websocket';
import { Awareness } from 'y-protocols/awareness';
import * as Y from 'yjs';

/**
 * How the page follows the document: joining the room, following it, or
 * looking again every `pollEvery` ms (the room could not be joined or was lost).
 */
export type LiveState = 'connecting' | 'open' | 'polling';

/**
 * y-websocket's message types of awareness and of an awareness query.
 */
const MESSAGE_AWARENESS = 1;
const MESSAGE_QUERY_AWARENESS = 3;
/**
 * The room's close codes after which it is not joined again: a bad message,
 * no access or a deleted document, a full room, a state that does not load.
 * 4403 (the caller's access changed) is joined again, with the access left.
 */
function final(code: number): boolean {
  return code >= 4400 && code < 4600 && code !== 4403;
}

/**
 * Follow a document; answers the function that stops.
 */
export function follow(options: follow.IOptions): () => void {
  const { reload, onState, pollEvery, joinWithin } = options;
  const ydoc = new Y.Doc();
  const awareness = new Awareness(ydoc);
  // no presence: a viewer is nobody the editors need to see
  awareness.setLocalState(null);

  let synced = false;
  let poll: number | null = null;
  let loading = false;
  let again = false;

  // One look at a time; a change during a look makes one more.
  const look = async (): Promise<void> => {
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    try {
      do {
        again = false;
        try {
          await reload();
        } catch {
          // keep what is shown; the next change or look may succeed
        }
      } while (again);
    } finally {
      loading = false;
    }
  };

  const setPolling = (on: boolean): void => {
    if (on && poll === null) {
      poll = window.setInterval(() => void look(), pollEvery);
      onState('polling');
    } else if (!on && poll !== null) {
      window.clearInterval(poll);
      poll = null;
    }
  };

  onState('connecting');
  const provider = new WebsocketProvider(options.serverUrl, 'room', ydoc, {
    awareness,
    disableBc: true,
    shouldReconnect: event => !final(event.code)
  });
  // Others' presence is neither kept nor passed on (y-websocket would echo it).
  provider.messageHandlers[MESSAGE_AWARENESS] = () => undefined;
  provider.messageHandlers[MESSAGE_QUERY_AWARENESS] = () => undefined;

  provider.on('sync', (isSynced: boolean) => {
    if (isSynced && !synced) {
      synced = true;
      setPolling(false);
      onState('open');
      // what changed before the room was joined (or while it was lost)
      void look();
    }
  });
  // a connection lost, or refused before it opened (no access: 404, 403)
  provider.on('connection-close', () => {
    synced = false;
    setPolling(true);
  });
  ydoc.on('update', () => {
    if (synced) {
      void look();
    }
  });
  const fallback = window.setTimeout(() => {
    if (!synced) {
      setPolling(true);
    }
  }, joinWithin);

  return () => {
    window.clearTimeout(fallback);
    setPolling(false);
    provider.destroy();
    awareness.destroy();
    ydoc.destroy();
  };
}

/**
 * A namespace for `follow`'s options.
 */
export namespace follow {
  export interface IOptions {
    /**
     * The WebSocket URL of the document (`…/documents/<id>`; y-websocket adds
     * `/room`).
     */
    serverUrl: string;
    /**
     * Read the document's content again and redraw it if it changed.
     */
    reload: () => Promise<void>;
    /**
     * Told each time the way the page follows the document changes.
     */
    onState: (state: LiveState) => void;
    /**
     * Milliseconds between two looks when the room cannot be joined.
     */
    pollEvery: number;
    /**
     * Milliseconds the room has to be joined before the page starts looking.
     */
    joinWithin: number;
  }
}
