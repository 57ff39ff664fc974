/**
 * Datasets: every user's datasets, searchable and sortable, with delete.
 */
import { el, formatBytes } from '../../src/dom';
import { AdminPage, button, when } from './page';
import { IColumn, ISortState, sortableTable } from './table';

/**
 * A row of `GET admin/api/datasets`.
 */
interface IDatasetRow {
  id: string;
  name: string;
  owner: string;
  rows: number;
  size: number;
  versions: number;
  created: string;
  updated: string;
  last_used: string;
}

export async function datasetsPage(page: AdminPage): Promise<void> {
  let rows: IDatasetRow[] = [];
  let query = '';
  const state: ISortState = { sort: 'last_used', desc: true, redraw };

  const search = el('input');
  search.type = 'search';
  search.placeholder = 'Search by name or owner';
  search.setAttribute('aria-label', 'Search datasets');
  search.addEventListener('input', () => {
    query = search.value.trim().toLowerCase();
    redraw();
  });
  const toolbar = el('div', 'lg-admin-toolbar');
  toolbar.append(search);
  const holder = el('div');
  page.content.replaceChildren(toolbar, holder);

  async function remove(row: IDatasetRow): Promise<void> {
    const ok = await page.confirm(
      `Delete the dataset “${row.name}” of ${row.owner}, with all ${row.versions} versions? This cannot be undone.`,
      'Delete dataset'
    );
    if (!ok) {
      return;
    }
    try {
      await page.call('DELETE', page.datasetsApi + encodeURIComponent(row.id));
      await load();
      page.say(`Deleted “${row.name}” of ${row.owner}.`);
    } catch (error) {
      page.say(
        `Could not delete “${row.name}”: ${(error as Error).message}`,
        true
      );
    }
  }

  const columns: IColumn<IDatasetRow>[] = [
    { key: 'name', label: 'Name' },
    { key: 'owner', label: 'Owner' },
    {
      key: 'rows',
      label: 'Rows',
      render: r => Number(r.rows).toLocaleString()
    },
    {
      key: 'size',
      label: 'Size',
      render: r => formatBytes(Number(r.size) || 0)
    },
    { key: 'versions', label: 'Versions' },
    { key: 'created', label: 'Created', render: r => when(r.created) },
    { key: 'last_used', label: 'Last used', render: r => when(r.last_used) },
    {
      key: 'actions',
      label: 'Actions',
      sortable: false,
      render: r => {
        const del = button('Delete', () => void remove(r), 'lg-admin-danger');
        del.setAttribute('aria-label', `Delete ${r.name} of ${r.owner}`);
        return del;
      }
    }
  ];

  function redraw(): void {
    const shown = rows.filter(
      r =>
        !query ||
        r.name.toLowerCase().includes(query) ||
        r.owner.toLowerCase().includes(query)
    );
    holder.replaceChildren(
      sortableTable(
        `${shown.length} of ${rows.length} datasets`,
        columns,
        shown,
        state
      )
    );
  }

  async function load(): Promise<void> {
    rows = (await page.call('GET', page.api + 'datasets')).datasets;
    redraw();
  }
  await load();
}
