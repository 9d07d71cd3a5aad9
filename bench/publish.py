#!/usr/bin/env python3
"""Benchmark `assetbuild publish` against a local S3 server (moto's server mode on 127.0.0.1).

    python bench/publish.py [--runs N] [--jobs N] [--out DIR]

Builds the corpus release (bench/make_corpus.py, one copy: about 6,200 files), then measures:
a cold publish into an empty bucket (wall time, requests, objects, bytes) and a re-publish of the
unchanged release (wall time of the whole command, time inside it, requests made), then where the
re-publish's start-up goes: the interpreter, importing the command line, botocore, the client.
Prints numbers; asserts nothing. Set PYTHONPATH to measure another checkout's code.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
S3_ENV = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1",
          "AWS_EC2_METADATA_DISABLED": "true"}


def start_s3() -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", "0"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, **S3_ENV})
    for line in process.stderr:
        found = re.search(r"Running on (http://127\.0\.0\.1:\d+)", line)
        if found:
            threading.Thread(target=process.stderr.read, daemon=True).start()
            return process, found.group(1)
    raise RuntimeError("moto server did not start")


def new_bucket(url: str) -> str:
    import boto3

    name = f"bench-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="bench",
                 aws_secret_access_key="bench").create_bucket(Bucket=name)
    return name


def cpu_of(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def publish(site: Path, url: str, bucket: str, jobs: int) -> tuple[float, dict]:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "assetbuild", "publish", "--to", f"s3://{bucket}/static",
                             "--endpoint-url", url, "--json", "--jobs", str(jobs)],
                            cwd=site, capture_output=True, text=True, env={**os.environ, **S3_ENV})
    wall = time.perf_counter() - started
    if result.returncode:
        raise SystemExit(result.stderr)
    return wall, json.loads(result.stdout)


STARTUP = [
    ("the interpreter", "pass"),
    ("+ import the command line and assetbuild.publish", "import assetbuild.cli, assetbuild.publish"),
    ("+ import botocore's session", "import assetbuild.cli, assetbuild.publish, botocore.session"),
    ("+ create the S3 client", "import assetbuild.cli\nfrom assetbuild.publish import Store, parse_target\n"
                               "Store(parse_target('s3://bench/static'), 'http://127.0.0.1:9')"),
]


def timed(code: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, **S3_ENV})
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="runs of each measurement (median shown)")
    parser.add_argument("--jobs", type=int, default=16, help="parallel uploads")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    args = parser.parse_args(argv)
    from run import lay_out  # the corpus, laid out once and reused by bench/run.py too

    site = lay_out(args.out, 1)
    built = subprocess.run([sys.executable, "-m", "assetbuild", "build", "--json"], cwd=site,
                           capture_output=True, text=True)
    if built.returncode:
        raise SystemExit(built.stderr)
    print(f"corpus release: {json.loads(built.stdout)['files']} files", flush=True)
    server, url = start_s3()
    try:
        colds, warms, inside, client_cpu, server_cpu = [], [], [], [], []
        for _ in range(args.runs):
            bucket = new_bucket(url)
            wall, cold = publish(site, url, bucket, args.jobs)
            colds.append(wall)
            for _ in range(args.runs):
                mine, theirs = children_cpu(), cpu_of(server.pid)
                wall, warm = publish(site, url, bucket, args.jobs)
                client_cpu.append(children_cpu() - mine)
                server_cpu.append(cpu_of(server.pid) - theirs)
                warms.append(wall)
                inside.append(warm["seconds"])
        print(f"cold publish: {len(cold['uploaded'])} objects, {cold['uploaded_bytes'] / 1e6:.1f} MB, "
              f"requests {cold['requests']}, {args.jobs} parallel uploads")
        print(f"  wall time: median {statistics.median(colds):.2f} s  (runs: {', '.join(f'{w:.2f}' for w in colds)})")
        print(f"re-publish, unchanged: uploaded {len(warm['uploaded'])}, requests {warm['requests']}, "
              f"current.json {warm['pointer']}")
        print(f"  wall time of the command: median {statistics.median(warms):.2f} s "
              f"(runs: {', '.join(f'{w:.2f}' for w in warms)})")
        print(f"  time inside publish (its requests and planning): median {statistics.median(inside):.3f} s")
        print(f"  CPU time: the command {statistics.median(client_cpu):.2f} s, the S3 server "
              f"{statistics.median(server_cpu):.2f} s (medians; wall time on an idle machine is about their sum)")
        print(f"  load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print("start-up, medians of 5 (each includes the one before):")
        for label, code in STARTUP:
            print(f"  {label}: {statistics.median(timed(code) for _ in range(5)):.3f} s")
    finally:
        server.terminate()
        server.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
