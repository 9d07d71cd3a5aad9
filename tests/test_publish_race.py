"""A garbage collection racing a publish to the same prefix, on a real S3 server, in the two orders that
lost keys before the markers (assetbuild.publish.markers): the gc running inside the publish's upload
window, and a gc that listed before the publish began but deletes while it runs. Either way the release
the pointer names must have every key."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import run_cli
from test_publish import PNG, S3Server, publish, published, release_of, s3, small_site  # noqa: F401 - s3: fixture
from test_publish_crash import pointer_is_complete

from assetbuild.publish import Store, collect_garbage, parse_target
from assetbuild.publish import publish as publish_in_process

pytestmark = pytest.mark.server


def build(site: Path, image: bytes, script: str) -> None:
    (site / "static_src/img/a.png").write_bytes(image)
    (site / "static_src/js/other.js").write_text(script)
    built = run_cli("build", cwd=site)
    assert built.returncode == 0, built.stderr


def releases_a_b_then_c_built(server: S3Server, root: Path, bucket: str) -> tuple[Path, set[str]]:
    """A and B published (B newer, live); C built, not published: C reuses A's image and stylesheet,
    which B does not use, so `--gc --keep 1 --grace 0` takes them unless it knows about C."""
    site = small_site(root)  # A: PNG, the first script
    published(server, site, bucket)
    a_keys = set(server.objects(bucket, "static/img/")) | set(server.objects(bucket, "static/css/"))
    time.sleep(1.05 - time.time() % 1)  # S3 times uploads to the second: B is the newest manifest
    build(site, PNG + b"B", "console.log('unrelated');\n" * 40)
    published(server, site, bucket)
    build(site, PNG, "console.log('C');\n" * 40)  # A's image again, so A's stylesheet too
    reused = {key.removeprefix("static/") for key in a_keys}
    return site, reused


def complete(server: S3Server, bucket: str) -> bool:
    return pointer_is_complete(server, bucket, server.objects(bucket))


def test_a_gc_run_during_the_uploads_keeps_what_the_publish_reuses(s3, tmp_path: Path) -> None:  # noqa: F811
    bucket = s3.bucket()
    site, reused = releases_a_b_then_c_built(s3, tmp_path / "site", bucket)
    gc_runs: list[dict] = []

    def gc_once(stage: str, done: int, total: int) -> None:  # the publish has listed, and is uploading
        if not gc_runs:
            result = publish(s3, site, bucket, "--gc", "--keep", "1", "--grace", "0", "--json")
            assert result.returncode == 0, result.stderr
            gc_runs.append(json.loads(result.stdout))

    report = publish_in_process(release_of(site), Store(parse_target(f"s3://{bucket}/static"), s3.url),
                                progress=gc_once)
    assert gc_runs, "the gc ran between the publish's listing and its manifest"
    assert not reused & set(report.uploaded), "the publish found A's image and stylesheet, and reused them"
    assert complete(s3, bucket), "the live release has every key"
    gc = gc_runs[0]
    assert gc["publishing"] == [report.release], "the gc saw the publish under way"
    assert not reused & set(gc["deleted"])
    assert any(rel.endswith("/manifest.json") for rel in gc["deleted"]), "A's manifest went (it is not kept)"
    assert not s3.objects(bucket, "static/markers/"), "both markers are gone"


class PausedBeforeDeleting(Store):
    """A real store whose first deletion of anything but a marker waits for ``go``: a gc held between its
    listing and its deletions."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.go, self.paused = threading.Event(), threading.Event()

    def delete(self, rels: Iterable[str]) -> None:
        rels = list(rels)
        if any(not rel.startswith("markers/") for rel in rels) and not self.paused.is_set():
            self.paused.set()
            assert self.go.wait(60)
        super().delete(rels)


def test_a_gc_that_listed_before_the_publish_began_is_waited_for(s3, tmp_path: Path) -> None:  # noqa: F811
    bucket = s3.bucket()
    site, reused = releases_a_b_then_c_built(s3, tmp_path / "site", bucket)
    target = parse_target(f"s3://{bucket}/static")
    held = PausedBeforeDeleting(target, s3.url)
    gc_done: list = []
    gc = threading.Thread(target=lambda: gc_done.append(collect_garbage(held, keep=1, grace=timedelta(0))))
    gc.start()
    assert held.paused.wait(30), "the gc has listed and is about to delete"
    said: list[str] = []

    def told(line: str) -> None:
        said.append(line)
        held.go.set()  # the publish waits for the gc: let it delete now

    report = publish_in_process(release_of(site), Store(target, s3.url), say=told)
    held.go.set()
    gc.join(60)
    assert gc_done and reused <= set(gc_done[0].deleted), "the gc deleted what only A used"
    assert complete(s3, bucket), "the live release has every key"
    assert reused <= set(report.uploaded), "the publish listed after the gc, and uploaded them again"
    assert len(said) == 1 and said[0].startswith(f"waiting for a garbage collection of s3://{bucket}/static/ ")


