"""A Dart Sass compiler lives as long as its process (a watch session's worker); one that dies is replaced
(``sass_dart_lifetime``).

Real compilers, killed for real: at the moment the compiler asks for a file, so that it
dies mid-conversation, which no check before a compile can see.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from assetbuild.builder import sass_dart
from assetbuild.builder.sass_compile import SassOptions


@pytest.fixture
def entry(tmp_path: Path) -> str:
    (tmp_path / "_colors.scss").write_text("$ink: #123456;\n")
    (tmp_path / "app.scss").write_text('@use "colors";\nbody { color: colors.$ink; }\n')
    return str(tmp_path / "app.scss")


@pytest.fixture
def options(tmp_path: Path) -> SassOptions:
    return SassOptions("dart", str(tmp_path))


@pytest.fixture
def kill_on_next_load(monkeypatch: pytest.MonkeyPatch):
    """Arm: the compiler of this process is killed (SIGKILL) when it next asks for a file's contents."""
    load, armed = sass_dart._load, []

    def killing(*args):
        if armed:
            armed.pop().proc.send_signal(signal.SIGKILL)
            armed.clear()
        return load(*args)

    monkeypatch.setattr(sass_dart, "_load", killing)
    return lambda: armed.append(current())


def compile_css(entry: str, options: SassOptions) -> str:
    return sass_dart.compile(entry, options, str).css


def current() -> sass_dart.Compiler:
    return sass_dart._this_process.get()


def test_the_compiler_is_reused_from_compile_to_compile(entry: str, options: SassOptions) -> None:
    compile_css(entry, options)
    first = current()
    assert compile_css(entry, options) == "body{color:#123456}"
    assert current() is first and first.proc.poll() is None


def test_a_compiler_killed_between_compiles_is_replaced(entry: str, options: SassOptions) -> None:
    compile_css(entry, options)
    old = current()
    old.proc.kill()
    old.proc.wait()
    assert compile_css(entry, options) == "body{color:#123456}"
    assert current() is not old


def test_a_compiler_that_served_and_dies_mid_compile_is_replaced_at_once(
    entry: str, options: SassOptions, kill_on_next_load
) -> None:
    compile_css(entry, options)  # it has served: a long-lived compiler
    old = current()
    kill_on_next_load()
    assert compile_css(entry, options) == "body{color:#123456}"
    assert current() is not old and old.proc.poll() is not None


def test_a_new_compiler_that_dies_is_an_error_not_a_loop(entry: str, options: SassOptions, kill_on_next_load) -> None:
    sass_dart.stop()  # a fresh compiler for this compile
    kill_on_next_load()
    with pytest.raises(sass_dart.CompilerDied):
        compile_css(entry, options)
    assert compile_css(entry, options) == "body{color:#123456}"  # and the next compile starts another


def test_a_process_exits_with_its_compiler_ended_and_no_pipe_left_open(entry: str, tmp_path: Path) -> None:
    program = ("from assetbuild.builder import sass_dart\n"
               "from assetbuild.builder.sass_compile import SassOptions\n"
               f"print(sass_dart.compile({entry!r}, SassOptions('dart', {str(tmp_path)!r}), str).css)\n")
    done = subprocess.run([sys.executable, "-X", "dev", "-W", "always", "-c", program],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout == "body{color:#123456}\n"
    assert "ResourceWarning" not in done.stderr, done.stderr
