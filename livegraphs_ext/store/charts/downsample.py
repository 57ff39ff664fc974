"""Lines of raw points within the mark budget: tsdownsample per line (M4, LTTB or MinMaxLTTB)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

#: The downsampling methods by the name a spec gives them (``options.downsample``), and their labels
METHODS = {"m4": "M4", "lttb": "LTTB", "minmaxlttb": "MinMaxLTTB"}


def downsample(
    table: pa.Table, x: str, y: str, series: Sequence[str], budget: int, method: str
) -> tuple[pa.Table, int, int]:
    """At most ``budget`` points, shared by the lines (one per combination of ``series``).

    Returns the points kept, how many points had a ``y`` value, and how many lines
    were left out (the smallest go first when the budget cannot give each line a
    few points).
    """
    import pyarrow.compute as pc  # on first use: a notebook's first bar chart never needs it
    from tsdownsample import LTTBDownsampler, M4Downsampler, MinMaxLTTBDownsampler

    table = table.filter(pc.is_valid(table.column(y)))
    points = table.num_rows
    xs = _as_numeric(table.column(x))
    ys = table.column(y).cast(pa.float64()).to_numpy()
    if series:
        codes = _codes(table, series)
        order = np.argsort(codes, kind="stable")
        bounds = np.flatnonzero(np.diff(codes[order])) + 1
        segments = np.split(order, bounds)
    else:
        segments = [np.arange(table.num_rows)]
    segments.sort(key=len, reverse=True)
    minimum = 4 if method == "m4" else 3
    per = budget // max(1, len(segments))
    dropped = 0
    if per < minimum:
        keep = max(1, budget // minimum)
        dropped = len(segments) - keep
        segments = segments[:keep]
        per = budget // len(segments)
    if method == "m4":
        per -= per % 4
    down = {"m4": M4Downsampler, "lttb": LTTBDownsampler, "minmaxlttb": MinMaxLTTBDownsampler}[method]()
    picked: list[np.ndarray] = []
    for seg in segments:
        sx = xs[seg]
        if len(sx) > 1 and not bool(np.all(sx[1:] >= sx[:-1])):
            seg = seg[np.argsort(sx, kind="stable")]
            sx = xs[seg]
        if len(seg) <= per:
            picked.append(seg)
            continue
        kw: dict[str, Any] = {"n_out": per}
        if method == "minmaxlttb":
            kw["minmax_ratio"] = 4
        idx = down.downsample(sx, ys[seg], **kw)
        picked.append(seg[np.asarray(idx, dtype=np.int64)])
    take = np.concatenate(picked) if picked else np.zeros(0, dtype=np.int64)
    out = table.take(pa.array(take))
    return out, points, dropped


def _as_numeric(col: pa.ChunkedArray) -> np.ndarray:
    t = col.type
    if pa.types.is_timestamp(t):
        return col.cast(pa.int64()).to_numpy()
    if pa.types.is_date32(t):
        return col.cast(pa.int32()).cast(pa.int64()).to_numpy()
    if pa.types.is_date64(t):
        return col.cast(pa.int64()).to_numpy()
    if pa.types.is_integer(t):
        return col.cast(pa.int64()).to_numpy()
    return col.cast(pa.float64()).to_numpy()


def _codes(table: pa.Table, names: Sequence[str]) -> np.ndarray:
    """One int64 per row naming its combination of the ``names`` columns."""
    import pyarrow.compute as pc

    code = np.zeros(table.num_rows, dtype=np.int64)
    for name in names:
        enc = pc.dictionary_encode(table.column(name).combine_chunks())
        idx = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64) + 1
        code = code * (len(enc.dictionary) + 1) + idx
    return code
