// The livegraphs admin pages. Every string that comes from users (names, groups, dataset names,
// event details) is written with textContent, never parsed as HTML.
(function () {
  'use strict';

  const body = document.body;
  const API = body.dataset.api;
  const DATASETS_API = body.dataset.datasetsApi;
  const XSRF = body.dataset.xsrf;
  const content = document.getElementById('content');
  const statusLine = document.getElementById('status');

  // --- small helpers

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'onClick') node.addEventListener('click', value);
      else if (key === 'onInput') node.addEventListener('input', value);
      else if (key === 'onChange') node.addEventListener('change', value);
      else if (key === 'onSubmit') node.addEventListener('submit', value);
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(
        child instanceof Node ? child : document.createTextNode(String(child))
      );
    }
    return node;
  }

  function say(text, isError) {
    statusLine.textContent = text || '';
    statusLine.classList.toggle('lg-admin-error', Boolean(isError));
  }

  async function call(method, url, payload) {
    const init = {
      method,
      headers: { 'X-XSRFToken': XSRF },
      credentials: 'same-origin'
    };
    if (payload !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(payload);
    }
    const response = await fetch(url, init);
    if (response.status === 204) return null;
    const data = await response.json().catch(() => ({}));
    if (!response.ok)
      throw new Error(
        data.message || `${response.status} ${response.statusText}`
      );
    return data;
  }

  function bytes(n) {
    const units = ['B', 'KB', 'MB', 'GB', 'TB'];
    let value = Number(n) || 0;
    let i = 0;
    while (value >= 1024 && i < units.length - 1) {
      value /= 1024;
      i += 1;
    }
    return `${i ? value.toFixed(1) : value} ${units[i]}`;
  }

  function when(iso) {
    if (!iso) return '—';
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString();
  }

  function confirmDialog(text, okLabel) {
    const dialog = document.getElementById('confirm');
    document.getElementById('confirm-text').textContent = text;
    document.getElementById('confirm-ok').textContent = okLabel || 'Delete';
    return new Promise(resolve => {
      dialog.addEventListener(
        'close',
        () => resolve(dialog.returnValue === 'ok'),
        { once: true }
      );
      dialog.returnValue = '';
      dialog.showModal();
    });
  }

  // A table whose columns sort on click. columns: [{key, label, render?, sort?}]
  function sortableTable(caption, columns, rows, state) {
    const sorted = [...rows].sort((a, b) => {
      const col = columns.find(c => c.key === state.sort) || columns[0];
      const get = col.sort || (r => r[col.key]);
      const x = get(a);
      const y = get(b);
      const order =
        x === y
          ? 0
          : x === null || x === undefined
            ? -1
            : y === null || y === undefined
              ? 1
              : x < y
                ? -1
                : 1;
      return state.desc ? -order : order;
    });
    const head = el(
      'tr',
      {},
      columns.map(col => {
        if (col.sortable === false)
          return el('th', { scope: 'col' }, col.label);
        const current = state.sort === col.key;
        return el(
          'th',
          {
            scope: 'col',
            'aria-sort': current
              ? state.desc
                ? 'descending'
                : 'ascending'
              : 'none'
          },
          el(
            'button',
            {
              type: 'button',
              class: 'lg-admin-sort',
              onClick: () => {
                state.desc = current ? !state.desc : false;
                state.sort = col.key;
                state.redraw();
              }
            },
            col.label,
            current ? (state.desc ? ' ▼' : ' ▲') : ''
          )
        );
      })
    );
    const lines = sorted.map(row =>
      el(
        'tr',
        {},
        columns.map(col =>
          el('td', {}, col.render ? col.render(row) : row[col.key])
        )
      )
    );
    return el(
      'table',
      { class: 'lg-admin-table' },
      el('caption', {}, caption),
      el('thead', {}, head),
      el('tbody', {}, lines)
    );
  }

  // --- Datasets

  async function datasetsPage() {
    const state = { sort: 'last_used', desc: true, query: '', rows: [] };
    const search = el('input', {
      type: 'search',
      placeholder: 'Search by name or owner',
      'aria-label': 'Search datasets',
      onInput: event => {
        state.query = event.target.value.trim().toLowerCase();
        state.redraw();
      }
    });
    const holder = el('div');
    content.replaceChildren(
      el('div', { class: 'lg-admin-toolbar' }, search),
      holder
    );

    async function remove(row) {
      const ok = await confirmDialog(
        `Delete the dataset “${row.name}” of ${row.owner}, with all ${row.versions} versions? This cannot be undone.`,
        'Delete dataset'
      );
      if (!ok) return;
      try {
        await call('DELETE', DATASETS_API + encodeURIComponent(row.id));
        await load();
        say(`Deleted “${row.name}” of ${row.owner}.`);
      } catch (error) {
        say(`Could not delete “${row.name}”: ${error.message}`, true);
      }
    }

    state.redraw = () => {
      const rows = state.rows.filter(
        r =>
          !state.query ||
          r.name.toLowerCase().includes(state.query) ||
          r.owner.toLowerCase().includes(state.query)
      );
      const columns = [
        { key: 'name', label: 'Name' },
        { key: 'owner', label: 'Owner' },
        {
          key: 'rows',
          label: 'Rows',
          render: r => Number(r.rows).toLocaleString()
        },
        { key: 'size', label: 'Size', render: r => bytes(r.size) },
        { key: 'versions', label: 'Versions' },
        { key: 'created', label: 'Created', render: r => when(r.created) },
        {
          key: 'last_used',
          label: 'Last used',
          render: r => when(r.last_used)
        },
        {
          key: 'actions',
          label: 'Actions',
          sortable: false,
          render: r =>
            el(
              'button',
              {
                type: 'button',
                class: 'lg-admin-danger',
                'aria-label': `Delete ${r.name} of ${r.owner}`,
                onClick: () => remove(r)
              },
              'Delete'
            )
        }
      ];
      holder.replaceChildren(
        sortableTable(
          `${rows.length} of ${state.rows.length} datasets`,
          columns,
          rows,
          state
        )
      );
    };

    async function load() {
      state.rows = (await call('GET', API + 'datasets')).datasets;
      state.redraw();
    }
    await load();
  }

  // --- Users and roles

  async function usersPage() {
    const state = { sort: 'name', desc: false, data: null };

    async function act(promise, done) {
      try {
        await promise;
        await load();
        say(done);
      } catch (error) {
        say(error.message, true);
      }
    }

    function groupsCell(user) {
      const fixed = [state.data.admin_group, state.data.all_users_group];
      const chips = user.groups
        .filter(g => g !== state.data.admin_group)
        .map(g =>
          fixed.includes(g)
            ? el('span', { class: 'lg-admin-chip' }, g)
            : el(
                'span',
                { class: 'lg-admin-chip' },
                g,
                el(
                  'button',
                  {
                    type: 'button',
                    'aria-label': `Remove ${user.name} from ${g}`,
                    onClick: () =>
                      act(
                        call(
                          'DELETE',
                          `${API}groups/${encodeURIComponent(g)}/users/${encodeURIComponent(user.name)}`
                        ),
                        `Removed ${user.name} from ${g}.`
                      )
                  },
                  '×'
                )
              )
        );
      const input = el('input', {
        type: 'text',
        list: 'lg-admin-groups',
        placeholder: 'team',
        'aria-label': `Team to add ${user.name} to`,
        size: 10
      });
      const add = el(
        'form',
        {
          class: 'lg-admin-inline',
          onSubmit: event => {
            event.preventDefault();
            const group = input.value.trim();
            if (group)
              act(
                call(
                  'PUT',
                  `${API}groups/${encodeURIComponent(group)}/users/${encodeURIComponent(user.name)}`
                ),
                `Added ${user.name} to ${group}.`
              );
          }
        },
        input,
        el('button', { type: 'submit' }, 'Add')
      );
      return el('div', {}, chips, add);
    }

    function roleCell(user) {
      if (user.hub_admin) return 'hub admin';
      return user.livegraphs_admin ? 'admin' : 'user';
    }

    function roleAction(user) {
      if (user.hub_admin)
        return el(
          'span',
          { class: 'lg-admin-muted' },
          'change in the hub admin panel'
        );
      const promote = !user.livegraphs_admin;
      return el(
        'button',
        {
          type: 'button',
          onClick: () =>
            act(
              call('PUT', `${API}users/${encodeURIComponent(user.name)}/role`, {
                admin: promote
              }),
              promote
                ? `${user.name} is now an admin.`
                : `${user.name} is now a regular user.`
            )
        },
        promote ? 'Promote to admin' : 'Demote to user'
      );
    }

    function pendingTable(pending) {
      if (!pending.length)
        return el('p', {}, 'No sign-ups are waiting for approval.');
      return el(
        'table',
        { class: 'lg-admin-table' },
        el('caption', {}, `${pending.length} pending sign-ups`),
        el(
          'thead',
          {},
          el(
            'tr',
            {},
            el('th', { scope: 'col' }, 'Name'),
            el('th', { scope: 'col' }, 'Email'),
            el('th', { scope: 'col' }, 'Actions')
          )
        ),
        el(
          'tbody',
          {},
          pending.map(s =>
            el(
              'tr',
              {},
              el('td', {}, s.name),
              el('td', {}, s.email || '—'),
              el(
                'td',
                {},
                el(
                  'button',
                  {
                    type: 'button',
                    onClick: () =>
                      act(
                        call(
                          'PUT',
                          `${API}signups/${encodeURIComponent(s.name)}`
                        ),
                        `Approved ${s.name}.`
                      )
                  },
                  'Approve'
                ),
                ' ',
                el(
                  'button',
                  {
                    type: 'button',
                    class: 'lg-admin-danger',
                    onClick: async () => {
                      if (
                        await confirmDialog(
                          `Discard the sign-up of ${s.name}?`,
                          'Discard'
                        )
                      ) {
                        act(
                          call(
                            'DELETE',
                            `${API}signups/${encodeURIComponent(s.name)}`
                          ),
                          `Discarded ${s.name}.`
                        );
                      }
                    }
                  },
                  'Discard'
                )
              )
            )
          )
        )
      );
    }

    state.redraw = () => {
      const data = state.data;
      const columns = [
        { key: 'name', label: 'User' },
        { key: 'login', label: 'Login' },
        {
          key: 'role',
          label: 'Role',
          render: roleCell,
          sort: u => (u.hub_admin ? 2 : u.livegraphs_admin ? 1 : 0)
        },
        {
          key: 'groups',
          label: 'Teams',
          render: groupsCell,
          sort: u => u.groups.join(',')
        },
        {
          key: 'last_activity',
          label: 'Last activity',
          render: u => when(u.last_activity)
        },
        { key: 'server', label: 'Server', render: u => u.server || 'stopped' },
        { key: 'datasets', label: 'Datasets' },
        { key: 'storage', label: 'Storage', render: u => bytes(u.storage) },
        {
          key: 'actions',
          label: 'Role change',
          sortable: false,
          render: roleAction
        }
      ];
      content.replaceChildren(
        el('h2', {}, 'Waiting for approval'),
        pendingTable(data.pending),
        el('h2', {}, 'Users'),
        el(
          'datalist',
          { id: 'lg-admin-groups' },
          data.groups
            .filter(g => g !== data.admin_group && g !== data.all_users_group)
            .map(g => el('option', { value: g }))
        ),
        sortableTable(`${data.users.length} users`, columns, data.users, state)
      );
    };

    async function load() {
      state.data = await call('GET', API + 'users');
      state.redraw();
    }
    await load();
  }

  // --- Activity

  async function activityPage() {
    const params = new URLSearchParams(window.location.search);
    const first = await call('GET', `${API}activity?limit=0`);
    const user = el('input', {
      type: 'text',
      name: 'user',
      value: params.get('user') || '',
      'aria-label': 'User'
    });
    const kind = el(
      'select',
      { name: 'action', 'aria-label': 'Kind' },
      el('option', { value: '' }, 'every kind'),
      first.actions.map(a =>
        el(
          'option',
          { value: a, selected: params.get('action') === a },
          a.replace(/_/g, ' ')
        )
      )
    );
    const since = el('input', {
      type: 'date',
      name: 'since',
      value: params.get('since') || '',
      'aria-label': 'From'
    });
    const until = el('input', {
      type: 'date',
      name: 'until',
      value: params.get('until') || '',
      'aria-label': 'Until'
    });
    const holder = el('div');
    const more = el('button', { type: 'button' }, 'Older events');
    let offset = 0;
    let rows = [];

    const filters = el(
      'form',
      {
        class: 'lg-admin-toolbar',
        onSubmit: event => {
          event.preventDefault();
          offset = 0;
          rows = [];
          load();
        }
      },
      el('label', {}, 'User ', user),
      el('label', {}, 'Kind ', kind),
      el('label', {}, 'From ', since),
      el('label', {}, 'Until ', until),
      el('button', { type: 'submit' }, 'Filter')
    );
    content.replaceChildren(filters, holder, more);

    function query() {
      const q = new URLSearchParams({ limit: '100', offset: String(offset) });
      if (user.value.trim()) q.set('user', user.value.trim());
      if (kind.value) q.set('action', kind.value);
      if (since.value) q.set('since', `${since.value}T00:00:00`);
      if (until.value) {
        const end = new Date(`${until.value}T00:00:00Z`);
        end.setUTCDate(end.getUTCDate() + 1);
        q.set('until', end.toISOString().slice(0, 19));
      }
      return q;
    }

    function describe(e) {
      const parts = [];
      if (e.dataset_name)
        parts.push(
          `“${e.dataset_name}”${e.owner && e.owner !== e.user ? ` of ${e.owner}` : ''}`
        );
      const detail = e.detail || {};
      for (const [key, value] of Object.entries(detail))
        parts.push(
          `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`
        );
      return parts.join(' · ');
    }

    async function load() {
      try {
        const q = query();
        window.history.replaceState(
          null,
          '',
          `?${new URLSearchParams([...q].filter(([k]) => !['limit', 'offset'].includes(k)))}`
        );
        const page = await call('GET', `${API}activity?${q}`);
        rows = rows.concat(page.events);
        offset = rows.length;
        more.hidden = rows.length >= page.total;
        holder.replaceChildren(
          el(
            'table',
            { class: 'lg-admin-table' },
            el('caption', {}, `${page.total} events`),
            el(
              'thead',
              {},
              el(
                'tr',
                {},
                ['Time', 'User', 'Kind', 'What', 'As admin'].map(h =>
                  el('th', { scope: 'col' }, h)
                )
              )
            ),
            el(
              'tbody',
              {},
              rows.map(e =>
                el(
                  'tr',
                  {},
                  el('td', {}, when(e.time)),
                  el('td', {}, e.user),
                  el('td', {}, e.action.replace(/_/g, ' ')),
                  el('td', {}, describe(e)),
                  el('td', {}, e.admin ? 'yes' : '')
                )
              )
            )
          )
        );
        say('');
      } catch (error) {
        say(error.message, true);
      }
    }
    more.addEventListener('click', load);
    await load();
  }

  // --- Engagement

  function axisTitle(field) {
    return field.title || field.column || field.aggregate || '';
  }

  // A chart result (docs/charts.md) of one x and one y field, drawn with Plotly.
  function plotFigure(node, fig) {
    const x = fig.data.x;
    const y = fig.data.y;
    const trace =
      fig.mark === 'line'
        ? { type: 'scatter', mode: 'lines+markers', x, y }
        : { type: 'bar', x, y };
    const dark =
      window.matchMedia &&
      window.matchMedia('(prefers-color-scheme: dark)').matches;
    const layout = {
      margin: { l: 60, r: 20, t: 10, b: 80 },
      height: 280,
      paper_bgcolor: 'rgba(0,0,0,0)',
      plot_bgcolor: 'rgba(0,0,0,0)',
      font: { color: dark ? '#ddd' : '#222' },
      xaxis: { title: { text: axisTitle(fig.fields[0]) }, automargin: true },
      yaxis: {
        title: { text: axisTitle(fig.fields[1]) },
        rangemode: 'tozero',
        automargin: true
      }
    };
    window.Plotly.newPlot(node, [trace], layout, {
      displaylogo: false,
      responsive: true
    });
  }

  async function engagementPage() {
    const range = el(
      'select',
      { 'aria-label': 'Period' },
      [7, 30, 90, 365].map(d =>
        el('option', { value: d, selected: d === 30 }, `last ${d} days`)
      )
    );
    const holder = el('div');
    content.replaceChildren(
      el(
        'div',
        { class: 'lg-admin-toolbar' },
        el('label', {}, 'Period ', range)
      ),
      holder
    );

    async function load() {
      const data = await call('GET', `${API}engagement?days=${range.value}`);
      const t = data.totals;
      const kpis = el(
        'dl',
        { class: 'lg-admin-kpis' },
        [
          ['Active users', t.active_users],
          ['Events', t.events],
          ['Datasets', t.datasets],
          ['Stored', bytes(t.bytes)]
        ].map(([label, value]) =>
          el('div', {}, el('dt', {}, label), el('dd', {}, String(value)))
        )
      );
      const charts = data.figures.map(fig => {
        const plot = el('div', {
          class: 'lg-admin-plot',
          'data-figure': fig.key
        });
        const box = el(
          'section',
          { class: 'lg-admin-figure', 'aria-label': fig.title },
          el('h2', {}, fig.title),
          plot
        );
        return { box, plot, fig };
      });
      holder.replaceChildren(
        kpis,
        el(
          'div',
          { class: 'lg-admin-figures' },
          charts.map(c => c.box)
        )
      );
      for (const c of charts) {
        if (c.fig.data.x.length) plotFigure(c.plot, c.fig);
        else
          c.plot.append(
            el('p', { class: 'lg-admin-muted' }, 'Nothing in this period.')
          );
      }
    }
    range.addEventListener('change', () =>
      load().catch(error => say(error.message, true))
    );
    await load();
  }

  const pages = {
    datasets: datasetsPage,
    users: usersPage,
    activity: activityPage,
    engagement: engagementPage
  };
  const run = pages[body.dataset.page];
  if (run) {
    run()
      .then(() => body.setAttribute('data-ready', 'true'))
      .catch(error => say(error.message, true));
  }
})();
