"""The catalogue of content/: every page's front matter and what is derived from it
(navigation sections, listings, tags, sitemap, each output's key).

A full build reads every page (``load_all``); an incremental one applies only the sources
that changed (``apply_sources``) and re-derives only the groups those pages are in
(``apply_changes``), or everything when a change is structural (``derive_all``). In a
long-lived process (the worker) build_scripts keeps the catalogue of the last release, so
a publish reads nothing it has not been told changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
import unicodedata
import zlib
from collections.abc import Callable
from typing import Any

import yaml

from build_scripts import listings, site_pages, sitemap
from build_scripts.page_model import (FORM_TYPE, GENERATED, TYPES, ContentError, Entry, Group, Listing,
                                      SiteInputs, digest, dumps, log, parse_date, section_of, url_for)
from build_scripts.public_forms import FormProblem, form_view
from build_scripts.site_paths import TAGS_DIR, tag_slug

STATE_SHARDS = 64
# The build-state format (``.build-state/``: meta.json and STATE_SHARDS shards of
# {src: {"key", "dest", "source"?}}). Bump it when that layout or the meaning of a key
# changes: a release with another format is not reused (the next build is a full one).
BUILD_STATE_FORMAT = 2

_FRONT_MATTER = re.compile(r"\A-{3}[ \t]*\n(.*?\n)?(?:-{3}|\.{3})[ \t]*(?:\n|\Z)", re.S)
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# content/ paths a build takes: src -> absolute path (None = the source is gone).
Sources = dict[str, str]
Changes = dict[str, str | None]


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
        self.sitemap: list[dict[str, str]] = [{} for _ in range(sitemap.SITEMAP_SHARDS)]  # url -> lastmod
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
        self.site = site_pages.SitePages()  # pages the site owns (site/pages/), not content/
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
            files[f"{shard:02x}.json"] = dumps(records)
        return files


def state_shard(src: str) -> int:
    return zlib.crc32(src.encode("utf-8")) % STATE_SHARDS


# --------------------------------------------------------------------------- sources


def _front_matter(state: Catalogue, path: str, src_uri: str, cached: dict[str, Any] | None) -> dict[str, Any] | None:
    """Front matter of a page, reusing the previous build's parse when the file is unchanged.

    Parsing YAML is the costliest part of reading 10,000 pages; a file the exporter has not
    rewritten keeps its size and mtime (it writes by atomic rename, so any change moves both).
    """
    stat = os.stat(path)
    key = [stat.st_size, stat.st_mtime_ns]
    if cached and cached.get("stat") == key:
        state.digests[src_uri] = cached["digest"]
        state.sources[src_uri] = cached
        meta: dict[str, Any] = cached["meta"]
        return meta
    state.sources.pop(src_uri, None)
    parsed = _read_front_matter(state, path, src_uri)
    if parsed is not None:
        # Through JSON once, so a fresh parse and a cached one are the same values.
        parsed = json.loads(json.dumps(parsed, ensure_ascii=False, default=str))
        state.sources[src_uri] = {"stat": key, "digest": state.digests[src_uri], "meta": parsed}
    return parsed


def _read_front_matter(state: Catalogue, path: str, src_uri: str) -> dict[str, Any] | None:
    """The page's front matter, or None (after logging why) when it is unusable."""
    with open(path, "rb") as fh:
        raw = fh.read()
    state.digests[src_uri] = hashlib.sha1(raw).hexdigest()
    text = raw.decode("utf-8-sig")
    match = _FRONT_MATTER.match(text)
    if not match:
        log.warning(f"{src_uri}: 缺少 YAML front matter（见 docs/content-format.md）")
        return None
    try:
        data = yaml.load(match.group(1) or "", Loader=_Loader)
    except yaml.YAMLError as exc:
        log.warning(f"{src_uri}: front matter 不是有效的 YAML：{exc}")
        return None
    if not isinstance(data, dict):
        log.warning(f"{src_uri}: front matter 应为键值映射")
        return None
    return data


def is_source(excluded: Callable[[str], bool], src: str) -> bool:
    """Whether content/`src` is part of the site, as the renderer's own scan decides (no
    dotfiles or dot-directories, not excluded by its exclude rules)."""
    return not any(part.startswith(".") for part in src.split("/")) and not excluded(src)


