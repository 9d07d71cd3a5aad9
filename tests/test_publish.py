"""`assetbuild publish` against a real S3 server (moto's server mode on 127.0.0.1): what lands in the
bucket, with which headers, how few requests a re-publish makes, what one changed file uploads,
garbage collection with keep and grace, and one clear line for every mistake."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import release_tree, run_cli, write_project

pytestmark = pytest.mark.server
S3_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
          "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
IMMUTABLE = "public, max-age=31536000, immutable"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


class S3Server:
    """moto's S3 server, a real HTTP process on 127.0.0.1 that enforces ``If-None-Match: *`` (412)."""

    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", "0"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                        env={**os.environ, **S3_ENV})
        for line in self.process.stderr:
            found = re.search(r"Running on (http://127\.0\.0\.1:\d+)", line)
            if found:
                self.url = found.group(1)
                break
        else:
            raise RuntimeError("moto server did not start")
        self._drain = threading.Thread(target=self.process.stderr.read, daemon=True)
        self._drain.start()  # its request log must not fill the pipe
        self.env = {**S3_ENV}
        os.environ.update(S3_ENV)  # boto3 in this process (in-process tests) sees the same dummy credentials

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.url, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def bucket(self, public: bool = False) -> str:
        """A new, empty bucket; ``public`` lets anyone GET its objects, from any origin (as a CDN origin)."""
        name = f"assets-{uuid.uuid4().hex[:12]}"
        s3 = self.client()
        s3.create_bucket(Bucket=name)
        if public:
            read = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{name}/*"}
            s3.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [read]}))
            s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": [
                {"AllowedOrigins": ["*"], "AllowedMethods": ["GET", "HEAD"], "AllowedHeaders": ["*"]}]})
        return name

    def objects(self, bucket: str, prefix: str = "") -> dict[str, dict]:
        """Key -> LastModified, for every key under ``prefix``."""
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return {item["Key"]: item["LastModified"] for page in pages for item in page.get("Contents", ())}

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self._drain.join(timeout=10)
        self.process.stderr.close()


@pytest.fixture(scope="module")
def s3():
    server = S3Server()
    yield server
    server.stop()


def publish(s3: S3Server, site: Path, bucket: str, *extra: str, prefix: str = "static") -> subprocess.CompletedProcess:
    return run_cli("publish", "--to", f"s3://{bucket}/{prefix}", "--endpoint-url", s3.url, *extra, cwd=site,
                   env=s3.env)


def published(s3: S3Server, site: Path, bucket: str, *extra: str, prefix: str = "static") -> dict:
    result = publish(s3, site, bucket, "--json", *extra, prefix=prefix)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def small_site(root: Path, image: bytes = PNG) -> Path:
    """A stylesheet reaching an image, a script reaching nothing: a change to the image renames the CSS only."""
    site = write_project(root, {
        "css/site.css": "body { background: url(../img/a.png); }\n" + ".rule { color: #123456; }\n" * 40,
        "img/a.png": image,
        "js/other.js": "console.log('unrelated');\n" * 40,
    })
    built = run_cli("build", cwd=site)
    assert built.returncode == 0, built.stderr
    return site


def release_of(site: Path) -> Path:
    return (site / "dist/current").resolve()


def test_every_file_and_copy_lands_with_its_headers_then_the_manifest_and_the_pointer(s3, built_demo) -> None:
    bucket = s3.bucket()
    report = published(s3, built_demo, bucket)
    release = release_of(built_demo)
    files = release_tree(release)
    manifest = json.loads(files.pop("manifest.json"))
    expected = {f"static/{rel}" for rel in files} | {
        f"static/releases/{manifest['release']}/manifest.json", "static/current.json"}
    assert set(s3.objects(bucket)) == expected
    assert report["uploaded_bytes"] > 0 and len(report["uploaded"]) == len(expected)
    assert report["pointer"] == "written" and report["already_there"] == []

    types = {}
    for entry in manifest["assets"].values():
        kind = entry["type"] + ("; charset=utf-8" if entry["type"].startswith("text/") else "")
        types[entry["file"]] = (kind, None)
        types.update({file: (kind, encoding) for encoding, file in entry["encodings"].items()})
    assert set(types) == set(files)
    client = s3.client()
    encodings_seen = set()
    for rel, data in files.items():
        got = client.get_object(Bucket=bucket, Key=f"static/{rel}")
        kind, encoding = types[rel]
        assert got["Body"].read() == data, rel
        assert (got["ContentType"], got["CacheControl"], got.get("ContentEncoding")) == (kind, IMMUTABLE, encoding)
        encodings_seen.add(encoding)
    assert encodings_seen == {None, "gzip", "br"}

    stored = client.get_object(Bucket=bucket, Key=f"static/releases/{manifest['release']}/manifest.json")
    assert stored["Body"].read() == (release / "manifest.json").read_bytes()
    assert (stored["ContentType"], stored["CacheControl"]) == ("application/json", IMMUTABLE)
    pointer = client.get_object(Bucket=bucket, Key="static/current.json")
    assert (pointer["ContentType"], pointer["CacheControl"]) == ("application/json", "no-cache")
    assert json.loads(pointer["Body"].read()) == {
        "manifest": f"releases/{manifest['release']}/manifest.json", "release": manifest["release"], "version": 1}


def test_republishing_an_unchanged_release_reads_the_pointer_and_its_manifest_only(s3, built_demo) -> None:
    bucket = s3.bucket()
    published(s3, built_demo, bucket)
    before = s3.objects(bucket)
    again = published(s3, built_demo, bucket)
    assert again["requests"] == {"GetObject": 1, "HeadObject": 1}, "no listing: the manifest proves its files"
    assert (again["uploaded"], again["pointer"], again["present"]) == ([], "unchanged", again["objects"])
    assert s3.objects(bucket) == before, "no key rewritten"
    text = publish(s3, built_demo, bucket)
    assert text.returncode == 0 and "uploaded 0 objects" in text.stdout and "current.json unchanged" in text.stdout


def test_one_changed_file_uploads_it_what_it_renames_the_manifest_and_the_pointer(s3, tmp_path) -> None:
    site = small_site(tmp_path / "site")
    bucket = s3.bucket()
    first = published(s3, site, bucket)
    old = set(s3.objects(bucket))
    (site / "static_src/img/a.png").write_bytes(PNG + b"changed")
    assert run_cli("build", cwd=site).returncode == 0
    second = published(s3, site, bucket)
    uploaded = sorted(second["uploaded"])
    hashed = r"[0-9a-f]{12}"
    patterns = [rf"css/site\.{hashed}\.css", rf"css/site\.{hashed}\.css\.br", rf"css/site\.{hashed}\.css\.gz",
                r"current\.json", rf"img/a\.{hashed}\.png", rf"releases/{second['release']}/manifest\.json"]
    assert len(uploaded) == len(patterns), uploaded
    assert all(re.fullmatch(p, k) for p, k in zip(patterns, uploaded, strict=True)), uploaded
    assert second["release"] != first["release"]
    # HEAD: is the manifest there? The marker (a PUT, then a DeleteObjects), a look for a running gc, the listing.
    assert second["requests"] == {"DeleteObjects": 1, "HeadObject": 1, "ListObjectsV2": 2, "PutObject": 7}
    assert old < set(s3.objects(bucket)), "the old release's keys stay for pages still using them"
    assert not s3.objects(bucket, "static/markers/"), "the publish's marker is gone once it is done"


def test_republishing_an_older_release_whose_manifest_is_there_writes_the_pointer_only(s3, tmp_path) -> None:
    """A rollback: the manifest in the bucket proves the files, so nothing is listed or uploaded."""
    site = small_site(tmp_path / "site")
    old_release = release_of(site)
    bucket = s3.bucket()
    first = published(s3, site, bucket)
    (site / "static_src/img/a.png").write_bytes(PNG + b"changed")
    assert run_cli("build", cwd=site).returncode == 0
    published(s3, site, bucket)
    before = s3.objects(bucket)
    dry = publish(s3, site, bucket, str(old_release), "--dry-run")
    assert dry.returncode == 0 and dry.stdout.startswith("  would upload current.json\n"), dry.stdout
    back = published(s3, site, bucket, str(old_release))
    assert (back["release"], back["uploaded"], back["pointer"]) == (first["release"], ["current.json"], "written")
    assert back["present"] == back["objects"] == first["objects"]
    assert "ListObjectsV2" not in back["requests"] or back["requests"]["ListObjectsV2"] == 1, "only the gc look"
    after = s3.objects(bucket)
    assert set(after) == set(before) and after["static/current.json"] > before["static/current.json"]
    pointer = json.loads(s3.client().get_object(Bucket=bucket, Key="static/current.json")["Body"].read())
    assert pointer["release"] == first["release"]


def test_dry_run_lists_what_it_would_upload_and_writes_nothing(s3, tmp_path) -> None:
    site = small_site(tmp_path / "site")
    bucket = s3.bucket()
    result = publish(s3, site, bucket, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "would upload static/" not in result.stdout and "  would upload current.json" in result.stdout
    assert re.search(r"would upload css/site\.[0-9a-f]{12}\.css\.br", result.stdout)
    assert s3.objects(bucket) == {}


def test_a_key_written_after_the_listing_is_already_there_not_overwritten(s3, tmp_path) -> None:
    """What a concurrent or interrupted run leaves: the conditional put answers 412, and that is fine."""
    from assetbuild.publish import Store, parse_target
    from assetbuild.publish.objects import release_objects

    site = small_site(tmp_path / "site")
    bucket = s3.bucket()
    store = Store(parse_target(f"s3://{bucket}/static"), s3.url)
    _, objects = release_objects(release_of(site))
    obj = objects[0]
    assert store.put(obj, obj.read()) is True
    assert store.put(obj, b"other bytes") is False
    assert s3.client().get_object(Bucket=bucket, Key=f"static/{obj.rel}")["Body"].read() == obj.read()


def test_a_damaged_release_file_is_refused_and_the_pointer_not_written(s3, tmp_path) -> None:
    site = small_site(tmp_path / "site")
    release = release_of(site)
    damaged = next((release.parent.parent / "files").glob("css/site.*.css"))  # in the store
    damaged.write_bytes(damaged.read_bytes().replace(b"123456", b"654321"))
    bucket = s3.bucket()
    result = publish(s3, site, bucket)
    assert result.returncode == 1
    assert result.stderr.strip() == f"{damaged}: error: changed since the build (integrity mismatch); not uploaded"
    keys = set(s3.objects(bucket))
    assert "static/current.json" not in keys and f"static/css/{damaged.name}" not in keys


def test_a_key_there_with_other_bytes_is_an_error_not_a_broken_release(s3, tmp_path) -> None:
    site = small_site(tmp_path / "site")
    bucket = s3.bucket()
    css = next((site / "dist/files").glob("css/site.*.css")).name
    s3.client().put_object(Bucket=bucket, Key=f"static/css/{css}", Body=b"not it")
    result = publish(s3, site, bucket)
    assert result.returncode == 1
    assert result.stderr.startswith(f"s3://{bucket}/static/css/{css}: error: already in the bucket with 6 bytes")
    assert "static/current.json" not in s3.objects(bucket)


@pytest.mark.parametrize(("args", "env", "message"), [
    (["--to", "s3://{bucket}/static"], {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""},
     "s3://{bucket}/static/: error: no AWS credentials found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
     "or AWS_PROFILE, or use an instance role)"),
    (["--to", "s3://no-such-bucket/static"], {},
     "s3://no-such-bucket/static/: error: bucket 'no-such-bucket' does not exist"),
    (["--to", "s3://{bucket}/static", "--endpoint-url", "http://127.0.0.1:9"], {"AWS_MAX_ATTEMPTS": "2"},
     "s3://{bucket}/static/: error: cannot reach the store at http://127.0.0.1:9"),
    (["--to", "s3://{bucket}/static", "--endpoint-url", "not a url"], {},
     "error: --endpoint-url 'not a url': not a URL (Invalid endpoint: not a url)"),
    (["--to", "s3://{bucket}/static"], {"AWS_MAX_ATTEMPTS": "many"},
     "error: AWS_MAX_ATTEMPTS='many': expected a whole number of at least 1"),
    (["--to", "https://{bucket}/static"], {}, "error: --to 'https://{bucket}/static': expected s3://BUCKET/PREFIX"),
    (["--to", "s3:///static"], {}, "error: --to 's3:///static': '' is not a bucket name"),
    (["--to", "s3://{bucket}/a/../b"], {}, "error: --to 's3://{bucket}/a/../b': the prefix may not hold '.' or '..'"),
    (["--to", "s3://{bucket}/static", "--gc", "--keep", "2", "--grace", "soon"], {},
     "error: --grace 'soon': expected a duration such as 0, 30m, 12h, 7d or 1d12h"),
    (["--to", "s3://{bucket}/static", "--gc"], {},
     "error: use `publish RELEASE_DIR --to ...` or `publish --gc --keep N --to ...`"),
])
def test_a_mistake_is_one_line_and_status_2(s3, built_demo, args, env, message) -> None:
    bucket = s3.bucket()
    args = [a.replace("{bucket}", bucket) for a in args]
    if "--endpoint-url" not in args:
        args += ["--endpoint-url", s3.url]
    result = run_cli("publish", *args, cwd=built_demo, env={**s3.env, **env})
    assert (result.returncode, result.stderr, result.stdout) == (2, message.replace("{bucket}", bucket) + "\n", "")


def three_releases(s3: S3Server, root: Path, bucket: str) -> list[dict]:
    """Releases A, B, C of one site, published in that order; each changes the image and so the CSS."""
    site = small_site(root)
    reports = []
    for n in range(3):
        (site / "static_src/img/a.png").write_bytes(PNG + bytes([n]))
        assert run_cli("build", cwd=site).returncode == 0
        if n:  # S3 times uploads to the second: let each release have its own, so "newest" is well defined
            time.sleep(1.05 - time.time() % 1)
        reports.append({**published(s3, site, bucket), "keys": keys_of(release_of(site))})
    return reports


def keys_of(release: Path) -> set[str]:
    manifest = json.loads((release / "manifest.json").read_text())
    return {f"static/{rel}" for rel in release_tree(release) if rel != "manifest.json"} | {
        f"static/releases/{manifest['release']}/manifest.json"}


def test_gc_deletes_only_keys_no_kept_release_uses_and_only_past_the_grace(s3, tmp_path) -> None:
    bucket = s3.bucket()
    a, b, c = three_releases(s3, tmp_path / "site", bucket)
    client = s3.client()
    client.put_object(Bucket=bucket, Key="static/robots.txt", Body=b"not assetbuild's")
    orphan = "static/css/orphan.0123456789ab.css"  # as a killed publish leaves: in no manifest
    client.put_object(Bucket=bucket, Key=orphan, Body=b"body{}")
    everything = set(s3.objects(bucket))
    only_a = a["keys"] - b["keys"] - c["keys"]
    assert only_a and (a["keys"] & b["keys"]), "A has keys of its own and keys it shares (js/other.js)"

    young = publish(s3, tmp_path / "site", bucket, "--gc", "--keep", "2", "--grace", "1h", "--json")
    assert young.returncode == 0, young.stderr
    report = json.loads(young.stdout)
    assert (report["deleted"], report["spared"]) == ([], 1), "the orphan is younger than the grace"
    assert report["kept"] == [c["release"], b["release"], a["release"]], "A was published within the grace"

    dry = publish(s3, tmp_path / "site", bucket, "--gc", "--keep", "2", "--grace", "0", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would delete static/" not in dry.stdout, "keys are printed relative to the target"
    listed = {f"static/{line.split('would delete ', 1)[1]}" for line in dry.stdout.splitlines()
              if line.startswith("  would delete ")}
    assert listed == only_a | {orphan}
    assert set(s3.objects(bucket)) == everything

    done = publish(s3, tmp_path / "site", bucket, "--gc", "--keep", "2", "--grace", "0")
    assert done.returncode == 0, done.stderr
    assert set(s3.objects(bucket)) == everything - only_a - {orphan}
    assert {"static/robots.txt", "static/current.json"} <= everything - only_a


def test_gc_never_deletes_the_live_release_and_spares_what_is_younger_than_the_grace(s3, tmp_path) -> None:
    """In-process, with the clock given: the grace is measured against each key's upload time."""
    from assetbuild.publish import Store, collect_garbage, parse_target

    bucket = s3.bucket()
    a, b, c = three_releases(s3, tmp_path / "site", bucket)
    client = s3.client()
    pointer = client.get_object(Bucket=bucket, Key="static/current.json")["Body"].read()
    # Roll back: A is live again (a re-publish of A rewrites only the pointer).
    client.put_object(Bucket=bucket, Key="static/current.json",
                      Body=pointer.replace(c["release"].encode(), a["release"].encode()))
    store = Store(parse_target(f"s3://{bucket}/static"), s3.url)
    stamps = s3.objects(bucket)
    newest = max(stamps.values())
    only_b = b["keys"] - a["keys"] - c["keys"]
    kept = collect_garbage(store, keep=1, grace=timedelta(hours=1), now=newest + timedelta(minutes=59))
    assert (kept.deleted, kept.kept) == ([], [c["release"], b["release"], a["release"]]), "all within the grace"
    gone = collect_garbage(store, keep=1, grace=timedelta(hours=1), now=newest + timedelta(hours=1, seconds=1))
    assert gone.kept == [c["release"], a["release"]]
    assert {f"static/{rel}" for rel in gone.deleted} == only_b
    assert set(s3.objects(bucket)) == set(stamps) - only_b
    assert newest < datetime.now(UTC) + timedelta(minutes=1)


@pytest.mark.parametrize(("text", "target"), [
    ("s3://assets/static", ("assets", "static/")),
    ("s3://assets/static/", ("assets", "static/")),
    ("s3://assets", ("assets", "")),
    ("s3://assets/", ("assets", "")),
    ("S3://assets//a//b/", ("assets", "a/b/")),
])
def test_targets(text, target) -> None:
    from assetbuild.publish import parse_target

    parsed = parse_target(text)
    assert (parsed.bucket, parsed.prefix) == target


@pytest.mark.parametrize(("text", "seconds"), [("0", 0), ("90s", 90), ("15m", 900), ("2h", 7200), ("7d", 604800),
                                               ("1w", 604800), ("1d12h", 129600)])
def test_grace_durations(text, seconds) -> None:
    from assetbuild.publish import parse_duration

    assert parse_duration(text).total_seconds() == seconds
