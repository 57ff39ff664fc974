"""Trend lines and forecasts drawn over a chart, computed from the chart's filtered data.

Only the overlay's few points leave the server, never the rows behind them:

- a linear **trend** over raw points is DuckDB's least squares (``regr_slope``,
  ``regr_intercept``, ``regr_r2``) over every filtered row; over an aggregated chart it
  is statsmodels' OLS on the aggregated series (the marks the chart draws, before any
  thinning). A **LOESS** trend is statsmodels' ``lowess`` on at most
  :data:`LOESS_POINTS` points (a repeatable sample past that, said in the result).
- a **forecast** is statsmodels' exponential smoothing (``ETSModel``) on the aggregated
  series, the model (trend: none, additive or damped; season: none or additive) chosen by
  AICc, with its prediction interval.

Both are fitted per color group, as Tableau does, on at most :data:`MAX_TREND_GROUPS` /
:data:`MAX_FORECAST_GROUPS` groups (the largest). Time is bounded by the points each fit
may take and by :data:`FORECAST_SECONDS` for the search of forecast models.
"""

from __future__ import annotations

import datetime as dt
import math
import time
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..stopping import check_stopped
from . import compile as C
from .result import _json_value
from .spec import TEMPORAL, ChartSpec, FieldRef, bad, overlay_group

if TYPE_CHECKING:
    from .engine import _Run

#: LOESS is fitted on at most this many points (a repeatable random sample past it).
LOESS_POINTS = 5000
#: statsmodels' lowess span: the share of the points each local fit uses.
LOESS_FRAC = 2 / 3
#: The points of a LOESS curve sent back (evenly spaced along the fit).
CURVE_POINTS = 200
#: Trends are fitted for at most this many color groups (the largest).
MAX_TREND_GROUPS = 20
#: Forecasts are fitted for at most this many color groups (the longest).
MAX_FORECAST_GROUPS = 10
#: An aggregated series read for an overlay holds at most this many points.
MAX_SERIES_POINTS = 1_000_000
#: A forecast is fitted on at most the last this many periods of a series.
FORECAST_FIT_POINTS = 2000
#: A forecast needs at least this many periods (and two full seasons for a season).
FORECAST_MIN_POINTS = 5
#: The search of forecast models stops trying more candidates after this many seconds.
FORECAST_SECONDS = 10.0

#: pandas' frequency of each time unit, and the season found for it ("auto").
FREQ = {
    "year": "YS",
    "quarter": "QS",
    "month": "MS",
    "week": "W-MON",
    "day": "D",
    "hour": "h",
    "minute": "min",
}
SEASON = {"quarter": 4, "month": 12, "week": 52, "day": 7, "hour": 24}
#: The season of a frequency inferred from raw dates (by pandas' offset name).
_INFERRED_SEASON = {"QS": 4, "QE": 4, "MS": 12, "ME": 12, "W": 52, "D": 7, "B": 5, "h": 24}

_DAY_US = 86_400_000_000


def compute_overlays(run: _Run) -> list[dict[str, Any]]:
    """Each overlay of ``run``'s spec, computed on ``run``'s connection."""
    out: list[dict[str, Any]] = []
    for i, o in enumerate(run.spec.overlays):
        check_stopped()
        if o["kind"] == "trend":
            out.append(_Trend(run, o, i).compute())
        else:
            out.append(_Forecast(run, o, i).compute())
    return out


def _fmt(v: float) -> str:
    return f"{v:.4g}".replace("e+0", "e").replace("e-0", "e-")


def _num(v: Any) -> float | None:
    return float(v) if v is not None and math.isfinite(float(v)) else None


def _xy(spec: ChartSpec) -> tuple[FieldRef, FieldRef]:
    x, y = spec.get("x"), spec.get("y")
    assert x is not None and y is not None
    return x, y


def _x_double(expr: str, f: FieldRef) -> str:
    """A shown x value as a number: itself, or days since 1970 for dates and times."""
    if f.out_type in TEMPORAL:
        return f"(CAST(epoch_us(CAST({expr} AS TIMESTAMP)) AS DOUBLE) / {_DAY_US})"
    return f"CAST({expr} AS DOUBLE)"