def scan_content(excluded: Callable[[str], bool], content_dir: str) -> tuple[Sources, Sources]:
    """Pages and assets of content/, selected the way the renderer's own scan selects them."""
    pages: Sources = {}
    assets: Sources = {}
    for directory, subdirs, filenames in os.walk(content_dir):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        relative = os.path.relpath(directory, content_dir)
        for name in sorted(filenames):
            src = name if relative == "." else f"{relative}/{name}".replace(os.sep, "/")
            if name.startswith(".") or excluded(src):
                continue
            (pages if name.endswith(".md") else assets)[src] = os.path.join(directory, name)
    return pages, assets


def changed_sources(state: Catalogue, excluded: Callable[[str], bool], content_dir: str,
                    paths: list[str] | None) -> tuple[Changes, Changes]:
    """Pages and assets that may have changed since the catalogue was made: src -> path, or
    None when it is gone. From the list of changed paths when there is one (git knows what a
    publish changed), else by comparing every file's size and mtime."""
    pages: dict[str, str | None] = {}
    assets: dict[str, str | None] = {}
    if paths is None:
        found_pages, found_assets = scan_content(excluded, content_dir)
        for src in state.pages.keys() - found_pages.keys():
            pages[src] = None
        for src in state.assets.keys() - found_assets.keys():
            assets[src] = None
        for src, path in found_pages.items():
            cached = state.sources.get(src)
            stat = os.stat(path)
            if cached is None or cached["stat"] != [stat.st_size, stat.st_mtime_ns]:
                pages[src] = path
        for src, path in found_assets.items():
            known = state.outputs.get(src)
            if known is None or known["key"] != asset_key(path):
                assets[src] = path
        return pages, assets
    for src in paths:
        if not is_source(excluded, src):
            continue
        path = os.path.join(content_dir, src)
        present = path if os.path.isfile(path) else None
        (pages if src.endswith(".md") else assets)[src] = present
    return pages, assets


def load_page(state: Catalogue, src_uri: str, path: str, cached: dict[str, Any] | None) -> Entry:
    """Read one content page into an Entry, logging what is wrong with it."""
    meta = _front_matter(state, path, src_uri, cached)
    checked = meta is not None  # unreadable front matter is reported once, above
    meta = meta or {}
    kind_raw = meta.get("type")
    if checked and kind_raw not in TYPES:
        log.warning(f"{src_uri}: type 应为 {'/'.join(sorted(TYPES))} 之一，实际为 {kind_raw!r}")
    if checked and (not isinstance(meta.get("title"), str) or not meta["title"].strip()):
        log.warning(f"{src_uri}: 缺少 title")
    is_index = posixpath.basename(src_uri) == "index.md"
    if kind_raw == "home" and src_uri != "index.md":
        log.warning(f"{src_uri}: type: home 只能用于 index.md")
    if kind_raw == "section" and not is_index:
        log.warning(f"{src_uri}: type: section 只能用于某目录的 index.md")
    kind = "home" if src_uri == "index.md" else "section" if is_index else "article"
    entry = Entry(
        src_uri=src_uri, url=url_for(src_uri), meta=meta, kind=kind,
        title=str(meta.get("title") or posixpath.splitext(posixpath.basename(src_uri))[0]),
    )
    if kind == "article":
        entry.date = parse_date(meta.get("date"))
        if entry.date is None and checked:
            log.warning(f"{src_uri}: date 应为 YYYY-MM-DD，实际为 {meta.get('date')!r}")
        tags = meta.get("tags") or []
        if not isinstance(tags, list):
            log.warning(f"{src_uri}: tags 应为列表")
            tags = []
        entry.tags = [str(t).strip() for t in tags if str(t).strip()]
        if kind_raw == FORM_TYPE and checked:
            try:
                form_view(meta)
            except FormProblem as problem:
                log.warning(f"{src_uri}: {problem}")
    return entry


def load_all(state: Catalogue, pages: Sources, assets: Sources,
             cached: dict[str, dict[str, Any]]) -> None:
    """A catalogue of every page (full build, or the first incremental build of a process,
    with the previous release's parsed sources as ``cached``)."""
    for src_uri, path in sorted(pages.items()):
        state.entries[src_uri] = load_page(state, src_uri, path, cached.get(src_uri))
    state.pages = dict(pages)
    state.assets = dict(assets)


