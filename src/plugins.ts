import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';

import { LiveGraphsAPI } from './api';
import { ILiveGraphsAPI } from './tokens';

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

export { datasetsPlugin } from './workspace/plugin';
