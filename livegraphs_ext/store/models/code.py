"""The exported code of a model: a standalone scikit-learn script that gives the same metrics.

The script holds the source of :mod:`.recipe`'s functions as they are, so the store and the
script run the same lines on the same data (``lg.load`` reads the version file the store read).
"""

from __future__ import annotations

import inspect
from typing import Any

from . import recipe

FUNCTIONS = (
    recipe.column_values,
    recipe.model_frame,
    recipe.make_pipeline,
    recipe.make_baseline,
    recipe.make_splits,
    recipe.score,
    recipe.evaluate,
    recipe.summarise,
)


def model_code(spec: dict[str, Any], load_expr: str, max_rows: int) -> str:
    """A script that loads the data with ``load_expr``, evaluates the spec and fits the pipeline.

    ``spec`` is a checked spec (see :func:`.spec.check_spec`); user text enters only through
    ``repr()``. The script ends with ``metrics`` (model and baseline) and ``pipeline``.
    """
    keep = {k: v for k, v in spec.items() if k != "name"}
    lines = [
        '"""A model fitted with livegraphs, as scikit-learn code: run it to get the same metrics."""',
        "",
        *definitions(),
        "import livegraphs_ext as lg",
        "",
    ]
    lines += [
        "",
        f"df = {load_expr}",
        f"spec = {keep!r}",
        f"X, y, time, rows = model_frame(df, spec, max_rows={max_rows!r})",
        "if spec['shuffle'] is None:",
        "    # shuffle unless a date column orders the rows",
        "    spec['shuffle'] = time is None",
        "results, fitted = evaluate(X, y, spec, make_splits(len(y), spec, time))",
        "metrics = summarise(results)",
        "print(metrics)",
        "",
        "# the model fitted on every row that has a target, and its predictions for every row",
        "pipeline = make_pipeline(spec).fit(X, y)",
        "features = pd.DataFrame({c: column_values(df[c], spec['roles'][c]) for c in spec['features']})",
        f"df[{spec['name']!r}] = pipeline.predict(features)",
        "",
    ]
    return "\n".join(lines)


def definitions() -> list[str]:
    """The recipe's imports and functions, as lines of a script."""
    lines = [recipe.IMPORTS]
    for fn in FUNCTIONS:
        lines += ["", inspect.getsource(fn)]
    return lines


def step_lines(step: dict[str, Any]) -> list[str]:
    """The pandas lines of a model step of a recipe (after :func:`definitions`)."""
    spec = {k: v for k, v in step.items() if k not in ("op", "name", "max_rows")}
    return [
        f"_spec = {spec!r}",
        f"_X, _y, _time, _rows = model_frame(df, _spec, max_rows={step['max_rows']!r})",
        "if _spec['shuffle'] is None:",
        "    _spec['shuffle'] = _time is None",
        "_features = pd.DataFrame({c: column_values(df[c], _spec['roles'][c]) for c in _spec['features']})",
        f"df[{step['name']!r}] = pd.array(make_pipeline(_spec).fit(_X, _y).predict(_features), "
        f"dtype=pd.ArrowDtype(pa.{'float64' if step['kind'] == 'regression' else 'string'}()))",
    ]
