import { JupyterFrontEndPlugin } from '@jupyterlab/application';

import { adminLinkPlugin } from './adminlink';
import { shareNoticePlugin } from './sharenotice';
import { apiPlugin, datasetsPlugin } from './plugins';
import { chartsPlugin } from './charts/plugin';
import { chartOutputPlugin } from './charts/output';
import { dashboardPlugin } from './dashboard/plugin';
import { documentsPlugin, launcherPlugin } from './documents/plugin';
import { sqlPlugin } from './sql/plugin';
import { voilaPlugin } from './voila';

export { LiveGraphsAPI, LiveGraphsAPIError } from './api';
export * from './tokens';
export * from './charts';

const plugins: JupyterFrontEndPlugin<any>[] = [
  apiPlugin,
  datasetsPlugin,
  adminLinkPlugin,
  shareNoticePlugin,
  chartsPlugin,
  dashboardPlugin,
  documentsPlugin,
  launcherPlugin,
  chartOutputPlugin,
  sqlPlugin,
  voilaPlugin
];

export default plugins;
