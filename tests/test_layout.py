"""The package must survive the folder names that common ignore templates drop."""

from pathlib import Path

import assetbuild

# Folder names ignored at any depth by GitHub's Python .gitignore template (and treated as
# generated output by many tools): a package folder with one of these names silently
# disappears from a team's repository.
IGNORED_FOLDER_NAMES = {"build", "dist", "develop-eggs", "downloads", "eggs", ".eggs", "lib", "lib64",
                        "parts", "sdist", "var", "wheels", "env", "venv", ".venv", "htmlcov", "site"}


def test_no_package_folder_has_a_commonly_ignored_name():
    root = Path(assetbuild.__file__).parent
    folders = [p for p in root.rglob("*") if p.is_dir() and p.name != "__pycache__"]
    assert folders, "the build side lives in a subpackage"
    offending = [str(p.relative_to(root)) for p in folders if p.name in IGNORED_FOLDER_NAMES]
    assert offending == []
