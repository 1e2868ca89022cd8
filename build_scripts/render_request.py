"""What the engine hands the renderer for one build, and what it gets back.

``site_build.build_release`` decides the build mode and then runs MkDocs, whose hook
(``site/hooks/mkdocs_adapter.py``) is loaded by MkDocs from ``mkdocs.yml``: no import joins
the two. This module is that join, explicitly: the engine sets ``RenderRequest`` with
``handing(request)`` around the MkDocs run, the adapter reads it with ``current()`` and
puts the catalogue it built into ``request.result``. Outside the engine (``mkdocs serve``
or ``mkdocs build`` by hand, for work on the theme) there is no request and the adapter
makes a full build of ``docs_dir``.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from build_scripts.catalogue_state import Catalogue


@dataclass
class RenderRequest:
    """One build, as the engine planned it (see docs/architecture.md, "Build modes")."""

    content_dir: str  # content/ (in an incremental build MkDocs' docs_dir is an empty stub)
    theme_signature: str | None  # site_build.theme_signature: part of every output key
    progress: bool = False  # print progress to stderr
    # The catalogue of the release this build starts from, kept in this process (warm
    # incremental build); it is updated in place.
    catalogue: Catalogue | None = None
    # The previous release's build state (cold incremental build): src -> {"key", "dest"},
    # and src -> {"stat", "digest", "meta"} of every page it parsed.
    previous_outputs: dict[str, dict[str, str]] | None = None
    previous_sources: dict[str, dict[str, Any]] | None = None
    # content/ paths that may differ from what the previous release was built from (from
    # git); None: compare every source's size and mtime.
    changed_paths: list[str] | None = None
    # Called by the adapter with each page's destination and HTML as it is written (a full
    # build's search analysis runs meanwhile: search_index.Analyser).
    on_rendered: Callable[[str, str], None] | None = None
    # A full build on more than one core, of at least this many pages: a forked helper
    # converts a share of the pages' Markdown (site/hooks/mkdocs_adapter.py,
    # build_scripts/forked_helper.py). None: one process.
    split_from_pages: int | None = None
    # The media store video, audio and document pointers in content/ refer to
    # (build_scripts/media_store.py): the release links its objects.
    media_store: str | None = None
    # Set by the adapter when the renderer finished: the catalogue of the new release.
    result: Catalogue | None = None

    @property
    def incremental(self) -> bool:
        return self.catalogue is not None or self.previous_outputs is not None


# Per thread: the renderer runs in the thread that called build_release, and two builds of
# different releases directories may run in one process at once (tests, benchmarks).
_local = threading.local()


class RenderFailed(Exception):
    """MkDocs stopped: ``cause`` is its reason, ``warnings`` what it logged before."""

    def __init__(self, cause: str, warnings: list[str]) -> None:
        super().__init__(cause)
        self.cause = cause
        self.warnings = warnings


@dataclass(frozen=True)
class RenderSettings:
    """Where and how MkDocs renders one build (the rest comes from mkdocs.yml)."""

    site_dir: Path  # holds mkdocs.yml
    docs_dir: Path  # content/, or an empty stub in an incremental build (on_files fills it)
    out_dir: Path
    site_url: str
    site_name: str
    strict: bool
    extra: dict[str, Any]  # org_name, icp_number, announcement (content/_site.yml)


@contextlib.contextmanager
def handing(request: RenderRequest) -> Iterator[RenderRequest]:
    """Make `request` the one the adapter sees while the renderer runs in this thread."""
    if current() is not None:
        raise RuntimeError("this thread is already running a build")
    _local.request = request
    try:
        yield request
    finally:
        _local.request = None


def current() -> RenderRequest | None:
    """The request of the build running in this thread, None outside the engine."""
    request: RenderRequest | None = getattr(_local, "request", None)
    return request
