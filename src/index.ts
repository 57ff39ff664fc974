import { JupyterFrontEndPlugin } from '@jupyterlab/application';

import { apiPlugin, datasetsPlugin } from './plugins';
import { dashboardPlugin } from './dashboard/plugin';

export { LiveGraphsAPI, LiveGraphsAPIError } from './api';
export * from './tokens';

const plugins: JupyterFrontEndPlugin<any>[] = [apiPlugin, datasetsPlugin];
plugins.push(dashboardPlugin);

export default plugins;
