/**
 * The view of a dashboard cell: a `ChartView` drawing the stored chart as
 * the builder would, with what the builder derives (the automatic mark, the
 * default channels and aggregates) worked out here from the spec. The shared
 * document holds only what people chose, so "Automatic" stays automatic for
 * everyone.
 */
import { ISignal } from '@lumino/signaling';
import { Panel } from '@lumino/widgets';

import { ColumnOf } from '../charts/builder/showme';
import { chartSpec, hasFields } from '../charts/builder/state';
import { IChartDraft, IChartSpec } from '../charts/types';
import { ChartView } from '../charts/view';
import { IChartCellView } from './grid';

/**
 * A chart view that takes a stored (draft) spec.
 */
export class DerivedChartView extends Panel implements IChartCellView {
  constructor(options: DerivedChartView.IOptions) {
    super();
    this.addClass('jp-LiveGraphs-DashboardCellView');
    this._view = options.view;
    this._columnsOf = options.columnsOf ?? null;
    this.addWidget(this._view);
  }

  /**
   * The chart view drawing the derived spec.
   */
  get view(): ChartView {
    return this._view;
  }

  get selectionChanged(): ISignal<any, IChartCellView.IPick | null> {
    return this._view.selectionChanged;
  }

  get pointClicked(): ISignal<any, ChartView.IPoint> {
    return this._view.pointClicked;
  }

  set markers(markers: ChartView.IMarker[]) {
    this._view.markers = markers;
  }

  clearSelection(): void {
    this._view.clearSelection();
  }

  /**
   * The stored spec; what is drawn is derived from it.
   */
  get spec(): IChartDraft | null {
    return this._draft;
  }
  set spec(draft: IChartDraft | null) {
    this._draft = draft;
    const ticket = ++this._ticket;
    if (!draft || !draft.dataset) {
      this._view.spec = draft ? chartSpec(draft, () => undefined) : null;
      return;
    }
    const columnsOf = this._columnsOf;
    if (!columnsOf) {
      // The client (a kernel) derives the mark and the defaults; a chart
      // with nothing on its shelves still shows the placeholder.
      this._view.spec = draft.mark
        ? chartSpec(draft, () => undefined)
        : hasFields(draft)
          ? (draft as IChartSpec)
          : null;
      return;
    }
    // The automatic mark and the defaults depend on the fields' columns.
    void columnsOf(draft.dataset).then(
      columnOf => {
        if (ticket === this._ticket && !this.isDisposed) {
          this._view.spec = chartSpec(draft, columnOf);
        }
      },
      () => {
        if (ticket === this._ticket && !this.isDisposed) {
          this._view.spec = chartSpec(draft, () => undefined);
        }
      }
    );
  }

  private _view: ChartView;
  private _columnsOf: DerivedChartView.IOptions['columnsOf'] | null;
  private _draft: IChartDraft | null = null;
  private _ticket = 0;
}

/**
 * A namespace for `DerivedChartView` statics.
 */
export namespace DerivedChartView {
  export interface IOptions {
    /**
     * The view that queries and draws the derived spec.
     */
    view: ChartView;
    /**
     * The columns of a dataset ({id} or {name}); without it, a chart with an
     * automatic mark is given as it is to a client that derives it.
     */
    columnsOf?: (dataset: { id?: string; name?: string }) => Promise<ColumnOf>;
  }
}
