/**
 * How the dataset grid answers keys and the mouse, on top of Lumino's:
 * copies wait for rows still loading, header clicks select and sort,
 * the context menu opens a column's menu.
 */
import { BasicKeyHandler, BasicMouseHandler, DataGrid } from '@lumino/datagrid';

import { DatasetGridModel } from './model';

/**
 * What the handlers act on: the dataset view (`DatasetView`).
 */
export interface IGridHost {
  readonly model: DatasetGridModel;
  selectColumn(name: string | null): void;
  toggleSort(column: string): void;
  openColumnMenu(column: string, x: number, y: number): void;
  copySelection(): Promise<void>;
}

/**
 * Lumino's keys, but a copy waits for rows still loading.
 */
export class GridKeyHandler extends BasicKeyHandler {
  constructor(view: IGridHost) {
    super();
    this._view = view;
  }

  onKeyDown(grid: DataGrid, event: KeyboardEvent): void {
    // The context-menu key (or Shift+F10) opens the cursor column's menu.
    if (
      event.key === 'ContextMenu' ||
      (event.shiftKey && event.key === 'F10')
    ) {
      const column = grid.selectionModel?.cursorColumn ?? -1;
      const name = this._view.model.columns[column]?.name;
      if (name !== undefined) {
        event.preventDefault();
        event.stopPropagation();
        const rect = grid.node.getBoundingClientRect();
        this._view.openColumnMenu(
          name,
          rect.left + grid.headerWidth + 8,
          rect.top + grid.headerHeight
        );
        return;
      }
    }
    super.onKeyDown(grid, event);
  }

  protected onKeyC(grid: DataGrid, event: KeyboardEvent): void {
    if ((event.ctrlKey || event.metaKey) && !event.shiftKey && !event.altKey) {
      event.preventDefault();
      event.stopPropagation();
      void this._view.copySelection();
      return;
    }
    super.onKeyC(grid, event);
  }

  private _view: IGridHost;
}

/**
 * Grid mouse handling: a header click selects the column and sorts by it,
 * a header right-click opens the column menu; the rest is Lumino's.
 */
export class GridMouseHandler extends BasicMouseHandler {
  constructor(view: IGridHost) {
    super();
    this._view = view;
  }

  onMouseDown(grid: DataGrid, event: MouseEvent): void {
    const hit = grid.hitTest(event.clientX, event.clientY);
    const name = this._name(hit);
    // Clicks near a column border resize it, as usual.
    if (
      name !== null &&
      event.button === 0 &&
      hit.x > 6 &&
      hit.width - hit.x > 6
    ) {
      this._view.selectColumn(name);
      this._view.toggleSort(name);
      event.preventDefault();
      return;
    }
    if (hit.region === 'body') {
      this._view.selectColumn(
        this._view.model.columns[hit.column]?.name ?? null
      );
    }
    super.onMouseDown(grid, event);
  }

  onContextMenu(grid: DataGrid, event: MouseEvent): void {
    const hit = grid.hitTest(event.clientX, event.clientY);
    const name =
      this._name(hit) ??
      (hit.region === 'body'
        ? (this._view.model.columns[hit.column]?.name ?? null)
        : null);
    if (name !== null) {
      event.preventDefault();
      event.stopPropagation();
      this._view.openColumnMenu(name, event.clientX, event.clientY);
    }
  }

  private _name(hit: DataGrid.HitTestResult): string | null {
    if (hit.region !== 'column-header') {
      return null;
    }
    return this._view.model.columns[hit.column]?.name ?? null;
  }

  private _view: IGridHost;
}
