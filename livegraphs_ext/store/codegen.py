"""A recipe as runnable pandas code ("Copy as code").

The code starts from ``df = lg.load(...)`` — a DataFrame with Arrow-backed
dtypes, as ``pd.read_parquet(path, dtype_backend="pyarrow")`` gives — and
replays every step with vectorised pandas so that it yields the same rows as
the DuckDB path. User text only ever enters the code through ``repr()`` of a
Python ``str``/number/date, never as code.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from .casts import FALSE_WORDS, TRUE_WORDS
from .errors import BadInput
from .filters import coerce_value
from .formula import (
    FUNCTIONS,
    NULL,
    PD_DTYPE,
    Call,
    Chain,
    Col,
    Compare,
    Lit,
    Node,
    Unary,
    parse_formula,
    pd_cast,
    to_number_pd,
    to_str_pd,
    to_temporal_pd,
)
from .schema import ColumnInfo

HEADER = [
    "import datetime",
    "",
    "import numpy as np",
    "import pandas as pd",
    "import pyarrow as pa",
    "",
    "import livegraphs_ext as lg",
    "",
]
#: longer sub-expressions go into their own variable: keeps lines readable and
#: stops code from doubling when an argument is used twice
_HOIST_AT = 72


def _lit(value: Any) -> str:
    if isinstance(value, _dt.datetime):
        parts = (
            value.year,
            value.month,
            value.day,
            value.hour,
            value.minute,
            value.second,
            value.microsecond,
        )
        return f"datetime.datetime{parts!r}"
    if isinstance(value, _dt.date):
        return f"datetime.date({value.year}, {value.month}, {value.day})"
    return repr(value)


def col_ref(name: str) -> str:
    return f"df[{name!r}]"


class _Namer:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return f"_v{self.n}"


class PandasFormula:
    """Compile a checked formula tree to a pandas Series expression."""

    def __init__(self, lines: list[str], namer: _Namer):
        self.lines = lines
        self.namer = namer

    def hoist(self, code: str) -> str:
        if len(code) <= _HOIST_AT or code.isidentifier():
            return code
        name = self.namer()
        self.lines.append(f"{name} = {code}")
        return name

    def series(self, node: Node) -> str:
        code, is_series = self.expr(node)
        if not is_series:
            code = f"pd.Series({code}, index=df.index, dtype={PD_DTYPE[node.type]})"
        return self.hoist(code)

    def expr(self, node: Node) -> tuple[str, bool]:
        if isinstance(node, Lit):
            if node.value is None:
                return f"pd.Series(pd.NA, index=df.index, dtype={PD_DTYPE[node.type]})", True
            return _lit(node.value), False
        if isinstance(node, Col):
            return col_ref(node.name), True
        if isinstance(node, Unary):
            inner = pd_cast(
                self.series(node.operand),
                node.operand.type if node.operand.type != NULL else "string",
                node.type,
            )
            return (f"(~{inner})" if node.op == "not" else f"(-{inner})"), True
        if isinstance(node, Chain):
            return self._chain(node), True
        if isinstance(node, Compare):
            ot = node.operand_type
            left = (
                pd_cast(self.series(node.left), node.left.type, ot)
                if node.left.type != NULL
                else self.series(node.left)
            )
            rcode, rser = self.expr(node.right)
            if rser or node.right.type != ot:
                rcode = pd_cast(self.series(node.right), node.right.type, ot)
            op = {"=": "==", "<>": "!="}.get(node.op, node.op)
            return f"({left} {op} {rcode})", True
        if isinstance(node, Call):
            func = FUNCTIONS[node.name]
            args = [
                _lit(a.value) if i in func.consts else self.series(a)  # type: ignore[attr-defined]
                for i, a in enumerate(node.args)
            ]
            return func.pandas(args, node), bool(node.args)
        raise AssertionError(type(node))  # pragma: no cover

    def _chain(self, node: Chain) -> str:
        acc, t = self.series(node.first), node.first.type
        for op, right, st in zip(node.ops, node.rest, node.step_types, strict=True):
            rt = right.type
            if isinstance(right, Lit) and right.value is not None and right.value != 0:
                # pandas broadcasts a plain value; a zero divisor still needs the null rule below
                acc = self._with_scalar(acc, t, op, _lit(right.value), st)
                acc, t = self.hoist(acc), st
                continue
            r = self.series(right)
            if op in ("and", "or"):
                acc = f"({acc} {'&' if op == 'and' else '|'} {r})"
            elif st == "string":
                acc = f"({acc} + {r})"
            elif op in ("/", "%"):
                want = "float" if op == "/" else st
                r = self.hoist(pd_cast(r, rt, want))
                acc = pd_cast(acc, t, want)
                if op == "/":
                    # zero divisors give null, as in the SQL
                    acc = f"({acc} / {r}.where({r} != 0))"
                else:
                    acc = pd_cast(f"np.fmod({acc}, {r}.where({r} != 0))", "float", want)
            else:
                acc = f"({pd_cast(acc, t, st)} {op} {pd_cast(r, rt, st)})"
            acc, t = self.hoist(acc), st
        return acc

    @staticmethod
    def _with_scalar(acc: str, t: str, op: str, value: str, st: str) -> str:
        if op in ("and", "or"):
            return f"({acc} {'&' if op == 'and' else '|'} {value})"
        if op == "/":
            return f"({pd_cast(acc, t, 'float')} / {value})"
        if op == "%":
            return pd_cast(f"np.fmod({pd_cast(acc, t, st)}, {value})", "float", st)
        return f"({pd_cast(acc, t, st)} {op} {value})"


def formula_series(text: str, types: dict[str, str], lines: list[str], namer: _Namer) -> tuple[str, str]:
    """(pandas code of the formula's Series, result type); helper lines go to ``lines``."""
    parsed = parse_formula(text, [ColumnInfo(n, t) for n, t in types.items()])  # type: ignore[arg-type]
    comp = PandasFormula(lines, namer)
    return comp.series(parsed.ast), parsed.type


def _lower(text: str) -> str:
    # lower-case the search text the way DuckDB's LOWER and pandas' .str.lower() do (utf8proc),
    # not with Python's str.lower, which differs for a few letters
    import pyarrow as pa
    import pyarrow.compute as pc

    return str(pc.utf8_lower(pa.scalar(text)).as_py())


def condition_mask(c: dict[str, Any], lines: list[str], namer: _Namer) -> str:
    """pandas boolean Series (no nulls) for a normalised condition or group."""
    if "formula" in c:
        code, _ = formula_series(c["formula"], c["types"], lines, namer)
        return f"{code}.fillna(False)"
    if "conditions" in c:
        parts = [condition_mask(x, lines, namer) for x in c["conditions"]]
        joined = (" & " if c["combine"] == "and" else " | ").join(parts)
        mask = f"({joined})" if len(parts) > 1 else joined
        if len(mask) > _HOIST_AT:
            name = namer()
            lines.append(f"{name} = {mask}")
            return name
        return mask
    col, cmp, t = col_ref(c["column"]), c["cmp"], c["type"]
    if cmp == "is_null":
        return f"{col}.isna()"
    if cmp == "not_null":
        return f"{col}.notna()"
    if cmp in ("in", "not_in"):
        values = "[" + ", ".join(_lit(coerce_value(v, t, "value")) for v in c["value"]) + "]"
        return f"{'~' if cmp == 'not_in' else ''}{col}.isin({values})"
    if cmp == "between":
        lo, hi = (_lit(coerce_value(v, t, "value")) for v in c["value"])
        return f"{col}.between({lo}, {hi}).fillna(False)"
    value = coerce_value(c["value"], t, "value")
    if cmp in ("eq", "ne", "lt", "le", "gt", "ge"):
        op = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}[cmp]
        # a null "is not equal" to the value: keep it, as the SQL does
        return f"({col} {op} {_lit(value)}).fillna({cmp == 'ne'})"
    ic = c.get("ignore_case", True)
    if cmp == "matches":
        return f"{col}.str.contains({(('(?i)' if ic else '') + value)!r}, regex=True).fillna(False)"
    if ic:
        col, value = f"{col}.str.lower()", _lower(value)
    method = {"contains": "contains", "not_contains": "contains", "starts_with": "startswith"}.get(
        cmp, "endswith"
    )
    extra = ", regex=False" if method == "contains" else ""
    test = f"{col}.str.{method}({value!r}{extra})"
    if cmp == "not_contains":
        return f"(~{test}).fillna(True)"
    return f"{test}.fillna(False)"


