/**
 * Comments on the charts of store documents (a dashboard's charts, a chart
 * document): the side pane of one chart's threads (reply box, resolve
 * toggle, edit and delete), the "Comment on this point" menu of a clicked
 * mark, and a chart's count button and markers. Like comments in shared office
 * documents: anyone who can see the document comments; the server says who
 * may resolve, edit or delete what.
 */
import { button, el } from '../dom';
import { IComment, ICommentAnchor, ICommentThread } from './api';
import { anchorText, CommentsModel } from './comments';

/**
 * The pane listing one chart's threads, shown beside the chart or grid.
 */
export class CommentsPane {
  constructor(options: { chartTitle: (id: string) => string }) {
    this._chartTitle = options.chartTitle;
    this.node = el('aside', 'jp-LiveGraphs-CommentsPane', {
      'aria-label': 'Comments'
    });
    this.node.hidden = true;
  }

  readonly node: HTMLElement;

  get model(): CommentsModel | null {
    return this._model;
  }
  set model(model: CommentsModel | null) {
    this._model = model;
    this.render();
  }

  /**
   * The chart whose threads are shown, or null when the pane is closed.
   */
  get chart(): string | null {
    return this._chart;
  }

  /**
   * Show the threads of `chart`; with an anchor, the new-thread box is
   * pinned to that point.
   */
  show(chart: string, anchor: ICommentAnchor | null = null): void {
    this._chart = chart;
    this._anchor = anchor;
    this.node.hidden = false;
    this.render();
    // What is shown is fresh even if a change was missed while offline.
    void this._model?.refresh();
    this.node
      .querySelector<HTMLTextAreaElement>('.jp-LiveGraphs-CommentNew textarea')
      ?.focus();
  }

  close(): void {
    this._chart = null;
    this._anchor = null;
    this._editing = null;
    this.node.hidden = true;
    this.node.replaceChildren();
  }

  render(): void {
    const chart = this._chart;
    const model = this._model;
    if (chart === null || !model) {
      this.node.hidden = true;
      return;
    }
    // What is being typed is kept across a re-render (another person's reply):
    // the same text boxes, and the one typed in keeps its focus and selection.
    const drafts = new Map<string, HTMLTextAreaElement>();
    this.node.querySelectorAll('textarea').forEach(area => {
      drafts.set(area.dataset.key ?? '', area);
    });
    const active = document.activeElement;
    const focused =
      active instanceof HTMLTextAreaElement && this.node.contains(active)
        ? active
        : null;
    const selection = focused
      ? ([
          focused.selectionStart,
          focused.selectionEnd,
          focused.selectionDirection
        ] as const)
      : null;
    const header = el('div', 'jp-LiveGraphs-CommentsHeader');
    header.append(
      el(
        'span',
        'jp-LiveGraphs-CommentsTitle',
        `Comments: ${this._chartTitle(chart)}`
      ),
      button(
        'Close',
        'jp-Button jp-mod-minimal jp-LiveGraphs-CommentsClose',
        () => this.close()
      )
    );
    const list = el('div', 'jp-LiveGraphs-CommentThreads');
    for (const thread of model.threadsOf(chart)) {
      list.append(this._thread(model, thread, drafts));
    }
    const error = el('div', 'jp-LiveGraphs-CommentsError', model.error);
    error.setAttribute('role', 'alert');
    this.node.replaceChildren(
      header,
      this._newThread(model, chart, drafts),
      error,
      list
    );
    if (focused?.isConnected && selection) {
      focused.focus({ preventScroll: true });
      focused.setSelectionRange(...selection);
    }
  }

  /**
   * Send what box `key` holds (`sending`), its button disabled until the
   * server answers, across re-renders too; `sent` then clears it. Either way
   * the pane is drawn again: a failure re-renders it (with its error) while
   * the text is still being sent, and its text stays to be sent again.
   */
  private _send(
    key: string,
    button: HTMLButtonElement,
    sending: Promise<void>,
    sent: () => void
  ): void {
    this._busy.add(key);
    button.disabled = true;
    sending
      .then(sent, () => undefined)
      .finally(() => {
        this._busy.delete(key);
        this.render();
      });
  }

  /**
   * The text box `key` of the last render (what is typed in it stays), or a
   * new one holding `text`.
   */
  private _area(
    drafts: Map<string, HTMLTextAreaElement>,
    key: string,
    text: string,
    attributes: Record<string, string>
  ): { area: HTMLTextAreaElement; created: boolean } {
    const kept = drafts.get(key);
    const area = kept ?? el('textarea', '', attributes);
    if (kept) {
      for (const [name, value] of Object.entries(attributes)) {
        area.setAttribute(name, value);
      }
    } else {
      area.dataset.key = key;
      area.value = text;
    }
    return { area, created: !kept };
  }

