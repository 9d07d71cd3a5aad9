"""``python -m assetbuild``: the same as the ``assetbuild`` command."""

import sys

from .cli import main

sys.exit(main())
