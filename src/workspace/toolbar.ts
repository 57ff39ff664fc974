import { CommandToolbarButton, Toolbar } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';

import type { DatasetView } from './dataview';

/**
 * The items of a dataset view's toolbar.
 *
 * Each item makes its own widget for one view, so an item may be a command's
 * button or any widget (a search box, say) that works on the view it is given.
 * Items show by rank, then in the order they were added.
 */
export class DataToolbar {
  constructor(options: DataToolbar.IOptions) {
    this._commands = options.commands;
  }

  /**
   * The items, in the order they show.
   */
  get items(): ReadonlyArray<DataToolbar.IItem> {
    return [...this._items].sort((a, b) => a.rank - b.rank);
  }

  /**
   * Add an item; a later item of the same name replaces it.
   */
  add(item: DataToolbar.IItem): void {
    this._items = this._items.filter(i => i.name !== item.name);
    this._items.push(item);
  }

  /**
   * Add the button of a command, run for the view it sits on (`args.view`).
   */
  addCommand(name: string, rank: number, command: string): void {
    this.add({
      name,
      rank,
      create: ({ commands, widgetId }) => {
        const args = { fromView: true, view: widgetId };
        return new CommandToolbarButton({
          commands,
          id: command,
          args,
          label: commands.label(command, { ...args, toolbar: true })
        });
      }
    });
  }

  /**
   * Put every item in a view's toolbar.
   */
  populate(toolbar: Toolbar<Widget>, view: DatasetView, widgetId: string) {
    const context = { view, widgetId, commands: this._commands };
    for (const item of this.items) {
      toolbar.addItem(item.name, item.create(context));
    }
  }

  private _commands: CommandRegistry;
  private _items: DataToolbar.IItem[] = [];
}

/**
 * A namespace for `DataToolbar` statics.
 */
export namespace DataToolbar {
  /**
   * The options used to create the toolbar's item list.
   */
  export interface IOptions {
    commands: CommandRegistry;
  }

  /**
   * What an item's widget is made for.
   */
  export interface IContext {
    /**
     * The view whose toolbar it is.
     */
    view: DatasetView;

    /**
     * The id of the view's main-area widget (commands take it as `view`).
     */
    widgetId: string;

    commands: CommandRegistry;
  }

  /**
   * One item of the toolbar.
   */
  export interface IItem {
    /**
     * A name unique in the toolbar.
     */
    name: string;

    /**
     * Where it shows: lower ranks first.
     */
    rank: number;

    /**
     * Make the item's widget for one view.
     */
    create(context: IContext): Widget;
  }
}
