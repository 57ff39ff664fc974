import { JupyterFrontEndPlugin } from '@jupyterlab/application';

import { adminLinkPlugin } from './adminlink';
import { apiPlugin, datasetsPlugin } from './plugins';

export { LiveGraphsAPI, LiveGraphsAPIError } from './api';
export * from './tokens';

const plugins: JupyterFrontEndPlugin<any>[] = [
  apiPlugin,
  datasetsPlugin,
  adminLinkPlugin
];

export default plugins;
