"""The dataset store: one library, hosted by the server extension on a laptop and by the hub service.

It never imports tornado or jupyter_server. Hosts call it from worker threads;
every public method is safe to call concurrently.

Layout under ``root``::

    catalog.sqlite          the default catalog (any SQLAlchemy URL may replace it)
    datasets/<id>/<f>.parquet   one immutable file per version (a revert reuses a file)
    staging/                uploads being received and files being written
    work/                   scratch space of ingests and transforms
"""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
import unicodedata
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from . import profile, transforms
from .catalog import Catalog, DatasetRow, VersionRow, utcnow
from .errors import BadInput, Conflict, NotFound, Problem, StoreError
from .files import publish, remove_quietly, unique_name
from .ingest import IngestLimits, ingest_file
from .ingest.engine import restrict_files
from .pages import ParquetMetaCache, read_slice, table_rows
from .schema import ColumnInfo, column_type_of
from .sql import quote_ident, quote_literal

#: Called inside a change's catalog transaction, with the session and the dataset row,
#: so a host's authorization check and activity record commit (or fail) with the change.
InTransaction = Callable[[Any, DatasetRow], None]

MAX_PAGE = 10_000
NAME_MAX = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _iso(t: dt.datetime) -> str:
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    return t.isoformat()


def check_name(name: str | None) -> str:
    """A dataset name: 1 to 200 printable characters (any script), trimmed."""
    if name is None:
        raise BadInput("A dataset needs a name: pass ?name=...", "Missing name")
    name = unicodedata.normalize("NFC", name).strip()
    if not name:
        raise BadInput("A dataset name cannot be empty", "Bad name")
    if len(name) > NAME_MAX:
        raise BadInput(f"A dataset name has at most {NAME_MAX} characters, not {len(name)}", "Bad name")
    if _CONTROL.search(name):
        raise BadInput("A dataset name cannot contain control characters", "Bad name")
    return name


@dataclass
class StoreConfig:
    root: Path
    catalog_url: str | None = None
    ingest: IngestLimits = field(default_factory=IngestLimits)
    #: DuckDB settings of the store's own queries
    duckdb_threads: int = 2
    duckdb_memory_limit: str = "1GB"
    #: disk a query may spill to
    duckdb_temp_limit: str = "4GB"
    query_timeout_ms: int = 60_000


@dataclass
class ExportFile:
    path: Path
    media_type: str
    filename: str
    #: True when the file is a temporary copy the caller must remove after sending
    temporary: bool


