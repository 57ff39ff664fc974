/**
 * Comments on a dashboard's charts: the side pane of one chart's threads
 * (reply box, resolve toggle) and the "Comment on this point" menu of a
 * clicked mark. Like comments in shared office documents: anyone who can see
 * the dashboard comments; the model says who may resolve or delete what.
 */
import { ICommentAnchor, ICommentThread } from '../documents/api';
import { anchorText, CommentsModel } from '../documents/comments';
import { button, el } from '../dom';

/**
 * The pane listing one chart's threads, shown beside the grid.
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
    // Keep what is being typed across a re-render (another person's reply).
    const drafts = new Map<string, string>();
    this.node.querySelectorAll('textarea').forEach(area => {
      drafts.set(area.dataset.key ?? '', area.value);
    });
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
  }

  private _newThread(
    model: CommentsModel,
    chart: string,
    drafts: Map<string, string>
  ): HTMLElement {
    const box = el('div', 'jp-LiveGraphs-CommentNew');
    const anchor = this._anchor;
    if (anchor) {
      box.append(
        el('div', 'jp-LiveGraphs-CommentAnchor', `At ${anchorText(anchor)}`)
      );
    }
    const area = el('textarea', '', {
      'aria-label': 'New comment',
      placeholder: anchor ? 'Comment on this point…' : 'Comment on this chart…',
      maxlength: '10000'
    });
    area.dataset.key = 'new';
    area.value = drafts.get('new') ?? '';
    const post = button(
      'Comment',
      'jp-Button jp-mod-accept jp-LiveGraphs-CommentPost',
      () => {
        const text = area.value.trim();
        if (!text) {
          return;
        }
        post.disabled = true;
        model.startThread(chart, text, anchor).then(
          () => {
            area.value = '';
            this._anchor = null;
            this.render();
          },
          () => (post.disabled = false)
        );
      }
    );
    box.append(area, post);
    return box;
  }

  private _thread(
    model: CommentsModel,
    thread: ICommentThread,
    drafts: Map<string, string>
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
      const item = el('div', 'jp-LiveGraphs-Comment');
      item.append(
        el('span', 'jp-LiveGraphs-CommentAuthor', comment.author),
        el(
          'span',
          'jp-LiveGraphs-CommentTime',
          new Date(comment.created).toLocaleString() +
            (comment.edited ? ' (edited)' : '')
        ),
        el('div', 'jp-LiveGraphs-CommentText', comment.text)
      );
      if (comment.can_delete) {
        item.append(
          button(
            'Delete',
            'jp-Button jp-mod-minimal jp-LiveGraphs-CommentDelete',
            () =>
              void model
                .deleteComment(thread.id, comment.id)
                .catch(() => undefined)
          )
        );
      }
      node.append(item);
    }
    const area = el('textarea', '', {
      'aria-label': 'Reply',
      placeholder: 'Reply…',
      maxlength: '10000'
    });
    area.dataset.key = thread.id;
    area.value = drafts.get(thread.id) ?? '';
    const send = button(
      'Reply',
      'jp-Button jp-mod-minimal jp-LiveGraphs-CommentReply',
      () => {
        const text = area.value.trim();
        if (!text) {
          return;
        }
        send.disabled = true;
        model.reply(thread.id, text).then(
          () => {
            area.value = '';
            this.render();
          },
          () => (send.disabled = false)
        );
      }
    );
    node.append(area, send);
    return node;
  }

  private _chartTitle: (id: string) => string;
  private _model: CommentsModel | null = null;
  private _chart: string | null = null;
  private _anchor: ICommentAnchor | null = null;
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
