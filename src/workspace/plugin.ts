import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  Dialog,
  ICommandPalette,
  IThemeManager,
  MainAreaWidget,
  showDialog,
  showErrorMessage,
  WidgetTracker
} from '@jupyterlab/apputils';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import {
  deleteIcon,
  downloadIcon,
  editIcon,
  fileUploadIcon,
  refreshIcon,
  searchIcon,
  CommandToolbarButton,
  undoIcon
} from '@jupyterlab/ui-components';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { datasetsIcon } from '../icons';
import { DatasetsPanel } from '../panel';
import { IDataset, ILiveGraphsAPI } from '../tokens';
import { mayEdit, mayManage } from './access';
import { StepKind } from './dialogs';
import { DatasetView } from './dataview';
import { GridSearch } from './searchbox';
import { DataToolbar } from './toolbar';
import { el } from '../dom';
import { DATA_EXTENSIONS } from './uploads';
import { uploadNewData } from './newdata';

/**
 * The command ids of the data workspace.
 */
export namespace CommandIDs {
  export const refreshDatasets = 'livegraphs:refresh-datasets';
  export const upload = 'livegraphs:upload-datasets';
  export const search = 'livegraphs:search-datasets';
  export const open = 'livegraphs:open-dataset';
  export const rename = 'livegraphs:rename-dataset';
  export const newData = 'livegraphs:upload-new-data';
  export const exportDataset = 'livegraphs:export-dataset';
  export const remove = 'livegraphs:delete-dataset';
  export const newChart = 'livegraphs:new-chart-from-dataset';
  export const newDashboard = 'livegraphs:new-dashboard-from-dataset';
  export const openAsDataset = 'livegraphs:open-file-as-dataset';
  export const undo = 'livegraphs:undo-step';
  export const copyCode = 'livegraphs:copy-recipe-code';
  export const showReport = 'livegraphs:show-report';
  export const showModel = 'livegraphs:show-model';
  export const showProfile = 'livegraphs:show-column-profile';
  export const sortColumn = 'livegraphs:sort-by-column';
  export const treatMissing = 'livegraphs:treat-na-as-missing';
  export const toggleSidePanel = 'livegraphs:toggle-dataset-side-panel';
  export const step = (kind: StepKind) =>
    `livegraphs:step-${kind.replace('_', '-')}`;
}

/**
 * The chart command another plugin provides; offered only when registered.
 */
export const NEW_CHART_COMMAND = 'livegraphs:new-chart';

/**
 * The dashboard command another plugin provides; offered only when registered.
 */
export const NEW_DASHBOARD_COMMAND = 'livegraphs:new-dashboard';

/**
 * The jupyter_events schema of dataset change notifications.
 */
export const DATASET_EVENT = 'https://events.livegraphs.dev/dataset/v1';

const STEP_LABELS: Array<[StepKind, string, string]> = [
  ['cast', 'Change Type…', 'Change Type'],
  ['rename', 'Rename Column…', 'Rename'],
  ['drop_columns', 'Drop Column…', 'Drop Column'],
  ['drop_nulls', 'Drop Rows with Nulls…', 'Drop Nulls'],
  ['fill_nulls', 'Fill Nulls…', 'Fill Nulls'],
  ['filter', 'Filter Rows…', 'Filter'],
  ['dedupe', 'Remove Duplicates…', 'Deduplicate'],
  ['derive', 'New Column from Formula…', 'New Column']
];

/**
 * The data workspace: the Datasets panel in the left sidebar, uploads, the
 * dataset view with its report, recipe and profile, and their commands.
 */
