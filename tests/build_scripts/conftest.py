import sys
from pathlib import Path

import pytest

# build_scripts is not installed into the virtualenv: make the project root importable
# when these tests run without pytest-django (which adds it via manage.py), and keep
# `content_samples` importable whether or not this folder becomes a package.
HERE = Path(__file__).resolve().parent
for path in (HERE.parents[1], HERE):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


@pytest.fixture
def directory_flags():
    """The inode flags of a directory (``lsattr -d``), e.g. ext4's FS_TOPDIR_FL."""
    from build_scripts.release_tree import directory_flags

    def flags(path) -> int:
        value = directory_flags(path)
        assert value is not None, f"{path}: the file system has no inode flags"
        return value

    return flags
