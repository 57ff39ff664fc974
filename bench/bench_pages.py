"""Grid pages: the store's pages next to DuckDB ``ORDER BY … LIMIT`` and pyarrow, side by side.

On one Parquet file of N rows laid out as the store writes it (DuckDB, zstd, row groups of
122,880 rows; default 10M rows of bench/gen_data.py), each variant runs alternately with its
reference in the same run, medians of ``--reps``:

* first sorted page (no row order stored yet) ÷ DuckDB ``SELECT * … ORDER BY key LIMIT 100``:
  goal at most 1.5;
* later sorted pages at random offsets (row order and sorted copy stored) ÷ unsorted pages at
  the same offsets: goal at most 2; also the time to build them and the pages served from the
  row order while the copy is written (their rows fetched by number, or taken from the version
  held in memory meanwhile; each shown apart, a page every 20 ms);
* unsorted page ÷ the best of pyarrow (``read_row_group`` + slice) and DuckDB
  (``file_row_number BETWEEN``): goal at most 2;
* ``--before``: the earlier way (one DuckDB ``ORDER BY … LIMIT … OFFSET`` over whole rows per page);
* ``--memory``: four threads scrolling four sorts at once, in a fresh process, peak RSS over
  its idle RSS against ``duckdb_memory_limit`` (``--before`` adds the earlier way for comparison).

    python bench/bench_pages.py --rows 10000000 --before --memory
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from gen_data import batch  # noqa: E402

from livegraphs_ext.store import DatasetStore, StoreConfig  # noqa: E402
from livegraphs_ext.store.ingest.csv_ingest import ROW_GROUP  # noqa: E402
from livegraphs_ext.store.schema import ColumnInfo  # noqa: E402
from livegraphs_ext.store.sql import quote_ident, quote_literal  # noqa: E402

COLUMNS = [
    ColumnInfo("id", "integer"),
    ColumnInfo("qty", "integer"),
    ColumnInfo("price", "float"),
    ColumnInfo("x", "float"),
    ColumnInfo("y", "float"),
    ColumnInfo("category", "string"),
    ColumnInfo("active", "boolean"),
    ColumnInfo("ts", "datetime"),
    ColumnInfo("text", "string"),
]
#: sort text of the store → ORDER BY of the reference (nulls last, as the store sorts)
SORTS = {
    "price": '"price" ASC NULLS LAST',
    "-text": '"text" DESC NULLS LAST',
    "category,-x": '"category" ASC NULLS LAST, "x" DESC NULLS LAST',
    "-qty": '"qty" DESC NULLS LAST',
}
PAGE = 100


def make_data(path: Path, rows: int, seed: int = 42) -> Path:
    """bench/gen_data.py's rows, written as the store writes a version (DuckDB, zstd, 122,880-row groups)."""
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    tmp = path.with_suffix(".tmp.parquet")
    writer = None
    for start in range(0, rows, 500_000):
        t = batch(rng, start, min(500_000, rows - start))
        writer = writer or pq.ParquetWriter(tmp, t.schema, compression="zstd")
        writer.write_table(t)
    assert writer is not None
    writer.close()
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT * FROM read_parquet({quote_literal(str(tmp))})) TO {quote_literal(str(path))} "
        f"(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP})"
    )
    con.close()
    tmp.unlink()
    return path


class FileStore(DatasetStore):
    """The store, with one dataset whose current version is the benchmark file."""

    bench_file: Path
    bench_rows: int

    def _columns(self, dataset_id: str, number: int | None) -> tuple[Path, list[ColumnInfo], int]:
        return self.bench_file, COLUMNS, self.bench_rows


def open_store(path: Path, root: Path, **config: Any) -> FileStore:
    store = FileStore(StoreConfig(root=root, **config))
    store.bench_file = path
    store.bench_rows = pq.read_metadata(path).num_rows
    return store


def old_page(store: FileStore, sort: str, offset: int) -> list[Any]:
    """A sorted page the earlier way: count, then whole rows sorted with LIMIT/OFFSET."""
    from livegraphs_ext.store import transforms

    order = transforms.compile_sort(sort, COLUMNS)
    select = ", ".join(quote_ident(c.name) for c in COLUMNS)
    with store._scratch() as scratch:
        con = store._connect(scratch, read=[store.bench_file])
        try:
            store._src_view(con, store.bench_file)
            con.execute("SELECT count(*) FROM src").fetchall()
            return (
                con.sql(
                    f'SELECT {select} FROM src ORDER BY {order}, "__row" LIMIT ? OFFSET ?',
                    params=[PAGE, offset],
                )
                .to_arrow_table()
                .to_pylist()
            )
        finally:
            con.close()


