"""REST handlers for datasets: list, upload, read, page, change, export, delete.

Served by both hosts over the host's guarded store, as the caller the host names.
"""

from __future__ import annotations

import shutil
import threading
from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web
from tornado.web import HTTPError

from ..rest import DATASET_ID, UploadBody
from ..store.files import remove_quietly
from ..store.ingest import BAD_VALUES
from .base import AUTH_RESOURCE, LiveGraphsHandler
from .local import allowed, import_target


def bad_values_choice(value: object) -> str | None:
    """An upload's ``bad_values`` choice (``text`` or ``null``); a 400 for anything else."""
    if value is None or value in BAD_VALUES:
        return value
    raise HTTPError(400, f"bad_values must be one of {', '.join(BAD_VALUES)}", reason="Bad Request")


async def with_files(
    handler: LiveGraphsHandler, dataset: dict[str, Any], columns: dict[str, Any], uses: dict[str, Any]
) -> None:
    """Add to ``uses`` (the documents using the removed and retyped ``columns``) the caller's chart
    and dashboard files using them, where the host can read those (a laptop): ``files`` and
    ``files_complete`` (false when the search stopped at its bounds or passed a file over). Called
    after the change is made and told: a failed search answers without the files."""
    gone = [c["name"] for c in columns["removed"]] + [c["name"] for c in columns["retyped"]]
    if not gone:
        return
    try:
        found = await handler.host.files_using(handler, dataset, gone)
    except Exception:  # the change is made: a failed search only leaves the files unnamed
        handler.api_log.warning("livegraphs: could not look through chart files", exc_info=True)
        return
    if found is None:
        return
    uses["files"], uses["files_complete"] = found["files"], found["complete"]
    if found["complete"] and "note" in columns:
        columns["note"] = None  # every file was looked through: the note that they were not goes


class DatasetUpload(UploadBody, LiveGraphsHandler):
    """A route whose body is a data file, streamed to disk under the upload limit."""

    def upload_limit(self) -> int:
        return self.host.max_upload_bytes

    async def may_upload(self, refused: str) -> bool:
        """Authorize a POST before a single body byte is read; False for other methods.

        In post() the check would come after the whole stream. ``refused`` is the 403's message.
        """
        await super().prepare()
        if self.request.method != "POST" or self._finished:
            return False
        if not self.current_user:
            raise HTTPError(403, "Send a token or log in", reason="Forbidden")
        if not await allowed(self, "write", AUTH_RESOURCE):
            raise HTTPError(403, refused, reason="Forbidden")
        bad_values_choice(self.get_argument("bad_values", None))
        return True


@web.stream_request_body
class DatasetsHandler(DatasetUpload):
    """``GET datasets[?owner=&name=]`` lists what the caller may read; ``POST datasets?name=`` uploads.

    ``bad_values`` (``text`` or ``null``) says what becomes of values that break their column's type.
    An upload's body is streamed straight to disk.
    """

    async def prepare(self) -> None:  # type: ignore[override]
        if await self.may_upload("You may not upload datasets"):
            self.start_upload(self.guarded.store.staging_path)

    @web.authenticated
    @authorized
    async def get(self) -> None:
        datasets = await self.run(
            self.guarded.list_datasets,
            self.principal,
            owner=self.get_argument("owner", None) or None,
            name=self.get_argument("name", None) or None,
        )
        self.write_json({"datasets": datasets})

    @web.authenticated
    @authorized
    async def post(self) -> None:
        src = self.take_upload()
        dataset = await self.run(
            self.guarded.create_from_file,
            self.principal,
            src,
            name=self.get_argument("name", None),
            content_type=self.request.headers.get("Content-Type"),
            filename=self.get_argument("filename", None),
            cancel=self._cancel,
            heavy=True,
            bad_values=bad_values_choice(self.get_argument("bad_values", None)),
        )
        self.host.uploaded(self._received)
        self.host.notify(self, "created", dataset)
        self.set_header("Location", self.host.api_url("datasets", dataset["id"]))
        self.write_json(dataset, status=201)


@web.stream_request_body
class DataHandler(DatasetUpload):
    """``POST datasets/{id}/data?mode=append|replace``: new data for a dataset, as new versions.

    The raw file is the body, streamed to disk as an upload's. ``replay`` (default true)
    applies the dataset's cleaning recipe again; ``base_version`` refuses the change (409)
    if the dataset moved on; ``onto_version`` takes an earlier version's data as the data
    before (undoing what followed it in the same step); ``filename`` and ``bad_values`` as
    for an upload. Owners and editors only: a viewer gets 403 before a body byte is read.
    """

    async def prepare(self) -> None:  # type: ignore[override]
        if not await self.may_upload("You may not change datasets"):
            return
        self.new_data_args()
        await self.run(self.guarded.require, self.principal, self.path_kwargs["dataset_id"], "write")
        self.start_upload(self.guarded.store.staging_path, named=False)

    @web.authenticated
    @authorized
    async def post(self, dataset_id: str) -> None:
        mode, replay, base, onto = self.new_data_args()
        src = self.take_upload()
        dataset = await self.run(
            self.guarded.new_data,
            self.principal,
            dataset_id,
            src,
            mode=mode,
            replay=replay,
            base_version=base,
            onto_version=onto,
            content_type=self.request.headers.get("Content-Type"),
            filename=self.get_argument("filename", None),
            cancel=self._cancel,
            bad_values=bad_values_choice(self.get_argument("bad_values", None)),
            heavy=True,
        )
        self.host.uploaded(self._received)
        self.host.notify(self, "changed", dataset)
        await with_files(self, dataset, dataset["changes"], dataset["changes"]["charts"])
        self.write_json(dataset, status=201)


