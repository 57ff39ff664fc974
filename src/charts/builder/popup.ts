/**
 * A small popup anchored to an element: the pill menus and the filter editor.
 * One is open at a time; Escape or a click elsewhere closes it.
 */
import { el } from '../../dom';

let current: HTMLElement | null = null;
let cleanup: (() => void) | null = null;

const closeListeners = new Set<() => void>();

export function closePopup(): void {
  const wasOpen = current !== null;
  cleanup?.();
  cleanup = null;
  current?.remove();
  current = null;
  if (wasOpen) {
    closeListeners.forEach(listener => listener());
  }
}

/**
 * Whether a popup is open (someone is choosing in a menu or editing a filter).
 */
export function isPopupOpen(): boolean {
  return current !== null;
}

/**
 * Call `listener` whenever a popup closes; answers a function that stops it.
 */
export function onPopupClosed(listener: () => void): () => void {
  closeListeners.add(listener);
  return () => closeListeners.delete(listener);
}

/**
 * Show `content` under `anchor`; `onClose` runs once when it closes.
 */
export function openPopup(
  anchor: HTMLElement,
  content: HTMLElement,
  onClose?: () => void
): HTMLElement {
  closePopup();
  const popup = el('div', 'jp-LiveGraphs-popup');
  popup.appendChild(content);
  document.body.appendChild(popup);
  const rect = anchor.getBoundingClientRect();
  const width = popup.offsetWidth;
  popup.style.left = `${Math.max(4, Math.min(rect.left, window.innerWidth - width - 4))}px`;
  popup.style.top = `${rect.bottom + 2}px`;

  const onPointer = (event: Event) => {
    if (
      !popup.contains(event.target as Node) &&
      !anchor.contains(event.target as Node)
    ) {
      closePopup();
    }
  };
  const onKey = (event: KeyboardEvent) => {
    if (event.key === 'Escape') {
      event.stopPropagation();
      closePopup();
      anchor.focus();
    }
  };
  document.addEventListener('pointerdown', onPointer, true);
  popup.addEventListener('keydown', onKey);
  current = popup;
  cleanup = () => {
    document.removeEventListener('pointerdown', onPointer, true);
    onClose?.();
  };
  const first = popup.querySelector<HTMLElement>('button, select, input');
  first?.focus();
  return popup;
}
