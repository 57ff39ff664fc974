/**
 * What a filter control offers for a column: its values with their counts,
 * and its smallest and largest value. Both are asked of the chart engine
 * with ordinary specs, so they work with any chart client (the server, a
 * kernel) and never ship rows.
 */
import { IChartClient, IChartSpec } from './types';

/**
 * The most values a checklist lists (the most frequent ones).
 */
export const VALUES_LIMIT = 1000;

export interface IValueCount {
  value: unknown;
  count: number;
}

/**
 * A column's values, most frequent first; `cut` when there are more than
 * `VALUES_LIMIT` (or than the search left).
 */
export interface IValueList {
  type: string;
  values: IValueCount[];
  cut: boolean;
}

export interface IColumnExtent {
  type: string;
  min: unknown;
  max: unknown;
}

/**
 * Asks a client for the values and the extent of a dataset's columns.
 */
export class FilterValues {
  constructor(client: IChartClient, dataset: IChartSpec['dataset']) {
    this._client = client;
    this._dataset = dataset;
  }

  /**
   * The non-null values of `column` with their row counts, the most
   * frequent first; text columns may be narrowed to values containing
   * `search` (ignoring case).
   */
  async values(column: string, search = ''): Promise<IValueList> {
    const filters: IChartSpec['filters'] = [{ column, cmp: 'not_null' }];
    if (search) {
      filters.push({ column, cmp: 'contains', value: search });
    }
    const result = await this._client.queryChart({
      version: 1,
      dataset: this._dataset,
      mark: 'bar',
      encoding: { x: { field: column }, y: { aggregate: 'count' } },
      filters,
      sort: { by: 'y', order: 'descending' },
      // one more than listed tells whether the list is cut
      limit: VALUES_LIMIT + 1,
      max_marks: VALUES_LIMIT + 1
    });
    const x = result.data.x ?? [];
    const y = result.data.y ?? [];
    const values = x.map((value, i) => ({ value, count: Number(y[i]) }));
    return {
      type: String(result.fields.find(f => f.channel === 'x')?.type ?? ''),
      values: values.slice(0, VALUES_LIMIT),
      cut: values.length > VALUES_LIMIT
    };
  }

  /**
   * The smallest and largest value of a number, date or datetime column.
   */
  async extent(column: string): Promise<IColumnExtent> {
    const result = await this._client.queryChart({
      version: 1,
      dataset: this._dataset,
      mark: 'table',
      encoding: {
        x: { field: column, aggregate: 'min' },
        y: { field: column, aggregate: 'max' }
      }
    });
    return {
      type: String(result.fields.find(f => f.channel === 'x')?.type ?? ''),
      min: result.data.x?.[0] ?? null,
      max: result.data.y?.[0] ?? null
    };
  }

  private _client: IChartClient;
  private _dataset: IChartSpec['dataset'];
}
