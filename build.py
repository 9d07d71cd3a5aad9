"""Build this repository's demo site: the same as `assetbuild build` with this repo's pyproject.toml."""

import sys
from pathlib import Path

from assetbuild.cli import main

if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    sys.exit(main(["build", "--config", str(here / "pyproject.toml"), *sys.argv[1:]]))
