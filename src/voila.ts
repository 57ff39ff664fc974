/**
 * "Open in Voila": a notebook's toolbar button (and palette command) that
 * opens the notebook as a dashboard in Voila, in a new browser tab.
 */
import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, ToolbarButton } from '@jupyterlab/apputils';
import { PageConfig, URLExt } from '@jupyterlab/coreutils';
import { DocumentRegistry, DocumentWidget } from '@jupyterlab/docregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

export const OPEN_IN_VOILA_COMMAND = 'livegraphs:open-in-voila';

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
  description: 'Opens a notebook in Voila, in a new browser tab.',
  autoStart: true,
  optional: [ICommandPalette, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('livegraphs_ext');
    const currentNotebook = (): string | null => {
      const widget = app.shell.currentWidget;
      if (!(widget instanceof DocumentWidget)) {
        return null;
      }
      const path = widget.context.path;
      // A notebook of the server's own files (Voila reads those only).
      return path.endsWith('.ipynb') && !path.includes(':') ? path : null;
    };
    app.commands.addCommand(OPEN_IN_VOILA_COMMAND, {
      label: args =>
        args.toolbar ? trans.__('Voila') : trans.__('Open in Voila'),
      caption: trans.__(
        'Open this notebook as a dashboard in Voila, in a new browser tab (save it first: Voila runs the saved file)'
      ),
      isEnabled: args => !!(args.path || currentNotebook()),
      execute: args => {
        const path = (args.path as string | undefined) ?? currentNotebook();
        if (path) {
          window.open(voilaUrl(path), '_blank', 'noopener');
        }
      }
    });
    palette?.addItem({
      command: OPEN_IN_VOILA_COMMAND,
      category: 'livegraphs'
    });

    app.docRegistry.addWidgetExtension('Notebook', {
      createNew: (
        widget: DocumentWidget,
        context: DocumentRegistry.IContext<any>
      ) => {
        const button = new ToolbarButton({
          className: 'jp-LiveGraphs-VoilaButton',
          label: trans.__('Voila'),
          tooltip: trans.__('Open in Voila (a new browser tab)'),
          onClick: () =>
            void app.commands.execute(OPEN_IN_VOILA_COMMAND, {
              path: context.path
            })
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
