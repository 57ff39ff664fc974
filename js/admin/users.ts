/**
 * Users and roles: sign-ups waiting for approval, and every hub user with
 * role, teams, activity and storage; promote, demote and change teams.
 */
import { el, formatBytes } from '../../src/dom';
import { AdminPage, button, cell, when } from './page';
import { IColumn, ISortState, sortableTable } from './table';

/**
 * A user of `GET admin/api/users`.
 */
interface IUserRow {
  name: string;
  hub_admin: boolean;
  livegraphs_admin: boolean;
  groups: string[];
  login: string;
  created: string | null;
  last_activity: string | null;
  server: string;
  datasets: number;
  storage: number;
}

interface ISignup {
  name: string;
  email?: string | null;
}

interface IUsers {
  users: IUserRow[];
  pending: ISignup[];
  groups: string[];
  admin_group: string;
  all_users_group: string;
}

const q = encodeURIComponent;

export async function usersPage(page: AdminPage): Promise<void> {
  let data: IUsers;
  const state: ISortState = { sort: 'name', desc: false, redraw };

  /**
   * Make a change, then reload and say what was done (or what went wrong).
   */
  async function act(change: Promise<unknown>, done: string): Promise<void> {
    try {
      await change;
      await load();
      page.say(done);
    } catch (error) {
      page.say((error as Error).message, true);
    }
  }

  function membership(method: 'PUT' | 'DELETE', group: string, user: string) {
    return page.call(method, `${page.api}groups/${q(group)}/users/${q(user)}`);
  }

  function groupsCell(user: IUserRow): HTMLElement {
    const fixed = [data.admin_group, data.all_users_group];
    const node = el('div');
    for (const group of user.groups) {
      if (group === data.admin_group) {
        continue;
      }
      const chip = el('span', 'lg-admin-chip', group);
      if (!fixed.includes(group)) {
        const leave = button(
          '×',
          () =>
            void act(
              membership('DELETE', group, user.name),
              `Removed ${user.name} from ${group}.`
            )
        );
        leave.setAttribute('aria-label', `Remove ${user.name} from ${group}`);
        chip.append(leave);
      }
      node.append(chip);
    }
    const input = el('input');
    input.type = 'text';
    input.setAttribute('list', 'lg-admin-groups');
    input.placeholder = 'team';
    input.setAttribute('aria-label', `Team to add ${user.name} to`);
    input.size = 10;
    const add = el('button', undefined, 'Add');
    add.type = 'submit';
    const form = el('form', 'lg-admin-inline');
    form.append(input, add);
    form.addEventListener('submit', event => {
      event.preventDefault();
      const group = input.value.trim();
      if (group) {
        void act(
          membership('PUT', group, user.name),
          `Added ${user.name} to ${group}.`
        );
      }
    });
    node.append(form);
    return node;
  }

  function roleCell(user: IUserRow): string {
    if (user.hub_admin) {
      return 'hub admin';
    }
    return user.livegraphs_admin ? 'admin' : 'user';
  }

  function roleAction(user: IUserRow): HTMLElement {
    if (user.hub_admin) {
      return el('span', 'lg-admin-muted', 'change in the hub admin panel');
    }
    const promote = !user.livegraphs_admin;
    return button(
      promote ? 'Promote to admin' : 'Demote to user',
      () =>
        void act(
          page.call('PUT', `${page.api}users/${q(user.name)}/role`, {
            admin: promote
          }),
          promote
            ? `${user.name} is now an admin.`
            : `${user.name} is now a regular user.`
        )
    );
  }

  function pendingTable(pending: ISignup[]): HTMLElement {
    if (!pending.length) {
      return el('p', undefined, 'No sign-ups are waiting for approval.');
    }
    const head = el('tr');
    head.append(cell('Name', true), cell('Email', true), cell('Actions', true));
    const thead = el('thead');
    thead.append(head);
    const body = el('tbody');
    for (const signup of pending) {
      const approve = button(
        'Approve',
        () =>
          void act(
            page.call('PUT', `${page.api}signups/${q(signup.name)}`),
            `Approved ${signup.name}.`
          )
      );
      const discard = button(
        'Discard',
        async () => {
          if (
            await page.confirm(
              `Discard the sign-up of ${signup.name}?`,
              'Discard'
            )
          ) {
            await act(
              page.call('DELETE', `${page.api}signups/${q(signup.name)}`),
              `Discarded ${signup.name}.`
            );
          }
        },
        'lg-admin-danger'
      );
      const actions = cell(approve);
      actions.append(' ', discard);
      const line = el('tr');
      line.append(cell(signup.name), cell(signup.email || '—'), actions);
      body.append(line);
    }
    const table = el('table', 'lg-admin-table');
    table.append(
      el('caption', undefined, `${pending.length} pending sign-ups`),
      thead,
      body
    );
    return table;
  }

  const columns: IColumn<IUserRow>[] = [
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
      // an approved sign-up is a user before their first login
      render: u =>
        u.last_activity ? when(u.last_activity) : 'not signed in yet'
    },
    { key: 'server', label: 'Server', render: u => u.server || 'stopped' },
    { key: 'datasets', label: 'Datasets' },
    {
      key: 'storage',
      label: 'Storage',
      render: u => formatBytes(Number(u.storage) || 0)
    },
    {
      key: 'actions',
      label: 'Role change',
      sortable: false,
      render: roleAction
    }
  ];

  function redraw(): void {
    const teams = el('datalist');
    teams.id = 'lg-admin-groups';
    for (const group of data.groups) {
      if (group !== data.admin_group && group !== data.all_users_group) {
        const option = el('option');
        option.value = group;
        teams.append(option);
      }
    }
    page.content.replaceChildren(
      el('h2', undefined, 'Waiting for approval'),
      pendingTable(data.pending),
      el('h2', undefined, 'Users'),
      teams,
      sortableTable(`${data.users.length} users`, columns, data.users, state)
    );
  }

  async function load(): Promise<void> {
    data = await page.call<IUsers>('GET', page.api + 'users');
    redraw();
  }
  await load();
}
