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


# ---------------------------------------------------------------------- text, for the search bench

SYLLABLES = ["ka", "lo", "mi", "ra", "té", "zu", "an", "bel", "cor", "dé", "fi", "gu", "ho", "ja",
             "ki", "mø", "nu", "pa", "qui", "ré", "sa", "tö", "ul", "vé", "wa", "xi", "yo", "zé"]  # fmt: skip


def vocabulary(size: int, seed: int) -> list[str]:
    """``size`` distinct made-up words of 2 or 3 syllables (some accented), shuffled by ``seed``."""
    rng = np.random.default_rng(seed)
    two = [a + b for a in SYLLABLES for b in SYLLABLES]
    three = [a + b + c for a in SYLLABLES for b in SYLLABLES for c in SYLLABLES]
    words = np.array(two + three)
    return list(words[rng.permutation(len(words))[:size]])


def generate_text(path: Path, rows: int, seed: int = 42) -> Path:
    """A CSV of ``rows`` rows with three text columns, about 100 bytes a row (10M rows: ~1 GB).

    ``name`` (first and last name, capitalised), ``city`` (one of 2,000), ``comment`` (4 to 12
    words of a 20,000-word vocabulary, log-uniform: a few words are very common, most rare; 3%
    null), plus ``id``, ``amount`` and ``day``. Written by DuckDB from hashes of the row number,
    so 10M rows take seconds.
    """
    import duckdb

    if path.exists():
        return path
    vocab = vocabulary(20_000, seed)
    names = [w.capitalize() for w in vocabulary(700, seed + 1)]
    cities = [w.capitalize() for w in vocabulary(2_000, seed + 2)]

    def pick(items: str, n: int, k: int) -> str:
        # a log-uniform index into the list: low indices (common words) come up far more often
        u = f"((hash(i * {k} + {seed}) % 1000003) / 1000003.0)"
        return f"{items}[least({n}, 1 + floor(exp({u} * ln({n})))::BIGINT)]"

    words = ", ".join(pick("$vocab", len(vocab), 7 + j) for j in range(12))
    tmp = path.with_suffix(".tmp")
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(
        f"""COPY (SELECT i AS id,
                 $names[1 + (hash(i * 3) % {len(names)})::BIGINT] || ' ' ||
                   $names[1 + (hash(i * 5) % {len(names)})::BIGINT] AS name,
                 $cities[1 + (hash(i * 11) % {len(cities)})::BIGINT] AS city,
                 CASE WHEN hash(i * 13) % 100 < 3 THEN NULL
                      ELSE array_to_string([{words}][1:4 + (hash(i * 17) % 9)::BIGINT], ' ') END AS comment,
                 round((hash(i * 19) % 100000) / 100.0, 2) AS amount,
                 DATE '2024-01-01' + (i % 365)::INTEGER AS day
               FROM range({rows}) t(i)) TO '{tmp}' (HEADER, FORMAT csv)""",
        {"vocab": vocab, "names": names, "cities": cities},
    )
    con.close()
    tmp.replace(path)
    return path


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "data")
    ap.add_argument("--text", action="store_true", help="the search bench's text CSV (generate_text)")
    a = ap.parse_args()
    a.out.mkdir(exist_ok=True)
    if a.text:
        print(generate_text(a.out / f"text_{a.rows}.csv", a.rows))
    else:
        print(generate(a.out / f"mixed_{a.rows}.csv", a.rows))
