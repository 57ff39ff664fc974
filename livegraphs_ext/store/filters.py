"""Row filters and sort orders: validation and parameterised SQL.

Used by the ``filter``/``sort`` steps and by the rows API. Values always go to
DuckDB as ``?`` parameters and columns as quoted identifiers checked against
the schema.

Null rows and negative conditions: ``ne``, ``not_in`` and ``not_contains``
keep rows whose value is null (a blank is "not equal to A", as in spreadsheet
and Tableau filters); every other comparison drops them.
"""

from __future__ import annotations

import datetime as _dt
import math
import warnings
from collections.abc import Sequence
from typing import Any

from .errors import BadInput
from .formula import Frag, fmt, param, parse_formula
from .schema import DUCKDB_TYPES, ColumnInfo
from .sql import quote_ident

CMPS = (
    "eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "between", "contains", "not_contains",
    "starts_with", "ends_with", "matches", "is_null", "not_null",
)  # fmt: skip
TEXT_CMPS = ("contains", "not_contains", "starts_with", "ends_with", "matches")
_SQL_OP = {"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
#: the most conditions a filter may hold, counted over all its groups
MAX_CONDITIONS = 1000
MAX_GROUP_DEPTH = 20
MAX_LIST_VALUES = 10_000
#: the most values a filter may hold, summed over all its conditions (a list counts its length,
#: any other condition one); a host's ``max_filter_values`` setting may lower or raise it
MAX_FILTER_VALUES = 10_000
MAX_PATTERN = 1000


#: comparisons whose values may lie between whole numbers on an integer column (a bin edge of 2.5)
ORDERING_CMPS = ("lt", "le", "gt", "ge", "between")


def bound_value(value: Any, ctype: str, field: str) -> Any:
    """Like :func:`coerce_value`, but an integer column takes any finite number as a bound."""
    if ctype == "integer" and isinstance(value, float) and math.isfinite(value) and not value.is_integer():
        return value
    return coerce_value(value, ctype, field)


def _bound_param(value: Any, ctype: str) -> Frag:
    v = bound_value(value, ctype, "value")
    return param(v, "float" if ctype == "integer" and isinstance(v, float) else ctype)


def known_column(name: Any, columns: Sequence[ColumnInfo], field: str) -> ColumnInfo:
    """The column called ``name``, or BadInput naming the field and the known columns."""
    if not isinstance(name, str):
        raise BadInput(f"'{field}' must be a column name (text)", reason="Bad step")
    for c in columns:
        if c.name == name:
            return c
    known = ", ".join(repr(c.name) for c in columns[:100])
    raise BadInput(f"Unknown column {name!r} in '{field}'; known columns: {known}", reason="Bad step")


def coerce_value(value: Any, ctype: str, field: str) -> Any:
    """Check a JSON value against a column type; returns the Python value to bind.

    Dates and datetimes arrive as ISO text (JSON has no date type).
    """
    bad = BadInput(f"'{field}' must be {_A[ctype]}, got {value!r}", reason="Bad step")
    if ctype == "integer":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad
        if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
            raise bad
        if not -(2**63) <= int(value) < 2**63:
            raise bad
        return int(value)
    if ctype == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise bad
        return float(value)
    if ctype == "boolean":
        if not isinstance(value, bool):
            raise bad
        return value
    if ctype == "string":
        if not isinstance(value, str):
            raise bad
        return value
    if not isinstance(value, str):
        raise bad
    try:
        if ctype == "date":
            return _dt.date.fromisoformat(value.strip())
        return _dt.datetime.fromisoformat(value.strip()).replace(tzinfo=None)
    except ValueError:
        raise bad from None


_A = {
    "integer": "a whole number",
    "float": "a number",
    "boolean": "true or false",
    "string": "text",
    "date": "a date like 2024-01-31",
    "datetime": "a date and time like 2024-01-31 10:00:00",
}


#: the most states the regular expressions of one filter may expand to, in all (see :func:`regex_size`)
MAX_REGEX_SIZE = 2000


def regex_size(pattern: str) -> int:
    """About how many states RE2 compiles ``pattern`` to: counted repetitions multiply.

    Compiling (and so planning a query with) ``([a-z]{0,20}){50}`` costs RE2 as much as
    a thousand-character pattern; this estimate counts such a pattern as 1,000. Syntax
    that only RE2 reads counts one per character.
    """
    import re
    import re._parser as sre

    def size(items: Any) -> int:
        total = 0
        for op, av in items:
            if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", None)):
                lo, hi, sub = av
                times = max(lo, 1) if hi == sre.MAXREPEAT else max(hi, 1)
                total += times * size(sub)
            elif op in (sre.SUBPATTERN, getattr(sre, "ATOMIC_GROUP", None)):
                total += size(av[-1])
            elif op == sre.BRANCH:
                total += sum(size(b) for b in av[1])
            else:
                total += 1
        return total

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return size(sre.parse(pattern))
    except (re.error, RecursionError, OverflowError, ValueError):
        return len(pattern)


def _check_regex(pattern: str) -> None:
    # RE2 is what both DuckDB and pyarrow (pandas' .str on Arrow strings) use
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(pattern) > MAX_PATTERN:
        raise BadInput(f"the pattern is too long (limit {MAX_PATTERN} characters)", reason="Bad step")
    try:
        pc.match_substring_regex(pa.array([""]), pattern)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
        raise BadInput(f"'value' is not a valid regular expression: {e}", reason="Bad step") from None


def normalise_condition(cond: Any, columns: Sequence[ColumnInfo], depth: int = 0) -> dict[str, Any]:
    """Validate one condition or group; returns its JSON-safe normal form."""
    if depth > MAX_GROUP_DEPTH:
        raise BadInput(f"filter groups are nested too deeply (limit {MAX_GROUP_DEPTH})", reason="Bad step")
    if not isinstance(cond, dict):
        raise BadInput("each condition must be an object", reason="Bad step")
    if "formula" in cond:
        extra = set(cond) - {"formula", "types"}
        if extra:
            raise BadInput(
                f"unexpected field(s) next to 'formula': {', '.join(sorted(extra))}", reason="Bad step"
            )
        parsed = parse_formula(cond["formula"], columns)
        if parsed.type != "boolean":
            raise BadInput(
                f"a filter formula must be true/false, but this one gives {parsed.type}", "Bad step"
            )
        types = {n: next(c.type for c in columns if c.name == n) for n in parsed.columns}
        return {"formula": cond["formula"], "types": types}
    if "conditions" in cond:
        extra = set(cond) - {"conditions", "combine"}
        if extra:
            raise BadInput(
                f"unexpected field(s) in a condition group: {', '.join(sorted(extra))}", "Bad step"
            )
        combine = cond.get("combine", "and")
        if combine not in ("and", "or"):
            raise BadInput(f"'combine' must be 'and' or 'or', got {combine!r}", reason="Bad step")
        items = cond["conditions"]
        if not isinstance(items, list) or not items:
            raise BadInput("'conditions' must be a non-empty list", reason="Bad step")
        if len(items) > MAX_CONDITIONS:
            raise BadInput(f"too many conditions (limit {MAX_CONDITIONS})", reason="Bad step")
        return {"combine": combine, "conditions": [normalise_condition(c, columns, depth + 1) for c in items]}
    extra = set(cond) - {"column", "cmp", "value", "ignore_case", "type"}
    if extra:
        raise BadInput(f"unexpected field(s) in a condition: {', '.join(sorted(extra))}", reason="Bad step")
    col = known_column(cond.get("column"), columns, "column")
    cmp = cond.get("cmp")
    if cmp not in CMPS:
        raise BadInput(f"'cmp' must be one of {', '.join(CMPS)}; got {cmp!r}", reason="Bad step")
    out: dict[str, Any] = {"column": col.name, "cmp": cmp, "type": col.type}
    value = cond.get("value")
    if cmp in ("is_null", "not_null"):
        if value is not None:
            raise BadInput(f"'{cmp}' takes no 'value'", reason="Bad step")
    elif cmp in ("in", "not_in", "between"):
        if not isinstance(value, list):
            raise BadInput(f"'value' for '{cmp}' must be a list", reason="Bad step")
        if cmp == "between" and len(value) != 2:
            raise BadInput("'value' for 'between' must be [low, high]", reason="Bad step")
        if len(value) > MAX_LIST_VALUES:
            raise BadInput(f"too many values (limit {MAX_LIST_VALUES})", reason="Bad step")
        check = bound_value if cmp == "between" else coerce_value
        for v in value:
            check(v, col.type, "value")
        out["value"] = list(value)
    else:
        if cmp in TEXT_CMPS and col.type != "string":
            raise BadInput(f"'{cmp}' works on text columns; {col.name!r} is {col.type}", reason="Bad step")
        if cmp in ("lt", "le", "gt", "ge") and col.type == "boolean":
            raise BadInput(f"'{cmp}' cannot compare true/false values", reason="Bad step")
        if value is None:
            raise BadInput(f"'{cmp}' needs a 'value' (use is_null / not_null for missing values)", "Bad step")
        (bound_value if cmp in ORDERING_CMPS else coerce_value)(value, col.type, "value")
        if cmp == "matches":
            _check_regex(value)
        out["value"] = value
    if cmp in TEXT_CMPS:
        ic = cond.get("ignore_case", True)
        if not isinstance(ic, bool):
            raise BadInput("'ignore_case' must be true or false", reason="Bad step")
        out["ignore_case"] = ic
    elif "ignore_case" in cond:
        raise BadInput(f"'ignore_case' applies only to {', '.join(TEXT_CMPS)}", reason="Bad step")
    return out


def filter_size(conditions: Any, stop_after: int | None = None) -> tuple[int, int]:
    """(conditions, values) of a filter as sent, before any other check; cheap on any input.

    A list of values counts its length, any other condition one value. The count stops
    early once either passes ``stop_after``.
    """
    n_conditions = n_values = 0
    todo: list[Any] = [conditions]
    while todo:
        item = todo.pop()
        if isinstance(item, list):
            todo.extend(item)
        elif isinstance(item, dict):
            inner = item.get("conditions")
            if isinstance(inner, list) and "column" not in item:
                todo.extend(inner)
                continue
            n_conditions += 1
            value = item.get("value")
            n_values += len(value) if isinstance(value, list) else 1
        else:
            n_conditions += 1
            n_values += 1
        if stop_after is not None and (n_conditions > stop_after or n_values > stop_after):
            break
    return n_conditions, n_values


def regex_total(conditions: Any) -> int:
    """The :func:`regex_size` of every ``matches`` pattern of a filter, summed (stops past the limit)."""
    total = 0
    todo: list[Any] = [conditions]
    while todo and total <= MAX_REGEX_SIZE:
        item = todo.pop()
        if isinstance(item, list):
            todo.extend(item)
        elif isinstance(item, dict):
            inner = item.get("conditions")
            if isinstance(inner, list) and "column" not in item:
                todo.extend(inner)
            elif item.get("cmp") == "matches" and isinstance(item.get("value"), str):
                total += regex_size(item["value"][: MAX_PATTERN + 1])
    return total


def check_filter_size(conditions: Any, max_values: int = MAX_FILTER_VALUES) -> None:
    """BadInput when a filter holds more than ``max_values`` values or :data:`MAX_CONDITIONS` conditions.

    Counted over the whole filter (every group, every list), so that the cost of a
    query stays bounded however its conditions are split.
    """
    n_conditions, n_values = filter_size(conditions, stop_after=max(max_values, MAX_CONDITIONS))
    if n_values > max_values:
        raise BadInput(
            f"The filters hold more than {max_values:,} values in all (summed over every condition, "
            "a list counting its length): filter on fewer values, or by range",
            reason="Too many filter values",
        )
    if n_conditions > MAX_CONDITIONS:
        raise BadInput(
            f"The filters hold more than {MAX_CONDITIONS:,} conditions in all (over every group)",
            reason="Too many filter conditions",
        )
    if regex_total(conditions) > MAX_REGEX_SIZE:
        raise BadInput(
            f"The filters' regular expressions are too complex: about {MAX_REGEX_SIZE:,} states in all "
            "(a counted repetition such as {50} multiplies what it repeats)",
            reason="Too complex a pattern",
        )


def normalise_filter(
    conditions: Any, columns: Sequence[ColumnInfo], *, max_values: int = MAX_FILTER_VALUES
) -> dict[str, Any]:
    """Any accepted filter shape → a group ``{"combine", "conditions"}`` or ``{"formula"}``.

    At most ``max_values`` values and :data:`MAX_CONDITIONS` conditions in all
    (:func:`check_filter_size`).
    """
    check_filter_size(conditions, max_values)
    if isinstance(conditions, list):
        conditions = {"combine": "and", "conditions": conditions}
    if isinstance(conditions, dict) and "column" in conditions:
        conditions = {"combine": "and", "conditions": [conditions]}
    if not isinstance(conditions, dict):
        raise BadInput("a filter is a list of conditions, a group or a formula", reason="Bad step")
    return normalise_condition(conditions, columns)


def _cond_sql(c: dict[str, Any], columns: Sequence[ColumnInfo]) -> Frag:
    if "formula" in c:
        sql, params = parse_formula(c["formula"], columns).to_sql()
        return Frag(f"COALESCE({sql}, FALSE)", params)
    if "conditions" in c:
        parts = [_cond_sql(x, columns) for x in c["conditions"]]
        joiner = f" {c['combine'].upper()} "
        return fmt("(" + joiner.join(f"{{{i}}}" for i in range(len(parts))) + ")", *parts)
    col, cmp, t = Frag(quote_ident(c["column"])), c["cmp"], c["type"]
    if cmp == "is_null":
        return fmt("({0} IS NULL)", col)
    if cmp == "not_null":
        return fmt("({0} IS NOT NULL)", col)
    if cmp in ("in", "not_in"):
        values = [coerce_value(v, t, "value") for v in c["value"]]
        if not values:
            return Frag("FALSE" if cmp == "in" else "TRUE")
        # one list parameter, not one per value: DuckDB parses and binds it in constant time,
        # and the semi-join hashes the list (no value is null: coerce_value refuses nulls)
        listed = Frag(f"(SELECT unnest(CAST(? AS {DUCKDB_TYPES[t]}[])))", [values])
        if cmp == "in":
            return fmt("({0} IN {1})", col, listed)
        return fmt("({0} IS NULL OR {0} NOT IN {1})", col, listed)
    if cmp == "between":
        lo, hi = (_bound_param(v, t) for v in c["value"])
        return fmt("({0} BETWEEN {1} AND {2})", col, lo, hi)
    value = (
        _bound_param(c["value"], t)
        if cmp in ORDERING_CMPS
        else param(coerce_value(c["value"], t, "value"), t)
    )
    if cmp in _SQL_OP:
        if cmp == "ne":
            return fmt("({0} IS NULL OR {0} <> {1})", col, value)
        return fmt(f"({{0}} {_SQL_OP[cmp]} {{1}})", col, value)
    ic = c.get("ignore_case", True)
    if cmp == "matches":
        pattern = param(("(?i)" if ic else "") + c["value"], "string")
        return fmt("regexp_matches({0}, {1})", col, pattern)
    if ic:
        col, value = fmt("LOWER({0})", col), fmt("LOWER({0})", value)
    fn = {"contains": "CONTAINS", "not_contains": "CONTAINS", "starts_with": "STARTS_WITH"}.get(
        cmp, "ENDS_WITH"
    )
    test = fmt(f"{fn}({{0}}, {{1}})", col, value)
    if cmp == "not_contains":
        return fmt("({0} IS NULL OR NOT {1})", Frag(quote_ident(c["column"])), test)
    return test


def filter_sql(normal: dict[str, Any], columns: Sequence[ColumnInfo]) -> tuple[str, list[Any]]:
    """SQL for a normalised filter (see :func:`normalise_filter`)."""
    frag = _cond_sql(normal, columns)
    return frag.sql, frag.params


def compile_filter(
    conditions: list[Any] | dict[str, Any],
    columns: Sequence[ColumnInfo],
    *,
    max_values: int = MAX_FILTER_VALUES,
) -> tuple[str, list[Any]]:
    """A WHERE condition (without the keyword) and its ``?`` parameters.

    ``conditions`` is a list of conditions (all must hold), a single condition,
    a group ``{"combine": "and"|"or", "conditions": [...]}`` (groups nest) or
    ``{"formula": "<true/false formula>"}``. Rows where the test is null are
    left out.
    """
    return filter_sql(normalise_filter(conditions, columns, max_values=max_values), columns)


def parse_sort(sort: str | list[Any], columns: Sequence[ColumnInfo]) -> list[dict[str, Any]]:
    """``"-price,name"`` (or a list of such items or of ``{"column", "descending"}``) → keys."""
    items: list[Any]
    if isinstance(sort, str):
        items = _split_sort(sort)
    elif isinstance(sort, list):
        items = sort
    else:
        raise BadInput("sort must be text like '-price,name' or a list", reason="Bad sort")
    if len(items) > 100:
        raise BadInput("too many sort keys (limit 100)", reason="Bad sort")
    keys: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, dict):
            extra = set(item) - {"column", "descending"}
            if extra:
                raise BadInput(f"unexpected field(s) in a sort key: {', '.join(sorted(extra))}", "Bad sort")
            desc = item.get("descending", False)
            if not isinstance(desc, bool):
                raise BadInput("'descending' must be true or false", reason="Bad sort")
            name = item.get("column")
        elif isinstance(item, str):
            text = item.strip()
            desc = text.startswith("-")
            text = text[1:].strip() if text[:1] in "+-" and text else text
            name = text[1:-1].replace("]]", "]") if text.startswith("[") and text.endswith("]") else text
        else:
            raise BadInput("each sort key must be text or an object", reason="Bad sort")
        col = known_column(name, columns, "sort")
        keys.append({"column": col.name, "descending": desc})
    return keys


def _split_sort(text: str) -> list[str]:
    # split on commas outside [brackets] so bracketed names may contain commas
    out, buf, depth = [], [], False
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "[" and not depth:
            depth = True
        elif ch == "]" and depth:
            if text[i + 1 : i + 2] == "]":
                buf.append("]]")
                i += 2
                continue
            depth = False
        if ch == "," and not depth:
            out.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    out.append("".join(buf))
    return [s for s in (x.strip() for x in out) if s]


def sort_sql(keys: list[dict[str, Any]]) -> str:
    """ORDER BY items (without the keyword); nulls always last, as in pandas."""
    return ", ".join(
        f"{quote_ident(k['column'])} {'DESC' if k['descending'] else 'ASC'} NULLS LAST" for k in keys
    )


def compile_sort(sort: str | list[Any], columns: Sequence[ColumnInfo]) -> str:
    """``"col"`` / ``"-col"``, comma separated (``[a,b]`` for odd names) → ORDER BY text.

    The text has no ``ORDER BY`` keyword and no tie-breaker; callers add
    ``"__row"`` last to keep ties in file order.
    """
    return sort_sql(parse_sort(sort, columns))