def _date(days: float, f: FieldRef) -> Any:
    moment = dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=round(days * _DAY_US))
    return _json_value(moment.date() if f.ctype == "date" and moment.time() == dt.time() else moment)


class _Overlay:
    def __init__(self, run: _Run, overlay: dict[str, Any], index: int):
        self.run, self.overlay, self.path = run, overlay, f"overlays[{index}]"
        self.spec = run.spec
        self.x, self.y = _xy(run.spec)
        self.group = overlay_group(run.spec.mark, run.spec.fields)

    def _series(self, *, average: bool, sample: int | None = None) -> pd.DataFrame:
        """The points the chart shows, as columns ``g`` (the group, or None), ``x``, ``xd`` (x as a
        number) and ``y``: the aggregated marks, or the raw rows (averaged per x with ``average``; a
        repeatable random ``sample`` of them, read as such)."""
        s, run = self.spec, self.run
        g = C.q(self.group.name) if self.group is not None else "NULL"
        x, y = C.q(self.x.name), C.q(self.y.name)
        if s.aggregated:
            inner = C.Grouped(s, run.columns, run.steps).query(None)
            sql = f"SELECT {g} AS g, {x} AS x, CAST({y} AS DOUBLE) AS y FROM ({inner.sql}) AS t"
            sql += f" WHERE {x} IS NOT NULL AND {y} IS NOT NULL"
        else:
            not_null = [str(self.x.column), str(self.y.column)]
            inner = C.raw_query(s, run.columns, run.steps, not_null=not_null, sample=sample)
            if average:
                sql = f"SELECT {g} AS g, {x} AS x, avg(CAST({y} AS DOUBLE)) AS y FROM ({inner.sql}) AS t"
                sql += f" WHERE {x} IS NOT NULL GROUP BY ALL"
            else:
                sql = f"SELECT {g} AS g, {x} AS x, CAST({y} AS DOUBLE) AS y FROM ({inner.sql}) AS t"
                sql += f" WHERE {x} IS NOT NULL"
        sql = f"SELECT g, x, {_x_double('x', self.x)} AS xd, y FROM ({sql}) LIMIT {MAX_SERIES_POINTS + 1}"
        table = run.fetch(C.Query(sql, inner.params)).to_pandas()
        if len(table) > MAX_SERIES_POINTS:
            raise bad(self.path, f"the chart's series has more than {MAX_SERIES_POINTS:,} points to fit")
        return table

    def _groups(self, frame: pd.DataFrame, most: int) -> tuple[list[tuple[Any, pd.DataFrame]], int]:
        """The groups of ``frame`` (the ``most`` largest, largest first) and how many there were."""
        if self.group is None:
            return ([(None, frame)] if len(frame) else []), int(len(frame) > 0)
        parts = list(frame.groupby("g", dropna=False, sort=False))
        parts.sort(key=lambda p: (-len(p[1]), str(p[0])))
        return [(None if _missing(k) else k, v) for k, v in parts[:most]], len(parts)

    def _group_label(self, value: Any) -> dict[str, Any]:
        if self.group is None:
            return {}
        return {"group": _json_value(value.to_pydatetime() if isinstance(value, pd.Timestamp) else value)}


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT


