"""Fit a checked spec on a DataFrame and write its report: metrics beside the baseline, residuals
or a confusion matrix, feature importance and warnings. Runs in the fitting process (or a kernel).
"""

from __future__ import annotations

import time as _time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.metrics import confusion_matrix

from ..errors import BadInput
from . import recipe
from .spec import ModelLimits, settle_shuffle

#: rows of the test part that permutation importance reads at most
IMPORTANCE_ROWS = 2_000
IMPORTANCE_REPEATS = 5
RESIDUAL_BINS = 30
#: a class with fewer rows than this is too small to learn
SMALL_CLASS = 10
#: a feature this correlated with the target (in absolute value) is a likely leak
LEAK_CORRELATION = 0.99
MIN_ROWS = 20


def fit_model(
    df: pd.DataFrame,
    spec: dict[str, Any],
    limits: ModelLimits,
    *,
    predictions: bool = False,
    stop: Callable[[], None] | None = None,
) -> tuple[Any, dict[str, Any], np.ndarray | None]:
    """(the pipeline fitted on every usable row, the report, predictions for every row of ``df``)."""
    started = _time.perf_counter()
    X, y, time, rows = recipe.model_frame(df, spec, limits.max_rows)
    spec = settle_shuffle(spec, time)
    n = len(y)
    if n < MIN_ROWS:
        raise BadInput(f"{n} rows have a target; a model needs at least {MIN_ROWS}", "Too Few Rows")
    notes: list[str] = []
    problems: list[dict[str, Any]] = []
    if rows > n:
        notes.append(
            f"{rows} rows have a target, above the limit of {limits.max_rows}: a sample of {n} was used"
        )
    classes: list[str] = []
    if spec["kind"] == "classification":
        # hashed, not sorted: np.unique sorts Python strings, slowly on a million rows
        tally = pd.Series(y).value_counts(sort=False).sort_index()
        values, counts = tally.index.to_numpy(dtype=object), tally.to_numpy()
        classes = [str(v) for v in values]
        if len(classes) < 2:
            raise BadInput("the target has one class only: there is nothing to learn", "Bad model")
        if len(classes) > limits.max_classes:
            raise BadInput(
                f"the target has {len(classes)} classes; at most {limits.max_classes} can be learnt",
                "Too Many Classes",
            )
        problems += _small_classes(values, counts, spec)
    problems += _leaks(X, y, spec)
    splits = recipe.make_splits(n, spec, time)
    caught: list[str] = []
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        results, fitted = recipe.evaluate(X, y, spec, splits, stop)
        est, test, _ = fitted[-1]
        importance = _importance(est, X.iloc[test], y[test], spec, stop)
        if stop is not None:
            stop()
        final = recipe.make_pipeline(spec).fit(X, y)
        out = None
        if predictions:
            full = pd.DataFrame({c: recipe.column_values(df[c], spec["roles"][c]) for c in spec["features"]})
            out = final.predict(full)
        caught = sorted({f"{w.category.__name__}: {str(w.message).splitlines()[0]}" for w in seen})
    tested = np.concatenate([t for _, t, _ in fitted])
    predicted = np.concatenate([p for _, _, p in fitted])
    report: dict[str, Any] = {
        "spec": {k: v for k, v in spec.items() if k != "time_candidates"},
        "time": time,
        "rows": {"with_target": rows, "used": n, "in_dataset": len(df)},
        "splits": [{"train": len(tr), "test": len(te)} for tr, te in splits],
        "evaluation": _describe(spec, time),
        "metrics": recipe.summarise(results),
        "per_split": results,
        "importance": importance,
        "warnings": problems,
        "notes": notes + caught,
        "seconds": round(_time.perf_counter() - started, 3),
    }
    if spec["kind"] == "regression":
        report["residuals"] = _residuals(y[tested], predicted)
    else:
        matrix = confusion_matrix(y[tested], predicted, labels=np.array(classes, dtype=object))
        report["confusion"] = {"labels": classes, "matrix": matrix.tolist()}
    return final, report, out


def _describe(spec: dict[str, Any], time: str | None) -> str:
    order = f"in time order by {time}" if time else ("shuffled" if spec["shuffle"] else "in row order")
    if spec["evaluation"] == "holdout":
        part = "a random" if spec["shuffle"] else "the last"
        return f"holdout: {part} {spec['test_fraction']:.0%} of rows ({order}) tested"
    kind = "time-series folds (each tests rows after those it trains on)" if time else "folds"
    return f"{spec['folds']} {kind}, {order}"


