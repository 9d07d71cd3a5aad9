"""Publishing over a flaky link (a proxy answering 503 SlowDown to some uploads, in front of the real
S3 server), the progress line on a terminal, and boto3 staying out of every other import."""

from __future__ import annotations

import http.client
import json
import os
import pty
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import run_cli
from test_publish import keys_of, published, release_of, s3, small_site  # noqa: F401 - s3 is the server fixture

SLOW_DOWN = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
             b"<Message>Please reduce your request rate.</Message></Error>")


class FlakyProxy(ThreadingHTTPServer):
    """Forwards every request to the S3 server, except that every ``every``-th upload gets a 503."""

    daemon_threads = True

    def __init__(self, upstream: str, every: int) -> None:
        self.upstream, self.every, self.puts, self.refused = urlsplit(upstream), every, 0, 0
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        threading.Thread(target=self.serve_forever, daemon=True).start()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FlakyProxy

    def log_message(self, *args: object) -> None:
        pass

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.command == "PUT":
            with self.server.lock:
                self.server.puts += 1
                refuse = self.server.puts % self.server.every == 0
                self.server.refused += refuse
            if refuse:
                self.send_response(503)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(SLOW_DOWN)))
                self.end_headers()
                self.wfile.write(SLOW_DOWN)
                return
        upstream = http.client.HTTPConnection(self.server.upstream.hostname, self.server.upstream.port, timeout=30)
        upstream.request(self.command, self.path, body=body, headers=dict(self.headers))
        answer = upstream.getresponse()
        data = answer.read()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        upstream.close()

    do_GET = do_PUT = do_HEAD = do_POST = do_DELETE = _forward


@pytest.mark.server
def test_uploads_refused_with_503_are_retried_until_the_release_is_complete(s3, tmp_path: Path) -> None:  # noqa: F811
    site = small_site(tmp_path / "site")
    bucket = s3.bucket()
    proxy = FlakyProxy(s3.url, every=3)
    try:
        result = run_cli("publish", "--to", f"s3://{bucket}/static", "--endpoint-url", proxy.url, "--json",
                         cwd=site, env=s3.env)
    finally:
        proxy.shutdown()
        proxy.server_close()
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert proxy.refused >= 2
    marker = 1  # the publish's marker (see assetbuild.publish.markers), a PUT too
    puts = len(report["uploaded"]) + marker
    assert report["requests"]["PutObject"] == puts + proxy.refused, "each refusal retried once"
    assert set(s3.objects(bucket)) == keys_of(release_of(site)) | {"static/current.json"}
    release = release_of(site)
    for key in keys_of(release):
        if "/releases/" not in key:
            body = s3.client().get_object(Bucket=bucket, Key=key)["Body"].read()
            assert body == (site / "dist/files" / key.removeprefix("static/")).read_bytes(), key


def run_on_a_terminal(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    """The real command with its stderr on a pseudo-terminal: what a person at a terminal sees."""
    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "assetbuild", *args], cwd=cwd, env=env,
                               stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the process closed its end
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    return process.wait(), seen.decode()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_site(tmp_path_factory.mktemp("progress") / "site")


@pytest.mark.server
@pytest.mark.parametrize(("extra", "env", "shown"), [([], {}, True), ([], {"CI": "true"}, False),
                                                     (["--json"], {}, False)])
def test_progress_on_a_terminal_only(s3, site: Path, extra, env, shown) -> None:  # noqa: F811
    bucket = s3.bucket()
    environ = {k: v for k, v in os.environ.items() if k != "CI"} | s3.env | env
    status, seen = run_on_a_terminal(
        ["publish", "--to", f"s3://{bucket}/static", "--endpoint-url", s3.url, *extra], site, environ)
    assert status == 0, seen
    assert ("uploading: 7/7" in seen) is shown, seen  # 3 files + 4 copies; manifest and pointer follow


def test_botocore_is_imported_by_publishing_only_and_boto3_not_at_all() -> None:
    code = ("import sys, assetbuild, assetbuild.cli, assetbuild.jinja, assetbuild.wsgi, assetbuild.manifest\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')))\n"
            "import assetbuild.publish.store\n"
            "print('botocore' in sys.modules)\n"
            "from assetbuild.publish import Store, parse_target\n"
            "Store(parse_target('s3://assets/static'), 'http://127.0.0.1:9')\n"
            "print('botocore' in sys.modules, 'boto3' in sys.modules)\n")
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    # boto3 would only wrap botocore's client, and costs a re-publish about 45 ms to import
    assert result.stdout.split("\n")[:3] == ["[]", "False", "True False"], result.stderr


def test_without_boto3_publishing_says_what_to_install(tmp_path: Path) -> None:
    code = "import sys; sys.modules['botocore'] = None\nfrom assetbuild.cli import main\nsys.exit(main(sys.argv[1:]))"
    result = subprocess.run([sys.executable, "-c", code, "publish", "--to", "s3://assets/static"],
                            capture_output=True, text=True, cwd=tmp_path)
    message = "error: publishing needs boto3: pip install 'assetbuild[publish]'\n"
    assert (result.returncode, result.stderr) == (2, message)