class _Trend(_Overlay):
    def compute(self) -> dict[str, Any]:
        method = self.overlay["method"]
        out: dict[str, Any] = {"kind": "trend", "method": method, "series": []}
        notes: list[str] = []
        if method == "linear" and not self.spec.aggregated:
            groups, total = self._sql_linear()
        else:
            points = None
            if method == "loess" and not self.spec.aggregated:
                # raw rows past the bound are sampled where they are read, never all read
                points = self.run._count([str(self.x.column), str(self.y.column)])
            sampled = points is not None and points > LOESS_POINTS
            frame = self._series(average=False, sample=LOESS_POINTS if sampled else None)
            parts, total = self._groups(frame, MAX_TREND_GROUPS)
            if method == "linear":
                groups = [self._ols(k, part) for k, part in parts]
            else:
                if sampled:
                    notes.append(f"LOESS on a sample of {len(frame):,} of {points:,} points")
                groups = self._loess(parts, notes)
        out["series"] = groups
        if method == "loess":
            out["frac"] = LOESS_FRAC
        if total > MAX_TREND_GROUPS:
            notes.append(f"trends for the {MAX_TREND_GROUPS} largest of {total:,} groups")
        if not groups:
            notes.append("no points to fit")
        if notes:
            out["message"] = "; ".join(notes)
        return out

    def _equation(self, slope: float, intercept: float, x0: float) -> str:
        y = self.y.label()
        if self.x.out_type in TEMPORAL:
            start = str(_date(x0, self.x)).removesuffix("T00:00:00")
            return f"{y} = {_fmt(slope)}·t + {_fmt(intercept)}, t in days since {start}".replace("+ -", "- ")
        return f"{y} = {_fmt(slope)}·{self.x.label()} + {_fmt(intercept)}".replace("+ -", "- ")

    def _line(self, key: Any, n: int, slope: Any, icpt: Any, r2: Any, lo: Any, hi: Any) -> dict[str, Any]:
        """One group's straight line from ``lo`` to ``hi`` (x as a number); no line when it cannot be
        fitted (fewer than two distinct x)."""
        out: dict[str, Any] = {**self._group_label(key), "n": n}
        slope, icpt = _num(slope), _num(icpt)
        if slope is None or icpt is None or lo is None or hi is None or lo == hi:
            out["message"] = "too few distinct points for a trend"
            return out
        temporal = self.x.out_type in TEMPORAL
        # on a time axis the equation counts days from the first one, so its numbers read
        base = float(lo) if temporal else 0.0
        out["slope"] = slope
        out["intercept"] = icpt + slope * base
        out["r2"] = _num(r2) if r2 is not None else None
        if out["r2"] is None:  # a constant y: the line fits it exactly
            out["r2"] = 1.0
        xs = [float(lo), float(hi)]
        out["x"] = [_date(v, self.x) for v in xs] if temporal else xs
        out["y"] = [icpt + slope * v for v in xs]
        out["equation"] = self._equation(slope, out["intercept"], base)
        return out

    def _sql_linear(self) -> tuple[list[dict[str, Any]], int]:
        s, run = self.spec, self.run
        inner = C.raw_query(s, run.columns, run.steps, not_null=[str(self.x.column), str(self.y.column)])
        g = C.q(self.group.name) if self.group is not None else "NULL"
        xd, y = _x_double(C.q(self.x.name), self.x), f"CAST({C.q(self.y.name)} AS DOUBLE)"
        sql = (
            f"SELECT {g} AS g, count(*) AS n, regr_slope({y}, {xd}) AS slope, "
            f"regr_intercept({y}, {xd}) AS icpt, regr_r2({y}, {xd}) AS r2, min({xd}) AS lo, "
            f"max({xd}) AS hi, count(*) OVER () AS groups FROM ({inner.sql}) AS t GROUP BY 1 "
            f"ORDER BY n DESC, CAST(g AS VARCHAR) LIMIT {MAX_TREND_GROUPS}"
        )
        rows = run.fetch(C.Query(sql, inner.params)).to_pylist()
        total = int(rows[0]["groups"]) if rows else 0
        return [
            self._line(r["g"], r["n"], r["slope"], r["icpt"], r["r2"], r["lo"], r["hi"]) for r in rows
        ], total

    def _ols(self, key: Any, part: pd.DataFrame) -> dict[str, Any]:
        import statsmodels.api as sm

        x, y = part["xd"].to_numpy(float), part["y"].to_numpy(float)
        n = len(part)
        if n < 2 or np.ptp(x) == 0:
            return self._line(key, n, None, None, None, None, None)
        lo = float(x.min())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # statsmodels warns on tiny samples
            fit = sm.OLS(y, sm.add_constant(x - lo)).fit()
        icpt, slope = (float(v) for v in fit.params)
        r2 = float(fit.rsquared) if np.ptp(y) > 0 else 1.0
        return self._line(key, n, slope, icpt - slope * lo, r2, lo, float(x.max()))

    def _loess(self, parts: Sequence[tuple[Any, pd.DataFrame]], notes: list[str]) -> list[dict[str, Any]]:
        from statsmodels.nonparametric.smoothers_lowess import lowess

        # an aggregated series past the bound is sampled here, each group in proportion
        n = sum(len(p) for _, p in parts)
        keep = 1.0 if n <= LOESS_POINTS else LOESS_POINTS / n
        if keep < 1:
            notes.append(f"LOESS on a sample of {LOESS_POINTS:,} of {n:,} points")
        rng = np.random.default_rng(42)
        out: list[dict[str, Any]] = []
        for key, part in parts:
            if keep < 1:
                size = max(1, round(len(part) * keep))
                part = part.iloc[np.sort(rng.choice(len(part), size, replace=False))]
            x, y = part["xd"].to_numpy(float), part["y"].to_numpy(float)
            entry: dict[str, Any] = {**self._group_label(key), "n": len(part)}
            if len(part) < 3 or np.ptp(x) == 0:
                entry["message"] = "too few distinct points for a trend"
                out.append(entry)
                continue
            fitted = lowess(y, x, frac=LOESS_FRAC, it=3, delta=0.01 * float(np.ptp(x)), return_sorted=True)
            order = np.argsort(x, kind="stable")
            resid = y[order] - fitted[:, 1]
            total = float(((y - y.mean()) ** 2).sum())
            entry["r2"] = 1.0 - float((resid**2).sum()) / total if total > 0 else 1.0
            pick = np.unique(
                np.linspace(0, len(fitted) - 1, min(CURVE_POINTS, len(fitted))).round().astype(int)
            )
            xs = fitted[pick, 0]
            entry["x"] = [_date(v, self.x) for v in xs] if self.x.out_type in TEMPORAL else xs.tolist()
            entry["y"] = fitted[pick, 1].tolist()
            entry["equation"] = f"LOESS of {self.y.label()} (span {LOESS_FRAC:.2f})"
            out.append(entry)
        return out


