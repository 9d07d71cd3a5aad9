"""The command line: parse, call the library, turn a user's mistake into one line and an exit code."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from . import __version__
from .errors import EXIT_USAGE, AssetbuildError, BuildFailed, ConfigError


def main_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assetbuild", description="Build assets into an immutable release.")
    parser.add_argument("--version", action="version", version=f"assetbuild {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = commands.add_parser("build", help="build the sources into a release")
    build.add_argument("--config", metavar="FILE",
                       help="configuration file (default: the nearest pyproject.toml with [tool.assetbuild])")
    build.add_argument("--output", metavar="DIR", help="write releases under DIR instead of 'output'")
    build.add_argument("--jobs", type=_positive, metavar="N", help="processes to use (default: all cores)")
    build.add_argument("--no-cache", action="store_true", help="ignore the build cache")
    build.add_argument("--archive", metavar="FILE", help="also write the release as a reproducible .tar.gz")
    build.add_argument("--json", action="store_true", help="print the build report as JSON on stdout")
    build.add_argument("--wait", action="store_true", help="wait for another build's lock instead of failing")

    watch = commands.add_parser("watch", help="build, then rebuild on every change (Ctrl-C stops)")
    watch.add_argument("--config", metavar="FILE", help="configuration file (default: ./pyproject.toml)")
    watch.add_argument("--output", metavar="DIR", help="write releases under DIR instead of 'output'")
    watch.add_argument("--jobs", type=_positive, metavar="N", help="processes to use (default: all cores)")

    verify = commands.add_parser("verify", help="re-hash a release against its manifest")
    verify.add_argument("release", nargs="?", metavar="RELEASE_DIR", help="default: <output>/current")
    verify.add_argument("--config", metavar="FILE")

    clean = commands.add_parser("clean", help="delete all but the newest releases, never `current`")
    clean.add_argument("--keep", type=_positive, metavar="N", help="releases to keep (default: 'keep')")
    clean.add_argument("--config", metavar="FILE")
    clean.add_argument("--output", metavar="DIR")
    clean.add_argument("--wait", action="store_true", help="wait for a running build")

    publish = commands.add_parser("publish", help="upload a release to S3-compatible storage (or --gc old keys)")
    publish.add_argument("release", nargs="?", metavar="RELEASE_DIR", help="default: <output>/current")
    publish.add_argument("--to", required=True, metavar="s3://BUCKET/PREFIX", help="where to publish")
    publish.add_argument("--endpoint-url", metavar="URL", help="a store other than AWS (MinIO, R2, ...)")
    publish.add_argument("--dry-run", action="store_true", help="list what would be uploaded or deleted")
    publish.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    publish.add_argument("--jobs", type=_positive, default=16, metavar="N", help="parallel uploads (default: 16)")
    publish.add_argument("--gc", action="store_true", help="delete keys the newest releases do not use")
    publish.add_argument("--keep", type=_positive, metavar="N", help="with --gc: releases whose keys are kept")
    publish.add_argument("--grace", default="1d", metavar="DURATION", help="with --gc: spare younger keys (1d)")
    publish.add_argument("--config", metavar="FILE")
    return parser


def main(argv: Sequence[str] | None = None, adjust_config: Callable | None = None) -> int:
    """``adjust_config(config) -> config`` lets a framework add what it knows (Django's static folders)."""
    parser = main_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return EXIT_USAGE if exit_.code else 0
    args.adjust_config = adjust_config
    previous = _stop_cleanly_on_sigterm()
    try:
        commands = {"build": _build, "watch": _watch, "verify": _verify, "clean": _clean, "publish": _publish}
        return commands[args.command](args)
    except Terminated:
        return 128 + signal.SIGTERM
    except BrokenPipeError:
        # Whoever read our output went away: the work itself is done (a build's release is
        # current already), so this is not a failure; say it where it can still be read.
        _silence_stdout()
        print("assetbuild: warning: the output was closed before the report was printed", file=sys.stderr)
        return 0
    except AssetbuildError as err:
        # A partial imported by two bundles fails in both: say each distinct error once.
        errors = list({str(e): e for e in (err.errors if isinstance(err, BuildFailed) else [err])}.values())
        for error in errors:
            print(error, file=sys.stderr)
        if len(errors) > 1:
            print(f"assetbuild: {_count(len(errors), 'error')}", file=sys.stderr)
        return err.exit_code
    except OSError as err:
        # The machine, not the sources: a folder that cannot be made, read or written (say
        # `--output /proc/x`), a full disk. One line, not a traceback.
        where = f"{err.filename}: " if err.filename is not None else "assetbuild: "
        print(f"{where}error: {err.strerror or err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


class Terminated(BaseException):
    """SIGTERM (a supervisor, ``kill``): unwinds like Ctrl-C, so the workers are stopped and the
    staging folder removed before the process ends."""


def _stop_cleanly_on_sigterm():  # -> the previous handler, or None where it cannot be set
    def handler(signum: int, frame: object) -> None:
        raise Terminated

    try:
        return signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (main() called from a library's thread)
        return None


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def _config(args: argparse.Namespace):  # -> Config; the build side is imported only here
    from .builder.config import DEFAULTS_ORIGIN, absolute, load_config

    config = load_config(args.config)
    if config.origin == DEFAULTS_ORIGIN:
        print(f"assetbuild: no [tool.assetbuild] in a pyproject.toml here or in a parent folder; using the "
              f"defaults (source {config.display(config.source)}, output {config.display(config.output)})",
              file=sys.stderr)
    if getattr(args, "output", None):
        config = dataclasses.replace(config, output=absolute(args.output))
    return args.adjust_config(config) if getattr(args, "adjust_config", None) else config


def _build(args: argparse.Namespace) -> int:
    from .builder.entry import build
    from .builder.report import as_dict, as_table

    result = build(_config(args), jobs=args.jobs, wait=args.wait, use_cache=not args.no_cache,
                   progress=_progress_printer(), archive=Path(args.archive).absolute() if args.archive else None)
    if args.json:
        print(json.dumps(as_dict(result), indent=2))
    else:
        print(as_table(result))
    return 0


def _watch(args: argparse.Namespace) -> int:
    from .builder.config import config_file
    from .builder.entry import build
    from .builder.watch import watch

    def say(line: str) -> None:
        print(line, flush=True)

    def build_once(config, workers) -> str:
        result = build(config, workers=workers, wait=True, warn=say)  # prunes to `keep` when current moves
        pruned = result.pruned
        verb = "built" if result.created else "unchanged:" if not result.switched else "switched to"
        tail = f" (pruned {len(pruned)} old)" if pruned else ""
        return f"{verb} release {result.release} in {result.seconds:.2f} s{tail}"

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # a supervisor's SIGTERM ends the loop as Ctrl-C does

    signal.signal(signal.SIGTERM, interrupt)
    try:
        found = config_file(args.config)  # the nearest pyproject.toml with [tool.assetbuild], as a build finds it
    except AssetbuildError:
        found = None  # unreadable: the first round reports it
    say("watching for changes; Ctrl-C stops")
    try:
        watch(lambda: _config(args), found if found and found.exists() else None, build_once, say, jobs=args.jobs)
    except KeyboardInterrupt:
        say("stopped")
    return 0


def _progress_printer():  # -> a progress callback, or None where nobody watches a terminal
    if not sys.stderr.isatty() or os.environ.get("CI"):
        return None

    def show(stage: str, done: int, total: int) -> None:
        end = "\n" if done == total else ""
        print(f"\r\033[K{stage}: {done}/{total}", end=end, file=sys.stderr, flush=True)

    return show


def _verify(args: argparse.Namespace) -> int:
    from .builder.verify import release_of, verify

    folder = release_of(Path(args.release) if args.release else _config(args).output)
    problems = verify(folder)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"assetbuild: {folder}: {_count(len(problems), 'problem')}", file=sys.stderr)
        return 1
    print(f"{folder}: release intact")
    return 0


def _clean(args: argparse.Namespace) -> int:
    from .builder.clean import clean
    from .builder.lock import locked

    config = _config(args)
    if not config.output.is_dir():
        print(f"{config.output}: nothing to clean")
        return 0
    with locked(config.output, args.wait):
        removed = clean(config.output, args.keep or config.keep, unlisted=True)
    for path in removed:
        print(f"removed {path}")
    return 0


def _publish(args: argparse.Namespace) -> int:
    from .publish import Store, collect_garbage, parse_duration, parse_target, publish
    from .publish.report import as_dict, gc_text, publish_text

    if args.gc != (args.keep is not None) or (args.gc and args.release):
        raise ConfigError("use `publish RELEASE_DIR --to ...` or `publish --gc --keep N --to ...`")
    store = Store(parse_target(args.to), args.endpoint_url, workers=args.jobs)
    if args.gc:
        gc = collect_garbage(store, args.keep, parse_duration(args.grace), dry_run=args.dry_run)
        print(json.dumps(as_dict(gc), indent=2) if args.json else gc_text(gc))
        return 0
    from .builder.verify import release_of

    folder = release_of(Path(args.release) if args.release else _config(args).output)
    result = publish(folder, store, dry_run=args.dry_run, workers=args.jobs,
                     progress=None if args.json else _progress_printer(),
                     say=lambda line: print(f"assetbuild: {line}", file=sys.stderr, flush=True))
    print(json.dumps(as_dict(result), indent=2) if args.json else publish_text(result))
    return 0


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value



def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
