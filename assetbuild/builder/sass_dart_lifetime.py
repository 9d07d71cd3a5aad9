"""One Dart Sass compiler per process: started on first use, kept, replaced when it dies.

A watch session's workers live as long as the session, so their compilers serve round
after round (a compiler's start is not paid again). A compiler that has exited (crashed,
killed) is replaced by the next compile; one that failed in the middle of a compile is
never asked again, as its conversation may be out of step.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from .sass_dart import Compiler

R = TypeVar("R")


class ProcessCompiler:
    """The compiler of this process (a forked worker starts its own: a parent's is never shared)."""

    def __init__(self, start: Callable[[], Compiler], died: type[Exception],
                 clean_failures: tuple[type[Exception], ...]) -> None:
        """``start`` makes a compiler; ``died`` is raised when it stops answering; ``clean_failures``
        end a compile with the conversation complete (a user's mistake)."""
        self._start = start
        self._died = died
        self._clean_failures = clean_failures
        self._lock = threading.Lock()
        self._current: Compiler | None = None

    def get(self) -> Compiler:
        """The compiler, started now if there is none in this process or the last one has exited."""
        with self._lock:
            current = self._current
            if current is not None and current.pid == os.getpid() and current.proc.poll() is not None:
                self._forget(current)
            if self._current is None or self._current.pid != os.getpid():
                self._current = self._start()
                atexit.register(self._current.close)
            return self._current

    def use(self, work: Callable[[Compiler], R]) -> R:
        """``work(compiler)``; if the compiler dies during it having served before (killed since,
        say), once more with a new one: only a new compiler's death is an error."""
        compiler = self.get()
        try:
            return work(compiler)
        except self._clean_failures:
            raise
        except self._died:
            self.discard(compiler)
            if not compiler.served:
                raise
        except BaseException:
            self.discard(compiler)  # it may still wait for an answer to a request of this compile
            raise
        return work(self.get())

    def discard(self, compiler: Compiler | None = None) -> None:
        """End ``compiler`` (by default this process's current one): the next use starts another."""
        with self._lock:
            self._forget(compiler or self._current)

    def _forget(self, compiler: Compiler | None) -> None:
        if compiler is None:
            return
        if self._current is compiler:
            self._current = None
        atexit.unregister(compiler.close)
        compiler.kill()
