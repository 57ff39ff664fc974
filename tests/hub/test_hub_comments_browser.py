"""Comments on a shared chart document on a real hub, in Debian chromium (Playwright): two people, each in
their own browser context on their own server's origin.

ada owns a chart document and shares it with bo as editor. Each sees Edit on their own comments only, and
Delete on their own (ada, the owner, on every comment). bo edits his reply in place; ada sees it change,
marked edited, without reloading.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .hubs import Browser, LiveHub

# the hub, its people (ada, bo, cy) and chromium of the shared-dashboard test, started again for this module
from .test_hub_documents_browser import LIVE_MS, lg_chromium, lg_hub, lg_people, on_server, open_lab

pytestmark = pytest.mark.slow

__all__ = ["lg_chromium", "lg_hub", "lg_people"]


def open_chart(page: Page, *names: str) -> Any:
    """Open a chart document from the LiveGraphs file browser and its comments pane; the pane."""
    page.locator('.jp-SideBar .lm-TabBar-tab[data-id="livegraphs-documents"]').click()
    panel = page.locator("#livegraphs-documents")
    for name in names:
        panel.locator(".jp-DirListing-item", has_text=name).first.dblclick()
    doc = page.locator(".jp-LiveGraphs-ChartDocument")
    expect(doc.locator(".jp-LiveGraphs-RoomStatus")).to_have_attribute(
        "data-status", "connected", timeout=60_000
    )
    doc.get_by_role("button", name="Comments").click()
    return doc.locator(".jp-LiveGraphs-CommentsPane")


def comment(pane: Any, text: str) -> Any:
    return pane.locator(".jp-LiveGraphs-Comment", has=pane.page.get_by_text(text, exact=True))


def test_authors_edit_their_own_comments_and_others_see_it(
    lg_hub: LiveHub, lg_people: dict[str, Browser], lg_chromium: Any
) -> None:
    hub = lg_hub
    ada, bo = (open_lab(lg_chromium, hub, name) for name in ("ada", "bo"))

    # Given ada's chart document, shared with bo as editor, with ada's comment and bo's reply
    title = "Tide chart"
    r = on_server(hub, ada, "ada", "POST", "documents", json={"kind": "chart", "title": title})
    assert r.status_code == 201, r.text
    doc_id = r.json()["id"]
    r = on_server(hub, ada, "ada", "PUT", f"documents/{doc_id}/shares",
                  json={"kind": "user", "name": "bo", "role": "editor"})  # fmt: skip
    assert r.status_code in (200, 201), r.text
    r = on_server(
        hub, ada, "ada", "POST", f"documents/{doc_id}/comments", json={"chart": "", "text": "High at six"}
    )
    assert r.status_code == 201, r.text
    thread = r.json()["id"]
    r = on_server(
        hub, bo, "bo", "POST", f"documents/{doc_id}/comments/{thread}/replies", json={"text": "At five"}
    )
    assert r.status_code == 201, r.text
    reply = r.json()["comments"][1]["id"]

    # When each opens its comments
    ada_pane = open_chart(ada, "My dashboards and charts", f"{title}.lgchart")
    bo_pane = open_chart(bo, "Shared with me", "ada", f"{title}.lgchart")
    for pane in (ada_pane, bo_pane):
        expect(pane.locator(".jp-LiveGraphs-CommentText")).to_have_text(["High at six", "At five"])

    # Then each may edit only their own comment; ada, the owner, may delete both, bo only his
    def buttons(pane: Any, text: str) -> Any:
        return comment(pane, text).locator(".jp-LiveGraphs-CommentActions button")

    expect(buttons(ada_pane, "High at six")).to_have_text(["Edit", "Delete"])
    expect(buttons(ada_pane, "At five")).to_have_text(["Delete"])
    expect(buttons(bo_pane, "High at six")).to_have_count(0)
    expect(buttons(bo_pane, "At five")).to_have_text(["Edit", "Delete"])

    # When bo edits his reply in place
    comment(bo_pane, "At five").get_by_role("button", name="Edit").click()
    bo_pane.get_by_label("Edit comment").fill("At half past five")
    bo_pane.get_by_role("button", name="Save").click()

    # Then ada sees the new text, marked edited, without reloading
    expect(ada_pane.locator(".jp-LiveGraphs-CommentText")).to_have_text(
        ["High at six", "At half past five"], timeout=LIVE_MS
    )
    expect(comment(ada_pane, "At half past five").locator(".jp-LiveGraphs-CommentEdited")).to_have_text(
        "edited"
    )
    # and the server refuses ada's edit of bo's comment, whatever a script sends
    r = on_server(
        hub, ada, "ada", "PATCH", f"documents/{doc_id}/comments/{thread}/{reply}", json={"text": "No"}
    )
    assert r.status_code == 403, r.text
