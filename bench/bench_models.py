"""A model fit through the store next to the same scikit-learn pipeline run directly.

On one Parquet file of N rows (default 1M; 3 numbers, 2 text columns, a number target ``y`` and
a three-class target ``band``) this times, for each model asked for, alternately, run by run,
each in a fresh process:

* store: ``run_fit`` as ``POST datasets/{id}/models`` runs it, end to end: the fitting process
  started, the file read, the holdout fit of the model and the baseline, permutation importance,
  the leakage and class checks and the final fit;
* direct: the file read with pyarrow, then the same pipeline a data scientist would write with
  the recipe's functions (the same split, the model and baseline fits with their metrics, the
  final fit), after its imports; then the same permutation importance call as the store's.

Two references, so two ratios: ``direct`` (fit and metrics) and ``direct+importance``. Each is
given as wall time and as CPU time (user + system of the process doing the work, which a loaded
machine disturbs less). Peak memory is each fitting process's maximum resident size. The ratios
are printed, not asserted.

    python bench/bench_models.py --rows 1000000 --reps 2 --model regression/boosting classification/linear
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from livegraphs_ext.store.models.spec import ModelLimits, check_spec  # noqa: E402
from livegraphs_ext.store.schema import ColumnInfo  # noqa: E402

COLUMNS = [
    ColumnInfo("a", "float"),
    ColumnInfo("b", "float"),
    ColumnInfo("c", "integer"),
    ColumnInfo("city", "string"),
    ColumnInfo("flag", "boolean"),
    ColumnInfo("y", "float"),
    ColumnInfo("band", "string"),
]
TARGETS = {"regression": "y", "classification": "band"}
MODELS = [f"{k}/{a}" for k in TARGETS for a in ("linear", "boosting")]


def model_spec(model: str) -> dict[str, object]:
    kind, algorithm = model.split("/")
    features = ["a", "b", "c", "city", "flag"]
    return {"target": TARGETS[kind], "features": features, "kind": kind, "algorithm": algorithm, "seed": 1}


def make_data(path: Path, rows: int) -> Path:
    rng = np.random.default_rng(17)
    a, b = rng.normal(size=rows), rng.normal(size=rows)
    c = rng.integers(0, 50, rows)
    city = rng.choice([f"city {i}" for i in range(30)], rows)
    flag = rng.random(rows) < 0.3
    y = 2 * a - b + 0.1 * c + flag + rng.normal(scale=0.5, size=rows)
    band = np.array(["low", "middle", "high"])[np.digitize(y + rng.normal(size=rows), [0.0, 3.0])]
    a[rng.random(rows) < 0.02] = np.nan
    table = pa.table({"a": a, "b": b, "c": c, "city": city, "flag": flag, "y": y, "band": band})
    pq.write_table(table, path, compression="zstd")
    return path


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def one(kind: str, path: str, rows: int, model: str) -> dict[str, float]:
    limits = ModelLimits(max_rows=rows, time_limit=0, memory=0)
    spec = check_spec(model_spec(model), COLUMNS, limits)
    first = "r2" if spec["kind"] == "regression" else "accuracy"
    if kind == "store":
        from livegraphs_ext.store.models.runner import run_fit

        start = time.perf_counter()
        report = run_fit(Path(path), spec, limits)["report"]
        seconds = time.perf_counter() - start
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return {
            "seconds": seconds,
            "cpu": usage.ru_utime + usage.ru_stime,
            "peak": usage.ru_maxrss * 1024,
            first: report["metrics"]["model"][first],
        }
    import pandas as pd
    from sklearn.inspection import permutation_importance

    from livegraphs_ext.store.models import recipe
    from livegraphs_ext.store.models.fit import IMPORTANCE_REPEATS, IMPORTANCE_ROWS

    cpu = _cpu(resource.RUSAGE_SELF)
    start = time.perf_counter()
    df = pq.read_table(path).to_pandas(types_mapper=pd.ArrowDtype)
    X, y, time_col, _ = recipe.model_frame(df, spec, rows)
    spec = {**spec, "shuffle": time_col is None}
    results, fitted = recipe.evaluate(X, y, spec, recipe.make_splits(len(y), spec, time_col))
    recipe.make_pipeline(spec).fit(X, y)
    seconds = time.perf_counter() - start
    cpu_fit = _cpu(resource.RUSAGE_SELF) - cpu
    est, test, _ = fitted[-1]
    permutation_importance(
        est,
        X.iloc[test],
        y[test],
        scoring=first,
        n_repeats=IMPORTANCE_REPEATS,
        random_state=spec["seed"],
        max_samples=min(len(test), IMPORTANCE_ROWS),
    )
    return {
        "seconds": seconds,
        "cpu": cpu_fit,
        "seconds_importance": time.perf_counter() - start,
        "cpu_importance": _cpu(resource.RUSAGE_SELF) - cpu,
        "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        first: recipe.summarise(results)["model"][first],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--reps", type=int, default=2)
    p.add_argument(
        "--model", nargs="+", choices=MODELS, default=["regression/boosting", "classification/linear"]
    )
    p.add_argument("--one", choices=["store", "direct"], help=argparse.SUPPRESS)
    p.add_argument("--path", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.one:
        print(json.dumps(one(a.one, a.path, a.rows, a.model[0])))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = make_data(Path(tmp) / "data.parquet", a.rows)
        for model in a.model:
            runs: dict[str, list[dict[str, float]]] = {"store": [], "direct": []}
            for _ in range(a.reps):
                for kind in ("store", "direct"):
                    cmd = [sys.executable, __file__, "--one", kind, "--path", str(path), "--model", model]
                    out = subprocess.run(
                        [*cmd, "--rows", str(a.rows)], capture_output=True, text=True, check=True
                    )
                    runs[kind].append(json.loads(out.stdout.strip().splitlines()[-1]))
                    print(model, kind, runs[kind][-1], flush=True)
            print(json.dumps({"model": model, "rows": a.rows, **summary(runs)}), flush=True)


def summary(runs: dict[str, list[dict[str, float]]]) -> dict[str, float]:
    def median(kind: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[kind])

    out: dict[str, float] = {}
    for measure in ("seconds", "cpu"):
        store = median("store", measure)
        direct, direct_imp = median("direct", measure), median("direct", f"{measure}_importance")
        out[f"store_{measure}"] = round(store, 2)
        out[f"direct_{measure}"] = round(direct, 2)
        out[f"direct_importance_{measure}"] = round(direct_imp, 2)
        out[f"{measure}_ratio"] = round(store / direct, 3)
        out[f"{measure}_ratio_importance"] = round(store / direct_imp, 3)
    store_m = max(r["peak"] for r in runs["store"])
    direct_m = max(r["peak"] for r in runs["direct"])
    out["store_peak_mib"] = round(store_m / 2**20)
    out["direct_peak_mib"] = round(direct_m / 2**20)
    out["memory_ratio"] = round(store_m / direct_m, 3)
    return out


if __name__ == "__main__":
    main()
