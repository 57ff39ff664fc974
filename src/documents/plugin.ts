/**
 * Shared documents in JupyterLab: the LiveGraphs drive and its file browser,
 * and, on each open document, the room status, read-only mode for viewers,
 * the server's refusals and the Share dialog.
 */
import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  Notification,
  ToolbarButton
} from '@jupyterlab/apputils';
import { DocumentRegistry, DocumentWidget } from '@jupyterlab/docregistry';
import { FileBrowser, IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { ILauncher } from '@jupyterlab/launcher';
import { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';

import { ChartCommandIDs } from '../charts/plugin';
import { DashboardIDs } from '../dashboard/plugin';
import { DocumentsAPI } from './api';
import { IDocumentSource } from './data';
import { DRIVE_NAME, LiveGraphsDrive } from './drive';
import { CommentsModel } from './comments';
import { RoomConnection, RoomStatus } from './room';
import { showShareDialog } from './share';
import { ILiveGraphsDrive } from './tokens';

export namespace DocumentCommandIDs {
  export const share = 'livegraphs:share-document';
}

/**
 * What the status indicator says.
 */
const STATUS_TEXT: Record<RoomStatus, string> = {
  connecting: 'Connecting…',
  connected: 'Live',
  reconnecting: 'Offline, reconnecting…',
  closed: 'Disconnected',
  gone: 'No longer available'
};

/**
 * The room status of a document, in its toolbar.
 */
class RoomStatusItem extends Widget {
  constructor(room: RoomConnection) {
    super();
    this.addClass('jp-LiveGraphs-RoomStatus');
    this.node.setAttribute('role', 'status');
    this._room = room;
    room.changed.connect(this._render, this);
    this._render();
  }

  private _render(): void {
    const room = this._room;
    this.node.dataset.status = room.status;
    this.node.textContent =
      STATUS_TEXT[room.status] + (room.readOnly ? ' · read only' : '');
    this.node.title =
      room.status === 'reconnecting'
        ? 'The connection to the server was lost; edits made now are sent when it is back.'
        : room.status === 'closed' || room.status === 'gone'
          ? room.reason || 'The server closed the connection.'
          : room.readOnly
            ? 'You can view this document; its owner can make you an editor.'
            : '';
  }

  private _room: RoomConnection;
}

/**
 * The side panel of the drive: a file browser of the store's documents,
 * made when the panel is first shown (a second file browser in the page
 * from the start would also confuse scripts that look for "the" one).
 */
class DocumentsPanel extends Panel {
  constructor(browsers: IFileBrowserFactory) {
    super();
    this.id = 'livegraphs-documents';
    this.addClass('jp-LiveGraphs-DocumentsPanel');
    this.title.label = 'LiveGraphs';
    this.title.caption = 'LiveGraphs: dashboards and charts';
    this._browsers = browsers;
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    if (!this._browser) {
      this._browser = this._browsers.createFileBrowser(
        'livegraphs-documents-browser',
        { driveName: DRIVE_NAME }
      );
      this.addWidget(this._browser);
    }
  }

  private _browsers: IFileBrowserFactory;
  private _browser: FileBrowser | null = null;
}

/**
 * The widgets (dashboards, chart builders) of the drive's documents.
 */
type DocWidget = DocumentWidget<Widget & { readOnly: boolean }>;

/**
 * Adds the room status, the Share button and read-only mode to the drive's
 * documents when they open.
 */
class RoomExtension implements DocumentRegistry.IWidgetExtension<
  DocWidget,
  DocumentRegistry.IModel
> {
  constructor(drive: LiveGraphsDrive, share: (w: DocWidget) => void) {
    this._drive = drive;
    this._share = share;
  }

  createNew(widget: DocWidget, context: DocumentRegistry.Context): void {
    if (!context.path.startsWith(`${DRIVE_NAME}:`)) {
      return;
    }
    widget.addClass('jp-LiveGraphs-SharedDocument');
    void this._drive.connectionFor(context.model.sharedModel).then(room => {
      if (!room || widget.isDisposed) {
        return;
      }
      const apply = () => {
        widget.content.readOnly = room.readOnly;
        context.model.readOnly = room.readOnly;
        widget.toggleClass('jp-mod-readOnly', room.readOnly);
      };
      apply();
      room.changed.connect(apply);
      // Comments: anyone who can see the document (viewers too).
      const content = widget.content as Widget & {
        comments?: CommentsModel | null;
      };
      if ('comments' in content) {
        const comments = new CommentsModel({
          api: this._drive.api,
          documentId: room.info.id,
          awareness: room.doc.awareness
        });
        content.comments = comments;
        widget.disposed.connect(() => comments.dispose());
      }
      // A dashboard's charts come through the document for datasets the
      // caller may not read (its viewers).
      if ('documentSource' in widget.content) {
        (
          widget.content as { documentSource: IDocumentSource | null }
        ).documentSource = { api: this._drive.api, id: room.info.id };
      }
      room.denied.connect((_, reason) => {
        Notification.warning(
          `Your change to ${room.info.title} was not kept: ${reason || 'permission denied'}`,
          { autoClose: 5000 }
        );
      });
      widget.toolbar.addItem('livegraphs-status', new RoomStatusItem(room));
      widget.toolbar.addItem(
        'livegraphs-share',
        new ToolbarButton({
          label: 'Share',
          className: 'jp-LiveGraphs-ShareButton',
          tooltip: 'Share this document with users or groups',
          onClick: () => this._share(widget)
        })
      );
      widget.disposed.connect(() => room.changed.disconnect(apply));
    });
  }

  private _drive: LiveGraphsDrive;
  private _share: (w: DocWidget) => void;
}

/**
 * Registers the LiveGraphs drive, its file browser and the Share command.
 */
export const documentsPlugin: JupyterFrontEndPlugin<LiveGraphsDrive> = {
  id: 'livegraphs-ext:documents',
  description: 'Dashboards and charts kept by the store, as a drive.',
  autoStart: true,
  provides: ILiveGraphsDrive,
  optional: [IFileBrowserFactory, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    browsers: IFileBrowserFactory | null,
    palette: ICommandPalette | null
  ): LiveGraphsDrive => {
    const api = new DocumentsAPI(app.serviceManager.serverSettings);
    const user = app.serviceManager.user;
    const drive = new LiveGraphsDrive({
      api,
      user: async () => {
        await user.ready.catch(() => undefined);
        return user.identity;
      }
    });
    app.serviceManager.contents.addDrive(drive);

    const current = (): DocWidget | null => {
      const widget = app.shell.currentWidget;
      return widget instanceof DocumentWidget &&
        widget.context.path.startsWith(`${DRIVE_NAME}:`)
        ? (widget as DocWidget)
        : null;
    };
    const share = async (widget: DocWidget) => {
      const room = await drive.connectionFor(widget.context.model.sharedModel);
      const info =
        room?.info ?? (await drive.resolve(widget.context.localPath));
      await showShareDialog(api, info);
    };
    app.commands.addCommand(DocumentCommandIDs.share, {
      label: 'Share Document…',
      caption: 'Share this dashboard or chart with users or groups',
      isEnabled: () => current() !== null,
      execute: async () => {
        const widget = current();
        if (widget) {
          await share(widget);
        }
      }
    });
    palette?.addItem({
      command: DocumentCommandIDs.share,
      category: 'livegraphs'
    });

    const extension = new RoomExtension(drive, w => void share(w));
    for (const name of [
      DashboardIDs.widgetFactory,
      ChartCommandIDs.widgetFactory
    ]) {
      app.docRegistry.addWidgetExtension(name, extension as any);
    }

    if (browsers) {
      app.shell.add(new DocumentsPanel(browsers), 'left', { rank: 110 });
    }
    return drive;
  }
};

/**
 * Adds New Dashboard and New Chart to the launcher.
 */
export const launcherPlugin: JupyterFrontEndPlugin<void> = {
  id: 'livegraphs-ext:launcher',
  description: 'Adds New Dashboard and New Chart to the launcher.',
  autoStart: true,
  requires: [ILauncher],
  activate: (app: JupyterFrontEnd, launcher: ILauncher): void => {
    launcher.add({
      command: DashboardIDs.createNew,
      category: 'LiveGraphs',
      rank: 1
    });
    launcher.add({
      command: ChartCommandIDs.newChart,
      category: 'LiveGraphs',
      rank: 2
    });
  }
};