export const datasetsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'livegraphs-ext:datasets',
  description: 'Adds the Datasets panel and the dataset views.',
  autoStart: true,
  requires: [ILiveGraphsAPI],
  optional: [
    ILayoutRestorer,
    ICommandPalette,
    ITranslator,
    ISettingRegistry,
    IThemeManager,
    IFileBrowserFactory
  ],
  activate: (
    app: JupyterFrontEnd,
    api: ILiveGraphsAPI,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null,
    settingRegistry: ISettingRegistry | null,
    themes: IThemeManager | null,
    browsers: IFileBrowserFactory | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('livegraphs_ext');
    const { commands, shell } = app;
    const settings = {
      pageSize: 500,
      defaultExportFormat: 'csv',
      pollInterval: 10
    };

    const panel = new DatasetsPanel({
      api,
      translator: translator ?? undefined
    });
    shell.add(panel, 'left', { rank: 600 });
    restorer?.add(panel, DatasetsPanel.ID);

    const tracker = new WidgetTracker<MainAreaWidget<DatasetView>>({
      namespace: 'livegraphs-dataset'
    });
    void restorer?.restore(tracker, {
      command: CommandIDs.open,
      args: widget => ({ id: widget.content.current.id }),
      name: widget => widget.content.current.id
    });

    const currentView = (): DatasetView | null => {
      const widget = tracker.currentWidget;
      return widget && shell.currentWidget === widget
        ? widget.content
        : (tracker.currentWidget?.content ?? null);
    };
    const datasetFor = async (
      args: ReadonlyPartialJSONObject
    ): Promise<IDataset | null> => {
      const id = typeof args.id === 'string' ? args.id : null;
      if (id) {
        return (
          panel.datasets.find(d => d.id === id) ?? (await api.getDataset(id))
        );
      }
      if (args.fromView) {
        return currentView()?.current ?? null;
      }
      return panel.current ?? currentView()?.current ?? null;
    };

    // What a command acts on, known without asking the server (for isVisible).
    const knownDataset = (args: ReadonlyPartialJSONObject): IDataset | null => {
      const id = typeof args.id === 'string' ? args.id : null;
      if (id) {
        return panel.datasets.find(d => d.id === id) ?? null;
      }
      if (args.fromView) {
        return currentView()?.current ?? null;
      }
      // A context menu is built before the right-clicked item is selected.
      const hit = app.contextMenuHitTest(node =>
        node.classList.contains('jp-LiveGraphs-dataset')
      );
      const hitId = hit?.dataset.datasetId;
      if (hitId) {
        return panel.datasets.find(d => d.id === hitId) ?? null;
      }
      return panel.current ?? currentView()?.current ?? null;
    };
    // Data views by widget id: a view's toolbar acts on its own view, not the current one.
    const views = new Map<string, DatasetView>();
    const viewFor = (args: ReadonlyPartialJSONObject): DatasetView | null =>
      (typeof args.view === 'string' ? views.get(args.view) : null) ??
      currentView();
    const viewEditable = (args: ReadonlyPartialJSONObject) =>
      viewFor(args)?.editable ?? true;

    // The toolbar of every data view; add items here (or with `toolbar.add`).
    const toolbar = new DataToolbar({ commands });
    [
      CommandIDs.step('cast'),
      CommandIDs.step('rename'),
      CommandIDs.step('filter'),
      CommandIDs.step('derive'),
      CommandIDs.step('fill_nulls'),
      CommandIDs.step('drop_nulls'),
      CommandIDs.treatMissing,
      CommandIDs.step('dedupe'),
      CommandIDs.undo,
      CommandIDs.copyCode,
      CommandIDs.exportDataset,
      CommandIDs.showModel
    ].forEach((id, i) => toolbar.addCommand(id, 10 * (i + 1), id));
    // first: a narrow window folds the toolbar's last items into a menu
    toolbar.add({
      name: 'search',
      rank: 0,
      create: ({ view }) =>
        new GridSearch({
          model: view.model,
          translator: translator ?? undefined
        })
    });

    const openView = async (
      dataset: IDataset,
      showReport = false
    ): Promise<DatasetView> => {
      const known = tracker.find(w => w.content.current.id === dataset.id);
      if (known) {
        shell.activateById(known.id);
        if (showReport) {
          known.content.showReport();
        }
        return known.content;
      }
      const content = new DatasetView({
        api,
        dataset,
        commands,
        blockSize: settings.pageSize
      });
      const widget = new MainAreaWidget({ content });
      widget.id = `livegraphs-dataset-${dataset.id}`;
      views.set(widget.id, content);
      widget.disposed.connect(() => views.delete(widget.id));
      widget.title.icon = datasetsIcon;
      widget.title.closable = true;
      widget.title.label = dataset.name;
      content.changed.connect((_, d) => {
        commands.notifyCommandChanged(); // the toolbar follows the caller's access
        widget.title.label = d.name;
        widget.title.caption = content.title.caption;
        void tracker.save(widget);
      });
      content.sidePanelChanged.connect(() =>
        commands.notifyCommandChanged(CommandIDs.toggleSidePanel)
      );
      // commands other plugins add to every view (Refresh from Sources, say)
      DatasetView.TOOLBAR_COMMANDS.forEach((id, i) =>
        toolbar.addCommand(id, 1000 + i, id)
      );
      toolbar.populate(widget.toolbar, content, widget.id);
      shell.add(widget, 'main');
      await tracker.add(widget);
      shell.activateById(widget.id);
      if (showReport) {
        content.showReport();
      }
      return content;
    };

    panel.openRequested.connect((_, dataset) => void openView(dataset));
    tracker.currentChanged.connect(() => commands.notifyCommandChanged());
    panel.uploads.uploaded.connect(
      (_, dataset) => void openView(dataset, true)
    );

    themes?.themeChanged.connect(() => {
      // The theme's CSS lands a frame after the signal.
      requestAnimationFrame(() => tracker.forEach(w => w.content.applyTheme()));
    });

    // Keep everything current: change events from this server, and a cheap
    // conditional poll for changes made by another process (a hub service).
    const onChange = (id: string | null, action: string | null) => {
      void panel.refresh();
      tracker.forEach(w => {
        if (id === null || w.content.current.id === id) {
          if (action === 'deleted') {
            w.dispose();
          } else {
            void w.content.reload().catch(() => undefined);
          }
        }
      });
    };
    app.serviceManager.events.stream.connect((_, event) => {
      if (event.schema_id === DATASET_EVENT) {
        onChange(
          typeof event.id === 'string' ? event.id : null,
          typeof event.action === 'string' ? event.action : null
        );
      }
    });
    let pollTimer = 0;
    const schedulePoll = () => {
      window.clearInterval(pollTimer);
      if (settings.pollInterval > 0) {
        pollTimer = window.setInterval(() => {
          if (document.visibilityState === 'visible' && panel.isVisible) {
            void panel.poll();
          }
        }, settings.pollInterval * 1000);
      }
    };
    schedulePoll();

    if (settingRegistry) {
      void settingRegistry
        .load(datasetsPlugin.id)
        .then(loaded => {
          const read = () => {
            settings.pageSize = loaded.get('pageSize').composite as number;
            settings.defaultExportFormat = loaded.get('defaultExportFormat')
              .composite as string;
            settings.pollInterval = loaded.get('pollInterval')
              .composite as number;
            schedulePoll();
          };
          read();
          loaded.changed.connect(read);
        })
        .catch(() => undefined);
    }

    // ---- commands: datasets
    const category = trans.__('LiveGraphs');
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

    add(CommandIDs.refreshDatasets, {
      label: trans.__('Refresh Datasets'),
      caption: trans.__('Reload the list of datasets from the server'),
      icon: refreshIcon,
      execute: () => panel.refresh()
    });
    add(CommandIDs.upload, {
      label: trans.__('Upload Datasets…'),
      caption: trans.__(
        'Upload CSV, TSV, JSON or JSON Lines files as datasets'
      ),
      icon: fileUploadIcon,
      execute: () => {
        shell.activateById(panel.id);
        panel.chooseFiles();
      }
    });
    add(CommandIDs.search, {
      label: trans.__('Search Datasets'),
      icon: searchIcon,
      execute: () => {
        shell.activateById(panel.id);
        panel.focusSearch();
      }
    });
    add(CommandIDs.open, {
      label: trans.__('Open Dataset'),
      caption: trans.__('Open the selected dataset in a data view'),
      icon: datasetsIcon,
      isEnabled: args => !!args.id || panel.current !== null,
      execute: async args => {
        const dataset = await datasetFor(args);
        if (dataset) {
          await openView(dataset);
        }
      }
    });
    add(CommandIDs.rename, {
      label: trans.__('Rename Dataset…'),
      icon: editIcon,
      isVisible: args => mayEdit(knownDataset(args)),
      isEnabled: args =>
        !!args.id || panel.current !== null || tracker.currentWidget !== null,
      execute: async args => {
        const dataset = await datasetFor(args);
        if (!dataset) {
          return;
        }
        const input = el('input', 'jp-mod-styled');
        input.value = dataset.name;
        input.setAttribute('aria-label', trans.__('New name'));
        const result = await showDialog({
          title: trans.__('Rename dataset'),
          body: new (await import('@lumino/widgets')).Widget({ node: input }),
          buttons: [
            Dialog.cancelButton(),
            Dialog.okButton({ label: trans.__('Rename') })
          ],
          focusNodeSelector: 'input'
        });
        if (result.button.accept && input.value.trim()) {
          try {
            await api.renameDataset(dataset.id, input.value.trim());
            onChange(dataset.id, 'changed');
          } catch (reason) {
            await showErrorMessage(
              trans.__('Could not rename'),
              reason as Error
            );
          }
        }
      }
    });
    add(CommandIDs.newData, {
      label: trans.__('Upload New Data…'),
      caption: trans.__(
        'Append a file’s rows to the dataset or replace its data, and see what changed'
      ),
      icon: fileUploadIcon,
      isVisible: args => mayEdit(knownDataset(args)),
      isEnabled: args =>
        !!args.id || panel.current !== null || tracker.currentWidget !== null,
      execute: async args => {
        const dataset = await datasetFor(args);
        if (!dataset) {
          return;
        }
        const out = await uploadNewData(api, dataset, trans);
        if (out) {
          onChange(dataset.id, 'changed');
        }
      }
    });
    add(CommandIDs.exportDataset, {
      label: args =>
        args.format
          ? trans.__('Export as %1', String(args.format).toUpperCase())
          : args.toolbar
            ? trans.__('Export')
            : trans.__('Export Dataset'),
      caption: trans.__('Download the dataset as CSV, Parquet or JSON'),
      icon: args => (args.toolbar ? undefined : downloadIcon),
      isEnabled: args =>
        !!args.id || panel.current !== null || tracker.currentWidget !== null,
      execute: async args => {
        const dataset = await datasetFor(args);
        if (!dataset) {
          return;
        }
        const format =
          typeof args.format === 'string'
            ? args.format
            : settings.defaultExportFormat;
        const link = el('a');
        link.href = api.exportUrl(dataset.id, format, dataset.version);
        link.download = '';
        document.body.appendChild(link);
        link.click();
        link.remove();
      }
    });
    add(CommandIDs.remove, {
      label: trans.__('Delete Dataset…'),
      icon: deleteIcon,
      isVisible: args => mayManage(knownDataset(args)),
      isEnabled: args => !!args.id || panel.current !== null,
      execute: async args => {
        const dataset = await datasetFor(args);
        if (!dataset) {
          return;
        }
        const result = await showDialog({
          title: trans.__('Delete dataset'),
          body: trans.__(
            'Delete “%1” with all its %2 versions? This cannot be undone.',
            dataset.name,
            dataset.versions ?? dataset.version
          ),
          buttons: [
            Dialog.cancelButton(),
            Dialog.warnButton({ label: trans.__('Delete') })
          ]
        });
        if (!result.button.accept) {
          return;
        }
        try {
          await api.deleteDataset(dataset.id);
          onChange(dataset.id, 'deleted');
        } catch (reason) {
          await showErrorMessage(trans.__('Could not delete'), reason as Error);
        }
      }
    });
    add(
      CommandIDs.newChart,
      {
        label: trans.__('New Chart'),
        caption: trans.__('Make a chart of this dataset'),
        isVisible: () => commands.hasCommand(NEW_CHART_COMMAND),
        isEnabled: () => commands.hasCommand(NEW_CHART_COMMAND),
        execute: async args => {
          const dataset = await datasetFor(args);
          if (dataset && commands.hasCommand(NEW_CHART_COMMAND)) {
            return commands.execute(NEW_CHART_COMMAND, { id: dataset.id });
          }
        }
      },
      false
    );
    // Show "New Chart" in the palette only once the chart command exists.
    const offerChart = () => {
      if (commands.hasCommand(NEW_CHART_COMMAND) && !chartInPalette) {
        chartInPalette = true;
        palette?.addItem({ command: CommandIDs.newChart, category });
      }
    };
    let chartInPalette = false;
    commands.commandChanged.connect((_, change) => {
      if (change.id === NEW_CHART_COMMAND) {
        offerChart();
      }
    });
    offerChart();

    // A dashboard from the panel: with a chart of the dataset picked there.
    const hasDashboards = () => commands.hasCommand(NEW_DASHBOARD_COMMAND);
    add(
      CommandIDs.newDashboard,
      {
        label: trans.__('New Dashboard'),
        caption: trans.__(
          'Make a dashboard, with a chart of the selected dataset if one is selected'
        ),
        isVisible: hasDashboards,
        isEnabled: hasDashboards,
        execute: async args => {
          const dataset = await datasetFor(args);
          return commands.execute(
            NEW_DASHBOARD_COMMAND,
            dataset ? { datasetId: dataset.id } : {}
          );
        }
      },
      false
    );
    panel.toolbar.insertItem(
      1,
      'new-dashboard',
      new CommandToolbarButton({
        commands,
        id: CommandIDs.newDashboard,
        label: trans.__('New Dashboard')
      })
    );
    commands.commandChanged.connect((_, change) => {
      if (change.id === NEW_DASHBOARD_COMMAND) {
        commands.notifyCommandChanged(CommandIDs.newDashboard);
      }
    });

    const selectedFile = (): string | null => {
      const item = browsers?.tracker.currentWidget?.selectedItems().next();
      const model = item && !item.done ? item.value : null;
      return model && model.type !== 'directory' ? model.path : null;
    };
    add(
      CommandIDs.openAsDataset,
      {
        label: trans.__('Open as Dataset'),
        caption: trans.__(
          'Make a dataset from this file (copied on the server)'
        ),
        icon: datasetsIcon,
        isVisible: () => {
          const path = selectedFile();
          return (
            !!path &&
            DATA_EXTENSIONS.some(ext => path.toLowerCase().endsWith(ext))
          );
        },
        execute: args => {
          const path =
            typeof args.path === 'string' ? args.path : selectedFile();
          if (path) {
            shell.activateById(panel.id);
            panel.uploads.addServerFile(path);
          }
        }
      },
      false
    );

    // ---- commands: the data view
    const viewEnabled = () => tracker.currentWidget !== null;
    for (const [kind, label, short] of STEP_LABELS) {
      add(CommandIDs.step(kind), {
        label: args => (args.toolbar ? trans.__(short) : trans.__(label)),
        caption: trans.__(label.replace('…', '')),
        isEnabled: viewEnabled,
        isVisible: viewEditable,
        execute: args => viewFor(args)?.runStep(kind)
      });
    }
    add(CommandIDs.treatMissing, {
      label: args =>
        args.toolbar
          ? trans.__('Treat NA as Missing')
          : trans.__('Treat NA as Missing in All Columns'),
      caption: trans.__(
        'In every text column, NA, N/A, null, -, empty text and the other missing-value markers become missing, in one undoable step; a column then holding only numbers, dates or true/false takes that type'
      ),
      isEnabled: viewEnabled,
      isVisible: viewEditable,
      execute: args => viewFor(args)?.treatMissing()
    });
    add(CommandIDs.toggleSidePanel, {
      label: trans.__('Show Dataset Side Panel'),
      caption: trans.__('Show or hide the report, recipe and profile'),
      isEnabled: viewEnabled,
      isToggled: args => viewFor(args)?.sidePanelShown ?? false,
      execute: args => viewFor(args)?.toggleSidePanel()
    });
    add(CommandIDs.sortColumn, {
      label: trans.__('Sort by Column'),
      isEnabled: () => !!currentView()?.selectedColumn,
      execute: () => {
        const view = currentView();
        if (view?.selectedColumn) {
          view.toggleSort(view.selectedColumn);
        }
      }
    });
    add(CommandIDs.undo, {
      label: args =>
        args.toolbar ? trans.__('Undo') : trans.__('Undo Last Step'),
      icon: args => (args.toolbar ? undefined : undoIcon),
      isEnabled: viewEnabled,
      isVisible: viewEditable,
      execute: args => viewFor(args)?.undo()
    });
    add(CommandIDs.copyCode, {
      label: args =>
        args.toolbar
          ? trans.__('Copy as Code')
          : trans.__('Copy Recipe as Code'),
      isEnabled: viewEnabled,
      execute: args => viewFor(args)?.copyCode()
    });
    add(CommandIDs.showReport, {
      label: trans.__('Show Validation Report'),
      isEnabled: viewEnabled,
      execute: () => currentView()?.showReport()
    });
    add(CommandIDs.showModel, {
      label: trans.__('Model…'),
      caption: trans.__(
        'Fit a regression or classification on this dataset, with an honest evaluation'
      ),
      isEnabled: viewEnabled,
      execute: args => viewFor(args)?.showModels()
    });
    add(CommandIDs.showProfile, {
      label: trans.__('Show Column Profile'),
      isEnabled: viewEnabled,
      execute: () => currentView()?.showProfile()
    });
    DatasetView.COLUMN_COMMANDS.push(
      CommandIDs.sortColumn,
      CommandIDs.showProfile,
      '-',
      ...STEP_LABELS.map(([kind]) => CommandIDs.step(kind))
    );

    // ---- context menus
    const item = '.jp-LiveGraphs-dataset';
    let rank = 0;
    for (const command of [
      CommandIDs.open,
      CommandIDs.newChart,
      CommandIDs.newDashboard,
      CommandIDs.rename,
      CommandIDs.newData
    ]) {
      app.contextMenu.addItem({ command, selector: item, rank: rank++ });
    }
    for (const format of ['csv', 'parquet', 'json']) {
      app.contextMenu.addItem({
        command: CommandIDs.exportDataset,
        args: { format },
        selector: item,
        rank: rank++
      });
    }
    app.contextMenu.addItem({
      command: CommandIDs.remove,
      selector: item,
      rank: rank++
    });
    app.contextMenu.addItem({
      command: CommandIDs.openAsDataset,
      selector: '.jp-DirListing-item[data-isdir="false"]',
      rank: 3
    });
  }
};
