/**
 * Small DOM helpers. User text only ever goes in through `textContent`, never
 * as HTML, so a name like `<img onerror=...>` shows as those characters.
 */

/**
 * Attributes to set on a new element, by name.
 */
export type IAttributes = Record<string, string>;

/**
 * Create an element with a class and, optionally, text and attributes;
 * `el(tag, className, attrs)` when it has no text.
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string | IAttributes,
  attrs?: IAttributes
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (typeof text === 'string') {
    node.textContent = text;
  } else if (text) {
    attrs = text;
  }
  for (const [name, value] of Object.entries(attrs ?? {})) {
    node.setAttribute(name, value);
  }
  return node;
}

/**
 * Make `nodes` the children of `parent`, in that order, moving only those out
 * of place: `replaceChildren` takes every child out and back, and a box being
 * typed in then loses its focus (and commits what it holds) whenever another
 * person's edit re-renders it.
 */
export function setChildren(parent: Node, nodes: ReadonlyArray<Node>): void {
  const wanted = new Set(nodes);
  for (const child of Array.from(parent.childNodes)) {
    if (!wanted.has(child)) {
      child.remove();
    }
  }
  let at = parent.firstChild;
  for (const node of nodes) {
    if (node === at) {
      at = at.nextSibling;
    } else {
      parent.insertBefore(node, at);
    }
  }
}

/**
 * A plain button (`type="button"`) with a label that calls `onClick`.
 */
export function button(
  label: string,
  className: string,
  onClick: () => void,
  attrs?: IAttributes
): HTMLButtonElement {
  const node = el('button', className, label, { type: 'button', ...attrs });
  node.addEventListener('click', onClick);
  return node;
}

/**
 * An `<option>` with a value and the text shown (the value by default).
 */
export function option(value: string, text = value): HTMLOptionElement {
  const node = el('option', '', text);
  node.value = value;
  return node;
}

/**
 * Show any value as text, the way the grid does.
 */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) {
    return 'null';
  }
  if (typeof value === 'object') {
    return JSON.stringify(value);
  }
  return String(value);
}

/**
 * A byte count for people: `1.4 MB`.
 */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit ? value.toFixed(1) : value} ${units[unit]}`;
}

/**
 * A duration in seconds for people: `1 min 5 s`.
 */
export function formatSeconds(seconds: number): string {
  if (!isFinite(seconds)) {
    return '…';
  }
  const s = Math.max(0, Math.round(seconds));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/**
 * The column types and their glyphs (text, so the canvas grid can draw them).
 */
export const TYPE_GLYPHS: Record<string, string> = {
  integer: '#',
  float: '#.#',
  boolean: '☑',
  date: '📅',
  datetime: '🕒',
  string: 'Aa'
};

/**
 * Every column type a cast may produce.
 */
export const COLUMN_TYPES = [
  'integer',
  'float',
  'boolean',
  'date',
  'datetime',
  'string'
];

/**
 * An element showing a type's glyph, with the type as its accessible name.
 */
export function typeBadge(type: string): HTMLElement {
  const badge = el(
    'span',
    `jp-LiveGraphs-typeBadge jp-LiveGraphs-type-${COLUMN_TYPES.includes(type) ? type : 'string'}`,
    TYPE_GLYPHS[type] ?? '?'
  );
  badge.title = type;
  badge.setAttribute('aria-label', type);
  return badge;
}

/**
 * An inline SVG icon from one of the extension's icon files (`style/icons/`,
 * imported as text), drawn in the text's color: fonts may lack a glyph, an
 * SVG is always drawn. Hidden from screen readers; name what it marks.
 */
export function svgIcon(svgstr: string, className: string): Element {
  const svg = new DOMParser().parseFromString(
    svgstr,
    'image/svg+xml'
  ).documentElement;
  svg.setAttribute('class', className);
  svg.setAttribute('aria-hidden', 'true');
  return svg;
}

/**
 * Start a download of `blob` named `filename`.
 */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.style.display = 'none';
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
