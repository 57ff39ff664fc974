"""The pandas dtypes of the column types, for the pandas form of a formula ("Copy as code")."""

from __future__ import annotations

from .tree import NULL

#: pandas dtypes matching what ``pd.read_parquet(..., dtype_backend="pyarrow")`` returns
PD_DTYPE: dict[str, str] = {
    "integer": '"int64[pyarrow]"',
    "float": '"double[pyarrow]"',
    "boolean": '"bool[pyarrow]"',
    "date": '"date32[pyarrow]"',
    "datetime": '"timestamp[us][pyarrow]"',
    # the "string[pyarrow]" alias means pandas' own StringDtype, not the Arrow one
    "string": "pd.ArrowDtype(pa.string())",
    NULL: "pd.ArrowDtype(pa.string())",
}


def pd_cast(code: str, from_type: str, to_type: str) -> str:
    """pandas code converting a Series to another column type's dtype."""
    if from_type == to_type:
        return code
    return f"{code}.astype({PD_DTYPE[to_type]})"