  private _newThread(
    model: CommentsModel,
    chart: string,
    drafts: Map<string, HTMLTextAreaElement>
  ): HTMLElement {
    const box = el('div', 'jp-LiveGraphs-CommentNew');
    const anchor = this._anchor;
    if (anchor) {
      box.append(
        el('div', 'jp-LiveGraphs-CommentAnchor', `At ${anchorText(anchor)}`)
      );
    }
    const { area } = this._area(drafts, 'new', '', {
      'aria-label': 'New comment',
      placeholder: anchor ? 'Comment on this point…' : 'Comment on this chart…',
      maxlength: '10000'
    });
    const post = button(
      'Comment',
      'jp-Button jp-mod-accept jp-LiveGraphs-CommentPost',
      () => {
        const text = area.value.trim();
        if (!text) {
          return;
        }
        this._send('new', post, model.startThread(chart, text, anchor), () => {
          area.value = '';
          this._anchor = null;
        });
      }
    );
    post.disabled = this._busy.has('new');
    box.append(area, post);
    return box;
  }

  private _thread(
    model: CommentsModel,
    thread: ICommentThread,
    drafts: Map<string, HTMLTextAreaElement>
  ): HTMLElement {
    const node = el('div', 'jp-LiveGraphs-CommentThread');
    node.dataset.thread = thread.id;
    node.classList.toggle('jp-mod-resolved', thread.resolved);
    const head = el('div', 'jp-LiveGraphs-CommentThreadHead');
    if (thread.anchor) {
      head.append(
        el(
          'span',
          'jp-LiveGraphs-CommentAnchor',
          `At ${anchorText(thread.anchor)}`
        )
      );
    }
    head.append(
      el(
        'span',
        'jp-LiveGraphs-CommentState',
        thread.resolved ? `Resolved by ${thread.resolved_by ?? ''}` : 'Open'
      )
    );
    if (thread.can_resolve) {
      head.append(
        button(
          thread.resolved ? 'Reopen' : 'Resolve',
          'jp-Button jp-mod-minimal jp-LiveGraphs-CommentResolve',
          () =>
            void model
              .resolve(thread.id, !thread.resolved)
              .catch(() => undefined)
        )
      );
    }
    node.append(head);
    for (const comment of thread.comments) {
      node.append(this._comment(model, thread, comment, drafts));
    }
    const { area } = this._area(drafts, thread.id, '', {
      'aria-label': 'Reply',
      placeholder: 'Reply…',
      maxlength: '10000'
    });
    const send = button(
      'Reply',
      'jp-Button jp-mod-minimal jp-LiveGraphs-CommentReply',
      () => {
        const text = area.value.trim();
        if (!text) {
          return;
        }
        this._send(thread.id, send, model.reply(thread.id, text), () => {
          area.value = '';
        });
      }
    );
    send.disabled = this._busy.has(thread.id);
    node.append(area, send);
    return node;
  }

  /**
   * One comment: its author, time and text, with Edit (its author) and
   * Delete (its author, the document's owner) as the server allows; while
   * edited, a box with Save and Cancel in place of the text.
   */
  private _comment(
    model: CommentsModel,
    thread: ICommentThread,
    comment: IComment,
    drafts: Map<string, HTMLTextAreaElement>
  ): HTMLElement {
    const item = el('div', 'jp-LiveGraphs-Comment');
    item.dataset.comment = comment.id;
    const time = el(
      'span',
      'jp-LiveGraphs-CommentTime',
      new Date(comment.created).toLocaleString()
    );
    item.append(
      el('span', 'jp-LiveGraphs-CommentAuthor', comment.author),
      time
    );
    if (comment.edited) {
      const edited = el('span', 'jp-LiveGraphs-CommentEdited', 'edited');
      edited.title = `Edited ${new Date(comment.edited).toLocaleString()}`;
      item.append(edited);
    }
    // The server may have removed the comment, or its author changed.
    if (this._editing === comment.id && comment.can_edit) {
      item.append(this._editor(model, thread, comment, drafts));
      return item;
    }
    item.append(el('div', 'jp-LiveGraphs-CommentText', comment.text));
    const actions = el('div', 'jp-LiveGraphs-CommentActions');
    if (comment.can_edit) {
      actions.append(
        button(
          'Edit',
          'jp-Button jp-mod-minimal jp-LiveGraphs-CommentEdit',
          () => {
            this._editing = comment.id;
            this.render();
            this.node
              .querySelector<HTMLTextAreaElement>(
                `textarea[data-key="edit:${comment.id}"]`
              )
              ?.focus();
          }
        )
      );
    }
    if (comment.can_delete) {
      const remove = button(
        'Delete',
        'jp-Button jp-mod-minimal jp-LiveGraphs-CommentDelete',
        () =>
          void model.deleteComment(thread.id, comment.id).catch(() => undefined)
      );
      if (thread.comments[0]?.id === comment.id) {
        remove.title = 'Deleting the first comment deletes the thread';
      }
      actions.append(remove);
    }
    if (actions.childElementCount) {
      item.append(actions);
    }
    return item;
  }