def asset_key(path: str) -> str:
    # Content assets carry their content hash in their name and are never rewritten in
    # place, so size and mtime are a safe, cheap key.
    stat = os.stat(path)
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def apply_sources(state: Catalogue, pages: Changes, assets: Changes) -> bool:
    """Bring the catalogue's pages and assets up to date with the given changes (src ->
    path, None = gone); remember which entries changed (``state.pending``). True when a
    change is structural (a home or section page: navigation, breadcrumbs and
    sub-section lists depend on those, so everything is derived again)."""
    structural = False
    state.pending = {}
    for src, path in sorted(pages.items()):
        old = state.entries.get(src)
        old_digest = state.digests.get(src)
        if path is None:
            if old is None:
                continue
            del state.entries[src]
            for table in (state.pages, state.sources, state.digests):
                table.pop(src, None)
        else:
            new = load_page(state, src, path, state.sources.get(src))
            state.pages[src] = path
            state.mark(src)  # the recorded size and mtime may have moved
            if old is not None and state.digests[src] == old_digest and new.meta == old.meta:
                continue  # same source: the old Entry stays (listings compare identities)
            state.entries[src] = new
        state.pending[src] = old
        if posixpath.basename(src) == "index.md":
            structural = True
    for src, asset in sorted(assets.items()):
        if asset is None:
            state.assets.pop(src, None)
            state.drop_output(src)
        else:
            state.assets[src] = asset
            state.set_output(src, asset_key(asset), src)
    return structural


# --------------------------------------------------------------------------- derived


def shared_digest(state: Catalogue, inputs: SiteInputs) -> str:
    """What every page shows: site settings, the navigation (home + top-level sections and
    their intros), the theme. A change re-renders every page, as a full build would.
    (``state.nav_sections`` only changes with a structural change, which derives it again.)"""
    nav = state.nav_sections
    return digest({
        "settings": {"org_name": inputs.org_name, "icp_number": inputs.icp_number,
                     "announcement": inputs.announcement, "build_year": inputs.build_year},
        "site_url": inputs.site_url,
        "nav": [(e.title, e.src_uri, e.meta.get("intro") or "") for e in nav],
        "theme": inputs.theme_signature,
    })


def entry_slugs(entry: Entry) -> list[tuple[str, str, str]]:
    """(slug, spelling, normalised) of an article's tags, each tag once."""
    found, seen = [], set()
    for tag in entry.tags:
        slug = tag_slug(tag)
        if slug not in seen:
            seen.add(slug)
            found.append((slug, tag, unicodedata.normalize("NFKC", tag).strip()))
    return found


def tag_name(state: Catalogue, slug: str) -> str:
    # The spelling of the first article (in path order) carrying the tag: independent of
    # the order pages were published in, so incremental and full builds agree.
    spellings = state.tag_spellings[slug]
    return spellings[min(spellings)]


def theme_key(inputs: SiteInputs) -> str:
    """Output key of a theme file (its bytes change only with the theme signature)."""
    return f"theme:{inputs.theme_signature}"


def derive_all(state: Catalogue, inputs: SiteInputs) -> None:
    """Derive navigation, listings, tags, sitemap and every page's key from the entries."""
    entries = state.entries
    state.containers = {k for k, e in entries.items() if e.kind in ("home", "section")}
    for entry in entries.values():
        entry.section = section_of(entry.src_uri, state.containers)
    children: dict[str, list[Entry]] = {k: [] for k in state.containers}
    for key in state.containers:
        entry = entries[key]
        if entry.section:
            children[entry.section].append(entry)
    for key in children:
        children[key].sort(key=lambda e: (e.order, e.url))
    state.nav_sections = children.get("index.md", [])
    state.shared = shared_digest(state, inputs)
    state.section_crumbs = {}

    old_pages = set(state.listings) | set(state.virtual)
    state.listings, state.virtual, state.virtual_crumbs = {}, {}, {}
    state.sections = {
        key: Group("section", key, entries[key].url, entries[key].title, subsections=children[key])
        for key in sorted(state.containers) if key != "index.md"
    }
    articles = [e for e in entries.values() if e.kind == "article" and e.date]
    by_section: dict[str, list[Entry]] = {k: [] for k in state.sections}
    for entry in articles:
        if entry.section in by_section:
            by_section[entry.section].append(entry)
    for key, group in state.sections.items():
        group.reset(by_section[key])
    state.latest.reset(articles)

    # Tags: grouped by normalised form so "三会一课" and "三会一课 " are one tag.
    state.tag_groups, state.tag_spellings, state.tag_norms = {}, {}, {}
    members: dict[str, list[Entry]] = {}
    for entry in sorted(articles, key=lambda e: e.src_uri):
        for slug, spelling, norm in entry_slugs(entry):
            check_tag(state, slug, spelling, norm)
            state.tag_spellings.setdefault(slug, {})[entry.src_uri] = spelling
            members.setdefault(slug, []).append(entry)
    for slug, tagged in members.items():
        group = tag_group(state, slug)
        group.reset(tagged)

    for key in sorted(state.sections):
        listings.paginate(state, state.sections[key])
    for slug in sorted(state.tag_groups):
        listings.paginate(state, state.tag_groups[slug])
    listings.tags_index(state)
    listings.home(state)

    state.sitemap = [{} for _ in range(sitemap.SITEMAP_SHARDS)]
    for entry in entries.values():
        sitemap.put_entry(state, entry)
    for src in state.virtual:
        sitemap.put_url(state, url_for(src), "")
    for src in site_pages.sitemap_sources(state.site):
        sitemap.put_url(state, url_for(src), "")
    state.sitemap_dirty = set(range(sitemap.SITEMAP_SHARDS))

    pages = set(entries) | set(state.virtual)
    state.gone |= old_pages - pages
    state.touched |= pages
    live = pages | set(state.assets) | set(state.site.pages) | set(state.site.assets)
    theme = theme_key(inputs)
    for src in [s for s, o in state.outputs.items()
                if s not in live and not s.startswith(GENERATED) and o["key"] != theme]:
        state.gone.add(src)
    for src, path in state.assets.items():
        state.set_output(src, asset_key(path), src)
    state.dirty_records = None  # every state shard is written again (unchanged bytes are skipped)