def _small_classes(values: np.ndarray, counts: np.ndarray, spec: dict[str, Any]) -> list[dict[str, Any]]:
    need = max(SMALL_CLASS, spec["folds"] if spec["evaluation"] == "cv" else 0)
    small = [(str(v), int(c)) for v, c in zip(values, counts, strict=True) if c < need]
    if not small:
        return []
    listed = ", ".join(f"{v!r} ({c} rows)" for v, c in small[:10])
    return [
        {
            "kind": "small_classes",
            "columns": [spec["target"]],
            "message": f"Classes too small to learn (fewer than {need} rows): {listed}",
        }
    ]


def _leaks(X: pd.DataFrame, y: np.ndarray, spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Features that give the target away: a copy of it, one that determines it, or an id."""
    out: list[dict[str, Any]] = []
    target = spec["target"]
    n = len(y)
    y_num = pd.to_numeric(pd.Series(y), errors="coerce").to_numpy(dtype="float64")
    classify = spec["kind"] == "classification"
    # classes as codes, once: each feature is then compared with them as whole numbers
    y_codes, classes = pd.factorize(y, use_na_sentinel=False) if classify else (None, None)
    n_classes = 0 if classes is None else len(classes)
    for f in spec["features"]:
        col = X[f]
        role = spec["roles"][f]
        if role == "number" and not np.isnan(y_num).all():
            both = ~(np.isnan(col.to_numpy()) | np.isnan(y_num))
            a, b = col.to_numpy()[both], y_num[both]
            if len(a) > 2 and np.allclose(a, b, rtol=1e-9, atol=0):
                out.append(_leak(f, "copy", f"{f!r} equals the target {target!r}: it is a copy of it"))
                continue
            if len(a) > 2 and a.std() > 0 and b.std() > 0:
                r = float(np.corrcoef(a, b)[0, 1])
                if abs(r) >= LEAK_CORRELATION:
                    out.append(
                        _leak(f, "correlated", f"{f!r} is correlated {r:.3f} with the target {target!r}")
                    )
                    continue
        codes, uniques = pd.factorize(col, use_na_sentinel=False)
        distinct = len(uniques)
        whole = role == "category" or (role == "number" and bool(np.all(np.mod(col.to_numpy(), 1) == 0)))
        if distinct == n and whole:
            out.append(
                _leak(f, "id", f"{f!r} has a different value on every row: an id says nothing general")
            )
            continue
        if y_codes is not None and distinct < n / 2:
            # one class per value: as many (value, class) pairs as values
            pairs = len(pd.unique(codes.astype("int64") * n_classes + y_codes))
            if pairs == distinct:
                out.append(
                    _leak(
                        f,
                        "determines",
                        f"each value of {f!r} goes with one class of {target!r}: a renamed copy?",
                    )
                )
    return out


def _leak(column: str, why: str, message: str) -> dict[str, Any]:
    return {"kind": "leakage", "why": why, "columns": [column], "message": message}


def _importance(
    est: Any, X: pd.DataFrame, y: np.ndarray, spec: dict[str, Any], stop: Callable[[], None] | None
) -> list[dict[str, Any]]:
    """Permutation importance on the (last) test part, at most :data:`IMPORTANCE_ROWS` rows."""
    if stop is not None:
        stop()
    if len(y) < 2:
        return []
    result = permutation_importance(
        est,
        X,
        y,
        scoring="r2" if spec["kind"] == "regression" else "accuracy",
        n_repeats=IMPORTANCE_REPEATS,
        random_state=spec["seed"],
        max_samples=min(len(y), IMPORTANCE_ROWS),
    )
    rows = [
        {"feature": f, "mean": float(m), "std": float(s)}
        for f, m, s in zip(X.columns, result.importances_mean, result.importances_std, strict=True)
    ]
    return sorted(rows, key=lambda r: -r["mean"])


def _residuals(actual: np.ndarray, predicted: np.ndarray) -> dict[str, Any]:
    """Residuals (actual - predicted) of the test parts, binned: never the rows themselves."""
    residual = actual - predicted
    counts, edges = np.histogram(residual, bins=RESIDUAL_BINS)
    by = np.histogram_bin_edges(predicted, bins=RESIDUAL_BINS)
    which = np.clip(np.digitize(predicted, by[1:-1]), 0, RESIDUAL_BINS - 1)
    bins = []
    for i in range(RESIDUAL_BINS):
        mask = which == i
        if mask.any():
            bins.append(
                {
                    "from": float(by[i]),
                    "to": float(by[i + 1]),
                    "count": int(mask.sum()),
                    "mean_actual": float(actual[mask].mean()),
                    "mean_residual": float(residual[mask].mean()),
                }
            )
    return {
        "histogram": {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]},
        "by_predicted": bins,
    }
