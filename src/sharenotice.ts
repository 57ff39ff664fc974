import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { Dialog } from '@jupyterlab/apputils';
import { PageConfig } from '@jupyterlab/coreutils';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

/**
 * The class of jupyter-collaboration's share dialog body (both its hub and plain variants).
 */
export const SHARE_DIALOG_BODY_CLASS = 'jp-shared-link-body';

/**
 * The class of the notice this plugin puts at the top of that dialog.
 */
export const SHARE_NOTICE_CLASS = 'jp-LiveGraphs-shareNotice';

type Trans = ReturnType<ITranslator['load']>;

/**
 * What the share dialog must say on this hub server, or null outside a hub.
 */
export function shareNotice(trans: Trans): string | null {
  const hubUser = PageConfig.getOption('hubUser');
  if (!hubUser) {
    return null;
  }
  const owner = PageConfig.getOption('hubServerUser') || hubUser;
  const server = PageConfig.getOption('hubServerName');
  if (owner !== hubUser) {
    return trans.__(
      'This is %1\'s server "%2": code you run here runs as %1, with %1\'s files.',
      owner,
      server
    );
  }
  if (!server) {
    return trans.__(
      'Your default server cannot be shared: it holds your home and the token to your livegraphs datasets. ' +
        'To work with others, start a named server from the Hub Control Panel and share that one.'
    );
  }
  return trans.__(
    'People you share "%1" with run code as you: their notebooks, kernels and terminals run with your ' +
      'account and can read and change every file you can. Share it only with people you trust.',
    server
  );
}

/**
 * On a hub, jupyter-collaboration's share dialog says plainly that collaborators run code as the
 * server's owner (and, on a default server, that it cannot be shared).
 */
export const shareNoticePlugin: JupyterFrontEndPlugin<void> = {
  id: 'livegraphs-ext:share-notice',
  description:
    'Says in the share dialog that collaborators run code as the owner.',
  autoStart: true,
  optional: [ITranslator],
  activate: (_app: JupyterFrontEnd, translator: ITranslator | null): void => {
    const trans = (translator ?? nullTranslator).load('livegraphs_ext');
    const text = shareNotice(trans);
    if (!text) {
      return;
    }
    Dialog.tracker.widgetAdded.connect((_, dialog) => {
      const body = dialog.node.querySelector(`.${SHARE_DIALOG_BODY_CLASS}`);
      if (!body || body.querySelector(`.${SHARE_NOTICE_CLASS}`)) {
        return;
      }
      const notice = document.createElement('p');
      notice.className = SHARE_NOTICE_CLASS;
      notice.setAttribute('role', 'note');
      notice.textContent = text;
      body.prepend(notice);
    });
  }
};
