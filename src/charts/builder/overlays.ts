/**
 * The builder's "Analytics" control (a trend line, a forecast) and the rule
 * of which overlays a chart draws.
 *
 * The shared spec keeps the overlays people chose; the spec sent to the
 * engine keeps only those that are well formed and apply to the chart as it
 * is now (as the server checks them, `spec.py`'s `_overlays`), so a chart
 * whose mark or x changed, or a spec merged from two people's edits, still
 * draws; the overlay comes back when the chart suits it again.
 */
import { el, option } from '../../dom';
import { IEncoding, IFieldRef, IOverlay, Mark } from '../types';
import { ColumnOf } from './showme';
import type { ShelfState } from './state';

const NUMERIC = ['integer', 'float'];
const TEMPORAL = ['date', 'datetime'];
const NUMBER_AGGREGATES = ['count', 'distinct', 'sum', 'mean', 'median'];
const MAX_PERIODS = 1000;

function wellFormed(o: unknown): o is IOverlay {
  if (!o || typeof o !== 'object') {
    return false;
  }
  const v = o as Record<string, unknown>;
  const int = (x: unknown, lo: number, hi: number) =>
    Number.isInteger(x) && (x as number) >= lo && (x as number) <= hi;
  if (v.kind === 'trend') {
    return (
      Object.keys(v).every(k => k === 'kind' || k === 'method') &&
      (v.method === undefined || v.method === 'linear' || v.method === 'loess')
    );
  }
  if (v.kind === 'forecast') {
    const keys = ['kind', 'periods', 'seasonality', 'interval'];
    return (
      Object.keys(v).every(k => keys.includes(k)) &&
      (v.periods === undefined || int(v.periods, 1, MAX_PERIODS)) &&
      (v.seasonality === undefined ||
        v.seasonality === 'auto' ||
        int(v.seasonality, 0, 400)) &&
      (v.interval === undefined ||
        (typeof v.interval === 'number' && v.interval > 0.5 && v.interval < 1))
    );
  }
  return false;
}

function columnType(ref: IFieldRef | undefined, columnOf: ColumnOf): string {
  return ref?.field ? (columnOf(ref.field)?.type ?? '') : '';
}

function numbersOnY(y: IFieldRef | undefined, columnOf: ColumnOf): boolean {
  if (!y) {
    return false;
  }
  const type = columnType(y, columnOf);
  if (y.aggregate) {
    return (
      NUMBER_AGGREGATES.includes(y.aggregate) ||
      (NUMERIC.includes(type) && !!y.aggregate)
    );
  }
  return NUMERIC.includes(type);
}

/**
 * Whether an overlay of `kind` applies to a chart of `mark` over the
 * (derived) `encoding`.
 */
export function overlayApplies(
  kind: IOverlay['kind'],
  mark: Mark | null,
  encoding: IEncoding,
  columnOf: ColumnOf
): boolean {
  const { x, y } = encoding;
  if (!mark || !x || x.aggregate || encoding.row || encoding.column) {
    return false;
  }
  if (!numbersOnY(y, columnOf)) {
    return false;
  }
  const xType = columnType(x, columnOf);
  if (kind === 'trend') {
    return (
      (mark === 'scatter' || mark === 'line') &&
      (NUMERIC.includes(xType) || TEMPORAL.includes(xType))
    );
  }
  return mark === 'line' && TEMPORAL.includes(xType);
}

/**
 * The overlays of `raw` (from a spec, perhaps merged) that the chart draws:
 * well formed, one of each kind, and applying to it.
 */
export function overlaysFor(
  mark: Mark | null,
  encoding: IEncoding,
  columnOf: ColumnOf,
  raw: unknown
): IOverlay[] {
  if (!Array.isArray(raw)) {
    return [];
  }
  const seen = new Set<string>();
  return raw.filter(
    (o): o is IOverlay =>
      wellFormed(o) &&
      !seen.has(o.kind) &&
      (seen.add(o.kind), true) &&
      overlayApplies(o.kind, mark, encoding, columnOf)
  );
}

