/**
 * Activity: the event log (the hub's logins and server starts included),
 * filtered by user, kind and dates, a hundred events at a time.
 */
import { el } from '../../src/dom';
import { AdminPage, button, cell, when } from './page';

/**
 * An event of `GET admin/api/activity`.
 */
interface IEvent {
  time: string;
  user: string;
  action: string;
  admin?: boolean;
  dataset_name?: string | null;
  owner?: string | null;
  detail?: Record<string, unknown> | null;
}

interface IEvents {
  events: IEvent[];
  total: number;
  actions: string[];
}

/**
 * What an event was about, as one line of text.
 */
function describe(e: IEvent): string {
  const parts: string[] = [];
  if (e.dataset_name) {
    const of = e.owner && e.owner !== e.user ? ` of ${e.owner}` : '';
    parts.push(`“${e.dataset_name}”${of}`);
  }
  for (const [key, value] of Object.entries(e.detail || {})) {
    parts.push(
      `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`
    );
  }
  return parts.join(' · ');
}

const kindLabel = (action: string) => action.replace(/_/g, ' ');

/**
 * A labelled form control: `<label>Text <control></label>`.
 */
function labelled(text: string, control: HTMLElement): HTMLLabelElement {
  const label = el('label', undefined, `${text} `);
  label.append(control);
  return label;
}

function input(type: string, name: string, value: string, label: string) {
  const node = el('input');
  node.type = type;
  node.name = name;
  node.value = value;
  node.setAttribute('aria-label', label);
  return node;
}

export async function activityPage(page: AdminPage): Promise<void> {
  const params = new URLSearchParams(window.location.search);
  const first = await page.call<IEvents>('GET', `${page.api}activity?limit=0`);

  const user = input('text', 'user', params.get('user') || '', 'User');
  const kind = el('select');
  kind.name = 'action';
  kind.setAttribute('aria-label', 'Kind');
  const every = el('option', undefined, 'every kind');
  every.value = '';
  kind.append(every);
  for (const action of first.actions) {
    const option = el('option', undefined, kindLabel(action));
    option.value = action;
    option.selected = params.get('action') === action;
    kind.append(option);
  }
  const since = input('date', 'since', params.get('since') || '', 'From');
  const until = input('date', 'until', params.get('until') || '', 'Until');
  const holder = el('div');
  const more = button('Older events', () => void load());
  let rows: IEvent[] = [];

  const filter = el('button', undefined, 'Filter');
  filter.type = 'submit';
  const filters = el('form', 'lg-admin-toolbar');
  filters.append(
    labelled('User', user),
    labelled('Kind', kind),
    labelled('From', since),
    labelled('Until', until),
    filter
  );
  filters.addEventListener('submit', event => {
    event.preventDefault();
    rows = [];
    void load();
  });
  page.content.replaceChildren(filters, holder, more);

  function query(): URLSearchParams {
    const q = new URLSearchParams({
      limit: '100',
      offset: String(rows.length)
    });
    if (user.value.trim()) {
      q.set('user', user.value.trim());
    }
    if (kind.value) {
      q.set('action', kind.value);
    }
    if (since.value) {
      q.set('since', `${since.value}T00:00:00`);
    }
    if (until.value) {
      const end = new Date(`${until.value}T00:00:00Z`);
      end.setUTCDate(end.getUTCDate() + 1);
      q.set('until', end.toISOString().slice(0, 19));
    }
    return q;
  }

  function table(total: number): HTMLTableElement {
    const head = el('tr');
    for (const title of ['Time', 'User', 'Kind', 'What', 'As admin']) {
      head.append(cell(title, true));
    }
    const thead = el('thead');
    thead.append(head);
    const body = el('tbody');
    for (const e of rows) {
      const line = el('tr');
      line.append(
        cell(when(e.time)),
        cell(e.user),
        cell(kindLabel(e.action)),
        cell(describe(e)),
        cell(e.admin ? 'yes' : '')
      );
      body.append(line);
    }
    const node = el('table', 'lg-admin-table');
    node.append(el('caption', undefined, `${total} events`), thead, body);
    return node;
  }

  async function load(): Promise<void> {
    try {
      const q = query();
      const shown = [...q].filter(([k]) => !['limit', 'offset'].includes(k));
      window.history.replaceState(null, '', `?${new URLSearchParams(shown)}`);
      const result = await page.call<IEvents>(
        'GET',
        `${page.api}activity?${q}`
      );
      rows = rows.concat(result.events);
      more.hidden = rows.length >= result.total;
      holder.replaceChildren(table(result.total));
      page.say('');
    } catch (error) {
      page.say((error as Error).message, true);
    }
  }
  await load();
}