def check_tag(state: Catalogue, slug: str, spelling: str, norm: str) -> None:
    known = state.tag_norms.get(slug)
    if known is not None and known != norm:
        raise ContentError(f"标签“{tag_name(state, slug)}”与“{spelling}”的网址标识冲突（{slug}）")
    state.tag_norms[slug] = norm


def tag_group(state: Catalogue, slug: str) -> Group:
    group = state.tag_groups.get(slug)
    if group is None:
        group = Group("tag", f"{TAGS_DIR}/{slug}.md", f"{TAGS_DIR}/{slug}/", "", generate_first=True)
        state.tag_groups[slug] = group
    return group


def apply_changes(state: Catalogue) -> None:
    """Update listings, tags, home page and sitemap for the articles that changed
    (``state.pending``): only the groups those articles are (or were) in are paginated
    again, and within a group only pages whose articles changed get a new listing."""
    sections: set[str] = set()
    tags: set[str] = set()
    emptied: dict[str, Group] = {}
    for src, old in sorted(state.pending.items()):
        new = state.entries.get(src)
        if old is not None:
            _unlist(state, old, sections, tags, emptied)
        if new is not None:
            new.section = section_of(src, state.containers)
            _list(state, new, sections, tags)
            state.touched.add(src)
        else:
            state.gone.add(src)
    for key in sorted(sections):
        listings.paginate(state, state.sections[key])
    for slug in sorted(tags):
        group = state.tag_groups.get(slug)
        if group is None:  # the tag's last article went: so do its pages
            for page in emptied[slug].page_srcs:
                listings.drop_page(state, page)
        else:
            listings.paginate(state, group)
    if tags:
        listings.tags_index(state)
    listings.home(state)


def _list(state: Catalogue, entry: Entry, sections: set[str], tags: set[str]) -> None:
    sitemap.put_entry(state, entry)
    if entry.kind != "article" or not entry.date:
        return
    group = state.sections.get(entry.section) if entry.section else None
    if group is not None and entry.section:
        group.add(entry)
        sections.add(entry.section)
    state.latest.add(entry)
    for slug, spelling, norm in entry_slugs(entry):
        check_tag(state, slug, spelling, norm)
        state.tag_spellings.setdefault(slug, {})[entry.src_uri] = spelling
        tag_group(state, slug).add(entry)
        tags.add(slug)


def _unlist(state: Catalogue, entry: Entry, sections: set[str], tags: set[str], emptied: dict[str, Group]) -> None:
    sitemap.drop_url(state, entry.url)
    if entry.kind != "article" or not entry.date:
        return
    group = state.sections.get(entry.section) if entry.section else None
    if group is not None and entry.section:
        group.remove(entry)
        sections.add(entry.section)
    state.latest.remove(entry)
    for slug, _spelling, _norm in entry_slugs(entry):
        group = state.tag_groups[slug]
        group.remove(entry)
        del state.tag_spellings[slug][entry.src_uri]
        tags.add(slug)
        if not group.items:
            emptied[slug] = state.tag_groups.pop(slug)
            del state.tag_spellings[slug], state.tag_norms[slug]


def breadcrumbs(state: Catalogue, entry: Entry | None) -> list[dict[str, str]]:
    """The trail above a page: home, then each section down to the page's own."""
    trail = []
    while entry is not None and entry.section:
        parent = state.entries[entry.section]
        trail.append({"title": "首页" if parent.kind == "home" else parent.title, "url": parent.url})
        entry = parent
    return list(reversed(trail))
