/**
 * The comment threads of a chart document of the store: its count button,
 * the pane beside the builder, the "Comment on this point" menu of a clicked
 * mark and markers at pinned points. A chart document has one chart, whose
 * threads the server files under the chart id "".
 */
import { ChartView } from '../view';
import { CommentsModel } from '../../documents/comments';
import {
  commentButton,
  CommentsPane,
  pointAnchor,
  showChartComments,
  showPointMenu
} from '../../documents/commentspane';

/**
 * The chart id of a chart document's threads.
 */
const CHART = '';

/**
 * The comment parts of one chart document.
 */
export class ChartComments {
  constructor(options: { title: () => string }) {
    this.pane = new CommentsPane({ chartTitle: () => options.title() });
    this.button = commentButton(() => this.show());
    this.button.hidden = true;
  }

  readonly button: HTMLButtonElement;
  readonly pane: CommentsPane;

  /**
   * The threads of the document, or null (a file: no comments).
   */
  get model(): CommentsModel | null {
    return this._model;
  }
  set model(model: CommentsModel | null) {
    this._model?.changed.disconnect(this._render, this);
    this._model = model;
    model?.changed.connect(this._render, this);
    this.pane.model = model;
    this.button.hidden = model === null;
    if (!model) {
      this.pane.close();
    }
    this._render();
  }

  /**
   * Show the threads, with a new thread pinned to `anchor` if given.
   */
  show(anchor: { x: unknown; y?: number } | null = null): void {
    if (this._model) {
      this.pane.show(CHART, anchor);
    }
  }

  /**
   * Draw the markers on `view` and offer comments on its clicked marks.
   */
  watch(view: ChartView): void {
    this._views.add(view);
    view.pointClicked.connect(this._onPoint, this);
    view.disposed.connect(() => this._views.delete(view));
    this._render();
  }

  dispose(): void {
    this.model = null;
    this._views.forEach(view =>
      view.pointClicked.disconnect(this._onPoint, this)
    );
    this._views.clear();
  }

  private _onPoint(_: ChartView, point: ChartView.IPoint): void {
    if (this._model) {
      showPointMenu(this.button, () => this.show(pointAnchor(point)));
    }
  }

  private _render(): void {
    const threads = this._model?.threadsOf(CHART) ?? [];
    for (const view of this._views) {
      showChartComments(this.button, view, threads);
    }
    if (!this._views.size) {
      showChartComments(this.button, {}, threads);
    }
    this.pane.render();
  }

  private _model: CommentsModel | null = null;
  private _views = new Set<ChartView>();
}
