import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { refreshIcon } from '@jupyterlab/ui-components';

import { LiveGraphsAPI } from './api';
import { DatasetsPanel } from './panel';
import { ILiveGraphsAPI } from './tokens';

/**
 * The command ids used by livegraphs.
 */
export namespace CommandIDs {
  export const refreshDatasets = 'livegraphs:refresh-datasets';
}

/**
 * The REST client for the livegraphs server extension.
 */
export const apiPlugin: JupyterFrontEndPlugin<ILiveGraphsAPI> = {
  id: 'livegraphs-ext:api',
  description: 'Provides the livegraphs REST API client.',
  autoStart: true,
  provides: ILiveGraphsAPI,
  activate: (app: JupyterFrontEnd): ILiveGraphsAPI =>
    new LiveGraphsAPI({ serverSettings: app.serviceManager.serverSettings })
};

/**
 * The Datasets panel in the left sidebar.
 */
export const datasetsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'livegraphs-ext:datasets',
  description: 'Adds the Datasets panel to the left sidebar.',
  autoStart: true,
  requires: [ILiveGraphsAPI],
  optional: [ILayoutRestorer, ICommandPalette, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    api: ILiveGraphsAPI,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('livegraphs_ext');
    const panel = new DatasetsPanel({
      api,
      translator: translator ?? undefined
    });
    app.shell.add(panel, 'left', { rank: 600 });
    restorer?.add(panel, DatasetsPanel.ID);

    app.commands.addCommand(CommandIDs.refreshDatasets, {
      label: trans.__('Refresh Datasets'),
      caption: trans.__('Reload the list of datasets from the server'),
      icon: refreshIcon,
      execute: () => panel.refresh()
    });
    palette?.addItem({
      command: CommandIDs.refreshDatasets,
      category: trans.__('LiveGraphs')
    });
  }
};
