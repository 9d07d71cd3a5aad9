"""The events protocol of development mode, as bytes: what a page is sent, and from which state."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from assetbuild.dev import FIRST_CHUNK, State, inject, since_from_query, stream


@pytest.fixture
def output(tmp_path: Path) -> Path:
    """An output folder whose `current` moved from release A to B in watch round 5."""
    for name in ("A", "B"):
        (tmp_path / "releases" / name).mkdir(parents=True)
    os.symlink("releases/B", tmp_path / "current")
    (tmp_path / "watch.json").write_text(json.dumps({"generation": 5, "ok": True, "errors": []}))
    return tmp_path


def test_a_sync_worker_gets_one_look_ending_with_the_id_to_resume_from(output: Path) -> None:
    first = b"".join(stream(output, since_from_query("release=A&generation=4&ok=1", output), "/static/", once=True))
    assert first == FIRST_CHUNK + b"event: reload\ndata: {}\n\nid: B 5 1\n\n"  # A was no stylesheet-only change
    # The browser asks again with the same URL and Last-Event-ID: nothing new, nothing sent twice.
    again = since_from_query("release=A&generation=4&ok=1", output, last_event_id="B 5 1")
    assert b"".join(stream(output, again, "/static/", once=True)) == FIRST_CHUNK


@pytest.mark.parametrize(("query", "last_event_id", "expected"), [
    ("release=A&generation=4&ok=1", "", State("A", 4, True, ())),
    ("release=A&generation=4&ok=1", "B 5 1", State("B", 5, True, ())),
    ("release=A&generation=4&ok=1", "garbage", State("A", 4, True, ())),
    ("", "", State("B", 5, True, ())),  # no state given: from now on
    ("release=A&generation=x&ok=1", "", State("B", 5, True, ())),
])
def test_what_the_page_has_seen(output: Path, query: str, last_event_id: str, expected: State) -> None:
    assert since_from_query(query, output, last_event_id) == expected


def test_a_failed_round_is_shown_again_after_another_round(output: Path) -> None:
    (output / "watch.json").write_text(json.dumps({"generation": 6, "ok": False, "errors": ["a.scss:2:1: error: x"]}))
    seen_this_round = since_from_query("release=B&generation=6&ok=0", output)
    assert b"".join(stream(output, seen_this_round, "/static/", once=True)) == FIRST_CHUNK
    seen_an_older_one = since_from_query("release=B&generation=5&ok=0", output)
    sent = b"".join(stream(output, seen_an_older_one, "/static/", once=True))
    assert b'event: error\ndata: {"errors": ["a.scss:2:1: error: x"]}' in sent


@pytest.mark.parametrize(("html", "expected"), [
    (b"<html><head><title>t</title></head><body></body></html>",
     b"<html><head><title>t</title><s data-assetbuild-dev></head><body></body></html>"),
    (b"<p>no head</p></BODY>", b"<p>no head</p><s data-assetbuild-dev></BODY>"),
    (b"<p>fragment</p>", b"<p>fragment</p><s data-assetbuild-dev>"),
    (b"<head><s data-assetbuild-dev></head>", b"<head><s data-assetbuild-dev></head>"),  # a layer nearer the app did
])
def test_the_client_tag_goes_in_once(html: bytes, expected: bytes) -> None:
    assert inject(html, b"<s data-assetbuild-dev>") == expected