def _cast_code(step: dict[str, Any]) -> str:
    col, t, to, fmt_text = col_ref(step["column"]), step["type"], step["to"], step.get("format")
    if to == "string":
        return to_str_pd(col, t)
    if to in ("integer", "float"):
        return to_number_pd(col, t, to)
    if to == "boolean":
        if t == "string":
            words = {**dict.fromkeys(TRUE_WORDS, True), **dict.fromkeys(FALSE_WORDS, False)}
            return f'{col}.str.strip(" ").str.lower().map({words!r}).astype({PD_DTYPE["boolean"]})'
        return f"({col} != 0)"
    return to_temporal_pd(col, t, to, fmt_text)


def step_to_pandas(step: dict[str, Any], lines: list[str], namer: _Namer) -> None:
    """Append the pandas lines for one normalised step (see ``plan_step``)."""
    op = step.get("op")
    lines.append(f"# {op}")
    if op == "drop_nulls":
        subset = f"subset={step['columns']!r}" if step.get("columns") is not None else ""
        lines.append(f"df = df.dropna({subset}).reset_index(drop=True)")
    elif op == "fill_nulls":
        col, t = col_ref(step["column"]), step["type"]
        method = step.get("method")
        if method is None:
            lines.append(f"{col} = {col}.fillna({_lit(coerce_value(step['value'], t, 'value'))})")
        elif method in ("mean", "median"):
            lines.append(f"{col} = {pd_cast(col, t, 'float')}.fillna({col}.{method}())")
        elif method == "zero":
            lines.append(f"{col} = {col}.fillna(0)")
        elif method == "mode":
            name = namer()
            lines += [
                f"{name} = {col}.mode()",
                f"if len({name}):",
                f"    {col} = {col}.fillna({name}.iloc[0])",
            ]
        else:
            lines.append(f"{col} = {col}.{'ffill' if method == 'forward' else 'bfill'}()")
    elif op == "cast":
        lines.append(f"{col_ref(step['column'])} = {_cast_code(step)}")
    elif op == "rename":
        lines.append(f"df = df.rename(columns={step['mapping']!r})")
    elif op == "drop_columns":
        lines.append(f"df = df.drop(columns={step['columns']!r})")
    elif op == "filter":
        mask = condition_mask(step, lines, namer)
        lines.append(f"df = df[{mask}].reset_index(drop=True)")
    elif op == "dedupe":
        lines.append(
            f"df = df.drop_duplicates(subset={step['columns']!r}, keep={step['keep']!r})"
            ".reset_index(drop=True)"
        )
    elif op == "derive":
        code, t = formula_series(step["formula"], step["types"], lines, namer)
        lines.append(f"df[{step['name']!r}] = {code}.astype({PD_DTYPE[t]})")
    elif op == "sort":
        by = [k["column"] for k in step["by"]]
        asc = [not k["descending"] for k in step["by"]]
        lines.append(
            f'df = df.sort_values({by!r}, ascending={asc!r}, na_position="last", kind="stable")'
            ".reset_index(drop=True)"
        )
    elif op == "markers_to_null":
        markers = namer()
        lines.append(f"{markers} = {step['markers']!r}")
        for name in step["columns"]:
            lines.append(f"{col_ref(name)} = {col_ref(name)}.mask({col_ref(name)}.isin({markers}))")
        for cast in step["casts"]:
            lines.append(f"{col_ref(cast['column'])} = {_cast_code({**cast, 'type': 'string'})}")
    elif op == "model":
        from .models.code import step_lines

        lines += step_lines(step)
    else:
        raise BadInput(f"unknown step op {op!r}", reason="Bad step")


def recipe_to_pandas(steps: list[dict[str, Any]], load_expr: str = 'lg.load("name")') -> str:
    """The whole recipe (normalised steps, oldest first) as a runnable pandas script."""
    lines = list(HEADER)
    if any(st.get("op") == "model" for st in steps):
        from .models.code import definitions

        lines += [*definitions(), ""]
    lines.append(f"df = {load_expr}")
    namer = _Namer()
    for step in steps:
        lines.append("")
        step_to_pandas(step, lines, namer)
    return "\n".join(lines) + "\n"
