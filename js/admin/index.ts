/**
 * The livegraphs admin pages of the hub service (`livegraphs_ext/service/admin/`).
 *
 * Bundled by esbuild (js/admin/build.mjs) into `livegraphs_ext/static/admin/`.
 * Text from users (names, teams, dataset names, event details) goes into the
 * page only through `textContent` (`src/dom.ts`), and charts are drawn by the
 * JupyterLab extension's `ChartView`, which escapes every data string.
 */
import '../../style/admin.css';

import { activityPage } from './activity';
import { datasetsPage } from './datasets';
import { engagementPage } from './engagement';
import { AdminPage } from './page';
import { usersPage } from './users';

const PAGES: Record<string, (page: AdminPage) => Promise<void>> = {
  datasets: datasetsPage,
  users: usersPage,
  activity: activityPage,
  engagement: engagementPage
};

const page = new AdminPage(document.body);
const run = PAGES[page.name];
if (run) {
  // `data-ready` tells tests the page has drawn.
  run(page).then(
    () => document.body.setAttribute('data-ready', 'true'),
    error => page.say(error.message, true)
  );
}
