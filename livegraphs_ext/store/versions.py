"""Reading datasets and their versions from the catalog: lists, lookups, files and recipes."""

from __future__ import annotations

import datetime as dt
import functools
import re
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, select

from . import transforms
from .catalog import DatasetRow, VersionRow
from .core import StoreCore
from .errors import Conflict, NotFound
from .names import resolve, split_ref
from .schema import ColumnInfo

#: the kinds of version whose data is not made from their parent by a step
BASE_KINDS = ("upload", "append", "replace", "sql")
#: what a dataset's id looks like (a name can stand for one)
_ID = re.compile(r"[0-9a-f]{32}")


def _iso(t: dt.datetime) -> str:
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    return t.isoformat()


class DatasetVersions(StoreCore):
    """The catalog side of a store: datasets and versions as JSON, by id or name."""

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

    def _get_at(self, s: Any, dataset_id: str, base_version: int | None, sent: str) -> DatasetRow:
        """The dataset; a 409 when it moved on from ``base_version``.

        ``base_version`` is the version the caller ``sent`` something for ("edited", "sent data for").
        """
        ds = self._get(s, dataset_id)
        current = ds.current_version
        if base_version is not None and base_version != current:
            raise Conflict(
                f"Dataset changed: you {sent} version {base_version} but it is now at {current}",
                "Stale version",
            )
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
        """A dataset by id, ``owner/name`` or bare name, for a caller who may read every dataset.

        A bare name is ``owner``'s own dataset of that name first, else the one dataset of that
        name of anyone (Conflict, 409, when several owners have one): see :mod:`.names`.
        """
        with self.catalog.transaction() as s:
            ds = self.catalog.dataset(s, name_or_id)
            if ds is None:
                ds = resolve(s, name_or_id, me=owner, everything=True)
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

    def chart_source(
        self, ref: dict[str, Any], owner: str | None = None
    ) -> tuple[str, int, Path, list[ColumnInfo], int]:
        """What a chart of the dataset ``ref`` (``{"id"}`` or ``{"name"}`` as :meth:`find` takes it,
        with an optional ``version``) reads: its id, the version's number, file, columns and rows.

        One statement when the reference names one dataset outright (:meth:`_chart_source_row`),
        else one transaction, where :meth:`find`, :meth:`version` and :meth:`version_file` take
        one each; either reads the one version's file and columns, not every version with its
        report.
        """
        found = self._chart_source_row(ref, owner)
        if found is not None:
            return found
        with self.catalog.transaction() as s:
            if "id" in ref:
                ds = self._get(s, ref["id"])
            else:
                by_id = self.catalog.dataset(s, ref["name"]) if _ID.fullmatch(ref["name"]) else None
                ds = by_id or resolve(s, ref["name"], me=owner, everything=True)
            number = ds.current_version if ref.get("version") is None else ref["version"]
            v = s.execute(
                select(VersionRow.file, VersionRow.columns, VersionRow.rows).where(
                    VersionRow.dataset_id == ds.id, VersionRow.number == number
                )
            ).first()
            if v is None:
                raise NotFound(f"Dataset {ds.name!r} has no version {number}", "No such version")
            return ds.id, number, self._abs(v.file), [ColumnInfo.from_json(c) for c in v.columns], v.rows

    def _chart_source_row(
        self, ref: dict[str, Any], owner: str | None
    ) -> tuple[str, int, Path, list[ColumnInfo], int] | None:
        """:meth:`chart_source` in one statement, when the reference names one dataset outright:
        its id, ``owner/name``, or a bare name of ``owner``'s own. None otherwise (a bare name
        that is someone else's, or none at all), and when the version is missing: the
        transaction then answers, or says what is wrong.
        """
        if "id" in ref:
            params: dict[str, Any] = {"id": ref["id"]}
        else:
            name = ref["name"]
            if _ID.fullmatch(name):
                return None
            who, name = split_ref(name)
            who = who or owner
            if who is None:
                return None
            params = {"name": name, "owner": who}
        pinned = ref.get("version") is not None
        if pinned:
            params["number"] = ref["version"]
        row = self.catalog.first(_chart_source_statement("id" in ref, pinned), params)
        if row is None:
            return None
        return (
            row.id,
            row.number,
            self._abs(row.file),
            [ColumnInfo.from_json(c) for c in row.columns],
            row.rows,
        )

    def _columns(self, dataset_id: str, number: int | None) -> tuple[Path, list[ColumnInfo], int]:
        with self.catalog.transaction() as s:
            v = self._version(self._get(s, dataset_id), number)
            return self._abs(v.file), [ColumnInfo.from_json(c) for c in v.columns], v.rows

    def _base_and_recipe(self, ds: DatasetRow, number: int | None) -> tuple[VersionRow, list[dict[str, Any]]]:
        """The raw version (upload, append or replace) ``number`` is made from, and the steps since."""
        by_number = {v.number: v for v in ds.versions}
        steps: list[dict[str, Any]] = []
        v = self._version(ds, number)
        while True:
            if v.kind == "revert":
                v = by_number[int((v.step or {})["version"])]
                continue
            if v.kind in BASE_KINDS or v.parent is None:
                return v, list(reversed(steps))
            steps.append({"version": v.number, "step": v.step, "description": v.description})
            v = by_number[v.parent]

    def recipe(self, dataset_id: str, number: int | None = None) -> list[dict[str, Any]]:
        """The steps that make ``number`` from the uploaded (appended, replaced) data, oldest first."""
        with self.catalog.transaction() as s:
            return self._base_and_recipe(self._get(s, dataset_id), number)[1]

    def recipe_code(self, dataset_id: str, number: int | None = None, ref: str | None = None) -> str:
        """The pandas code of a version's recipe, loading its raw version as ``ref`` (default: its name)."""
        with self.catalog.transaction() as s:
            ds = self._get(s, dataset_id)
            base, steps = self._base_and_recipe(ds, number)
            name, base_number = ds.name, base.number
        load = f"lg.load({ref or name!r}, version={base_number})"
        return transforms.recipe_to_pandas([st["step"] for st in steps], load)


@functools.cache
def _chart_source_statement(by_id: bool, pinned: bool) -> Any:
    """:meth:`DatasetVersions._chart_source_row`'s statement, built once (when first asked for, not
    at import): a notebook's chart looks its dataset up every time, and building the statement
    cost more than running it."""
    number = bindparam("number") if pinned else DatasetRow.current_version
    where = (
        [DatasetRow.id == bindparam("id")]
        if by_id
        else [DatasetRow.name == bindparam("name"), DatasetRow.owner == bindparam("owner")]
    )
    return (
        select(DatasetRow.id, VersionRow.number, VersionRow.file, VersionRow.columns, VersionRow.rows)
        .join(VersionRow, (VersionRow.dataset_id == DatasetRow.id) & (VersionRow.number == number))
        .where(*where)
    )
