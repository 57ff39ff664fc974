import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { PageConfig, URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

/**
 * The command that opens the livegraphs admin pages of the hub.
 */
export const OPEN_ADMIN_COMMAND = 'livegraphs:open-admin';

/**
 * Who the livegraphs service says the user is (its `api/user` route).
 */
interface IWhoAmI {
  name: string;
  groups: string[];
  admin: boolean;
}

/**
 * The admin pages' URL on this server's hub, or null when JupyterLab does not run under a hub.
 */
export function adminPagesUrl(): string | null {
  const hubPrefix = PageConfig.getOption('hubPrefix');
  if (!hubPrefix) {
    return null;
  }
  // The service on an origin of its own (users' servers on subdomains): the server tells us where.
  const serviceUrl = PageConfig.getOption('livegraphsServicePublicUrl');
  if (serviceUrl) {
    return URLExt.join(serviceUrl, 'admin/');
  }
  // hubPrefix is `<hub base URL>hub/`; services live beside it.
  const hubBase = URLExt.join(hubPrefix, '..');
  return URLExt.join(
    PageConfig.getOption('hubHost') || '',
    hubBase,
    'services',
    'livegraphs',
    'admin/'
  );
}

async function whoAmI(
  settings: ServerConnection.ISettings
): Promise<IWhoAmI | null> {
  const url = URLExt.join(settings.baseUrl, 'livegraphs', 'api', 'user');
  const response = await ServerConnection.makeRequest(url, {}, settings);
  if (!response.ok) {
    return null;
  }
  return (await response.json()) as IWhoAmI;
}

/**
 * For livegraphs admins on a hub: a command (in the palette) that opens the admin pages.
 */
export const adminLinkPlugin: JupyterFrontEndPlugin<void> = {
  id: 'livegraphs-ext:admin-link',
  description: 'Opens the livegraphs admin pages of the hub, for admins.',
  autoStart: true,
  optional: [ICommandPalette, ITranslator],
  activate: async (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ): Promise<void> => {
    const url = adminPagesUrl();
    if (!url) {
      return;
    }
    const me = await whoAmI(app.serviceManager.serverSettings).catch(
      () => null
    );
    if (!me?.admin) {
      return;
    }
    const trans = (translator ?? nullTranslator).load('livegraphs_ext');
    app.commands.addCommand(OPEN_ADMIN_COMMAND, {
      label: trans.__('livegraphs Admin Pages'),
      caption: trans.__(
        'Every dataset, users and roles, activity and engagement (opens a new tab)'
      ),
      execute: () => {
        window.open(url, '_blank', 'noopener');
      }
    });
    palette?.addItem({ command: OPEN_ADMIN_COMMAND, category: 'livegraphs' });
  }
};