class DatasetStore:
    """Datasets, their versions, and everything done to them."""

    def __init__(self, config: StoreConfig, *, sweep: bool = True):
        self.config = config
        self.root = Path(config.root)
        self.datasets_dir = self.root / "datasets"
        self.staging_dir = self.root / "staging"
        self.work_dir = self.root / "work"
        for d in (self.datasets_dir, self.staging_dir, self.work_dir):
            d.mkdir(parents=True, exist_ok=True)
        url = config.catalog_url or f"sqlite:///{self.root / 'catalog.sqlite'}"
        self.catalog = Catalog(url)
        self._meta = ParquetMetaCache()
        # One writer per dataset in this process; the catalog's version check covers other processes.
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        if sweep:
            self.sweep()

    # ------------------------------------------------------------------ housekeeping

    def sweep(self) -> dict[str, int]:
        """Remove what an interrupted upload, change or delete left behind.

        Safe only while no other process writes to this store (hosts call it at start-up).
        """
        removed = {"staging": 0, "orphans": 0}
        for d in (self.staging_dir, self.work_dir):
            for p in d.iterdir():
                remove_quietly(p)
                removed["staging"] += 1
        known = self.catalog.all_files()
        with self.catalog.transaction() as s:
            ids = {row[0] for row in s.query(DatasetRow.id).all()}
        for ds_dir in self.datasets_dir.iterdir():
            if ds_dir.name not in ids:
                remove_quietly(ds_dir)
                removed["orphans"] += 1
                continue
            for f in ds_dir.iterdir():
                if f"datasets/{ds_dir.name}/{f.name}" not in known:
                    remove_quietly(f)
                    removed["orphans"] += 1
        return removed

    def close(self) -> None:
        self.catalog.dispose()

    @contextmanager
    def _dataset_lock(self, dataset_id: str) -> Iterator[None]:
        with self._locks_guard:
            lock = self._locks.setdefault(dataset_id, threading.Lock())
        with lock:
            yield

    def staging_path(self, suffix: str = ".upload") -> Path:
        """A fresh path under staging/ for a host to stream an upload into."""
        return self.staging_dir / unique_name(suffix)

    @contextmanager
    def _scratch(self) -> Iterator[Path]:
        d = self.work_dir / unique_name()
        d.mkdir()
        try:
            yield d
        finally:
            remove_quietly(d)

    def _connect(self, scratch: Path, read: Sequence[Path] = ()) -> duckdb.DuckDBPyConnection:
        """A private in-memory DuckDB for one query, locked before any query runs.

        It reads only the files in ``read`` (every dataset file when empty), writes only
        under ``scratch`` and ``staging/`` (spill files, a step's or an export's output),
        loads no extension, and no statement can change its settings afterwards.
        """
        con = duckdb.connect(
            ":memory:",
            config={
                "threads": self.config.duckdb_threads,
                "memory_limit": self.config.duckdb_memory_limit,
                "temp_directory": str(scratch / "spill"),
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False,
                "allow_community_extensions": False,
                "allow_unsigned_extensions": False,
                "allow_persistent_secrets": False,
                "max_execution_time": self.config.query_timeout_ms,
            },
        )
        try:
            con.execute("SET enable_progress_bar = false")
            # via SET: an open-time value is reported but not enforced
            con.execute(f"SET max_temp_directory_size = {quote_literal(self.config.duckdb_temp_limit)}")
            folders = [scratch, self.staging_dir] + ([] if read else [self.datasets_dir])
            restrict_files(con, files=read, folders=folders)
            con.execute("SET lock_configuration = true")
        except BaseException:
            con.close()
            raise
        return con

    # ------------------------------------------------------------------ reading the catalog

    def _abs(self, rel: str) -> Path:
        return self.root / rel

    def _dataset_json(self, ds: DatasetRow, v: VersionRow) -> dict[str, Any]:
        return {
            "id": ds.id,
            "name": ds.name,
            "owner": ds.owner,
            "rows": v.rows,
            "version": ds.current_version,
            "versions": len(ds.versions),
            "columns": v.columns,
            "size": v.size,
            "created": _iso(ds.created),
            "updated": _iso(ds.updated),
            "report": v.report,
        }

    @staticmethod
    def _version_json(v: VersionRow) -> dict[str, Any]:
        return {
            "version": v.number,
            "parent": v.parent,
            "kind": v.kind,
            "rows": v.rows,
            "size": v.size,
            "columns": v.columns,
            "step": v.step,
            "description": v.description,
            "created": _iso(v.created),
            "created_by": v.created_by,
        }

    @staticmethod
    def _version(ds: DatasetRow, number: int | None) -> VersionRow:
        n = ds.current_version if number is None else number
        for v in ds.versions:
            if v.number == n:
                return v
        raise NotFound(f"Dataset {ds.name!r} has no version {n}", "No such version")

    def _get(self, s: Any, dataset_id: str) -> DatasetRow:
        ds = self.catalog.dataset(s, dataset_id)
        if ds is None:
            raise NotFound(f"No dataset with id {dataset_id!r}", "No such dataset")
        return ds

    def list_datasets(self, owner: str | None = None) -> list[dict[str, Any]]:
        """Every dataset (of ``owner`` when given), newest change first."""
        with self.catalog.transaction() as s:
            q = s.query(DatasetRow)
            if owner is not None:
                q = q.filter(DatasetRow.owner == owner)
            rows = q.order_by(DatasetRow.updated.desc()).all()
            return [self._dataset_json(ds, self._version(ds, None)) for ds in rows]

    def get(self, dataset_id: str) -> dict[str, Any]:
        with self.catalog.transaction() as s:
            ds = self._get(s, dataset_id)
            return self._dataset_json(ds, self._version(ds, None))

    def find(self, name_or_id: str, owner: str | None = None) -> dict[str, Any]:
        """A dataset by id, or by name (of ``owner`` when given; the newest when names repeat)."""
        with self.catalog.transaction() as s:
            ds = self.catalog.dataset(s, name_or_id)
            if ds is None:
                q = s.query(DatasetRow).filter(DatasetRow.name == name_or_id)
                if owner is not None:
                    q = q.filter(DatasetRow.owner == owner)
                ds = q.order_by(DatasetRow.updated.desc()).first()
            if ds is None:
                raise NotFound(f"No dataset named {name_or_id!r}", "No such dataset")
            return self._dataset_json(ds, self._version(ds, None))

    def versions(self, dataset_id: str) -> list[dict[str, Any]]:
        with self.catalog.transaction() as s:
            ds = self._get(s, dataset_id)
            return [self._version_json(v) for v in ds.versions]

    def version(self, dataset_id: str, number: int | None = None) -> dict[str, Any]:
        with self.catalog.transaction() as s:
            ds = self._get(s, dataset_id)
            v = self._version(ds, number)
            out = self._version_json(v)
            out["report"] = v.report
            return out

    def version_file(self, dataset_id: str, number: int | None = None) -> Path:
        with self.catalog.transaction() as s:
            return self._abs(self._version(self._get(s, dataset_id), number).file)

    def _columns(self, dataset_id: str, number: int | None) -> tuple[Path, list[ColumnInfo], int]:
        with self.catalog.transaction() as s:
            v = self._version(self._get(s, dataset_id), number)
            return self._abs(v.file), [ColumnInfo.from_json(c) for c in v.columns], v.rows

    # ------------------------------------------------------------------ uploads

    def create_from_file(
        self,
        src: Path,
        *,
        name: str | None,
        owner: str,
        content_type: str | None = None,
        filename: str | None = None,
        cancel: threading.Event | None = None,
        in_tx: InTransaction | None = None,
    ) -> dict[str, Any]:
        """Ingest the file at ``src`` (removed afterwards) as version 1 of a new dataset."""
        try:
            name = check_name(name)
            self._check_free_name(owner, name)
            dataset_id = uuid.uuid4().hex
            with self._scratch() as scratch:
                tmp = self.staging_dir / unique_name(".parquet")
                try:
                    result = ingest_file(
                        src,
                        tmp,
                        work_dir=scratch,
                        content_type=content_type,
                        filename=filename,
                        limits=self.config.ingest,
                        cancel=cancel,
                    )
                    rel = f"datasets/{dataset_id}/{unique_name('.parquet')}"
                    publish(tmp, self._abs(rel))
                finally:
                    remove_quietly(tmp)
            try:
                with self.catalog.transaction() as s:
                    if self.catalog.by_name(s, owner, name) is not None:
                        raise self._name_taken(name)
                    now = utcnow()
                    ds = DatasetRow(
                        id=dataset_id, name=name, owner=owner, current_version=1, created=now, updated=now
                    )
                    ds.versions.append(
                        VersionRow(
                            number=1,
                            parent=None,
                            kind="upload",
                            file=rel,
                            rows=result.rows,
                            size=self._abs(rel).stat().st_size,
                            columns=[c.to_json() for c in result.columns],
                            step=None,
                            description=f"Upload {filename or name}",
                            report=result.report.to_json(),
                            created=now,
                            created_by=owner,
                        )
                    )
                    s.add(ds)
                    if in_tx is not None:
                        s.flush()
                        in_tx(s, ds)
            except BaseException:
                remove_quietly(self.datasets_dir / dataset_id)
                raise
            return self.get(dataset_id)
        finally:
            remove_quietly(src)

    def _check_free_name(self, owner: str, name: str) -> None:
        with self.catalog.transaction() as s:
            if self.catalog.by_name(s, owner, name) is not None:
                raise self._name_taken(name)

    @staticmethod
    def _name_taken(name: str) -> Conflict:
        return Conflict(f"You already have a dataset named {name!r}; pick another name", "Name taken")

    def rename(self, dataset_id: str, name: str, *, in_tx: InTransaction | None = None) -> dict[str, Any]:
        name = check_name(name)
        with self.catalog.transaction() as s:
            ds = self._get(s, dataset_id)
            if in_tx is not None:
                in_tx(s, ds)
            other = self.catalog.by_name(s, ds.owner, name)
            if other is not None and other.id != ds.id:
                raise self._name_taken(name)
            ds.name = name
            ds.updated = utcnow()
        return self.get(dataset_id)

    def delete(self, dataset_id: str, *, in_tx: InTransaction | None = None) -> None:
        with self._dataset_lock(dataset_id):
            with self.catalog.transaction() as s:
                ds = self._get(s, dataset_id)
                if in_tx is not None:
                    in_tx(s, ds)
                s.delete(ds)
            # The catalog no longer names these files; a crash here leaves orphans for sweep().
            remove_quietly(self.datasets_dir / dataset_id)

    # ------------------------------------------------------------------ changes

    def apply_step(
        self,
        dataset_id: str,
        step: dict[str, Any],
        *,
        user: str,
        base_version: int | None = None,
        in_tx: InTransaction | None = None,
    ) -> dict[str, Any]:
        """Apply one cleaning step to the current version; the result is a new version.

        ``base_version`` is the version the caller saw; if the dataset moved on since,
        the change is refused with 409 rather than silently applied to other data.
        """
        with self._dataset_lock(dataset_id):
            with self.catalog.transaction() as s:
                ds = self._get(s, dataset_id)
                current = ds.current_version
                if base_version is not None and base_version != current:
                    raise Conflict(
                        f"Dataset changed: you edited version {base_version} but it is now at {current}",
                        "Stale version",
                    )
                parent = self._version(ds, current)
                parent_file = self._abs(parent.file)
                columns = [ColumnInfo.from_json(c) for c in parent.columns]
            plan = transforms.plan_step(step, columns)
            rel = f"datasets/{dataset_id}/{unique_name('.parquet')}"
            tmp = self.staging_dir / unique_name(".parquet")
            try:
                with self._scratch() as scratch:
                    con = self._connect(scratch)
                    try:
                        self._src_view(con, parent_file)
                        problems: list[Problem] = []
                        if plan.check_sql:
                            problems = [
                                Problem(row=r[0], column=r[1], value=r[2], expected=r[3])
                                for r in con.execute(plan.check_sql, plan.check_params).fetchall()
                            ]
                        transforms.execute_plan(con, plan, tmp)
                        rows, cols_after = self._profile(con, tmp, plan.columns_after)
                    except duckdb.Error as e:
                        raise BadInput(
                            f"The step could not be applied: {_duck_message(e)}", "Bad step"
                        ) from e
                    finally:
                        con.close()
                publish(tmp, self._abs(rel))
            finally:
                remove_quietly(tmp)
            try:
                with self.catalog.transaction() as s:
                    ds = self._get(s, dataset_id)
                    if ds.current_version != current:
                        raise Conflict("Dataset changed while the step ran; try again", "Stale version")
                    number = max(v.number for v in ds.versions) + 1
                    now = utcnow()
                    ds.versions.append(
                        VersionRow(
                            number=number,
                            parent=current,
                            kind="transform",
                            file=rel,
                            rows=rows,
                            size=self._abs(rel).stat().st_size,
                            columns=[c.to_json() for c in cols_after],
                            step=plan.step,
                            description=plan.describe,
                            report={
                                "problems": [p.to_json() for p in problems],
                                "problem_count": len(problems),
                            },
                            created=now,
                            created_by=user,
                        )
                    )
                    ds.current_version = number
                    ds.updated = now
                    if in_tx is not None:
                        in_tx(s, ds)
            except BaseException:
                remove_quietly(self._abs(rel))
                raise
            out = self.get(dataset_id)
            out["problems"] = [p.to_json() for p in problems]
            return out

    def revert(
        self, dataset_id: str, to_version: int, *, user: str, in_tx: InTransaction | None = None
    ) -> dict[str, Any]:
        """Make ``to_version``'s data current again, as a new version (history is never rewritten)."""
        with self._dataset_lock(dataset_id), self.catalog.transaction() as s:
            ds = self._get(s, dataset_id)
            target = self._version(ds, to_version)
            number = max(v.number for v in ds.versions) + 1
            now = utcnow()
            ds.versions.append(
                VersionRow(
                    number=number,
                    parent=ds.current_version,
                    kind="revert",
                    file=target.file,
                    rows=target.rows,
                    size=target.size,
                    columns=target.columns,
                    step={"op": "revert", "version": to_version},
                    description=f"Revert to version {to_version}",
                    report={"problems": [], "problem_count": 0},
                    created=now,
                    created_by=user,
                )
            )
            ds.current_version = number
            ds.updated = now
            if in_tx is not None:
                in_tx(s, ds)
        return self.get(dataset_id)

    def recipe(self, dataset_id: str, number: int | None = None) -> list[dict[str, Any]]:
        """The steps that make ``number`` from the uploaded data, oldest first."""
        with self.catalog.transaction() as s:
            ds = self._get(s, dataset_id)
            by_number = {v.number: v for v in ds.versions}
            steps: list[dict[str, Any]] = []
            v: VersionRow | None = self._version(ds, number)
            while v is not None:
                if v.kind == "revert":
                    v = by_number.get(int((v.step or {})["version"]))
                    continue
                if v.kind == "upload":
                    break
                steps.append({"version": v.number, "step": v.step, "description": v.description})
                v = by_number.get(v.parent) if v.parent is not None else None
            return list(reversed(steps))

    def recipe_code(self, dataset_id: str, number: int | None = None) -> str:
        ds = self.get(dataset_id)
        steps = [s["step"] for s in self.recipe(dataset_id, number)]
        return transforms.recipe_to_pandas(steps, f"lg.load({ds['name']!r}, version=1)")

    # ------------------------------------------------------------------ queries

    @staticmethod
    def _src_view(con: duckdb.DuckDBPyConnection, path: Path) -> None:
        con.execute(
            "CREATE OR REPLACE VIEW src AS SELECT * EXCLUDE (file_row_number), "
            'file_row_number + 1 AS "__row" '
            f"FROM read_parquet({quote_literal(str(path))}, file_row_number = true)"
        )

    @staticmethod
    def _profile(
        con: duckdb.DuckDBPyConnection, path: Path, columns: list[ColumnInfo]
    ) -> tuple[int, list[ColumnInfo]]:
        """Row count and per-column types and null counts of a written file."""
        rel = con.sql(f"SELECT * FROM read_parquet({quote_literal(str(path))})")
        names, types = rel.columns, [str(t) for t in rel.types]
        counts = ", ".join(f"count({quote_ident(n)})" for n in names)
        row = con.execute(
            f"SELECT count(*){', ' if counts else ''}{counts} FROM read_parquet({quote_literal(str(path))})"
        ).fetchall()[0]
        total = int(row[0])
        known = {c.name: c for c in columns}
        out = []
        for i, (n, t) in enumerate(zip(names, types, strict=False)):
            prev = known.get(n)
            out.append(
                ColumnInfo(
                    name=n,
                    type=prev.type if prev else column_type_of(t),
                    nulls=total - int(row[i + 1]),
                    timezone=prev.timezone if prev else None,
                )
            )
        return total, out

    def rows(
        self,
        dataset_id: str,
        *,
        version: int | None = None,
        offset: int = 0,
        limit: int = 100,
        sort: str | None = None,
        filter: Any = None,
    ) -> dict[str, Any]:
        """One page of rows: ``{"columns", "rows", "offset", "limit", "total"}``."""
        if offset < 0 or limit < 0:
            raise BadInput("offset and limit must be zero or more", "Bad page")
        if limit > MAX_PAGE:
            raise BadInput(f"limit is at most {MAX_PAGE}", "Bad page")
        path, columns, total = self._columns(dataset_id, version)
        names = [c.name for c in columns]
        if not sort and not filter:
            table = read_slice(path, offset, limit, self._meta)
            return {
                "columns": names,
                "rows": table_rows(table),
                "offset": offset,
                "limit": limit,
                "total": total,
            }
        where, params = transforms.compile_filter(filter, columns) if filter else ("", [])
        order = transforms.compile_sort(sort, columns) if sort else ""
        order = f"{order}, " if order else ""
        select = ", ".join(quote_ident(n) for n in names)
        with self._scratch() as scratch:
            con = self._connect(scratch, read=[path])
            try:
                self._src_view(con, path)
                where_sql = f" WHERE {where}" if where else ""
                counted = con.execute(f"SELECT count(*) FROM src{where_sql}", params).fetchall()[0]
                table = con.sql(
                    f'SELECT {select} FROM src{where_sql} ORDER BY {order}"__row" LIMIT ? OFFSET ?',
                    params=[*params, limit, offset],
                ).to_arrow_table()
            except duckdb.Error as e:
                raise BadInput(f"The query failed: {_duck_message(e)}", "Bad query") from e
            finally:
                con.close()
        return {
            "columns": names,
            "rows": table_rows(table),
            "offset": offset,
            "limit": limit,
            "total": int(counted[0]),
        }

    def arrow(self, dataset_id: str, version: int | None = None) -> pa.Table:
        """The whole version as an Arrow table (for notebooks; the server never needs this)."""
        import pyarrow.parquet as pq

        return pq.read_table(self.version_file(dataset_id, version))

    # ------------------------------------------------------------------ profiles and formulas

    def profile(self, dataset_id: str, column: str, version: int | None = None) -> dict[str, Any]:
        """Counts, range and histogram or top values of one column (see ``profile.column_profile``)."""
        path, columns, _ = self._columns(dataset_id, version)
        with self._scratch() as scratch:
            con = self._connect(scratch)
            try:
                return profile.column_profile(con, path, columns, column)
            except duckdb.Error as e:
                raise BadInput(f"The profile failed: {_duck_message(e)}", "Bad query") from e
            finally:
                con.close()

    def check_formula(self, dataset_id: str, formula: Any, version: int | None = None) -> dict[str, Any]:
        """Whether ``formula`` is valid on a version, its type, or the error and where it is."""
        _, columns, _ = self._columns(dataset_id, version)
        return profile.check_formula(formula, columns)

    def formula_completions(self, dataset_id: str, version: int | None = None) -> list[dict[str, str]]:
        _, columns, _ = self._columns(dataset_id, version)
        return profile.completions(columns)

    # ------------------------------------------------------------------ export

    def export(self, dataset_id: str, fmt: str, version: int | None = None) -> ExportFile:
        """A file to send for ``fmt`` in csv, parquet, json.

        CSV text cells (and header cells) that a spreadsheet would run as a formula are
        prefixed with ``'``.
        """
        fmt = (fmt or "csv").lower()
        ds = self.get(dataset_id)
        path, columns, _ = self._columns(dataset_id, version)
        base = _safe_filename(ds["name"])
        if fmt == "parquet":
            return ExportFile(path, "application/vnd.apache.parquet", f"{base}.parquet", temporary=False)
        if fmt not in {"csv", "json"}:
            raise BadInput(f"Unknown export format {fmt!r}: use csv, parquet or json", "Bad format")
        out = self.staging_dir / unique_name(f".{fmt}")
        with self._scratch() as scratch:
            con = self._connect(scratch)
            try:
                self._src_view(con, path)
                if fmt == "csv":
                    select = ", ".join(
                        f"{_neutralised(c)} AS {quote_ident(_neutralise_text(c.name))}" for c in columns
                    )
                    con.execute(
                        f'COPY (SELECT {select} FROM src ORDER BY "__row") TO {quote_literal(str(out))} '
                        "(FORMAT csv, HEADER true)"
                    )
                else:
                    select = ", ".join(quote_ident(c.name) for c in columns)
                    con.execute(
                        f'COPY (SELECT {select} FROM src ORDER BY "__row") TO {quote_literal(str(out))} '
                        "(FORMAT json, ARRAY true)"
                    )
            except BaseException:
                remove_quietly(out)
                raise
            finally:
                con.close()
        media = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
        return ExportFile(out, media, f"{base}.{fmt}", temporary=True)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def _neutralise_text(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def _neutralised(c: ColumnInfo) -> str:
    col = quote_ident(c.name)
    if c.type != "string":
        return col
    return f"CASE WHEN regexp_matches({col}, '^[=+\\-@\\t\\r\\n]') THEN '''' || {col} ELSE {col} END"


def _safe_filename(name: str) -> str:
    cleaned = re.sub(r"[^\w.\- ]+", "_", name).strip(" .") or "dataset"
    return cleaned[:100]


def _duck_message(e: BaseException) -> str:
    text = str(e).splitlines()[0] if str(e) else type(e).__name__
    return text[:500]


def default_root() -> Path:
    """``$LIVEGRAPHS_DATA_DIR``, else ``<jupyter data dir>/livegraphs``."""
    env = os.environ.get("LIVEGRAPHS_DATA_DIR")
    if env:
        return Path(env)
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "livegraphs"


__all__ = ["DatasetStore", "ExportFile", "StoreConfig", "StoreError", "check_name", "default_root"]
