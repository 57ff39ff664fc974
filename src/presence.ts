/**
 * Who else is in a shared document: peers read from its awareness, drawn as
 * initials badges.
 */
import { YDocument } from '@jupyter/ydoc';

import { el } from './dom';

type Awareness = YDocument<any>['awareness'];

/**
 * The awareness field where a client says which dashboard chart it edits.
 */
export const AWARENESS_FIELD = 'livegraphs';

/**
 * One person in a shared document.
 */
export interface IPeer {
  clientId: number;
  name: string;
  initials: string;
  color: string;
  /**
   * The dashboard chart they edit, if any.
   */
  chart: string | null;
}

/**
 * Everyone in the document (this client included), from its awareness.
 */
export function peersOf(awareness: Awareness | null | undefined): IPeer[] {
  const peers: IPeer[] = [];
  awareness?.getStates().forEach((state: any, clientId: number) => {
    const user = state?.user;
    if (!user) {
      return;
    }
    peers.push({
      clientId,
      name: String(user.display_name ?? user.name ?? 'Anonymous'),
      initials: String(user.initials ?? '?'),
      color: String(user.color ?? ''),
      chart: state?.[AWARENESS_FIELD]?.chart ?? null
    });
  });
  return peers;
}

/**
 * A badge with a person's initials (their name as its tooltip; text only).
 */
export function peerBadge(peer: IPeer): HTMLElement {
  const badge = el('span', 'jp-LiveGraphs-DashboardBadge', peer.initials, {
    title: peer.name
  });
  badge.dataset.user = peer.name;
  // Only a colour value is taken from the other client, never markup or url().
  if (/^(#[0-9a-fA-F]{3,8}|var\(--[\w-]+\))$/.test(peer.color)) {
    badge.style.backgroundColor = peer.color;
  }
  return badge;
}

/**
 * Keep `node` showing the badges of the other people in the document.
 * Answers a function that stops it.
 */
export function showOthers(
  node: HTMLElement,
  awareness: Awareness | null | undefined
): () => void {
  const render = () => {
    const me = awareness?.clientID;
    node.replaceChildren(
      ...peersOf(awareness)
        .filter(p => p.clientId !== me)
        .map(peerBadge)
    );
  };
  const onChange = (change: { added: number[] }) => {
    render();
    // Say hello to whoever just came in: the server does not pass on our
    // state to a newcomer, who would otherwise see us only at our next
    // renewal (up to 15 s later).
    const me = awareness?.clientID;
    if (awareness && change.added.some(id => id !== me)) {
      awareness.setLocalState(awareness.getLocalState());
    }
  };
  awareness?.on('change', onChange);
  render();
  return () => awareness?.off('change', onChange);
}