class CompareHandler(LiveGraphsHandler):
    """``GET datasets/{id}/compare?to=&from=``: rows added and removed, columns added, removed, retyped.

    ``to`` defaults to the current version, ``from`` to the version ``to`` was made from.
    """

    @web.authenticated
    @authorized
    async def get(self, dataset_id: str) -> None:
        to, since = self.compare_args()
        out = await self.run_query(self.guarded.compare, self.principal, dataset_id, to, since)
        if out["columns"]["removed"] or out["columns"]["retyped"]:
            dataset = await self.run(self.guarded.get, self.principal, dataset_id)
            await with_files(self, dataset, out["columns"], out["charts"])
        self.write_json(out)


class ResolveHandler(LiveGraphsHandler):
    """``GET datasets/resolve?name=``: the dataset a name means to the caller (``owner/name`` or bare).

    A bare name is the caller's own dataset, else the one shared with them; 409 listing the
    ``owner/name`` choices when several owners share one by that name.
    """

    @web.authenticated
    @authorized
    async def get(self) -> None:
        name = self.get_argument("name", None)
        if not name:
            raise HTTPError(400, "Name a dataset: ?name=name or ?name=owner/name", reason="Bad argument")
        self.write_json(await self.run(self.guarded.find, self.principal, name))


class DatasetHandler(LiveGraphsHandler):
    """One dataset: read (anyone it is shared with), rename (editors), delete (owner, admins)."""

    @web.authenticated
    @authorized
    async def get(self, dataset_id: str) -> None:
        self.write_json(await self.run(self.guarded.get, self.principal, dataset_id))

    @web.authenticated
    @authorized
    async def patch(self, dataset_id: str) -> None:
        name = self.new_name()
        dataset = await self.run(self.guarded.rename, self.principal, dataset_id, name)
        self.host.notify(self, "changed", dataset)
        self.write_json(dataset)

    @web.authenticated
    @authorized
    async def delete(self, dataset_id: str) -> None:
        await self.run(self.guarded.delete, self.principal, dataset_id, heavy=True)
        self.host.notify(self, "deleted", dataset_id)
        self.write_no_content()


class RowsHandler(LiveGraphsHandler):
    @web.authenticated
    @authorized
    async def get(self, dataset_id: str) -> None:
        args = self.rows_args()
        self.write_json(await self.run_query(self.guarded.rows, self.principal, dataset_id, **args))


class SearchHandler(LiveGraphsHandler):
    """``GET datasets/search?q=&rows=``: the datasets the caller may read whose name, a column's
    name or a row matches ``q``, grouped by dataset (``rows``: matching rows shown per dataset)."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        q = self.get_argument("q", None)
        if not q or not q.strip():
            raise HTTPError(400, "Say what to search for: ?q=words", reason="Bad search")
        rows = self.int_arg("rows", 5)
        self.write_json(await self.run_query(self.guarded.search, self.principal, q, rows=rows))


class VersionsHandler(LiveGraphsHandler):
    @web.authenticated
    @authorized
    async def get(self, dataset_id: str) -> None:
        self.write_json({"versions": await self.run(self.guarded.versions, self.principal, dataset_id)})


class VersionHandler(LiveGraphsHandler):
    @web.authenticated
    @authorized
    async def get(self, dataset_id: str, number: str) -> None:
        self.write_json(await self.run(self.guarded.version, self.principal, dataset_id, int(number)))


class RevertHandler(LiveGraphsHandler):
    @web.authenticated
    @authorized
    async def post(self, dataset_id: str) -> None:
        version = self.revert_version()
        dataset = await self.run(self.guarded.revert, self.principal, dataset_id, version)
        self.host.notify(self, "changed", dataset)
        self.write_json(dataset, status=201)


class TransformsHandler(LiveGraphsHandler):
    """``POST {"step": {...}, "base_version": N}``: apply one cleaning step as a new version."""

    @web.authenticated
    @authorized
    async def post(self, dataset_id: str) -> None:
        step, base = self.step_body()
        result = await self.run(
            self.guarded.apply_step, self.principal, dataset_id, step, base_version=base, heavy=True
        )
        self.host.notify(self, "changed", result)
        self.write_json(result, status=201)


class RecipeHandler(LiveGraphsHandler):
    """The steps behind a version, as JSON or as pandas code (``?format=python``)."""

    @web.authenticated
    @authorized
    async def get(self, dataset_id: str) -> None:
        version, fmt = self.recipe_args()
        if fmt == "python":
            code = await self.run(self.guarded.recipe_code, self.principal, dataset_id, version)
            self.write_json({"code": code})
        else:
            steps = await self.run(self.guarded.recipe, self.principal, dataset_id, version)
            self.write_json({"steps": steps})


class ExportHandler(LiveGraphsHandler):
    """Download a version as CSV, Parquet or JSON; always an attachment, never rendered."""

    @web.authenticated
    @authorized
    async def get(self, dataset_id: str) -> None:
        fmt, version, purpose = self.export_args()
        export = await self.run(
            self.guarded.export, self.principal, dataset_id, fmt, version, purpose, heavy=True
        )
        await self.send_export(export)


class ProfileHandler(LiveGraphsHandler):
    """``GET profile?column=NAME&version=``: one column's counts, range and histogram or top values."""

    @web.authenticated
    @authorized
    async def get(self, dataset_id: str) -> None:
        column, version = self.column_arg(), self.int_arg("version")
        self.write_json(
            await self.run_query(self.guarded.profile, self.principal, dataset_id, column, version)
        )


