"""An exclusive lock across processes, held on a file (flock).

The kernel releases a flock when its process dies, however it dies: a killed publisher or
build never leaves a lock behind. `try_exclusive_lock` tells whether anyone on this host
holds the lock right now.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Block until no other process holds the lock on `path`, then hold it for the block."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def try_exclusive_lock(path: Path) -> Iterator[bool]:
    """Hold the lock on `path` for the block if nobody holds it now; yields whether it does."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
