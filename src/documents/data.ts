/**
 * The chart clients of a dashboard kept by the store. A chart asks its
 * dataset directly (`charts/query`: an editor's own edit is drawn at once);
 * when the caller may not read the dataset (404), it asks the document
 * instead, which runs the chart's stored spec restricted by the caller's
 * dashboard filters and selections, so a viewer sees the dashboard's charts
 * without access to their datasets.
 */
import { LiveGraphsAPIError } from '../api';
import {
  canDrill,
  IDrillClient,
  IDrillPage,
  IDrillRequest
} from '../charts/drill';
import {
  IChartClient,
  IChartDraft,
  IChartResult,
  IChartSpec,
  IFilter,
  IFilterCondition
} from '../charts/types';
import { DocumentsAPI } from './api';

/**
 * A document of the store the data may come through.
 */
export interface IDocumentSource {
  api: DocumentsAPI;
  id: string;
}

/**
 * JSON with its keys sorted, to compare conditions however they were built.
 */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))
        )
      : v
  );
}

/**
 * The conditions `effective` adds to the chart's `stored` spec (the
 * dashboard filters and the selections); all of its conditions when they
 * do not start with the stored ones (the server adds them to the stored
 * ones: repeating one restricts nothing more).
 */
export function extraFilters(
  stored: IChartDraft | null,
  effective: IChartSpec
): IFilter[] {
  const own = stored?.filters ?? [];
  const all = effective.filters ?? [];
  const same =
    own.length <= all.length &&
    own.every((f, i) => canonical(f) === canonical(all[i]));
  return same ? all.slice(own.length) : all;
}

function notFound(reason: unknown): boolean {
  return reason instanceof LiveGraphsAPIError && reason.status === 404;
}

function datasetKey(spec: IChartSpec): string {
  const ref = spec.dataset as { id?: string; name?: string } | undefined;
  return ref?.id ?? ref?.name ?? '';
}

/**
 * The chart clients of one dashboard: direct, then through its document
 * (once `source` is known) for datasets the caller may not read.
 */
export class DashboardData {
  constructor(options: DashboardData.IOptions) {
    this._direct = options.direct;
    this._stored = options.stored;
  }

  /**
   * The document the dashboard is (null for a `.lgdash` file).
   */
  get source(): IDocumentSource | null {
    return this._source;
  }
  set source(source: IDocumentSource | null) {
    this._source = source;
  }

  /**
   * The client of chart `chartId`'s cell.
   */
  chartClient(chartId: string): IChartClient & IDrillClient {
    return {
      queryChart: (spec, options = {}) =>
        this._ask(spec, options, source =>
          source.api.queryChart(
            source.id,
            chartId,
            extraFilters(this._stored(chartId), spec),
            options
          )
        ),
      drillRows: (request, options = {}) =>
        this._drill(chartId, request, options)
    };
  }

  /**
   * The client of filter `filterId`'s value list and range hints: the
   * document answers the same two specs `FilterValues` sends.
   */
  filterClient(filterId: string): IChartClient {
    return {
      queryChart: (spec, options = {}) =>
        this._ask(spec, options, source => {
          const search = (spec.filters ?? []).find(
            c => (c as IFilterCondition).cmp === 'contains'
          ) as IFilterCondition | undefined;
          return source.api.queryFilter(
            source.id,
            filterId,
            spec.mark === 'table' ? 'extent' : 'values',
            String(search?.value ?? '')
          );
        })
    };
  }

  private async _ask(
    spec: IChartSpec,
    options: { signal?: AbortSignal },
    viaDocument: (source: IDocumentSource) => Promise<IChartResult>
  ): Promise<IChartResult> {
    const key = datasetKey(spec);
    const source = this._source;
    if (source && (!this._direct || this._unreadable.has(key))) {
      return viaDocument(source);
    }
    if (!this._direct) {
      throw new Error('No chart client');
    }
    try {
      return await this._direct.queryChart(spec, options);
    } catch (reason) {
      if (!source || !notFound(reason)) {
        throw reason;
      }
      this._unreadable.add(key);
      return viaDocument(source);
    }
  }

  /**
   * The rows behind a mark of chart `chartId`: of its dataset directly, else
   * (and for every page after one that came so) through the document.
   */
  private async _drill(
    chartId: string,
    request: IDrillRequest,
    options: { signal?: AbortSignal }
  ): Promise<IDrillPage> {
    const source = this._source;
    const direct = canDrill(this._direct) ? this._direct : null;
    const viaDocument = async (): Promise<IDrillPage> => {
      if (!source) {
        throw new Error('No rows client');
      }
      const extra = extraFilters(this._stored(chartId), request.spec);
      const page = await source.api.drill(
        source.id,
        chartId,
        request,
        extra,
        options
      );
      this._drilledViaDocument.add(page);
      return page;
    };
    if (
      !direct ||
      (request.from && this._drilledViaDocument.has(request.from))
    ) {
      return viaDocument();
    }
    try {
      return await direct.drillRows(request, options);
    } catch (reason) {
      if (!source || !notFound(reason) || request.from) {
        throw reason;
      }
      return viaDocument();
    }
  }

  private _direct: IChartClient | null;
  private _stored: (chartId: string) => IChartDraft | null;
  private _source: IDocumentSource | null = null;
  private _unreadable = new Set<string>();
  private _drilledViaDocument = new WeakSet<IDrillPage>();
}

export namespace DashboardData {
  export interface IOptions {
    /**
     * The client that asks datasets directly, or null.
     */
    direct: IChartClient | null;

    /**
     * A chart's spec as the dashboard holds it now.
     */
    stored: (chartId: string) => IChartDraft | null;
  }
}