def median_ms(xs: list[float]) -> float:
    return round(statistics.median(xs) * 1000, 2)


def alternate(fns: dict[str, Callable[[], Any]], reps: int, after: Callable[[], None] | None = None) -> dict:
    """Run each variant once per round, in turn, for ``reps`` rounds after one warm-up; medians in ms."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    for r in range(reps + 1):
        for name, fn in fns.items():
            t = time.perf_counter()
            fn()
            if r:
                times[name].append(time.perf_counter() - t)
            if after is not None:
                after()
    return {k: median_ms(v) for k, v in times.items()}


def speed(a: argparse.Namespace, path: Path, results: list[dict[str, Any]]) -> None:
    rows = pq.read_metadata(path).num_rows
    rnd = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(path, Path(tmp) / "store")
        duck = duckdb.connect()
        duck.execute("SET threads = 2")
        pf = pq.ParquetFile(path)
        src = f"read_parquet({quote_literal(str(path))})"
        srcn = f"read_parquet({quote_literal(str(path))}, file_row_number = true)"

        def arrow_page(offset: int) -> Any:
            g = offset // ROW_GROUP
            return pf.read_row_groups(
                list({g, min(pf.num_row_groups - 1, (offset + PAGE - 1) // ROW_GROUP)})
            ).slice(offset - g * ROW_GROUP, PAGE)

        def duck_page(offset: int) -> Any:
            return duck.sql(
                f"SELECT * FROM {srcn} WHERE file_row_number BETWEEN {offset} AND {offset + PAGE - 1}"
            ).to_arrow_table()

        # unsorted pages
        for where in (0, rows // 2, rows - PAGE):
            m = alternate(
                {
                    "store": lambda o=where: store.rows("d", offset=o, limit=PAGE),
                    "pyarrow": lambda o=where: arrow_page(o),
                    "duckdb": lambda o=where: duck_page(o),
                },
                a.reps * 3,
            )
            best = min(m["pyarrow"], m["duckdb"])
            results.append(
                {"case": f"unsorted page at {where}", **m, "ratio": round(m["store"] / best, 2), "goal": 2}
            )
            print(results[-1], flush=True)

        for sort in a.sorts:
            ref_sql = f"SELECT * FROM {src} ORDER BY {SORTS[sort]} LIMIT {PAGE}"
            m = alternate(
                {
                    "duckdb_order_by_limit": lambda s=ref_sql: duck.sql(s).to_arrow_table(),
                    "store_first": lambda s=sort: store.rows("d", sort=s, offset=0, limit=PAGE),
                },
                a.reps,
                after=store._orders.close,  # waits for the order built on the side, then forgets it
            )
            results.append(
                {
                    "case": f"first sorted page, sort {sort}",
                    **m,
                    "ratio": round(m["store_first"] / m["duckdb_order_by_limit"], 2),
                    "goal": 1.5,
                }
            )
            print(results[-1], flush=True)

            t = time.perf_counter()
            store.rows("d", sort=sort, offset=rows // 2, limit=PAGE)
            build = time.perf_counter() - t
            # pages served from the row order, while its sorted copy is written: their rows
            # fetched by number, or taken from the version once it is held in memory
            fetched: list[float] = []
            held: list[float] = []
            for o in [rnd.randrange(0, rows - PAGE) for _ in range(a.reps * 4)]:
                if store._orders.stats()["copies"]:
                    break
                was_held = bool(store._held.held())
                t = time.perf_counter()
                store.rows("d", sort=sort, offset=o, limit=PAGE)
                (held if was_held else fetched).append(time.perf_counter() - t)
                time.sleep(0.02)  # a person scrolling, not a loop
            t = time.perf_counter()
            store._orders.settle()
            copy_build = time.perf_counter() - t
            offsets = [rnd.randrange(0, rows - PAGE) for _ in range(a.reps * 3)]
            later: dict[str, list[float]] = {"sorted": [], "unsorted": []}
            for o in offsets:
                for name, kw in (("sorted", {"sort": sort}), ("unsorted", {})):
                    t = time.perf_counter()
                    store.rows("d", offset=o, limit=PAGE, **kw)
                    later[name].append(time.perf_counter() - t)
            s_ms, u_ms = median_ms(later["sorted"]), median_ms(later["unsorted"])
            results.append(
                {
                    "case": f"later sorted pages at random offsets, sort {sort}",
                    "sorted": s_ms,
                    "unsorted": u_ms,
                    "sorted_p90": round(sorted(later["sorted"])[int(len(offsets) * 0.9)] * 1000, 2),
                    "ratio": round(s_ms / u_ms, 2),
                    "goal": 2,
                    "order_build_s": round(build, 2),
                    "copy_build_s_after_order": round(copy_build, 2),
                    "order_and_copy_bytes": store._orders.stats()["bytes"],
                    "while_copy_is_written_ms": median_ms(fetched + held) if fetched or held else None,
                    "while_copy_is_written_fetched": [len(fetched), median_ms(fetched) if fetched else None],
                    "while_copy_is_written_held": [len(held), median_ms(held) if held else None],
                }
            )
            print(results[-1], flush=True)
            if a.before:
                for o in (0, rows // 2):
                    t = time.perf_counter()
                    old_page(store, sort, o)
                    results.append(
                        {
                            "case": f"before: sorted page at {o}, sort {sort}",
                            "ms": median_ms([time.perf_counter() - t]),
                        }
                    )
                    print(results[-1], flush=True)
            store._orders.close()
        store.close()
        duck.close()


def scrollers(path: Path, old: bool, pages: int) -> dict[str, Any]:
    """In this (fresh) process: four threads scroll four sorts at once; peak RSS over idle RSS."""
    import psutil

    proc = psutil.Process()
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(path, Path(tmp) / "store")
        rows = store.bench_rows
        store.rows("d", offset=0, limit=PAGE)
        idle = proc.memory_info().rss
        peak = idle
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, proc.memory_info().rss)
                time.sleep(0.02)

        def scroll(sort: str, seed: int) -> None:
            rnd = random.Random(seed)
            offsets = [i * PAGE for i in range(pages)] + [rnd.randrange(0, rows - PAGE) for _ in range(pages)]
            if old:
                offsets = [0, PAGE, rows // 2]
            for o in offsets:
                if old:
                    old_page(store, sort, o)
                else:
                    store.rows("d", sort=sort, offset=o, limit=PAGE)

        sampler = threading.Thread(target=sample)
        sampler.start()
        t = time.perf_counter()
        threads = [threading.Thread(target=scroll, args=(s, i)) for i, s in enumerate(SORTS)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        took = time.perf_counter() - t
        done.set()
        sampler.join()
        limit = store.config.duckdb_memory_limit
        store.close()
    return {
        "case": f"four scrollers, four sorts ({'before' if old else 'now'})",
        "idle_rss_mb": round(idle / 2**20),
        "peak_rss_mb": round(peak / 2**20),
        "peak_over_idle_mb": round((peak - idle) / 2**20),
        "duckdb_memory_limit": limit,
        "seconds": round(took, 1),
        "pages_each": 3 if old else 2 * pages,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--parquet", type=Path, help="a Parquet file to use instead of generating one")
    ap.add_argument("--data", type=Path, default=HERE / "data")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument(
        "--sorts", default="price;-text", help="sorts separated by ';', from: " + "; ".join(SORTS)
    )
    ap.add_argument("--before", action="store_true", help="also time the earlier way")
    ap.add_argument("--memory", action="store_true", help="four concurrent scrollers in a fresh process")
    ap.add_argument(
        "--pages", type=int, default=20, help="pages each scroller reads in a row, then as many jumps"
    )
    ap.add_argument("--json", type=Path, help="write the results here as JSON lines")
    ap.add_argument("--child", choices=["now", "before"], help=argparse.SUPPRESS)
    a = ap.parse_args()
    a.sorts = [s for s in a.sorts.split(";") if s]
    if a.parquet:
        path = a.parquet
    else:
        a.data.mkdir(exist_ok=True)
        path = make_data(a.data / f"pages_{a.rows}.parquet", a.rows)
    if a.child:
        print(json.dumps(scrollers(path, a.child == "before", a.pages)))
        return
    meta = pq.read_metadata(path)
    print(f"file {path}: {meta.num_rows} rows, {meta.num_row_groups} row groups")
    results: list[dict[str, Any]] = []
    speed(a, path, results)
    if a.memory:
        for mode in ["now"] + (["before"] if a.before else []):
            out = subprocess.run(
                [sys.executable, __file__, "--parquet", str(path), "--child", mode, "--pages", str(a.pages)],
                check=True, capture_output=True, text=True,
            )  # fmt: skip
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(results[-1], flush=True)
    if a.json:
        a.json.write_text("".join(json.dumps(r) + "\n" for r in results))


if __name__ == "__main__":
    main()
