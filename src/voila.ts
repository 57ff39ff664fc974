/**
 * "Open in Voila": a notebook's toolbar button (and palette command) that
 * opens the notebook as a dashboard in Voila, in a new browser tab. On a hub,
 * "Publish with Voila" instead (`voilapublish.ts`): a page of the notebook
 * for chosen users and groups, on the owner's default server only.
 */
import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, ToolbarButton } from '@jupyterlab/apputils';
import { PageConfig, URLExt } from '@jupyterlab/coreutils';
import { DocumentRegistry, DocumentWidget } from '@jupyterlab/docregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { showPublishVoilaDialog, VoilaPublicationsAPI } from './voilapublish';

export const OPEN_IN_VOILA_COMMAND = 'livegraphs:open-in-voila';
export const PUBLISH_WITH_VOILA_COMMAND = 'livegraphs:publish-with-voila';

/**
 * Where the notebook toolbar offers Voila: `open` on a laptop, `publish` on a
 * hub user's default server, nothing on a hub's named server (a shared
 * project or a publication: its token may not start servers).
 */
export function voilaMode(): 'open' | 'publish' | null {
  if (!PageConfig.getOption('hubPrefix')) {
    return 'open';
  }
  return PageConfig.getOption('hubServerName') ? null : 'publish';
}

/**
 * Where Voila (the server extension) renders the notebook at `path`.
 */
export function voilaUrl(path: string): string {
  return URLExt.join(
    PageConfig.getBaseUrl(),
    'voila',
    'render',
    URLExt.encodeParts(path)
  );
}

/**
 * The toolbar button and the command, on every notebook.
 */
export const voilaPlugin: JupyterFrontEndPlugin<void> = {
  id: 'livegraphs-ext:open-in-voila',
  description:
    'Opens a notebook in Voila, in a new browser tab; on a hub, publishes it with Voila.',
  autoStart: true,
  optional: [ICommandPalette, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('livegraphs_ext');
    const mode = voilaMode();
    if (mode === null) {
      return;
    }
    const currentNotebook = (): DocumentWidget | null => {
      const widget = app.shell.currentWidget;
      if (!(widget instanceof DocumentWidget)) {
        return null;
      }
      const path = widget.context.path;
      // A notebook of the server's own files (Voila reads those only).
      return path.endsWith('.ipynb') && !path.includes(':') ? widget : null;
    };
    const command =
      mode === 'open' ? OPEN_IN_VOILA_COMMAND : PUBLISH_WITH_VOILA_COMMAND;
    const api = new VoilaPublicationsAPI(app.serviceManager.serverSettings);
    const publish = (context: DocumentRegistry.IContext<any>): void =>
      void showPublishVoilaDialog({
        api,
        path: context.path,
        save: () => context.save()
      });
    if (mode === 'open') {
      app.commands.addCommand(OPEN_IN_VOILA_COMMAND, {
        label: args =>
          args.toolbar ? trans.__('Voila') : trans.__('Open in Voila'),
        caption: trans.__(
          'Open this notebook as a dashboard in Voila, in a new browser tab (save it first: Voila runs the saved file)'
        ),
        isEnabled: args => !!(args.path || currentNotebook()),
        execute: args => {
          const path =
            (args.path as string | undefined) ??
            currentNotebook()?.context.path;
          if (path) {
            window.open(voilaUrl(path), '_blank', 'noopener');
          }
        }
      });
    } else {
      app.commands.addCommand(PUBLISH_WITH_VOILA_COMMAND, {
        label: trans.__('Publish with Voila'),
        caption: trans.__(
          'Save this notebook and publish it with Voila for the users and groups you choose; list, unshare and stop your publications'
        ),
        isEnabled: () => !!currentNotebook(),
        execute: () => {
          const widget = currentNotebook();
          if (widget) {
            publish(widget.context);
          }
        }
      });
    }
    palette?.addItem({ command, category: 'livegraphs' });

    app.docRegistry.addWidgetExtension('Notebook', {
      createNew: (
        widget: DocumentWidget,
        context: DocumentRegistry.IContext<any>
      ) => {
        const button = new ToolbarButton({
          className: 'jp-LiveGraphs-VoilaButton',
          label: mode === 'open' ? trans.__('Voila') : trans.__('Publish'),
          tooltip:
            mode === 'open'
              ? trans.__('Open in Voila (a new browser tab)')
              : trans.__('Publish with Voila'),
          onClick: () => {
            if (mode === 'open') {
              void app.commands.execute(OPEN_IN_VOILA_COMMAND, {
                path: context.path
              });
            } else {
              publish(context);
            }
          }
        });
        // beside the cell type picker, or last when a setting removed it
        if (
          !widget.toolbar.insertAfter('cellType', 'livegraphs-voila', button)
        ) {
          widget.toolbar.addItem('livegraphs-voila', button);
        }
        return button;
      }
    });
  }
};
