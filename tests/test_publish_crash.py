"""A publish killed at random moments (a real process, SIGKILL) and run again: it completes, writes no
key twice, and at no moment does ``current.json`` name a release whose files are not all there."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import run_cli, write_project
from test_publish import S3Server, keys_of, published, release_of, s3  # noqa: F401 - s3 is the server fixture

pytestmark = [pytest.mark.server, pytest.mark.slow]
FILES = 100  # x3 with the .gz and .br copies: long enough to be killed in the middle


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    files = {f"css/part{n:03}.css": f".part{n} {{ color: #{n:06x}; }}\n" * 60 for n in range(FILES)}
    root = write_project(tmp_path_factory.mktemp("crash") / "site", files)
    built = run_cli("build", cwd=root)
    assert built.returncode == 0, built.stderr
    return root


def pointer_is_complete(server: S3Server, bucket: str, stored: dict) -> bool:
    """A reader's view: if current.json is there, every key of the release it names is there too."""
    if "static/current.json" not in stored:
        return True
    client = server.client()
    pointer = json.loads(client.get_object(Bucket=bucket, Key="static/current.json")["Body"].read())
    manifest = json.loads(client.get_object(Bucket=bucket, Key=f"static/{pointer['manifest']}")["Body"].read())
    needed = {entry["file"] for entry in manifest["assets"].values()}
    needed |= {file for entry in manifest["assets"].values() for file in entry["encodings"].values()}
    return {f"static/{rel}" for rel in needed} <= set(stored)


def test_killed_at_random_moments_then_run_again_it_completes_writing_nothing_twice(s3, site) -> None:  # noqa: F811
    expected = keys_of(release_of(site)) | {"static/current.json"}
    started = time.monotonic()
    published(s3, site, s3.bucket(), "--jobs", "4")
    whole = time.monotonic() - started
    print(f"a whole publish of {len(expected)} keys: {whole:.2f} s")
    rng = random.Random(15)
    partial = 0
    for attempt in range(6):
        bucket = s3.bucket()
        process = subprocess.Popen(
            [sys.executable, "-m", "assetbuild", "publish", "--to", f"s3://{bucket}/static", "--endpoint-url",
             s3.url, "--jobs", "4"], cwd=site, env={**os.environ, **s3.env},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if attempt % 2:  # a moment after the uploads began, however loaded the machine is
            while not s3.objects(bucket) and process.poll() is None:
                time.sleep(0.05)
            time.sleep(rng.uniform(0, whole / 3))
        else:  # any moment: starting up, listing, uploading, writing the pointer, or done
            time.sleep(rng.uniform(0.3, whole))
        process.send_signal(signal.SIGKILL)
        process.wait()
        time.sleep(0.3)  # requests the server had fully received are answered
        before = s3.objects(bucket)
        assert pointer_is_complete(s3, bucket, before)
        partial += 0 < len(before) < len(expected)

        resumed = published(s3, site, bucket, "--jobs", "4")
        after = s3.objects(bucket)
        left = {key for key in after if key.startswith("static/markers/")}
        assert len(left) <= 1, "at most the killed run's marker stays (a gc deletes it once it is old)"
        assert set(after) - left == expected
        assert pointer_is_complete(s3, bucket, after)
        assert {f"static/{rel}" for rel in resumed["uploaded"]} == expected - set(before)
        assert resumed["already_there"] == []
        assert {key: after[key] for key in before} == before, "no key written twice"
    assert partial >= 2, f"kills landed in the middle of the uploads ({whole:.2f} s for a whole publish)"


def test_ctrl_c_stops_the_uploads_under_way_and_writes_no_pointer(s3, site) -> None:  # noqa: F811
    expected = keys_of(release_of(site)) | {"static/current.json"}
    bucket = s3.bucket()
    process = subprocess.Popen(
        [sys.executable, "-m", "assetbuild", "publish", "--to", f"s3://{bucket}/static", "--endpoint-url",
         s3.url, "--jobs", "2"], cwd=site, env={**os.environ, **s3.env},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    while not s3.objects(bucket):  # the uploads have begun
        assert process.poll() is None
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    time.sleep(0.3)
    stored = set(s3.objects(bucket))
    assert (process.returncode, stderr) == (130, "")
    assert "static/current.json" not in stored
    assert len(stored) < len(expected) - 20, "the queued uploads were dropped, not finished"
    resumed = published(s3, site, bucket)
    assert set(s3.objects(bucket)) == expected and resumed["already_there"] == []