/**
 * The "Analytics" control: a trend line (none, linear, LOESS) and a
 * forecast (off, or N periods ahead). It writes `overlays` into the state's
 * spec only when someone picks one.
 */
export class AnalyticsControl {
  constructor(state: ShelfState, onChange: () => void) {
    this._state = state;
    this._trend = el('select', 'jp-LiveGraphs-trendPicker', {
      'aria-label': 'Trend line'
    });
    this._trend.append(
      option('', 'No trend'),
      option('linear', 'Linear trend'),
      option('loess', 'LOESS trend')
    );
    this._trend.addEventListener('change', () => {
      const method = this._trend.value as 'linear' | 'loess' | '';
      this._set('trend', method ? { kind: 'trend', method } : null);
      onChange();
    });
    this._forecast = el('input', 'jp-LiveGraphs-forecastInput', {
      type: 'number',
      min: '0',
      max: String(MAX_PERIODS),
      placeholder: 'off',
      'aria-label': 'Forecast periods',
      title: 'Periods to forecast (empty or 0: no forecast)'
    });
    this._forecast.addEventListener('change', () => {
      const n = Math.floor(Number(this._forecast.value));
      const old = this._get('forecast');
      this._set(
        'forecast',
        this._forecast.value.trim() && n > 0
          ? {
              ...(old ?? {}),
              kind: 'forecast',
              periods: Math.min(n, MAX_PERIODS)
            }
          : null
      );
      onChange();
    });
    const trendLabel = el('label', 'jp-LiveGraphs-builderControl', 'Analytics');
    trendLabel.appendChild(this._trend);
    this._forecastLabel = el(
      'label',
      'jp-LiveGraphs-builderControl',
      'Forecast'
    );
    this._forecastLabel.appendChild(this._forecast);
    this.node = el('div', 'jp-LiveGraphs-analytics');
    this.node.append(trendLabel, this._forecastLabel);
  }

  readonly node: HTMLElement;

  /**
   * Show the state; controls that do not apply to the chart are disabled.
   */
  render(mark: Mark | null, encoding: IEncoding, columnOf: ColumnOf): void {
    const trend = this._get('trend');
    this._trend.value = trend ? (trend.method ?? 'linear') : '';
    const forecast = this._get('forecast');
    if (document.activeElement !== this._forecast) {
      this._forecast.value =
        forecast && forecast.kind === 'forecast'
          ? String(forecast.periods ?? 12)
          : '';
    }
    const canTrend = overlayApplies('trend', mark, encoding, columnOf);
    const canForecast = overlayApplies('forecast', mark, encoding, columnOf);
    this._trend.disabled = !canTrend && !trend;
    this._forecast.disabled = !canForecast && !forecast;
    this._trend.title = canTrend
      ? 'A trend line with its equation and R²'
      : 'Trend lines are drawn on scatter and line charts with numbers or dates on x';
    this.node.hidden = !canTrend && !canForecast && !trend && !forecast;
  }

  private _get(kind: string): (IOverlay & { method?: string }) | undefined {
    const list = this._state.carry.overlays;
    return Array.isArray(list) ? list.find(o => o?.kind === kind) : undefined;
  }

  private _set(kind: IOverlay['kind'], value: IOverlay | null): void {
    const list = (this._state.carry.overlays ?? []).filter(
      o => o?.kind !== kind
    );
    if (value) {
      // A trend before a forecast, as the control lists them.
      list.splice(kind === 'trend' ? 0 : list.length, 0, value);
    }
    if (list.length) {
      this._state.carry.overlays = list;
    } else {
      delete this._state.carry.overlays;
    }
  }

  private _state: ShelfState;
  private _trend: HTMLSelectElement;
  private _forecast: HTMLInputElement;
  private _forecastLabel: HTMLElement;
}
