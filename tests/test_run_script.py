"""tests/run.py and .ci/run: one command sets up a fresh machine and runs the suite; CI runs that command."""

from __future__ import annotations

import importlib.util
import re

import pytest
from conftest import REPO

spec = importlib.util.spec_from_file_location("run_script", REPO / "tests/run.py")
run_script = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_script)


@pytest.mark.parametrize(("packages", "apt", "root", "expected"), [
    ([], False, False, []),
    (["chromium", "npm"], True, True, [["apt-get", "update", "-qq"],
                                       ["apt-get", "install", "-y", "-qq", "--no-install-recommends",
                                        "chromium", "npm"]]),
    (["chromium"], True, False, "apt-get install chromium as root"),
    (["chromium"], False, True, "install Chromium at /usr/bin/chromium"),
    (["npm"], False, False, "install Node.js with npm"),
])
def test_install_commands(packages: list[str], apt: bool, root: bool, expected: object) -> None:
    found = run_script.install_commands(packages, apt, root)
    if isinstance(expected, str):
        assert isinstance(found, str) and expected in found and "\n" not in found
    else:
        assert found == expected


def test_readme_and_ci_run_the_same_two_commands() -> None:
    readme = (REPO / "README.md").read_text()
    block = re.search(r"## Install, build, test\n.*?```sh\n(.*?)```", readme, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["python -m pip install -e '.[test]' && python build.py", "python tests/run.py"]
    ci = [line for line in (REPO / ".ci/run").read_text().splitlines() if line and not line.startswith("#")]
    assert ci[-1] == "exec " + commands[1]
    assert all(line.startswith(("set ", "cd ")) for line in ci[:-1])
