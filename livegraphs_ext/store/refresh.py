"""New data for an existing dataset: append rows or replace them, and compare two versions.

An append or a replace makes new versions in one catalog transaction, so charts that
follow the dataset see the old data or the new, never a mix:

* a *base* version (kind ``append`` or ``replace``) holding the raw data, then
* with ``replay``, one ``transform`` version per step of the dataset's cleaning recipe,
  applied again on that data. A step that fails on the new data is refused with its
  number and description; nothing is kept.

Appending with ``replay`` adds the new rows to the recipe's raw data (the last upload,
append or replace before the current version) and cleans the whole again, so a
``dedupe`` or a ``fill_nulls`` sees every row. Without ``replay`` the rows are added to
the current version's data as they are, and the recipe starts afresh.

Columns are matched by name (as a union in Tableau, Power BI or SQL ``UNION BY NAME``):
a column only the new data has is null in the old rows, a column the new data lacks is
null in the new rows. Types must fit: integer and float make float, date and datetime
make datetime, anything goes into a text column, a column of the new data that is
empty takes the old type; any other pair is a 400 listing the columns.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from . import transforms
from .catalog import VersionRow, utcnow
from .changes import DatasetChanges
from .core import InTransaction, duck_message
from .errors import BadInput, Conflict, Problem, StoreError
from .files import publish, remove_quietly, unique_name
from .ingest import ingest_file
from .schema import DUCKDB_TYPES, ColumnInfo
from .sql import quote_ident, quote_literal

MODES = ("append", "replace")
#: what a change report says when it cannot name the charts that use a column
DOCUMENTS_NOTE = (
    "Chart and dashboard files (.lgchart, .lgdash) outside the shared documents are not seen "
    "by the store: check those that use the removed or retyped columns."
)


def _fit(old: ColumnInfo, new: ColumnInfo, new_rows: int) -> str | None:
    """The column type old and new values share, or None when they do not fit."""
    a, b = old.type, new.type
    if a == b:
        return a
    if new_rows == 0 or new.nulls >= new_rows:
        return a
    if {a, b} == {"integer", "float"}:
        return "float"
    if {a, b} == {"date", "datetime"}:
        return "datetime"
    if a == "string":
        return "string"
    return None


def _count(con: duckdb.DuckDBPyConnection, query: str) -> int:
    row = con.execute(f"SELECT count(*) FROM ({query})").fetchone()
    return int(row[0]) if row else 0


def schema_changes(before: list[ColumnInfo], after: list[ColumnInfo]) -> dict[str, Any]:
    """Columns added, removed and retyped from ``before`` to ``after``."""
    old = {c.name: c for c in before}
    new = {c.name: c for c in after}
    return {
        "added": [{"name": c.name, "type": c.type} for c in after if c.name not in old],
        "removed": [{"name": c.name, "type": c.type} for c in before if c.name not in new],
        "retyped": [
            {"name": c.name, "from": old[c.name].type, "to": c.type}
            for c in after
            if c.name in old and old[c.name].type != c.type
        ],
    }


@dataclass
class _Made:
    """A version's file being made, and what its catalog row will say."""

    path: Path
    rows: int = 0
    columns: list[ColumnInfo] = field(default_factory=list)
    step: dict[str, Any] | None = None
    description: str = ""
    report: dict[str, Any] = field(default_factory=dict)


