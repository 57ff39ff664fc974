"""``round(x, digits)`` of the formula language, in pandas exactly as the server computes it.

The server (DuckDB) and the code "Copy as code" gives both compute ``round(x, n)`` with the same
three double operations: scale (``x * 10**n``; for negative ``n``, ``x / 10**-n``), round to a whole
number half away from zero, scale back. Each is one IEEE operation on both sides, so both give the
same double, bit for bit. numpy's and pandas' ``round`` go half to even instead, and the usual
``floor(y + 0.5)`` is wrong next to a half (``0.49999999999999994 + 0.5`` is 1.0).

So ``round(15.75 / 5, 1)`` is 3.2 (31.5 after scaling) and ``round(-2.5)`` is -3.0 everywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

#: Most decimal places ``round`` takes either way: 10**22 is the largest power of ten a double holds
#: exactly, so scaling costs one rounding on both sides.
MAX_DIGITS = 22


def scale(digits: int) -> float:
    """The exact double ``10 ** abs(digits)``."""
    if abs(digits) > MAX_DIGITS:
        raise ValueError(f"round() digits must be between {-MAX_DIGITS} and {MAX_DIGITS}")
    return 10.0 ** abs(digits)


def round_half_away(values: pd.Series, digits: int = 0) -> pd.Series:
    """``values`` rounded to ``digits`` decimals (negative: to tens, hundreds, …), half away from
    zero, as the livegraphs server rounds them; nulls stay null, NaN and infinities stay as they are.

    Returns a ``double[pyarrow]`` Series with the index of ``values``.
    """
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    m = scale(digits)
    nulls = values.isna().to_numpy(dtype=bool)
    x = values.to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(invalid="ignore", over="ignore"):
        y = x * m if digits >= 0 else x / m
        whole = np.trunc(y)
        # y - whole is exact, so a half is a half (the C library's round); past 2**52, y is whole
        rounded = np.where(np.abs(y - whole) >= 0.5, whole + np.sign(y), whole)
        out = rounded / m if digits >= 0 else rounded * m
    return pd.Series(
        pa.array(out, type=pa.float64(), mask=nulls), index=values.index, dtype=pd.ArrowDtype(pa.float64())
    )
