import { JupyterFrontEndPlugin } from '@jupyterlab/application';

import { apiPlugin, datasetsPlugin } from './plugins';

export { LiveGraphsAPI, LiveGraphsAPIError } from './api';
export * from './tokens';

const plugins: JupyterFrontEndPlugin<any>[] = [apiPlugin, datasetsPlugin];

export default plugins;