class DatasetRefresh(DatasetChanges):
    """Appends, replaces and comparisons of versions."""

    def _add_versions(
        self,
        dataset_id: str,
        current: int,
        made: list[_Made],
        *,
        kind: str,
        user: str,
        stale: str,
        in_tx: InTransaction | None,
    ) -> None:
        """``made`` as the dataset's next versions after ``current``, in one transaction.

        The first is of ``kind`` (the new raw data), the others ``transform`` (recipe steps
        applied again). A dataset moved on from ``current`` meanwhile is a 409 (``stale``);
        whatever was published is removed again if the catalog refuses it.
        """
        written: list[Path] = []
        try:
            rels = []
            for m in made:
                rel = f"datasets/{dataset_id}/{unique_name('.parquet')}"
                publish(m.path, self._abs(rel))
                written.append(self._abs(rel))
                rels.append(rel)
            with self.catalog.transaction() as s:
                ds = self._get(s, dataset_id)
                if ds.current_version != current:
                    raise Conflict(stale, "Stale version")
                number = max(v.number for v in ds.versions)
                parent, now = current, utcnow()
                for i, (rel, m) in enumerate(zip(rels, made, strict=True)):
                    number += 1
                    ds.versions.append(
                        VersionRow(
                            number=number,
                            parent=parent,
                            kind=kind if i == 0 else "transform",
                            file=rel,
                            rows=m.rows,
                            size=self._abs(rel).stat().st_size,
                            columns=[c.to_json() for c in m.columns],
                            step=m.step,
                            description=m.description[:500],
                            report=m.report,
                            created=now,
                            created_by=user,
                        )
                    )
                    parent = number
                ds.current_version = number
                ds.updated = now
                if in_tx is not None:
                    in_tx(s, ds)
        except BaseException:
            for f in written:
                remove_quietly(f)
            raise

    # ------------------------------------------------------------------ new data

    def new_data(
        self,
        dataset_id: str,
        src: Path,
        *,
        mode: str,
        user: str,
        replay: bool = True,
        base_version: int | None = None,
        content_type: str | None = None,
        filename: str | None = None,
        cancel: threading.Event | None = None,
        bad_values: str | None = None,
        onto_version: int | None = None,
        in_tx: InTransaction | None = None,
    ) -> dict[str, Any]:
        """Append the file at ``src`` (removed afterwards) to the dataset, or replace its data.

        Returns the dataset as :meth:`get` does, with ``changes``: the columns added, removed
        and retyped since the version that was current, rows before and after, the steps
        replayed and their problems. See the module docstring for the rules.

        ``onto_version`` takes the data of that earlier version as the data before, in place
        of the current one: what changed since it is undone in the same step (a file sent
        again, its bad values made missing, in place of its first try). The new versions
        still follow the current one in the history, and nothing is changed if this fails.
        """
        try:
            if mode not in MODES:
                raise BadInput(f"mode is append or replace, not {str(mode)[:40]!r}", "Bad mode")
            with self._dataset_lock(dataset_id):
                return self._new_data(
                    dataset_id, src, mode=mode, user=user, replay=replay, base_version=base_version,
                    content_type=content_type, filename=filename, cancel=cancel, bad_values=bad_values,
                    onto_version=onto_version, in_tx=in_tx,
                )  # fmt: skip
        finally:
            remove_quietly(src)

    def _new_data(
        self,
        dataset_id: str,
        src: Path,
        *,
        mode: str,
        user: str,
        replay: bool,
        base_version: int | None,
        content_type: str | None,
        filename: str | None,
        cancel: threading.Event | None,
        bad_values: str | None,
        onto_version: int | None,
        in_tx: InTransaction | None,
    ) -> dict[str, Any]:
        with self.catalog.transaction() as s:
            ds = self._get_at(s, dataset_id, base_version, "sent data for")
            current = ds.current_version
            source = current if onto_version is None else onto_version
            cur = self._version(ds, source)
            before = [ColumnInfo.from_json(c) for c in cur.columns]
            rows_before = cur.rows
            base, steps = self._base_and_recipe(ds, source)
            if not replay:
                steps = []
            # without replay new rows join the current data, with it the recipe's raw data
            onto = base if steps else cur
            onto_file = self._abs(onto.file)
            onto_columns = [ColumnInfo.from_json(c) for c in onto.columns]
        made: list[_Made] = []  # the new versions' files, in order
        replayed: list[dict[str, Any]] = []
        try:
            with self._scratch() as scratch:
                fresh = scratch / "new.parquet"
                result = ingest_file(
                    src,
                    fresh,
                    work_dir=scratch,
                    content_type=content_type,
                    filename=filename,
                    limits=self.config.ingest,
                    cancel=cancel,
                    bad_values=bad_values,
                )
                con = self._connect(scratch)
                try:
                    if mode == "replace":
                        # the ingested file is the new data as it is
                        raw = _Made(fresh)
                        made.append(raw)
                        known = result.columns
                    else:
                        raw = _Made(self.staging_dir / unique_name(".parquet"))
                        made.append(raw)
                        known = self._append(
                            con, onto_file, onto_columns, fresh, result.columns, result.rows, raw.path
                        )
                    raw.rows, raw.columns = self._profile(con, raw.path, known)
                    what = filename or "new data"
                    raw.description = (
                        f"Append {result.rows} rows from {what}"
                        if mode == "append"
                        else f"Replace data with {what}"
                    )
                    raw.step = {"op": mode, "rows": result.rows, "filename": filename, "replay": bool(steps)}
                    if source != current:
                        raw.description += f", onto version {source}"
                        raw.step["onto"] = source
                    raw.report = result.report.to_json()
                    for i, st in enumerate(steps, start=1):
                        replayed.append(self._replay(con, made, i, st))
                except duckdb.Error as e:
                    raise BadInput(f"The new data could not be added: {duck_message(e)}", "Bad data") from e
                finally:
                    con.close()
                self._add_versions(
                    dataset_id,
                    current,
                    made,
                    kind=mode,
                    user=user,
                    stale="Dataset changed while the new data was read; try again",
                    in_tx=in_tx,
                )
        finally:
            for m in made:
                remove_quietly(m.path)
        out = self.get(dataset_id)
        after = [ColumnInfo.from_json(c) for c in out["columns"]]
        changes = schema_changes(before, after)
        changes.update(
            {
                "mode": mode,
                "from_version": source,
                "rows_before": rows_before,
                "rows_after": out["rows"],
                "rows_received": result.rows,
                "replayed": replayed,
                "charts": None,
                "note": DOCUMENTS_NOTE if changes["removed"] or changes["retyped"] else None,
            }
        )
        out["changes"] = changes
        return out

    def _replay(
        self, con: duckdb.DuckDBPyConnection, made: list[_Made], i: int, st: dict[str, Any]
    ) -> dict[str, Any]:
        """Apply step ``i`` of the recipe to the last file made; BadInput naming the step if it fails."""
        prev = made[-1]
        label = f"step {i} of the recipe ({st['description']})"
        try:
            plan = transforms.plan_step(st["step"], prev.columns)
        except StoreError as e:
            raise BadInput(
                f"The new data does not fit {label}: {e.message}. Nothing was changed; "
                "send it again without replaying the recipe, or fix the data",
                "Recipe failed",
                e.errors,
            ) from e
        out = _Made(self.staging_dir / unique_name(".parquet"), step=plan.step, description=plan.describe)
        made.append(out)
        self._src_view(con, prev.path)
        # a model step fits its model again on the new data (the others were kept complete)
        plan = transforms.complete_plan(con, plan, prev.columns, self.config.models)
        try:
            problems: list[Problem] = []
            if plan.check_sql:
                problems = [
                    Problem(row=r[0], column=r[1], value=r[2], expected=r[3])
                    for r in con.execute(plan.check_sql, plan.check_params).fetchall()
                ]
            transforms.execute_plan(con, plan, out.path)
        except duckdb.Error as e:
            raise BadInput(
                f"The new data does not fit {label}: {duck_message(e)}. Nothing was changed", "Recipe failed"
            ) from e
        out.rows, out.columns = self._profile(con, out.path, plan.columns_after)
        out.report = {"problems": [p.to_json() for p in problems], "problem_count": len(problems)}
        return {"step": plan.step, "description": plan.describe, **out.report}

    @staticmethod
    def _append(
        con: duckdb.DuckDBPyConnection,
        old_file: Path,
        old_cols: list[ColumnInfo],
        new_file: Path,
        new_cols: list[ColumnInfo],
        new_rows: int,
        dest: Path,
    ) -> list[ColumnInfo]:
        """Write the old rows then the new ones to ``dest``, columns matched by name."""
        new_by_name = {c.name: c for c in new_cols}
        merged: list[ColumnInfo] = []
        clashes: list[Problem] = []
        for c in old_cols:
            n = new_by_name.get(c.name)
            if n is None:
                merged.append(c)
                continue
            t = _fit(c, n, new_rows)
            if t is None:
                clashes.append(Problem(row=None, column=c.name, value=n.type, expected=c.type))
                continue
            merged.append(ColumnInfo(c.name, t, timezone=c.timezone or n.timezone))  # type: ignore[arg-type]
        if clashes:
            listed = ", ".join(f"{p.column!r} ({p.expected} before, {p.value} now)" for p in clashes)
            raise BadInput(
                f"The new data's types do not fit the dataset's: {listed}. Fix the data or replace instead",
                "Type conflict",
                clashes,
            )
        old_names = {c.name for c in old_cols}
        merged += [c for c in new_cols if c.name not in old_names]

        def side(names: set[str], path: Path, part: int) -> str:
            cols = ", ".join(
                f"CAST({quote_ident(c.name) if c.name in names else 'NULL'} AS {DUCKDB_TYPES[c.type]}) "
                f"AS {quote_ident(c.name)}"
                for c in merged
            )
            return (
                f"SELECT {cols}, {part} AS __lg_part, file_row_number AS __lg_row "
                f"FROM read_parquet({quote_literal(str(path))}, file_row_number = true)"
            )

        body = f"{side(old_names, old_file, 0)} UNION ALL {side(set(new_by_name), new_file, 1)}"
        names = ", ".join(quote_ident(c.name) for c in merged)
        con.execute(
            f"COPY (SELECT {names} FROM ({body}) ORDER BY __lg_part, __lg_row) "
            f"TO {quote_literal(str(dest))} (FORMAT parquet, COMPRESSION zstd)"
        )
        return merged

    # ------------------------------------------------------------------ what changed

    def compare(self, dataset_id: str, to: int | None = None, since: int | None = None) -> dict[str, Any]:
        """What changed from ``since`` (default: the version ``to`` was made from) to ``to``.

        ``to`` defaults to the current version.

        Columns added, removed and retyped; rows added and removed, counted as in a multiset
        over the columns both versions have (a retyped column compared as text).
        """
        with self.catalog.transaction() as s:
            ds = self._get(s, dataset_id)
            b = self._version(ds, to)
            if since is None:
                # new data onto an earlier version was made from that one, not from its parent
                onto = (b.step or {}).get("onto")
                since = onto if isinstance(onto, int) else b.parent if b.parent is not None else b.number
            a = self._version(ds, since)
            a_file, b_file = self._abs(a.file), self._abs(b.file)
            a_cols = [ColumnInfo.from_json(c) for c in a.columns]
            b_cols = [ColumnInfo.from_json(c) for c in b.columns]
            a_rows, b_rows = a.rows, b.rows
            numbers = (a.number, b.number)
        changes = schema_changes(a_cols, b_cols)
        b_types = {c.name: c.type for c in b_cols}
        common = [c for c in a_cols if c.name in b_types]
        if not common:
            added, removed = b_rows, a_rows
        else:

            def sel(path: Path) -> str:
                cols = ", ".join(
                    quote_ident(c.name)
                    if b_types[c.name] == c.type
                    else f"CAST({quote_ident(c.name)} AS VARCHAR)"
                    for c in common
                )
                return f"SELECT {cols} FROM read_parquet({quote_literal(str(path))})"

            with self._scratch() as scratch:
                con = self._connect(scratch, read=[a_file, b_file])
                try:
                    added = _count(con, f"{sel(b_file)} EXCEPT ALL {sel(a_file)}")
                    removed = _count(con, f"{sel(a_file)} EXCEPT ALL {sel(b_file)}")
                except duckdb.Error as e:
                    message = f"The versions could not be compared: {duck_message(e)}"
                    raise BadInput(message, "Bad compare") from e
                finally:
                    con.close()
        return {
            "from": numbers[0],
            "to": numbers[1],
            "rows": {"from": a_rows, "to": b_rows, "added": added, "removed": removed},
            "columns": changes,
        }
