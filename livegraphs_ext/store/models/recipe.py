"""The model recipe: how a spec's rows become a pipeline, splits and metrics.

Everything here is plain pandas and scikit-learn, written so that each function's source can be
copied as it is into the exported code (:mod:`.code`): the store and the exported script run the
very same lines, so their metrics agree. Keep these functions self-contained (only ``np``, ``pd``
and the scikit-learn names imported below).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
    root_mean_squared_error,
)
from sklearn.model_selection import KFold, TimeSeriesSplit, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

IMPORTS = """import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
    root_mean_squared_error,
)
from sklearn.model_selection import KFold, TimeSeriesSplit, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
"""


def column_values(s, kind):
    """One column as the pipeline reads it: numbers as float64 (missing: NaN), dates as days since
    1970 (float64), text and booleans as text (missing: "(missing)")."""
    if kind == "number":
        return s.to_numpy(dtype="float64", na_value=np.nan)
    if kind == "date":
        t = pd.to_datetime(s, utc=True)
        return ((t - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(days=1)).to_numpy(
            dtype="float64", na_value=np.nan
        )
    return s.astype("string").fillna("(missing)").to_numpy(dtype=object)


def model_frame(df, spec, max_rows):
    """(features, target, time column, rows with a target) of the rows that have a target.

    Rows are put in time order when a date column orders them (``spec["time"]``, or with "auto"
    the first candidate whose values only rise or only fall); above ``max_rows`` a seeded sample
    (kept in row order) is used.
    """
    target = spec["target"]
    data = df[df[target].notna()]
    time = spec["time"]
    if time == "auto":
        time = None
        for c in spec["time_candidates"]:
            v = data[c].dropna()
            if v.nunique() > 1 and (v.is_monotonic_increasing or v.is_monotonic_decreasing):
                time = c
                break
    if time is not None:
        data = data.sort_values(time, kind="stable", na_position="last")
    data = data.reset_index(drop=True)
    rows = len(data)
    if rows > max_rows:
        data = data.sample(n=max_rows, random_state=spec["seed"]).sort_index().reset_index(drop=True)
    X = pd.DataFrame({c: column_values(data[c], spec["roles"][c]) for c in spec["features"]})
    if spec["kind"] == "regression":
        y = data[target].to_numpy(dtype="float64", na_value=np.nan)
    else:
        y = data[target].astype("string").to_numpy(dtype=object)
    return X, y, time, rows


def make_pipeline(spec):
    """The scikit-learn pipeline of the spec: impute (and scale), one-hot encode, then the model."""
    numbers = [c for c in spec["features"] if spec["roles"][c] != "category"]
    categories = [c for c in spec["features"] if spec["roles"][c] == "category"]
    steps = [("impute", SimpleImputer(strategy="median"))]
    if spec["algorithm"] == "linear":
        steps.append(("scale", StandardScaler()))
    parts = []
    if numbers:
        parts.append(("numbers", Pipeline(steps), numbers))
    if categories:
        encoder = OneHotEncoder(handle_unknown="ignore", max_categories=50, sparse_output=False)
        parts.append(("categories", encoder, categories))
    seed = spec["seed"]
    model = {
        ("regression", "linear"): lambda: Ridge(alpha=1.0),
        ("regression", "boosting"): lambda: HistGradientBoostingRegressor(random_state=seed),
        ("classification", "linear"): lambda: LogisticRegression(max_iter=1000),
        ("classification", "boosting"): lambda: HistGradientBoostingClassifier(random_state=seed),
    }[(spec["kind"], spec["algorithm"])]()
    return Pipeline([("prepare", ColumnTransformer(parts)), ("model", model)])


def make_baseline(spec):
    """What the model must beat: the mean, or the most frequent class."""
    if spec["kind"] == "regression":
        return DummyRegressor(strategy="mean")
    return DummyClassifier(strategy="most_frequent")


def make_splits(n, spec, time):
    """(train, test) row positions: a holdout or k folds, in time order when ``time`` orders the rows."""
    positions = np.arange(n)
    shuffle = spec["shuffle"]
    if spec["evaluation"] == "holdout":
        seed = spec["seed"] if shuffle else None
        train, test = train_test_split(
            positions, test_size=spec["test_fraction"], shuffle=shuffle, random_state=seed
        )
        return [(np.sort(train), np.sort(test))]
    if time is not None:
        return list(TimeSeriesSplit(n_splits=spec["folds"]).split(positions))
    folds = KFold(n_splits=spec["folds"], shuffle=shuffle, random_state=spec["seed"] if shuffle else None)
    return list(folds.split(positions))


def score(spec, y_true, predicted, proba, classes):
    """Metrics of one test part: R², MAE and RMSE, or accuracy, F1 (macro) and ROC AUC."""
    if spec["kind"] == "regression":
        return {
            "r2": float(r2_score(y_true, predicted)),
            "mae": float(mean_absolute_error(y_true, predicted)),
            "rmse": float(root_mean_squared_error(y_true, predicted)),
        }
    out: dict = {
        "accuracy": float(accuracy_score(y_true, predicted)),
        "f1": float(f1_score(y_true, predicted, average="macro", zero_division=0)),
    }
    try:
        if len(classes) == 2:
            auc = roc_auc_score(y_true == classes[1], proba[:, 1])
        else:
            auc = roc_auc_score(y_true, proba, multi_class="ovr", labels=classes)
        out["roc_auc"] = float(auc)
    except ValueError:  # a class missing from the test part, or from the training part
        out["roc_auc"] = None
    return out


def evaluate(X, y, spec, splits, stop=None):
    """Fit the model and the baseline on each training part and score them on its test part.

    Returns (metrics per split, [(fitted model, test rows, test predictions)] per split).
    ``stop`` (if given) is called between fits, to give up early.
    """
    results, fitted = [], []
    for train, test in splits:
        row = {}
        for name, make in (("model", make_pipeline), ("baseline", make_baseline)):
            if stop is not None:
                stop()
            est = make(spec).fit(X.iloc[train], y[train])
            predicted = est.predict(X.iloc[test])
            proba, classes = None, None
            if spec["kind"] == "classification":
                proba, classes = est.predict_proba(X.iloc[test]), est.classes_
            row[name] = score(spec, y[test], predicted, proba, classes)
            if name == "model":
                fitted.append((est, test, predicted))
        results.append(row)
    return results, fitted


def summarise(results):
    """The mean of each metric over the splits (None when a split has none)."""
    out: dict = {}
    for who in ("model", "baseline"):
        out[who] = {}
        for metric in results[0][who]:
            values = [r[who][metric] for r in results]
            out[who][metric] = None if any(v is None for v in values) else float(np.mean(values))
    return out
