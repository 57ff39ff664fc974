"""Cleaning steps: validate a step and plan it as one DuckDB SELECT over ``src``.

``src`` is a view of the parent version's Parquet file with an extra
``"__row"`` column (1-based row number). Every plan lists its output columns
explicitly (so ``__row`` never leaks out) and orders by ``"__row"`` so the
original row order survives (except for ``sort`` steps, which tie-break on it).

The store runs ``execute_plan(con, plan, dest)``; ``con.sql(plan.sql,
params=plan.params).write_parquet(dest)`` works just as well in DuckDB 2.0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import missing
from .casts import CASTS, cast_sql
from .codegen import recipe_to_pandas
from .errors import BadInput
from .filters import (
    coerce_value,
    compile_filter,
    compile_sort,
    filter_sql,
    known_column,
    normalise_filter,
    parse_sort,
    sort_sql,
)
from .formula import Frag, fmt, param, parse_formula
from .ingest.coerce import MISSING_TEXT
from .schema import COLUMN_TYPES, DUCKDB_TYPES, ColumnInfo
from .sql import quote_ident, quote_literal

__all__ = [
    "FILL_METHODS",
    "OPS",
    "StepPlan",
    "compile_filter",
    "compile_sort",
    "complete_plan",
    "execute_plan",
    "plan_step",
    "recipe_to_pandas",
]

OPS = (
    "drop_nulls",
    "fill_nulls",
    "cast",
    "rename",
    "drop_columns",
    "filter",
    "dedupe",
    "derive",
    "sort",
    "markers_to_null",
    "model",
)
FILL_METHODS = ("mean", "median", "mode", "forward", "backward", "zero")
#: at most this many conversion problems are reported per cast
MAX_PROBLEMS = 100
MAX_NAME = 256
RESERVED = ("__row",)


@dataclass
class StepPlan:
    """How to apply one step; see the module docstring."""

    step: dict[str, Any]
    sql: str
    params: list[Any]
    columns_after: list[ColumnInfo]
    describe: str
    check_sql: str | None = None
    check_params: list[Any] = field(default_factory=list)
    #: the step is not complete until :func:`complete_plan` has read the data
    needs_data: bool = False
    #: what the step did, for the report of the version it makes
    notes: list[str] = field(default_factory=list)


def execute_plan(con: Any, plan: StepPlan, dest_path: str | Path) -> None:
    """Run ``plan`` on a connection that has the ``src`` view and write Parquet to ``dest_path``."""
    dest = quote_literal(str(dest_path))
    con.execute(f"COPY ({plan.sql}) TO {dest} (FORMAT parquet, COMPRESSION zstd)", plan.params)


def _bad(message: str) -> BadInput:
    return BadInput(message, reason="Bad step")


def _fields(step: dict[str, Any], allowed: set[str]) -> None:
    # "type"/"types" are what a normalised step records for the code generator; recomputed here
    extra = set(step) - allowed - {"op", "type", "types"}
    if extra:
        raise _bad(f"unexpected field(s) for '{step['op']}': {', '.join(sorted(extra))}")


def _column_list(value: Any, columns: Sequence[ColumnInfo], fld: str, allow_none: bool) -> list[str] | None:
    if value is None and allow_none:
        return None
    if not isinstance(value, list) or not value:
        raise _bad(f"'{fld}' must be a non-empty list of column names" + (" or null" if allow_none else ""))
    names = [known_column(v, columns, fld).name for v in value]
    if len(set(names)) != len(names):
        raise _bad(f"'{fld}' lists a column twice")
    return names


def _new_name(name: Any, fld: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise _bad(f"'{fld}' must be a non-empty column name")
    if len(name) > MAX_NAME or "\x00" in name:
        raise _bad(f"'{fld}' must be at most {MAX_NAME} characters without NUL")
    if name in RESERVED:
        raise _bad(f"{name!r} is reserved; choose another name for '{fld}'")
    return name


def _select(columns: Sequence[ColumnInfo], replace: dict[str, Frag] | None = None) -> Frag:
    replace = replace or {}
    parts = [
        # identifiers go in as fragments, never into a template, so a name like "{0}" stays inert
        fmt("{0} AS {1}", replace[c.name], Frag(quote_ident(c.name)))
        if c.name in replace
        else Frag(quote_ident(c.name))
        for c in columns
    ]
    return fmt(", ".join(f"{{{i}}}" for i in range(len(parts))), *parts)


def _plan(step: dict[str, Any], sel: Frag, tail: Frag, after: list[ColumnInfo], describe: str) -> StepPlan:
    frag = fmt("SELECT {0} FROM src{1}", sel, tail)
    return StepPlan(step=step, sql=frag.sql, params=frag.params, columns_after=after, describe=describe)


_ORDER = Frag(' ORDER BY "__row"')


def _copy(columns: Sequence[ColumnInfo]) -> list[ColumnInfo]:
    return [ColumnInfo(c.name, c.type, c.nulls, c.timezone) for c in columns]


# ---- the steps ---------------------------------------------------------------------------------


def _drop_nulls(step: dict[str, Any], columns: Sequence[ColumnInfo]) -> StepPlan:
    _fields(step, {"columns"})
    names = _column_list(step.get("columns"), columns, "columns", allow_none=True)
    targets = names if names is not None else [c.name for c in columns]
    where = " AND ".join(f"{quote_ident(n)} IS NOT NULL" for n in targets)
    which = ", ".join(names) if names is not None else "any column"
    return _plan(
        {"op": "drop_nulls", "columns": names},
        _select(columns),
        Frag(f' WHERE {where} ORDER BY "__row"'),
        _copy(columns),
        f"Drop rows with a missing value in {which}",
    )


def _fill_nulls(step: dict[str, Any], columns: Sequence[ColumnInfo]) -> StepPlan:
    _fields(step, {"column", "value", "method"})
    col = known_column(step.get("column"), columns, "column")
    c = Frag(quote_ident(col.name))
    after = _copy(columns)
    out: dict[str, Any] = {"op": "fill_nulls", "column": col.name, "type": col.type}
    if ("value" in step) == ("method" in step):
        raise _bad("fill_nulls needs exactly one of 'value' or 'method'")
    if "value" in step:
        value = coerce_value(step["value"], col.type, "value")
        out["value"] = step["value"]
        expr = fmt("COALESCE({0}, {1})", c, param(value, col.type))
        text = f"Fill missing {col.name} with {step['value']!r}"
    else:
        method = step["method"]
        if method not in FILL_METHODS:
            raise _bad(f"'method' must be one of {', '.join(FILL_METHODS)}; got {method!r}")
        numeric = col.type in ("integer", "float")
        if method in ("mean", "median", "zero") and not numeric:
            raise _bad(f"'{method}' needs a number column; {col.name!r} is {col.type}")
        out["method"] = method
        text = f"Fill missing {col.name} with the {method}"
        if method in ("mean", "median"):
            # the mean of whole numbers is rarely whole: the column becomes float rather than rounding
            agg = "avg" if method == "mean" else "median"
            expr = fmt(f"COALESCE(CAST({{0}} AS DOUBLE), (SELECT CAST({agg}({{0}}) AS DOUBLE) FROM src))", c)
            next(a for a in after if a.name == col.name).type = "float"
        elif method == "zero":
            expr = fmt("COALESCE({0}, {1})", c, param(0, col.type))
            text = f"Fill missing {col.name} with 0"
        elif method == "mode":
            # ties go to the smallest value, as pandas' mode() sorts its result
            expr = fmt(
                "COALESCE({0}, (SELECT {0} FROM src WHERE {0} IS NOT NULL GROUP BY {0} "
                "ORDER BY count(*) DESC, {0} ASC LIMIT 1))",
                c,
            )
            text = f"Fill missing {col.name} with the most frequent value"
        elif method == "forward":
            expr = fmt(
                'LAST_VALUE({0} IGNORE NULLS) OVER (ORDER BY "__row" '
                "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)",
                c,
            )
            text = f"Fill missing {col.name} from the row above"
        else:
            expr = fmt(
                'FIRST_VALUE({0} IGNORE NULLS) OVER (ORDER BY "__row" '
                "ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING)",
                c,
            )
            text = f"Fill missing {col.name} from the row below"
    return _plan(out, _select(columns, {col.name: expr}), _ORDER, after, text)


def _cast_format(fmt_text: Any, from_type: str, to: str) -> str | None:
    if fmt_text is not None:
        if not isinstance(fmt_text, str) or not fmt_text or len(fmt_text) > 100:
            raise _bad("'format' must be a strptime format like '%d/%m/%Y'")
        if from_type != "string" or to not in ("date", "datetime"):
            raise _bad("'format' applies only when casting text to date or datetime")
    return fmt_text


def _cast_check(name: str, value: Frag, from_type: str, expr: Frag, to: str, fmt_text: str | None) -> Frag:
    """The rows whose ``value`` the conversion ``expr`` turns into null, as problems.

    In text, missing-value markers and empty text are missing values, never problems (as on upload).
    """
    expected = to + (f" ({fmt_text})" if fmt_text else "")
    markers = Frag(f"NOT IN {missing.markers_sql(MISSING_TEXT)}" if from_type == "string" else "IS NOT NULL")
    return fmt(
        'SELECT "__row" AS "row", {0} AS "column", CAST({1} AS VARCHAR) AS "value", {2} AS "expected" '
        "FROM src WHERE {1} IS NOT NULL AND {1} {4} AND ({3}) IS NULL",
        param(name, "string"),
        value,
        param(expected, "string"),
        expr,
        markers,
    )


def _checks(parts: list[Frag]) -> tuple[str, list[Any]]:
    union = fmt(" UNION ALL ".join(f"({{{i}}})" for i in range(len(parts))), *parts)
    return (
        f'SELECT * FROM ({union.sql}) ORDER BY "row", "column" LIMIT {MAX_PROBLEMS}',
        union.params,
    )


def _cast(step: dict[str, Any], columns: Sequence[ColumnInfo]) -> StepPlan:
    _fields(step, {"column", "to", "format"})
    col = known_column(step.get("column"), columns, "column")
    to = step.get("to")
    if to not in COLUMN_TYPES:
        raise _bad(f"'to' must be one of {', '.join(COLUMN_TYPES)}; got {to!r}")
    if to == col.type:
        raise _bad(f"{col.name!r} is already {to}")
    if to not in CASTS[col.type]:
        raise _bad(f"cannot cast {col.name!r} from {col.type} to {to}")
    fmt_text = _cast_format(step.get("format"), col.type, to)
    c = Frag(quote_ident(col.name))
    expr = cast_sql(c, col.type, to, fmt_text)
    after = _copy(columns)
    target = next(a for a in after if a.name == col.name)
    target.type = to
    target.timezone = None
    out = {"op": "cast", "column": col.name, "to": to, "format": fmt_text, "type": col.type}
    plan = _plan(out, _select(columns, {col.name: expr}), _ORDER, after, f"Cast {col.name} to {to}")
    plan.check_sql, plan.check_params = _checks([_cast_check(col.name, c, col.type, expr, to, fmt_text)])
    return plan


def _rename(step: dict[str, Any], columns: Sequence[ColumnInfo]) -> StepPlan:
    if "mapping" in step:
        _fields(step, {"mapping"})
        mapping = step["mapping"]
        if not isinstance(mapping, dict) or not mapping:
            raise _bad("'mapping' must be a non-empty object of old name → new name")
    else:
        _fields(step, {"column", "to"})
        mapping = {step.get("column"): step.get("to")}
    clean: dict[str, str] = {}
    for old, new in mapping.items():
        known_column(old, columns, "column")
        clean[old] = _new_name(new, "to")
    final = [clean.get(c.name, c.name) for c in columns]
    dupes = sorted({n for n in final if final.count(n) > 1})
    if dupes:
        raise _bad(f"renaming would give two columns the name {dupes[0]!r}")
    after = _copy(columns)
    for a in after:
        a.name = clean.get(a.name, a.name)
    sel = ", ".join(
        f"{quote_ident(c.name)} AS {quote_ident(clean[c.name])}" if c.name in clean else quote_ident(c.name)
        for c in columns
    )
    text = "Rename " + ", ".join(f"{o} to {n}" for o, n in clean.items())
    return _plan({"op": "rename", "mapping": clean}, Frag(sel), _ORDER, after, text)


def _drop_columns(step: dict[str, Any], columns: Sequence[ColumnInfo]) -> StepPlan:
    _fields(step, {"columns"})
    names = _column_list(step.get("columns"), columns, "columns", allow_none=False) or []
    keep = [c for c in columns if c.name not in names]
    if not keep:
        raise _bad("cannot drop every column")
    return _plan(
        {"op": "drop_columns", "columns": names},
        _select(keep),
        _ORDER,
        _copy(keep),
        "Drop " + ", ".join(names),
    )


def _filter(step: dict[str, Any], columns: Sequence[ColumnInfo]) -> StepPlan:
    if "formula" in step:
        _fields(step, {"formula"})
        normal = normalise_filter({"formula": step["formula"]}, columns)
        text = f"Keep rows where {step['formula']}"
    else:
        _fields(step, {"conditions", "combine"})
        if "conditions" not in step:
            raise _bad("filter needs 'conditions' or 'formula'")
        normal = normalise_filter(
            {"conditions": step["conditions"], "combine": step.get("combine", "and")}, columns
        )
        n = len(normal["conditions"])
        text = f"Keep rows matching {n} condition{'s' if n != 1 else ''}"
    where, params = filter_sql(normal, columns)
    tail = Frag(f' WHERE {where} ORDER BY "__row"', params)
    return _plan({"op": "filter", **normal}, _select(columns), tail, _copy(columns), text)


def _dedupe(step: dict[str, Any], columns: Sequence[ColumnInfo]) -> StepPlan:
    _fields(step, {"columns", "keep"})
    names = _column_list(step.get("columns"), columns, "columns", allow_none=True)
    keep = step.get("keep", "first")
    if keep not in ("first", "last"):
        raise _bad(f"'keep' must be 'first' or 'last'; got {keep!r}")
    keys = ", ".join(quote_ident(n) for n in (names if names is not None else [c.name for c in columns]))
    order = '"__row"' + (" DESC" if keep == "last" else "")
    tail = Frag(f' QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY {order}) = 1 ORDER BY "__row"')
    which = ", ".join(names) if names is not None else "all columns"
    return _plan(
        {"op": "dedupe", "columns": names, "keep": keep},
        _select(columns),
        tail,
        _copy(columns),
        f"Remove duplicate rows by {which} (keep {keep})",
    )


def _derive(step: dict[str, Any], columns: Sequence[ColumnInfo]) -> StepPlan:
    _fields(step, {"name", "formula"})
    name = _new_name(step.get("name"), "name")
    if any(c.name == name for c in columns):
        raise _bad(f"a column named {name!r} already exists; choose another 'name'")
    parsed = parse_formula(step.get("formula"), columns)  # type: ignore[arg-type]
    sql, params = parsed.to_sql()
    types = {n: next(c.type for c in columns if c.name == n) for n in parsed.columns}
    sel = fmt(
        f"{{0}}, CAST({{1}} AS {DUCKDB_TYPES[parsed.type]}) AS {{2}}",
        _select(columns),
        Frag(sql, params),
        Frag(quote_ident(name)),
    )
    after = [*_copy(columns), ColumnInfo(name, parsed.type)]  # type: ignore[arg-type]
    out = {"op": "derive", "name": name, "formula": parsed.text, "type": parsed.type, "types": types}
    return _plan(out, sel, _ORDER, after, f"Add {name} = {parsed.text}")


def _sort(step: dict[str, Any], columns: Sequence[ColumnInfo]) -> StepPlan:
    _fields(step, {"by"})
    if not step.get("by"):
        raise _bad("sort needs 'by', e.g. '-price,name'")
    keys = parse_sort(step["by"], columns)
    tail = Frag(f' ORDER BY {sort_sql(keys)}, "__row"')
    text = "Sort by " + ", ".join(("-" if k["descending"] else "") + k["column"] for k in keys)
    return _plan({"op": "sort", "by": keys}, _select(columns), tail, _copy(columns), text)


def _markers_to_null(step: dict[str, Any], columns: Sequence[ColumnInfo]) -> StepPlan:
    """Markers become missing in text columns, and each column listed in ``casts`` is retyped.

    Without ``casts`` the step is not complete: :func:`complete_plan` reads the data to find the
    columns holding markers and the type each then holds (:mod:`.missing`); the recipe keeps the
    completed step, so a replay or "Copy as code" does the same again.
    """
    _fields(step, {"columns", "markers", "retype", "casts"})
    markers = missing.check_markers(step.get("markers"))
    names = _column_list(step.get("columns"), columns, "columns", allow_none=True)
    by_name = {c.name: c for c in columns}
    for n in names or []:
        if by_name[n].type != "string":
            raise _bad(f"{n!r} is {by_name[n].type}: only text columns hold markers")
    if "retype" in step and "casts" in step:
        raise _bad("give 'retype' or 'casts', not both")
    retype = step.get("retype", True)
    if not isinstance(retype, bool):
        raise _bad("'retype' must be true or false")
    texts = names if names is not None else [c.name for c in columns if c.type == "string"]
    casts = _retypes(step.get("casts", []), texts)
    out: dict[str, Any]
    if "casts" in step:
        # complete: the recipe keeps the columns by name, for a replay and for "Copy as code"
        out = {"op": "markers_to_null", "columns": texts, "markers": markers, "casts": casts}
    else:
        out = {"op": "markers_to_null", "columns": names, "markers": markers, "retype": retype}
    in_markers = fmt(
        "(" + ", ".join(f"{{{i}}}" for i in range(len(markers))) + ")", *(param(m, "string") for m in markers)
    )
    after = _copy(columns)
    replace: dict[str, Frag] = {}
    checks: list[Frag] = []
    for n in texts:
        c = Frag(quote_ident(n))
        replace[n] = fmt("(CASE WHEN {0} IN {1} THEN NULL ELSE {0} END)", c, in_markers)
    for cast in casts:
        n, to, fmt_text = cast["column"], cast["to"], cast["format"]
        value = replace[n]
        replace[n] = cast_sql(value, "string", to, fmt_text)
        checks.append(_cast_check(n, value, "string", replace[n], to, fmt_text))
        target = next(a for a in after if a.name == n)
        target.type, target.timezone = to, None
    where = "every text column" if names is None else missing.name_list(texts)
    text = f"Treat {missing.describe_markers(markers)} as missing in {where}"
    if casts:
        text += "; " + ", ".join(f"{c['column']} becomes {c['to']}" for c in casts)
    plan = _plan(out, _select(columns, replace), _ORDER, after, text)
    if checks:
        plan.check_sql, plan.check_params = _checks(checks)
    plan.needs_data = "casts" not in step
    return plan


def _retypes(value: Any, texts: list[str]) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise _bad("'casts' must be a list of {column, to, format}")
    out: list[dict[str, Any]] = []
    for cast in value:
        if not isinstance(cast, dict) or set(cast) - {"column", "to", "format"}:
            raise _bad("each of 'casts' must be {column, to, format}")
        name = cast.get("column")
        if name not in texts:
            raise _bad(f"'casts' names {name!r}, which is not one of the step's text columns")
        to = cast.get("to")
        if to not in CASTS["string"]:
            raise _bad(f"'casts' may retype text to {', '.join(sorted(CASTS['string']))}; got {to!r}")
        out.append({"column": name, "to": to, "format": _cast_format(cast.get("format"), "string", to)})
    if len({c["column"] for c in out}) != len(out):
        raise _bad("'casts' retypes a column twice")
    return out


def _model(step: dict[str, Any], columns: Sequence[ColumnInfo]) -> StepPlan:
    """A model's predictions as a new column: the model is fitted again on the parent's data
    (the spec and its seed make the fit the same), by :func:`complete_plan`."""
    from .models.spec import ModelLimits, check_spec

    spec = check_spec({k: v for k, v in step.items() if k != "op"}, list(columns), ModelLimits())
    name = _new_name(spec["name"], "name")
    if any(c.name == name for c in columns):
        raise _bad(f"a column named {name!r} already exists; choose another 'name'")
    max_rows = step.get("max_rows", ModelLimits().max_rows)
    if not isinstance(max_rows, int) or isinstance(max_rows, bool) or max_rows < 20:
        raise _bad("'max_rows' must be a whole number of at least 20")
    out = {"op": "model", **spec, "max_rows": max_rows}
    sel = fmt('{0}, p."__prediction" AS {1}', _select(columns), Frag(quote_ident(name)))
    tail = Frag(' LEFT JOIN __predictions AS p USING ("__row") ORDER BY "__row"')
    kind = "float" if spec["kind"] == "regression" else "string"
    after = [*_copy(columns), ColumnInfo(name, kind)]  # type: ignore[arg-type]
    what = f"{spec['algorithm']} {spec['kind']}"
    plan = _plan(
        out, sel, tail, after, f"Add {name}: {what} of {spec['target']} on {', '.join(spec['features'])}"
    )
    plan.needs_data = True
    return plan


def complete_plan(con: Any, plan: StepPlan, columns: list[ColumnInfo], model_limits: Any = None) -> StepPlan:
    """The plan of a step that needed the data (``plan.needs_data``), read through ``con``'s ``src``.

    A model step fits its model (under ``model_limits``) and leaves its predictions in ``con`` as
    ``__predictions``; the plan is the same.
    """
    if not plan.needs_data:
        return plan
    step = plan.step
    if step["op"] == "model":
        from .models.predict import predictions_into

        predictions_into(con, step, columns, model_limits)
        return plan
    found = missing.find(con, columns, step["columns"], step["markers"], step["retype"])
    done = plan_step(
        {
            "op": step["op"],
            "columns": found.columns,
            "markers": step["markers"],
            "casts": found.casts,
        },
        columns,
    )
    done.notes = found.notes
    return done


_PLANNERS = {
    "drop_nulls": _drop_nulls,
    "fill_nulls": _fill_nulls,
    "cast": _cast,
    "rename": _rename,
    "drop_columns": _drop_columns,
    "filter": _filter,
    "dedupe": _dedupe,
    "derive": _derive,
    "sort": _sort,
    "markers_to_null": _markers_to_null,
    "model": _model,
}


def plan_step(step: dict[str, Any], columns: list[ColumnInfo]) -> StepPlan:
    """Validate ``step`` against the parent's ``columns`` and plan it.

    Raises :class:`BadInput` naming the bad field or column. The returned
    ``plan.step`` is the normalised, JSON-safe step to keep in the recipe; it
    carries the types :func:`recipe_to_pandas` needs.
    """
    if not isinstance(step, dict):
        raise _bad("a step must be an object with an 'op'")
    op = step.get("op")
    if op not in _PLANNERS:
        raise _bad(f"'op' must be one of {', '.join(OPS)}; got {op!r}")
    if not columns:
        raise _bad("the dataset has no columns")
    return _PLANNERS[op](step, columns)
