"""The whole test suite on a fresh machine, set-up included: ``python tests/run.py [pytest args]``.

Installs the Python test dependencies (this checkout, editable, with its ``test`` and
``bench`` extras), then what the tests drive outside Python: Debian's ``chromium`` for
the browser tests and ``npm`` for the real npm packages, with apt-get where it is there
and we are root. Elsewhere it says in one line what to install and exits 2. Then it
runs pytest with the given arguments and returns its status. ``.ci/run`` calls this.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")  # where tests/conftest.py looks for it
EXIT_USAGE = 2


def system_packages(exists: Callable[[str], bool] = lambda cmd: shutil.which(cmd) is not None) -> list[str]:
    """The Debian packages the tests still need on this machine."""
    needed = []
    if not CHROMIUM.exists():
        needed.append("chromium")
    if not exists("npm"):
        needed.append("npm")
    return needed


def install_commands(packages: Sequence[str], has_apt: bool, is_root: bool) -> list[list[str]] | str:
    """The commands that install ``packages``, or the one line that tells a person what to do."""
    if not packages:
        return []
    if has_apt and is_root:
        return [["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages]]
    how = f"apt-get install {' '.join(packages)} as root" if has_apt else (
        "install Chromium at /usr/bin/chromium (a link to any Chromium or Chrome will do)"
        if "chromium" in packages else "install Node.js with npm")
    return (f"tests/run.py: the tests need {' and '.join(packages)}, which are not on this machine: {how}, "
            "then run this again")


def main(argv: Sequence[str]) -> int:
    commands = install_commands(system_packages(), shutil.which("apt-get") is not None, os.geteuid() == 0)
    if isinstance(commands, str):
        print(commands, file=sys.stderr)
        return EXIT_USAGE
    for command in commands:
        subprocess.run(command, check=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    "-e", ".[test,bench]"], cwd=REPO, check=True)
    return subprocess.call([sys.executable, "-m", "pytest", *argv], cwd=REPO)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
