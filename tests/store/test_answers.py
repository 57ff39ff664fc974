"""Answers computed once: kept by key and bounded, and one computation for concurrent askers."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from livegraphs_ext.store.answers import SharedAnswers


def test_concurrent_askers_of_one_key_share_one_computation():
    answers = SharedAnswers()
    release, calls = threading.Event(), []

    def compute() -> bytes:
        calls.append(1)
        release.wait(10)
        return b"answer"

    # Given eight askers of one key while its first computation is still running
    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(answers.get, "k", compute) for _ in range(8)]
        time.sleep(0.2)  # let them all ask (a late one is answered from what is kept: still one)
        release.set()
        got = [f.result(10) for f in futures]
    # Then it ran once and everyone has its bytes
    assert got == [b"answer"] * 8
    assert calls == [1] and answers.computed == 1
    assert answers.get("k", lambda: b"other") == b"answer"
    assert answers.kept("k") == b"answer" and answers.kept("other") is None


def test_a_failed_computation_is_not_kept_and_its_waiters_compute_again():
    answers = SharedAnswers()
    started, release = threading.Event(), threading.Event()

    def fails() -> bytes:
        started.set()
        release.wait(10)
        raise RuntimeError("the first asker's query was stopped")

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(answers.get, "k", fails)
        started.wait(10)
        second = pool.submit(answers.get, "k", lambda: b"ok")
        time.sleep(0.1)
        release.set()
        with pytest.raises(RuntimeError):
            first.result(10)
        assert second.result(10) == b"ok"
    assert answers.get("k", lambda: b"other") == b"ok"


def test_answers_are_bounded_by_their_bytes_least_recently_used_out_first():
    answers = SharedAnswers(max_bytes=10)
    answers.get("a", lambda: b"aaaa")
    answers.get("b", lambda: b"bbbb")
    answers.get("a", lambda: b"none")  # a is used again: b is the oldest
    answers.get("c", lambda: b"cccc")  # over 10 bytes: b goes
    assert answers.get("a", lambda: b"none") == b"aaaa"
    assert answers.get("b", lambda: b"new!") == b"new!"
    # an answer bigger than the bound is given but not kept
    assert answers.get("big", lambda: b"x" * 11) == b"x" * 11
    assert answers.get("big", lambda: b"y") == b"y"
