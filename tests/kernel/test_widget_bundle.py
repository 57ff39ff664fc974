"""The widgets' bundle travels once per page: from the server to signed-in users, or from the kernel."""

from __future__ import annotations

import orjson

import livegraphs_ext as lg
from livegraphs_ext.kernel.bundle import BUNDLE, bundle_hash


def test_a_widgets_state_holds_the_loader_and_the_bundles_hash_not_the_bundle():
    state = lg.ChartWidget(None).get_state()

    assert state["_bundle_hash"] == bundle_hash()
    assert len(state["_esm"]) < 4_000
    text = orjson.dumps({k: v for k, v in state.items() if not isinstance(v, bytes)})
    assert len(text) < 20_000 < BUNDLE.stat().st_size


def test_the_kernel_sends_the_bundle_to_a_page_that_asks():
    widget = lg.ChartWidget(None)
    sent: list[tuple[dict[str, object], list[bytes]]] = []
    widget.send = lambda content, buffers=None: sent.append((content, list(buffers or [])))  # type: ignore[method-assign]

    widget._handle_custom_msg({"type": "lg-bundle"}, [])

    assert sent == [({"type": "lg-bundle", "hash": bundle_hash()}, [BUNDLE.read_bytes()])]


async def test_the_server_serves_the_bundle_it_has_by_its_hash(jp_fetch):
    r = await jp_fetch("livegraphs", "static", "widget.js", params={"v": bundle_hash()})

    assert r.code == 200
    assert r.body == BUNDLE.read_bytes()
    assert r.headers["Content-Type"].startswith("text/javascript")
    assert "immutable" in r.headers["Cache-Control"]


async def test_a_server_with_another_bundle_answers_404_so_the_page_asks_the_kernel(jp_fetch):
    r = await jp_fetch("livegraphs", "static", "widget.js", params={"v": "0" * 20}, raise_error=False)

    assert r.code == 404
    assert set(orjson.loads(r.body)) == {"message", "reason", "errors"}


async def test_anonymous_callers_get_no_bundle(jp_fetch):
    r = await jp_fetch(
        "livegraphs",
        "static",
        "widget.js",
        headers={"Authorization": ""},
        raise_error=False,
        follow_redirects=False,
    )

    assert r.code == 403
