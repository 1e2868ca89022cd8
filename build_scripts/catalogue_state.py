"""The catalogue's state: every page's front matter and what is derived from it, kept
between builds in a long-lived process. The functions that fill it live in
``catalogue``; ``listings``, ``sitemap`` and ``output_plan`` read and update it."""

from __future__ import annotations

import zlib
from typing import Any

from build_scripts.page_model import ContentError, Entry, Group, Listing, dumps
from build_scripts.site_pages import SitePages
from build_scripts.site_paths import SITEMAP_SHARDS

# A publish rewrites the shards of the page and of the listings it appears in, each a
# STATE_SHARDS-th of every source's parsed front matter: with 64 that was ~0.15 s of a
# publish at 100,000 pages (bench/README.md, publish_latency), with 1024 it is ~0.01 s.
STATE_SHARDS = 1024
# In directories of this many shards (<hi>/<lo>.json, hex): a publish copies only the
# directories whose shards change into the new release (build_scripts/release_tree.py).
STATE_SHARDS_PER_DIR = 64
# The build-state format (``.build-state/``: meta.json and STATE_SHARDS shards of
# {src: {"key", "dest", "source"?}}). Bump it when that layout or the meaning of a key
# changes: a release with another format is not reused (the next build is a full one).
BUILD_STATE_FORMAT = 3


