"""Changing datasets: uploads, renames, deletes, cleaning steps and reverts, each a catalog transaction."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path
from typing import Any

import duckdb

from . import transforms
from .catalog import DatasetRow, VersionRow, utcnow
from .core import InTransaction, check_name, duck_message
from .errors import BadInput, Conflict, Problem
from .files import publish, remove_quietly, unique_name
from .ingest import ingest_file
from .profile import integer_distincts
from .schema import ColumnInfo, column_type_of
from .sql import quote_ident, quote_literal
from .versions import DatasetVersions


class DatasetChanges(DatasetVersions):
    """Every change makes a new version (or dataset); history is never rewritten."""

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
        bad_values: str | None = None,
    ) -> dict[str, Any]:
        """Ingest the file at ``src`` (removed afterwards) as version 1 of a new dataset.

        ``bad_values`` (``"text"`` or ``"null"``) is what becomes of values that break their
        column's type: see :func:`~livegraphs_ext.store.ingest.ingest_file`.
        """
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
                        bad_values=bad_values,
                    )
                    rel = f"datasets/{dataset_id}/{unique_name('.parquet')}"
                    publish(tmp, self._abs(rel))
                finally:
                    remove_quietly(tmp)
            self._add_dataset(
                dataset_id,
                name,
                owner,
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
                    created_by=owner,
                ),
                in_tx,
            )
            return self.get(dataset_id)
        finally:
            remove_quietly(src)

    def _add_dataset(
        self, dataset_id: str, name: str, owner: str, first: VersionRow, in_tx: InTransaction | None
    ) -> None:
        """The catalog row of a new dataset whose version 1 (``first``, its file published) is made.

        A name taken meanwhile is a 409; the dataset's files are removed again if the catalog
        refuses it.
        """
        try:
            with self.catalog.transaction() as s:
                if self.catalog.by_name(s, owner, name) is not None:
                    raise self._name_taken(name)
                now = utcnow()
                ds = DatasetRow(
                    id=dataset_id, name=name, owner=owner, current_version=1, created=now, updated=now
                )
                first.created = now
                ds.versions.append(first)
                s.add(ds)
                if in_tx is not None:
                    s.flush()
                    in_tx(s, ds)
        except BaseException:
            remove_quietly(self.datasets_dir / dataset_id)
            raise

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
                ds = self._get_at(s, dataset_id, base_version, "edited")
                current = ds.current_version
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
                        plan = transforms.complete_plan(con, plan, columns, self.config.models)
                        problems: list[Problem] = []
                        if plan.check_sql:
                            problems = [
                                Problem(row=r[0], column=r[1], value=r[2], expected=r[3])
                                for r in con.execute(plan.check_sql, plan.check_params).fetchall()
                            ]
                        transforms.execute_plan(con, plan, tmp)
                        rows, cols_after = self._profile(con, tmp, plan.columns_after)
                    except duckdb.Error as e:
                        raise BadInput(f"The step could not be applied: {duck_message(e)}", "Bad step") from e
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
                                **({"notes": plan.notes} if plan.notes else {}),
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
                    # the data is the target's again, and so is what its report says of it
                    report=target.report,
                    created=now,
                    created_by=user,
                )
            )
            ds.current_version = number
            ds.updated = now
            if in_tx is not None:
                in_tx(s, ds)
        return self.get(dataset_id)

    @staticmethod
    def _profile(
        con: duckdb.DuckDBPyConnection, path: Path, columns: list[ColumnInfo]
    ) -> tuple[int, list[ColumnInfo]]:
        """Row count, and per-column types, null counts and counts of values (integers of few values),
        of a written file."""
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
        return total, integer_distincts(con, path, out)