  private _editor(
    model: CommentsModel,
    thread: ICommentThread,
    comment: IComment,
    drafts: Map<string, HTMLTextAreaElement>
  ): HTMLElement {
    const box = el('div', 'jp-LiveGraphs-CommentEditor');
    const key = `edit:${comment.id}`;
    const { area, created } = this._area(drafts, key, comment.text, {
      'aria-label': 'Edit comment',
      maxlength: '10000'
    });
    const cancel = () => {
      this._editing = null;
      this.render();
    };
    if (created) {
      area.addEventListener('keydown', event => {
        if (event.key === 'Escape') {
          event.stopPropagation();
          cancel();
        }
      });
    }
    const save = button(
      'Save',
      'jp-Button jp-mod-accept jp-LiveGraphs-CommentSave',
      () => {
        const text = area.value.trim();
        if (!text) {
          return;
        }
        if (text === comment.text) {
          cancel();
          return;
        }
        this._send(
          key,
          save,
          model.editComment(thread.id, comment.id, text),
          () => {
            if (this._editing === comment.id) {
              this._editing = null;
            }
          }
        );
      }
    );
    save.disabled = this._busy.has(key);
    box.append(
      area,
      save,
      button(
        'Cancel',
        'jp-Button jp-mod-minimal jp-LiveGraphs-CommentCancel',
        cancel
      )
    );
    return box;
  }

  private _chartTitle: (id: string) => string;
  private _model: CommentsModel | null = null;
  private _chart: string | null = null;
  private _anchor: ICommentAnchor | null = null;
  private _editing: string | null = null;
  /**
   * The text boxes (by key) whose text is being sent: their buttons stay
   * disabled across a re-render until the server answers.
   */
  private _busy = new Set<string>();
}

/**
 * A "Comment on this point" button for a clicked mark, put in the chart
 * cell's header after `after`. It covers nothing (the next click on the plot,
 * a cross-filter, reaches it) and goes away on the next click anywhere else
 * or Escape; only one is shown at a time.
 */
export function showPointMenu(
  after: HTMLElement,
  onComment: () => void
): HTMLButtonElement {
  document
    .querySelectorAll('.jp-LiveGraphs-PointMenu')
    .forEach(node => node.remove());
  const close = () => {
    item.remove();
    document.removeEventListener('pointerdown', outside, true);
    document.removeEventListener('keydown', escape, true);
  };
  const outside = (event: Event) => {
    if (!item.contains(event.target as Node)) {
      close();
    }
  };
  const escape = (event: KeyboardEvent) => {
    if (event.key === 'Escape') {
      close();
    }
  };
  const item = button(
    'Comment on this point',
    'jp-LiveGraphs-PointMenu',
    () => {
      close();
      onComment();
    }
  );
  after.after(item);
  document.addEventListener('pointerdown', outside, true);
  document.addEventListener('keydown', escape, true);
  return item;
}

/**
 * The button that opens a chart's threads, showing how many are open.
 */
export function commentButton(onClick: () => void): HTMLButtonElement {
  const node = button(
    '\u{1F4AC} 0',
    'jp-Button jp-mod-minimal jp-LiveGraphs-CommentButton',
    onClick
  );
  node.setAttribute('aria-label', 'Comments');
  return node;
}

/**
 * Show a chart's threads on it: the count of open ones on its button and a
 * marker at each open thread's pinned point.
 */
export function showChartComments(
  count: HTMLElement,
  view: { markers?: { x: unknown; label: string }[] },
  threads: ICommentThread[]
): void {
  const open = threads.filter(t => !t.resolved);
  count.textContent = `\u{1F4AC} ${open.length}`;
  count.dataset.count = String(open.length);
  count.title = `${open.length} open comment thread${open.length === 1 ? '' : 's'} (${threads.length} in all)`;
  view.markers = open
    .filter(t => t.anchor)
    .map(t => ({
      x: t.anchor!.x,
      label: t.comments[0]?.text.slice(0, 80) ?? ''
    }));
}

/**
 * The anchor of a clicked point.
 */
export function pointAnchor(point: { x: unknown; y?: number }): ICommentAnchor {
  return { x: point.x, ...(point.y !== undefined ? { y: point.y } : {}) };
}