class Recording(Store):
    """A real store that remembers each batch of deletions, in order."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.batches: list[list[str]] = []

    def delete(self, rels: Iterable[str]) -> None:
        rels = list(rels)
        self.batches.append(rels)
        super().delete(rels)


def test_gc_deletes_manifests_before_their_files_and_expires_a_killed_publishs_marker(s3, tmp_path) -> None:  # noqa: F811
    """A manifest in the bucket must always have all its files (a re-publish trusts it without listing),
    even when a gc is killed between two deletions; a marker a killed publish left keeps its keys a day."""
    bucket = s3.bucket()
    site, reused = releases_a_b_then_c_built(s3, tmp_path / "site", bucket)
    manifest = (release_of(site) / "manifest.json").read_bytes()
    marker = "static/markers/publish-0123456789abcdef-0123456789abcdef.json"  # as a killed publish of C leaves
    s3.client().put_object(Bucket=bucket, Key=marker, Body=manifest)
    store = Recording(parse_target(f"s3://{bucket}/static"), s3.url)
    kept = collect_garbage(store, keep=1, grace=timedelta(0), dry_run=True)
    assert kept.publishing == ["0123456789abcdef"] and not reused & set(kept.deleted)
    assert [rel for rel in kept.deleted if not rel.endswith("/manifest.json")] == [], "only A's manifest would go"
    later = datetime.now(UTC) + timedelta(days=1, minutes=1)
    gone = collect_garbage(store, keep=1, grace=timedelta(0), now=later)
    assert gone.publishing == [] and reused | {marker.removeprefix("static/")} <= set(gone.deleted)
    deletions = [batch for batch in store.batches if not all(rel.startswith("markers/gc-") for rel in batch)]
    assert deletions == [kept.deleted, sorted(set(gone.deleted) - set(kept.deleted))], "manifests first"
    assert not set(s3.objects(bucket)) & {f"static/{rel}" for rel in gone.deleted}


def test_a_release_whose_manifest_gc_deleted_is_published_again_in_full(s3, tmp_path: Path) -> None:  # noqa: F811
    """Rolling back to a release that gc collected: no manifest, so no shortcut; its files go up again."""
    bucket = s3.bucket()
    site = small_site(tmp_path / "site")
    old_release = release_of(site)
    first = published(s3, site, bucket)
    time.sleep(1.05 - time.time() % 1)
    build(site, PNG + b"B", "console.log('unrelated');\n" * 40)
    published(s3, site, bucket)
    collected = publish(s3, site, bucket, "--gc", "--keep", "1", "--grace", "0", "--json")
    gone = set(json.loads(collected.stdout)["deleted"])
    assert f"releases/{first['release']}/manifest.json" in gone and len(gone) > 1
    back = published(s3, site, bucket, str(old_release))
    assert back["requests"]["ListObjectsV2"] >= 2, "the full listing, after the look for a running gc"
    assert set(back["uploaded"]) == gone | {"current.json"}
    assert complete(s3, bucket)


def test_a_gc_past_its_deadline_stops_before_the_next_batch_and_removes_its_marker(s3, tmp_path, monkeypatch) -> None:  # noqa: F811
    """Past GC_DEADLINE a publish could take the gc's marker for a killed gc's: no batch starts then."""
    import assetbuild.publish.gc as gc_module
    from assetbuild.errors import ConfigError

    bucket = s3.bucket()
    site, _ = releases_a_b_then_c_built(s3, tmp_path / "site", bucket)
    before = s3.objects(bucket)
    monkeypatch.setattr(gc_module, "GC_DEADLINE", timedelta(0))
    with pytest.raises(ConfigError) as stopped:
        collect_garbage(Store(parse_target(f"s3://{bucket}/static"), s3.url), keep=1, grace=timedelta(0))
    assert str(stopped.value) == (f"s3://{bucket}/static/: error: garbage collection stopped after 0 minutes, "
                                  "0 of 2 batches deleted; run it again to finish")
    assert s3.objects(bucket) == before, "nothing deleted, and no marker left"
