"""Changing a column's type: which changes exist, and their SQL.

Shared by the ``cast`` step and by the retyping of ``markers_to_null``, so a column retyped
either way holds the same values (and "Copy as code" writes the same pandas for both).
"""

from __future__ import annotations

from .formula import Frag, fmt, to_number_sql, to_str_sql, to_temporal_sql

#: text a cast to true/false reads as true, and as false (after trimming, in any case)
TRUE_WORDS = ("true", "t", "yes", "y", "1")
FALSE_WORDS = ("false", "f", "no", "n", "0")

#: the types each type can be cast to
CASTS = {
    "string": {"integer", "float", "boolean", "date", "datetime"},
    "integer": {"string", "float", "boolean"},
    "float": {"string", "integer", "boolean"},
    "boolean": {"string", "integer", "float"},
    "date": {"string", "datetime"},
    "datetime": {"string", "date"},
}


def cast_sql(c: Frag, from_type: str, to: str, fmt_text: str | None) -> Frag:
    """SQL converting a column; values that do not convert become null."""
    if to == "string":
        return to_str_sql(c, from_type)
    if to in ("integer", "float"):
        return to_number_sql(c, from_type, to)
    if to == "boolean":
        if from_type == "string":
            t = ", ".join(f"'{w}'" for w in TRUE_WORDS)
            f = ", ".join(f"'{w}'" for w in FALSE_WORDS)
            return fmt(
                f"(CASE WHEN lower(trim({{0}})) IN ({t}) THEN TRUE "
                f"WHEN lower(trim({{0}})) IN ({f}) THEN FALSE END)",
                c,
            )
        return fmt("({0} <> 0)", c)
    return to_temporal_sql(c, from_type, to, fmt_text)
