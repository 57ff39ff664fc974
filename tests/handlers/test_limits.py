"""Each limit is a setting, enforced with a clear 413/400 and nothing left behind."""

from __future__ import annotations

import gzip

import pytest

from ..conftest import body


@pytest.fixture
def jp_server_config(jp_server_config):
    config = dict(jp_server_config)
    config["LiveGraphsApp"] = {
        **config["LiveGraphsApp"],
        "max_upload_bytes": 4000,
        "max_decompressed_bytes": 20_000,
        "max_columns": 5,
        "max_line_bytes": 200,
    }
    return config


def assert_nothing_kept(lg_data_dir):
    assert list((lg_data_dir / "datasets").iterdir()) == []
    assert list((lg_data_dir / "staging").iterdir()) == []


@pytest.mark.parametrize(
    ("data", "status", "words"),
    [
        (b"a,b\n" + b"1,2\n" * 2000, 413, "limit"),
        (gzip.compress(b"a,b\n" + b"1,2\n" * 10_000), 413, ""),
        (
            b",".join(b"c%d" % i for i in range(10)) + b"\n" + b",".join(b"1" for _ in range(10)) + b"\n",
            400,
            "10",
        ),
        (b"a,b\n" + b"x" * 500 + b",1\n", 413, ""),
    ],
    ids=["upload-bytes", "decompressed-bytes", "columns", "line-length"],
)
async def test_limits_answer_4xx_and_keep_nothing(lg_api, lg_data_dir, data, status, words):
    r = await lg_api("POST", "datasets", body=data, params={"name": "big"})
    assert r.code == status, r.body
    payload = body(r)
    assert set(payload) == {"message", "reason", "errors"}
    assert words in payload["message"]
    assert_nothing_kept(lg_data_dir)
    assert body(await lg_api("GET", "datasets"))["datasets"] == []


async def test_within_the_limits_uploads_work(lg_upload):
    ds = await lg_upload("small", "a,b\n1,2\n3,4\n")
    assert ds["rows"] == 2
