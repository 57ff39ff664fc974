import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  IThemeManager,
  MainAreaWidget,
  showErrorMessage,
  WidgetTracker
} from '@jupyterlab/apputils';
import { IEditorServices } from '@jupyterlab/codeeditor';
import { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { ILauncher } from '@jupyterlab/launcher';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import {
  CommandToolbarButton,
  refreshIcon,
  runIcon,
  saveIcon
} from '@jupyterlab/ui-components';
import { find } from '@lumino/algorithm';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { datasetsIcon } from '../icons';
import { DatasetsPanel } from '../panel';
import { IDataset, ILiveGraphsAPI } from '../tokens';
import { mayEdit } from '../workspace/access';
import { DatasetView } from '../workspace/dataview';
import { ISqlSources, SqlClient } from './client';
import { SqlEditor } from './editor';

/**
 * The command ids of the SQL editor.
 */
export namespace SqlCommandIDs {
  export const newQuery = 'livegraphs:new-sql-query';
  export const queryDataset = 'livegraphs:query-dataset-with-sql';
  export const run = 'livegraphs:run-sql-query';
  export const save = 'livegraphs:save-sql-query';
  export const chart = 'livegraphs:chart-sql-query';
  export const refreshFromSources = 'livegraphs:refresh-from-sources';
}

/**
 * A name as SQL writes it: double-quoted, with `"` doubled.
 */
function quoted(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * The SQL editor: New SQL Query (palette, launcher, Datasets panel), Query
 * with SQL on a dataset, Run, Save as Dataset and Chart (the query as a
 * chart's data, not saved), and Refresh from Sources in the view of a dataset
 * a query made.
 */
export const sqlPlugin: JupyterFrontEndPlugin<void> = {
  id: 'livegraphs-ext:sql',
  description: 'Adds the SQL editor over the datasets the user may read.',
  autoStart: true,
  requires: [ILiveGraphsAPI, IEditorServices],
  optional: [
    IEditorLanguageRegistry,
    ICommandPalette,
    ILauncher,
    ILayoutRestorer,
    IThemeManager,
    ITranslator
  ],
  activate: (
    app: JupyterFrontEnd,
    api: ILiveGraphsAPI,
    editors: IEditorServices,
    languages: IEditorLanguageRegistry | null,
    palette: ICommandPalette | null,
    launcher: ILauncher | null,
    restorer: ILayoutRestorer | null,
    themes: IThemeManager | null,
    translator: ITranslator | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('livegraphs_ext');
    const { commands, shell } = app;
    const client = new SqlClient({
      serverSettings: app.serviceManager.serverSettings
    });
    const sqlLanguage = languages?.findBest('sql');
    const mime = sqlLanguage
      ? typeof sqlLanguage.mime === 'string'
        ? sqlLanguage.mime
        : (sqlLanguage.mime[0] ?? 'text/x-sql')
      : 'text/x-sql';
    const category = trans.__('LiveGraphs');

    const tracker = new WidgetTracker<MainAreaWidget<SqlEditor>>({
      namespace: 'livegraphs-sql'
    });
    void restorer?.restore(tracker, {
      command: SqlCommandIDs.newQuery,
      args: widget => ({ sql: widget.content.sql }),
      name: widget => widget.id
    });
    let opened = 0;

    const open = async (sql: string): Promise<SqlEditor> => {
      const content = new SqlEditor({
        api,
        client,
        factory: editors.factoryService.newInlineEditor,
        mimeType: mime,
        sql
      });
      const widget = new MainAreaWidget({ content });
      widget.id = `livegraphs-sql-${Date.now()}-${opened++}`;
      widget.title.label = trans.__('SQL Query');
      widget.title.icon = datasetsIcon;
      widget.title.closable = true;
      for (const id of [
        SqlCommandIDs.run,
        SqlCommandIDs.save,
        SqlCommandIDs.chart
      ]) {
        widget.toolbar.addItem(
          id,
          new CommandToolbarButton({
            commands,
            id,
            args: { toolbar: true },
            label: commands.label(id, { toolbar: true })
          })
        );
      }
      content.model.sharedModel.changed.connect(
        () => void tracker.save(widget)
      );
      content.saved.connect((_, dataset) => {
        void commands
          .execute('livegraphs:refresh-datasets')
          .catch(() => undefined);
        void commands
          .execute('livegraphs:open-dataset', { id: dataset.id })
          .catch(() => undefined);
      });
      shell.add(widget, 'main');
      await tracker.add(widget);
      shell.activateById(widget.id);
      content.input.editor.focus();
      return content;
    };
    const current = (): SqlEditor | null =>
      tracker.currentWidget?.content ?? null;
    themes?.themeChanged.connect(() =>
      requestAnimationFrame(() => tracker.forEach(w => w.content.applyTheme()))
    );

    const add = (
      id: string,
      options: Parameters<typeof commands.addCommand>[1],
      inPalette = true
    ) => {
      commands.addCommand(id, options);
      if (inPalette) {
        palette?.addItem({ command: id, category });
      }
    };

    add(SqlCommandIDs.newQuery, {
      label: trans.__('New SQL Query'),
      caption: trans.__('Query the datasets you may read with SQL'),
      icon: args => (args.isPalette ? undefined : datasetsIcon),
      execute: args =>
        open(typeof args.sql === 'string' ? args.sql : 'select\n  *\nfrom ')
    });
    // the dataset a context menu or a command names
    const datasetOf = async (
      args: ReadonlyPartialJSONObject
    ): Promise<IDataset | null> => {
      const hit = app.contextMenuHitTest(node =>
        node.classList.contains('jp-LiveGraphs-dataset')
      );
      const id = typeof args.id === 'string' ? args.id : hit?.dataset.datasetId;
      return id ? api.getDataset(id) : null;
    };
    add(
      SqlCommandIDs.queryDataset,
      {
        label: trans.__('Query with SQL'),
        caption: trans.__('Open a SQL query over this dataset'),
        execute: async args => {
          const dataset = await datasetOf(args);
          if (dataset) {
            const ref =
              dataset.access === 'owner' || dataset.access === undefined
                ? dataset.name
                : `${dataset.owner}/${dataset.name}`;
            await open(`select *\nfrom ${quoted(ref)}\nlimit 100`);
          }
        }
      },
      false
    );
    add(SqlCommandIDs.run, {
      label: args =>
        args.toolbar ? trans.__('Run') : trans.__('Run SQL Query'),
      caption: trans.__('Run the query and show its result (Shift+Enter)'),
      icon: args => (args.toolbar ? runIcon : undefined),
      isEnabled: () => current() !== null,
      execute: () => current()?.run()
    });
    add(SqlCommandIDs.save, {
      label: args =>
        args.toolbar
          ? trans.__('Save as Dataset…')
          : trans.__('Save SQL Query as Dataset…'),
      caption: trans.__(
        'Save the whole result as a dataset; its recipe is the query, refreshable when its sources change'
      ),
      icon: args => (args.toolbar ? saveIcon : undefined),
      isEnabled: () => current() !== null,
      execute: () => current()?.save()
    });
    add(SqlCommandIDs.chart, {
      label: args =>
        args.toolbar ? trans.__('Chart') : trans.__('Chart SQL Query'),
      caption: trans.__(
        "Build a chart of the query's result without saving it: the query runs at each draw, over the current data"
      ),
      isEnabled: () => current() !== null,
      execute: async () => {
        const sql = current()?.sql.trim();
        if (!sql) {
          return;
        }
        await commands.execute('livegraphs:new-chart', {
          spec: { version: 1, dataset: { sql }, encoding: {} }
        });
      }
    });
    for (const keys of [['Shift Enter'], ['Accel Enter']]) {
      commands.addKeyBinding({
        command: SqlCommandIDs.run,
        keys,
        selector: '.jp-LiveGraphs-SqlEditor .jp-LiveGraphs-sqlInput'
      });
    }

    // ---- refresh from sources, in the view of a dataset a query made
    const known = new Map<string, ISqlSources | 'asking'>();
    const viewDataset = (args: ReadonlyPartialJSONObject): IDataset | null => {
      const widget =
        typeof args.view === 'string'
          ? find(shell.widgets('main'), w => w.id === args.view)
          : shell.currentWidget;
      const content = widget instanceof MainAreaWidget ? widget.content : null;
      return content instanceof DatasetView ? content.current : null;
    };
    const sourcesOf = (dataset: IDataset): ISqlSources | null => {
      const key = `${dataset.id}@${dataset.version}`;
      const found = known.get(key);
      if (found === undefined) {
        known.set(key, 'asking');
        client
          .sources(dataset.id)
          .then(sources => {
            known.set(key, sources);
            commands.notifyCommandChanged(SqlCommandIDs.refreshFromSources);
          })
          .catch(() => known.delete(key));
        return null;
      }
      return found === 'asking' ? null : found;
    };
    add(
      SqlCommandIDs.refreshFromSources,
      {
        label: trans.__('Refresh from Sources'),
        caption: args => {
          const dataset = viewDataset(args);
          const sources = dataset ? sourcesOf(dataset) : null;
          return sources?.stale
            ? trans.__('Its sources have newer versions: run its query again')
            : trans.__('Run the query that made this dataset again');
        },
        icon: refreshIcon,
        isVisible: args => {
          const dataset = viewDataset(args);
          return !!dataset && mayEdit(dataset) && !!sourcesOf(dataset)?.sql;
        },
        execute: async args => {
          const dataset = viewDataset(args);
          if (!dataset) {
            return;
          }
          try {
            const out = await client.refresh(dataset.id);
            known.clear();
            await commands.execute('livegraphs:refresh-datasets');
            if (!out.refreshed) {
              await showErrorMessage(
                trans.__('Nothing to refresh'),
                trans.__('No source of “%1” has a newer version.', dataset.name)
              );
            }
          } catch (reason) {
            await showErrorMessage(
              trans.__('Could not refresh'),
              reason as Error
            );
          }
        }
      },
      false
    );
    DatasetView.TOOLBAR_COMMANDS.push(SqlCommandIDs.refreshFromSources);

    // ---- where the editor is offered
    app.contextMenu.addItem({
      command: SqlCommandIDs.queryDataset,
      selector: '.jp-LiveGraphs-dataset',
      rank: 1.5
    });
    launcher?.add({ command: SqlCommandIDs.newQuery, category, rank: 3 });
    app.restored
      .then(() => {
        const panel = find(
          shell.widgets('left'),
          w => w.id === DatasetsPanel.ID
        );
        if (panel instanceof DatasetsPanel) {
          panel.toolbar.insertItem(
            1,
            'sql',
            new CommandToolbarButton({
              commands,
              id: SqlCommandIDs.newQuery,
              label: trans.__('SQL'),
              icon: runIcon
            })
          );
        }
      })
      .catch(() => undefined);
  }
};