class FormulaHandler(LiveGraphsHandler):
    """``GET formula``: what an editor may complete; ``POST formula {"formula"}``: check one (readers)."""

    @web.authenticated
    @authorized
    async def get(self, dataset_id: str) -> None:
        version = self.int_arg("version")
        items = await self.run(self.guarded.formula_completions, self.principal, dataset_id, version)
        self.write_json({"completions": items})

    @web.authenticated
    @authorized
    async def post(self, dataset_id: str) -> None:
        formula, version = self.formula_body()
        self.write_json(
            await self.run(self.guarded.check_formula, self.principal, dataset_id, formula, version)
        )


class ImportHandler(LiveGraphsHandler):
    """``POST datasets/import {"path", "name", "bad_values"?}``: a file of the file browser becomes a dataset.

    With ``{"path", "dataset": id, "mode": "append"|"replace", "replay"?}`` the file is new data
    for that dataset instead (as ``POST datasets/{id}/data``).

    The server copies the file itself, so a big file never passes through the browser. The host
    finds the file (on a hub the service cannot: the user's own server answers this route).
    """

    _cancel: threading.Event | None = None

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body()
        bad_values = bad_values_choice(body.get("bad_values"))
        target = import_target(body)
        source, name = await self.host.import_file(self, body)
        if target is not None:
            await self.run(self.guarded.require, self.principal, target.dataset, "write")
        staged = self.guarded.store.staging_path()
        self._cancel = threading.Event()
        try:
            await self.run(shutil.copyfile, source, staged, heavy=True)
        except BaseException:
            remove_quietly(staged)
            raise
        if target is not None:
            changed = await self.run(
                self.guarded.new_data,
                self.principal,
                target.dataset,
                staged,
                mode=target.mode,
                replay=target.replay,
                filename=source.name,
                cancel=self._cancel,
                bad_values=bad_values,
                heavy=True,
            )
            self.host.notify(self, "changed", changed)
            await with_files(self, changed, changed["changes"], changed["changes"]["charts"])
            self.write_json(changed, status=201)
            return
        dataset = await self.run(
            self.guarded.create_from_file,
            self.principal,
            staged,
            name=name,
            filename=source.name,
            cancel=self._cancel,
            heavy=True,
            bad_values=bad_values,
        )
        self.host.notify(self, "created", dataset)
        self.set_header("Location", self.host.api_url("datasets", dataset["id"]))
        self.write_json(dataset, status=201)

    def on_connection_close(self) -> None:
        if self._cancel is not None:
            self._cancel.set()


#: (path under the API root, handler): the dataset routes, served by both hosts.
ROUTES: list[tuple[str, type]] = [
    (r"datasets", DatasetsHandler),
    (rf"datasets/{DATASET_ID}", DatasetHandler),
    (rf"datasets/{DATASET_ID}/rows", RowsHandler),
    (rf"datasets/{DATASET_ID}/versions", VersionsHandler),
    (rf"datasets/{DATASET_ID}/versions/(?P<number>[0-9]{{1,9}})", VersionHandler),
    (rf"datasets/{DATASET_ID}/revert", RevertHandler),
    (rf"datasets/{DATASET_ID}/data", DataHandler),
    (rf"datasets/{DATASET_ID}/compare", CompareHandler),
    (rf"datasets/{DATASET_ID}/transforms", TransformsHandler),
    (rf"datasets/{DATASET_ID}/recipe", RecipeHandler),
    (rf"datasets/{DATASET_ID}/export", ExportHandler),
    (r"datasets/import", ImportHandler),
    (r"datasets/resolve", ResolveHandler),
    (r"datasets/search", SearchHandler),
    (rf"datasets/{DATASET_ID}/profile", ProfileHandler),
    (rf"datasets/{DATASET_ID}/formula", FormulaHandler),
]