class Catalogue:
    """The catalogue of content/ and what was derived from it.

    Kept between builds in a long-lived process (build_scripts hands it back to the next
    build together with the paths that changed), so it must always describe the release it
    was built for: build_scripts drops it when a build fails.
    """

    def __init__(self) -> None:
        self.ready = False  # holds a complete catalogue (set at the end of a build)
        self.sources: dict[str, dict[str, Any]] = {}  # src_uri -> {stat, digest, meta}, reused next build
        self.digests: dict[str, str] = {}  # src_uri -> sha1 of the Markdown source
        self.pages: dict[str, str] = {}  # src_uri -> path of every content page
        self.assets: dict[str, str] = {}  # src_uri -> path of every content asset
        self.entries: dict[str, Entry] = {}
        self.containers: set[str] = set()  # home and section index pages
        self.nav_sections: list[Entry] = []
        self.sections: dict[str, Group] = {}  # section index src -> its own articles
        self.tag_groups: dict[str, Group] = {}  # slug -> tagged articles
        self.tag_spellings: dict[str, dict[str, str]] = {}  # slug -> {src: the article's spelling}
        self.tag_norms: dict[str, str] = {}  # slug -> normalised tag (slug collisions)
        self.latest = Group("latest", "", "", "")  # every dated article: home page and feed
        self.listings: dict[str, Listing] = {}
        self.virtual: dict[str, str] = {}  # src_uri -> source of generated listing pages
        self.virtual_crumbs: dict[str, str] = {}  # src_uri -> digest of a virtual page's breadcrumbs
        self.section_crumbs: dict[str | None, str] = {}  # section -> digest of its pages' breadcrumbs
        self.sitemap: list[dict[str, str]] = [{} for _ in range(SITEMAP_SHARDS)]  # url -> lastmod
        self.shared: str | None = None  # digest of what every page shares (settings, nav, theme)
        self.outputs: dict[str, dict[str, str]] = {}  # src -> {"key", "dest"}: what the release holds
        self.dest_owner: dict[str, str] = {}  # dest -> src
        self.html_outputs: int | None = 0  # outputs that are pages (None: count again)
        self.state_shards: list[set[str]] = [set() for _ in range(STATE_SHARDS)]
        self.signature: str | None = None  # theme signature, recorded in .build-state/meta.json
        self.pending: dict[str, Entry | None] = {}  # changed page src -> its previous Entry
        self.begin()

    def begin(self) -> None:
        """Reset what describes one build."""
        self.rendered = 0
        self.total_pages = 0
        self.modified: set[str] = set()  # srcs whose output must be rendered or copied
        self.touched: set[str] = set()  # page srcs whose key must be recomputed
        self.gone: set[str] = set()  # page srcs that no longer exist
        self.removed_dests: set[str] = set()
        self.sitemap_dirty: set[int] = set()
        self.dirty_records: set[str] | None = set()  # None: write every state shard
        self.generated: dict[str, bytes] = {}  # dest -> bytes the engine writes itself (feed, sitemap)
        self.changed: list[str] = []  # dest_uri of documentation pages rendered this build
        self.removed: list[str] = []  # dest_uri of outputs the previous release has but this one drops
        self.site = SitePages()  # pages the site owns (site/pages/), not content/
        self.reusable = False

    # ---------------------------------------------------------------- outputs

    def set_output(self, src: str, key: str, dest: str) -> None:
        record = {"key": key, "dest": dest}
        old = self.outputs.get(src)
        if old == record:
            return
        if old is not None and old["dest"] != dest:
            self._release_dest(src, old["dest"])
        owner = self.dest_owner.get(dest)
        if owner is not None and owner != src:
            raise ContentError(f"{src}: 输出路径 {dest} 与 {owner} 冲突")
        if self.html_outputs is not None:
            self.html_outputs += dest.endswith(".html") - (old is not None and old["dest"].endswith(".html"))
        self.outputs[src] = record
        self.dest_owner[dest] = src
        self.state_shards[state_shard(src)].add(src)
        self.modified.add(src)
        self.mark(src)

    def drop_output(self, src: str) -> None:
        old = self.outputs.pop(src, None)
        if old is None:
            return
        if self.html_outputs is not None:
            self.html_outputs -= old["dest"].endswith(".html")
        self._release_dest(src, old["dest"])
        self.state_shards[state_shard(src)].discard(src)
        self.modified.discard(src)
        self.mark(src)

    def _release_dest(self, src: str, dest: str) -> None:
        if self.dest_owner.get(dest) == src:
            del self.dest_owner[dest]
            self.removed_dests.add(dest)

    def mark(self, src: str) -> None:
        if self.dirty_records is not None:
            self.dirty_records.add(src)

    def page_count(self) -> int:
        if self.html_outputs is None:
            self.html_outputs = sum(1 for o in self.outputs.values() if o["dest"].endswith(".html"))
        return self.html_outputs

    def adopt_previous_outputs(self, previous: dict[str, dict[str, str]]) -> None:
        """Start from the previous release's outputs (read from its build state): unchanged
        keys are not rendered again."""
        self.html_outputs = None
        for src, record in previous.items():
            self.outputs[src] = record
            self.dest_owner[record["dest"]] = src
            self.state_shards[state_shard(src)].add(src)

    def state_files(self, all_files: bool) -> dict[str, bytes]:
        """``.build-state/`` files: per-output keys and parsed sources, sharded by src so a
        publish rewrites a few small files (only those whose content changes)."""
        if all_files or self.dirty_records is None:
            shards: list[int] | range = range(STATE_SHARDS)
        else:
            shards = sorted({state_shard(src) for src in self.dirty_records})
        files = {"meta.json": dumps({"format": BUILD_STATE_FORMAT, "signature": self.signature})}
        for shard in shards:
            records = {}
            for src in self.state_shards[shard]:
                record: dict[str, Any] = dict(self.outputs[src])
                if src in self.sources and src in self.pages:
                    record["source"] = self.sources[src]
                records[src] = record
            files[f"{shard // STATE_SHARDS_PER_DIR:02x}/{shard % STATE_SHARDS_PER_DIR:02x}.json"] = dumps(records)
        return files

    # ---------------------------------------------------------------- queries

    def tag_name(self, slug: str) -> str:
        # The spelling of the first article (in path order) carrying the tag: independent of
        # the order pages were published in, so incremental and full builds agree.
        spellings = self.tag_spellings[slug]
        return spellings[min(spellings)]

    def breadcrumbs(self, entry: Entry | None) -> list[dict[str, str]]:
        """The trail above a page: home, then each section down to the page's own."""
        trail = []
        while entry is not None and entry.section:
            parent = self.entries[entry.section]
            trail.append({"title": "首页" if parent.kind == "home" else parent.title, "url": parent.url})
            entry = parent
        return list(reversed(trail))


def state_shard(src: str) -> int:
    return zlib.crc32(src.encode("utf-8")) % STATE_SHARDS