class _Forecast(_Overlay):
    def compute(self) -> dict[str, Any]:
        o = self.overlay
        frame = self._series(average=True)
        parts, total = self._groups(frame, MAX_FORECAST_GROUPS)
        notes: list[str] = []
        if total > MAX_FORECAST_GROUPS:
            notes.append(f"forecasts for the {MAX_FORECAST_GROUPS} longest of {total:,} series")
        if not parts:
            # the chart still draws (a filter may leave it no periods), the forecast says why it is missing
            notes.append(f"no forecast: it needs at least {FORECAST_MIN_POINTS} periods; the chart has none")
        series: list[dict[str, Any]] = []
        errors: list[str] = []
        deadline = time.monotonic() + FORECAST_SECONDS
        for key, part in parts:
            check_stopped()
            try:
                series.append(self._one(key, part, notes, deadline))
            except _TooShort as e:
                errors.append(str(e))
                series.append({**self._group_label(key), "n": len(part), "message": str(e)})
        if errors and len(errors) == len(parts):
            notes.append(f"no forecast: {errors[0]}")
        out: dict[str, Any] = {
            "kind": "forecast",
            "periods": o["periods"],
            "interval": o["interval"],
            "series": series,
        }
        fitted = [s for s in series if "model" in s]
        if len({s["model"] for s in fitted}) == 1:
            out["model"] = fitted[0]["model"]
        if notes:
            out["message"] = "; ".join(dict.fromkeys(notes))
        return out

    def _freq(self, index: pd.DatetimeIndex) -> tuple[Any, int | None]:
        """The series' period and its natural season: the time unit's, else inferred from the dates."""
        unit = self.x.time_unit
        if unit is not None:
            return pd.tseries.frequencies.to_offset(FREQ[unit]), SEASON.get(unit)
        if len(index) >= 3:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # pandas 3 moves from a name to an offset
                name = pd.infer_freq(index)
            if name is not None:
                offset = pd.tseries.frequencies.to_offset(name)
                return offset, _INFERRED_SEASON.get(str(offset.rule_code).split("-")[0])
            steps = pd.Series(index[1:] - index[:-1])
            step = steps.mode().iloc[0]
            if step > pd.Timedelta(0) and ((index - index[0]) % step == pd.Timedelta(0)).all():
                return pd.tseries.frequencies.to_offset(step), None
        raise bad(self.path, "x has no regular period to forecast by; give x a time unit (e.g. month)")

    def _season(self, natural: int | None, n: int, notes: list[str]) -> int | None:
        asked = self.overlay["seasonality"]
        if asked == "auto":
            if natural is not None and n >= 2 * natural:
                return natural
            if natural is not None:
                notes.append(f"too few periods for a season of {natural}; none used")
            return None
        if asked <= 1:
            return None
        if n < 2 * asked:
            raise _TooShort(f"a season of {asked} needs at least {2 * asked} periods; the series has {n}")
        return int(asked)

    def _one(self, key: Any, part: pd.DataFrame, notes: list[str], deadline: float) -> dict[str, Any]:
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        part = part.sort_values("x")
        index = pd.DatetimeIndex(pd.to_datetime(part["x"]))
        values = pd.Series(part["y"].to_numpy(float), index=index)
        if len(values) < FORECAST_MIN_POINTS:
            raise _TooShort(
                f"a forecast needs at least {FORECAST_MIN_POINTS} periods; the series has {len(values)}"
            )
        freq, natural = self._freq(index)
        full = pd.date_range(index[0], index[-1], freq=freq)
        if not index.isin(full).all():
            raise bad(self.path, "x has no regular period to forecast by; give x a time unit (e.g. month)")
        if len(full) > len(index):
            # a period with no rows has a count or sum of 0; other measures are interpolated
            empty = 0.0 if self.y.aggregate in ("count", "sum", "distinct") else None
            values = values.reindex(full)
            values = values.fillna(empty) if empty is not None else values.interpolate()
            notes.append(f"{len(full) - len(index):,} missing periods filled")
        if len(values) > FORECAST_FIT_POINTS:
            notes.append(f"fitted on the last {FORECAST_FIT_POINTS:,} of {len(values):,} periods")
            values = values.iloc[-FORECAST_FIT_POINTS:]
        n = len(values)
        season = self._season(natural, n, notes)
        endog = pd.Series(values.to_numpy(), dtype=float)  # a plain index: statsmodels predicts by position
        best: tuple[float, Any, str, bool] | None = None
        for trend, damped in ((None, False), ("add", False), ("add", True)):
            for seasonal in (None, "add") if season else (None,):
                if best is not None and time.monotonic() > deadline:
                    notes.append("model search stopped at its time limit")
                    break
                check_stopped()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # convergence notes on short series
                    try:
                        fit = ETSModel(
                            endog,
                            error="add",
                            trend=trend,
                            damped_trend=damped,
                            seasonal=seasonal,
                            seasonal_periods=season if seasonal else None,
                        ).fit(disp=False)
                    except (ValueError, np.linalg.LinAlgError):
                        continue
                score = float(fit.aicc)
                if not math.isfinite(score):
                    score = float(fit.aic) if math.isfinite(float(fit.aic)) else math.inf
                name = f"ETS(A,{'Ad' if damped else 'A' if trend else 'N'},{'A' if seasonal else 'N'})"
                if best is None or score < best[0]:
                    best = (score, fit, name, seasonal is not None)
        if best is None:
            raise _TooShort("no forecast model could be fitted to this series")
        _, fit, name, seasonal_fit = best
        periods, interval = int(self.overlay["periods"]), float(self.overlay["interval"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = fit.get_prediction(start=n, end=n + periods - 1).summary_frame(alpha=1 - interval)
        future = pd.date_range(values.index[-1], periods=periods + 1, freq=freq)[1:]
        if seasonal_fit:
            name += f", season of {season}"
        return {
            **self._group_label(key),
            "n": n,
            "model": name,
            "seasonality": season if seasonal_fit else None,
            "start": {"x": self._when(values.index[-1]), "y": float(values.iloc[-1])},
            "x": [self._when(t) for t in future],
            "y": [_num(v) for v in frame["mean"]],
            "lower": [_num(v) for v in frame["pi_lower"]],
            "upper": [_num(v) for v in frame["pi_upper"]],
        }

    def _when(self, t: pd.Timestamp) -> Any:
        moment = t.to_pydatetime()
        return _json_value(moment.date() if self.x.ctype == "date" else moment)


class _TooShort(Exception):
    """A series a forecast cannot be fitted to (a 400 when no series of the chart can)."""
