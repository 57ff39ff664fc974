import { JupyterFrontEndPlugin } from '@jupyterlab/application';

import { apiPlugin, datasetsPlugin } from './plugins';
import { chartsPlugin } from './charts/plugin';
import { dashboardPlugin } from './dashboard/plugin';

export { LiveGraphsAPI, LiveGraphsAPIError } from './api';
export * from './tokens';
export * from './charts';

const plugins: JupyterFrontEndPlugin<any>[] = [
  apiPlugin,
  datasetsPlugin,
  chartsPlugin,
  dashboardPlugin
];

export default plugins;
