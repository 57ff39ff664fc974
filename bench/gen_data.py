"""Seeded mixed-type CSV for the benchmarks: ints, floats, categories, timestamps, free text, nulls."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

WORDS = np.array(
    [
        "alpha",
        "beta",
        "gamma",
        "delta",
        "data",
        "chart",
        "query,",
        "sales",
        "region",
        "north",
        "south,",
        "fast",
    ]
)


def batch(rng: np.random.Generator, start: int, n: int) -> pa.Table:
    ids = np.arange(start, start + n)
    qty = pa.array(rng.integers(0, 500, n), mask=rng.random(n) < 0.02)
    price = pa.array(np.round(rng.lognormal(3, 1, n), 2), mask=rng.random(n) < 0.02)
    x = rng.normal(0, 1, n)
    y = np.round(x * 0.6 + rng.normal(0, 0.8, n), 4)
    cats = pa.array(np.char.add("cat_", (rng.zipf(1.6, n) % 100).astype(str)), mask=rng.random(n) < 0.01)
    active = pa.array(rng.random(n) < 0.5, mask=rng.random(n) < 0.01)
    ts = pa.array(
        (np.datetime64("2024-01-01T00:00:00") + (ids * 3).astype("timedelta64[s]")).astype("datetime64[s]")
    )
    words = rng.integers(0, len(WORDS), (n, 5))
    text = pa.array([" ".join(WORDS[w]) for w in words], mask=rng.random(n) < 0.05)
    return pa.table(
        {"id": ids, "qty": qty, "price": price, "x": np.round(x, 4), "y": y, "category": cats,
         "active": active, "ts": ts, "text": text}
    )  # fmt: skip


def generate(path: Path, rows: int, seed: int = 42) -> Path:
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    tmp = path.with_suffix(".tmp")
    step = 500_000
    with pacsv.CSVWriter(tmp, batch(rng, 0, 1).schema) as w:
        for start in range(0, rows, step):
            w.write_table(batch(rng, start, min(step, rows - start)))
    tmp.replace(path)
    return path


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "data")
    a = ap.parse_args()
    a.out.mkdir(exist_ok=True)
    print(generate(a.out / f"mixed_{a.rows}.csv", a.rows))
