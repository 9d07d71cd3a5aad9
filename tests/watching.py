"""`assetbuild watch` in a real process, its output read line by line as it comes (shared by tests)."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path


class Watcher:
    """`python -m assetbuild watch` in a project (or another program's ``watch``, e.g.
    ``program=("manage.py", "assetbuild")``); its output read line by line as it comes."""

    def __init__(self, project: Path, *args: str, program: tuple[str, ...] = ("-m", "assetbuild")) -> None:
        self.process = subprocess.Popen(
            [sys.executable, *program, "watch", *args], cwd=project, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def expect(self, fragment: str, timeout: float = 60) -> str:
        """The next line containing ``fragment`` (every line before it is kept in ``seen``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            self.seen.append(line)
            if fragment in line:
                return line
        raise AssertionError(f"no line with {fragment!r}; watch printed:\n" + "\n".join(self.seen))

    def settle(self, quiet: float = 1.5, timeout: float = 60) -> None:
        """Wait until the watcher has printed nothing for ``quiet`` seconds: every round has finished."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.seen.append(self.lines.get(timeout=quiet))
            except queue.Empty:
                return
        raise AssertionError("the watcher never went quiet:\n" + "\n".join(self.seen))

    def stop(self, sig: int = signal.SIGINT) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=20)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self.reader.join(timeout=5)
            self.process.stdout.close()
