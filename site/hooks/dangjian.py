"""MkDocs hook for the public site.

Keeps a catalogue of every page's front matter (docs/content-format.md is the contract)
and from it

* builds the navigation: home + top-level sections only, so an article's HTML does not
  depend on any other article (material's default nav puts every page into every page);
* generates listing pages: each section's articles newest first, and tag pages
  (``tags/``, ``tags/<slug>/``), as virtual files, with *stable* pagination: archive pages
  are fixed chunks counted from the oldest article (``news/page/1/`` is the oldest), so
  publishing or withdrawing the newest article changes the first page and at most two
  archive pages however long the section is (see ``_paginate``);
* gives templates what they need for the article meta line, breadcrumbs, listings,
  the announcement banner and the footer (``dj`` in the page context);
* writes the RSS 2.0 feed ``feed.xml`` and the sitemap (``sitemap.xml``, an index of
  ``sitemaps/NN.xml`` shards by URL hash, so a publish rewrites one or two shards);
* decides what an incremental build renders (``_plan_outputs``) and keeps the catalogue
  for the next build: build_scripts hands it back (``extra._catalogue``) in a long-lived
  process, so a publish reads and recomputes only what changed (``_apply_changes``);
* prints progress to stderr when ``extra._progress`` is set (by build_scripts);
* makes every value from content/ safe on its way into HTML (``build_scripts.html_safety``):
  rendered Markdown is sanitised (``on_page_content``), our templates autoescape
  (``on_env``), and the values material's own templates print raw — page and navigation
  titles, the site name, table-of-contents entries, page meta — are handed to them
  already escaped; content pages cannot set any other front matter material reads.

Content problems are logged as warnings naming the file, so a strict build fails with
all of them at once instead of stopping at the first.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import json
import os
import posixpath
import re
import sys
import tempfile
import unicodedata
import xml.etree.ElementTree as ET
import zlib
from dataclasses import dataclass, field
from email.utils import format_datetime
from xml.sax.saxutils import escape as xml_escape
from urllib.parse import urljoin, urlsplit

import jinja2
import yaml
from markupsafe import Markup
from mkdocs.exceptions import PluginError
from mkdocs.plugins import get_plugin_logger
from mkdocs.structure.files import File, Files

from build_scripts.html_safety import escape, html_to_text, plain, safe_url, sanitize_html
from build_scripts.site_paths import FEED, PAGE_SIZE, SITEMAP, SITEMAP_DIR, TAGS_DIR, archive_page_count, archive_url, tag_slug

import dj_public_forms  # site/hooks/dj_public_forms.py: public feedback forms (type: form)
import dj_site_pages  # site/hooks/dj_site_pages.py: the member area and help pages (site/pages/)

log = get_plugin_logger("dangjian")

HOME_LATEST = 10
FEED_SIZE = 20
ARTICLE_TYPES = {"news", "openness", "theory", "faq"}
# A public feedback form (群众心声 …): listed in its section like an article, rendered with
# the form from its ``dj_form`` front matter (hooks/dj_public_forms.py).
FORM_TYPE = "form"
TYPES = {"home", "section", FORM_TYPE} | ARTICLE_TYPES
SHANGHAI = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
SITEMAP_SHARDS = 64
STATE_SHARDS = 64
STATE_FORMAT = 2  # build_scripts/site_build.py BUILD_STATE_FORMAT
# Outputs this hook writes itself (not MkDocs pages): their src in the build state.
GENERATED = "generated:"

_FRONT_MATTER = re.compile(r"\A-{3}[ \t]*\n(.*?\n)?(?:-{3}|\.{3})[ \t]*(?:\n|\Z)", re.S)
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# --------------------------------------------------------------------------- model


@dataclass(eq=False)  # identity: listings are compared by which Entry objects they hold
class Entry:
    """One content page, from its front matter. Never changed once built: a changed page
    gets a new Entry, which is how listings notice it."""

    src_uri: str
    url: str  # site-relative, e.g. "news/foo/"
    meta: dict
    title: str
    kind: str  # "home" | "section" | "article"
    date: dt.date | None = None
    tags: list[str] = field(default_factory=list)
    section: str | None = None  # src_uri of the parent section/home index
    view: dict | None = field(default=None, repr=False)  # _article_view, computed once

    @property
    def order(self) -> int:
        value = self.meta.get("order")
        return value if isinstance(value, int) else 0

    @property
    def sort_key(self) -> tuple:
        """Listing order (ascending = oldest first); unique because the URL is."""
        return (self.date or dt.date.min, self.meta.get("page_id") or 0, self.url)


@dataclass(eq=False)
class Listing:
    """What one generated or section/home page shows below its intro."""

    kind: str  # "section" | "home" | "tag" | "tags"
    items: list[Entry]  # newest first
    base_url: str = ""  # url of the first page
    subsections: list[Entry] = field(default_factory=list)
    tags: list[dict] = field(default_factory=list)
    pager: dict | None = None  # urls: newest / newer / older / oldest (None = no link)
    archive: list[dict] = field(default_factory=list)  # first page: every archive page, newest first
    label: str = ""  # archive page: the dates its articles span
    memo: tuple = ()  # what the listing was made from (see _paginate)
    _digest: str | None = field(default=None, repr=False)

    @property
    def digest(self) -> str:
        if self._digest is None:
            self._digest = _digest(_listing_view(self))
        return self._digest


class Group:
    """Articles listed together (one section's own articles, or one tag's), oldest first."""

    def __init__(self, kind: str, base_src: str, base_url: str, title: str, *,
                 subsections=(), generate_first: bool = False) -> None:
        self.kind = kind
        self.base_src = base_src
        self.base_url = base_url
        self.title = title
        self.subsections = list(subsections)
        self.generate_first = generate_first  # the first page is virtual too (tags)
        self.keys: list[tuple] = []
        self.items: list[Entry] = []
        self.page_srcs: list[str] = []  # pages made by the last _paginate

    def reset(self, entries) -> None:
        self.items = sorted(entries, key=lambda e: e.sort_key)
        self.keys = [e.sort_key for e in self.items]

    def add(self, entry: Entry) -> None:
        key = entry.sort_key
        index = bisect.bisect_left(self.keys, key)
        self.keys.insert(index, key)
        self.items.insert(index, entry)

    def remove(self, entry: Entry) -> None:
        index = bisect.bisect_left(self.keys, entry.sort_key)
        if index >= len(self.items) or self.items[index] is not entry:
            raise PluginError(f"{entry.src_uri}: 列表索引不一致（内部错误）")
        del self.keys[index]
        del self.items[index]

    def newest(self, count: int) -> list[Entry]:
        return self.items[-count:][::-1] if count else []


class _State:
    """The catalogue of content/ and what was derived from it.

    Kept between builds in a long-lived process (build_scripts passes it back as
    ``extra._catalogue`` together with the paths that changed), so it must always describe
    the release it was built for: build_scripts drops it when a build fails.
    """

    def __init__(self) -> None:
        self.ready = False  # holds a complete catalogue (set at the end of a build)
        self.sources: dict[str, dict] = {}  # src_uri -> {stat, digest, meta}, reused next build
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
        self.shared: str | None = None  # digest of what every page shows (settings, nav, theme)
        self.outputs: dict[str, dict] = {}  # src -> {"key", "dest"}: what the release holds
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
        self.generated: dict[str, bytes] = {}  # dest -> bytes written by on_post_build
        self.changed: list[str] = []  # dest_uri of documentation pages rendered this build
        self.removed: list[str] = []  # dest_uri of outputs the previous release has but this one drops
        self.site = dj_site_pages.SitePages()  # pages the site owns (site/pages/), not content/
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
            raise PluginError(f"{src}: 输出路径 {dest} 与 {owner} 冲突")
        if self.html_outputs is not None:
            self.html_outputs += dest.endswith(".html") - (old is not None and old["dest"].endswith(".html"))
        self.outputs[src] = record
        self.dest_owner[dest] = src
        self.state_shards[_state_shard(src)].add(src)
        self.modified.add(src)
        self.mark(src)

    def drop_output(self, src: str) -> None:
        old = self.outputs.pop(src, None)
        if old is None:
            return
        if self.html_outputs is not None:
            self.html_outputs -= old["dest"].endswith(".html")
        self._release_dest(src, old["dest"])
        self.state_shards[_state_shard(src)].discard(src)
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

    def state_files(self, all_files: bool) -> dict[str, bytes]:
        """``.build-state/`` files: per-output keys and parsed sources, sharded by src so a
        publish rewrites a few small files (only those whose content changes)."""
        if all_files or self.dirty_records is None:
            shards = range(STATE_SHARDS)
        else:
            shards = sorted({_state_shard(src) for src in self.dirty_records})
        files = {"meta.json": _dumps({"format": STATE_FORMAT, "signature": self.signature})}
        for shard in shards:
            records = {}
            for src in self.state_shards[shard]:
                record = dict(self.outputs[src])
                if src in self.sources and src in self.pages:
                    record["source"] = self.sources[src]
                records[src] = record
            files[f"{shard:02x}.json"] = _dumps(records)
        return files


_state = _State()


def _state_shard(src: str) -> int:
    return zlib.crc32(src.encode("utf-8")) % STATE_SHARDS


def _dumps(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


# --------------------------------------------------------------------------- helpers


def format_date(value: dt.date | None) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


def format_range(first: dt.date, last: dt.date) -> str:
    """The dates a listing page spans: 2026年3月1日—3月5日."""
    if first == last:
        return format_date(first)
    if first.year == last.year:
        return f"{format_date(first)}—{last.month}月{last.day}日"
    return f"{format_date(first)}—{format_date(last)}"


def _parse_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _front_matter(state: _State, path: str, src_uri: str, cached: dict | None) -> dict | None:
    """Front matter of a page, reusing the previous build's parse when the file is unchanged.

    Parsing YAML is the costliest part of reading 10,000 pages; a file the exporter has not
    rewritten keeps its size and mtime (it writes by atomic rename, so any change moves both).
    """
    stat = os.stat(path)
    key = [stat.st_size, stat.st_mtime_ns]
    if cached and cached.get("stat") == key:
        state.digests[src_uri] = cached["digest"]
        state.sources[src_uri] = cached
        return cached["meta"]
    state.sources.pop(src_uri, None)
    meta = _read_front_matter(state, path, src_uri)
    if meta is not None:
        # Through JSON once, so a fresh parse and a cached one are the same values.
        meta = json.loads(json.dumps(meta, ensure_ascii=False, default=str))
        state.sources[src_uri] = {"stat": key, "digest": state.digests[src_uri], "meta": meta}
    return meta


def _read_front_matter(state: _State, path: str, src_uri: str) -> dict | None:
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


def _section_of(src_uri: str, sections: set[str]) -> str | None:
    """src_uri of the nearest section (or home) index above a page."""
    directory = posixpath.dirname(src_uri)
    if posixpath.basename(src_uri) == "index.md":
        if not directory:
            return None
        directory = posixpath.dirname(directory)
    while True:
        candidate = posixpath.join(directory, "index.md") if directory else "index.md"
        if candidate in sections:
            return candidate
        if not directory:
            return None
        directory = posixpath.dirname(directory)


def _archive_src(base_src: str, number: int) -> str:
    """src_uri of archive page `number` of the listing whose first page is `base_src`."""
    folder = posixpath.dirname(base_src) if base_src.endswith("index.md") else base_src[:-3]
    return posixpath.join(folder, "page", f"{number}.md")


def _virtual_page(title: str) -> str:
    # A JSON string is a valid YAML scalar, and much cheaper to produce for thousands of
    # listing pages than yaml.safe_dump.
    return f"---\ntitle: {json.dumps(title, ensure_ascii=False)}\ntype: listing\n---\n"


def _progress(config, message: str) -> None:
    if config.extra.get("_progress"):
        print(message, file=sys.stderr, flush=True)


def _digest(value) -> str:
    return hashlib.sha1(json.dumps(value, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()


def _is_source(config, src: str) -> bool:
    """Whether content/`src` is part of the site, as MkDocs' own scan decides (no dotfiles
    or dot-directories, not excluded by exclude_docs)."""
    return (not any(part.startswith(".") for part in src.split("/"))
            and not config.exclude_docs.match_file(src))


# --------------------------------------------------------------------------- events


def on_config(config):
    global _state
    # A catalogue handed back by build_scripts describes the current release; otherwise
    # start empty (full build, or the first incremental build of this process).
    catalogue = config.extra.get("_catalogue")
    _state = catalogue if catalogue is not None else _State()
    _state.begin()
    announcement = config.extra.get("announcement")
    if isinstance(announcement, dict) and announcement.get("text"):
        # A link that is not http(s) or site-relative is dropped, the text stays.
        url = safe_url((announcement.get("url") or "").strip()) or ""
        internal = url.startswith("/")
        config.extra["announcement"] = {
            "text": plain(announcement["text"]),
            "url": url,
            "path": url.lstrip("/") if internal else "",
            "internal": internal,
        }
    else:
        config.extra["announcement"] = None
    # material's header, drawer and <title> print the site name without escaping.
    config.site_name = escape(config.site_name)
    config.extra["build_year"] = dt.datetime.now(SHANGHAI).year
    # The sitemap is written by on_post_build from the whole catalogue: MkDocs' template only
    # sees the files of this run, which in an incremental build are the changed ones.
    config.theme.static_templates.discard("sitemap.xml")
    return config


def on_files(files: Files, config) -> Files:
    state = _state
    # Incremental builds run MkDocs on an empty docs_dir: this hook knows the catalogue of
    # content/ (kept from the last build, or read from the previous release's state) and
    # hands MkDocs only the files that must be rendered or copied. A full build lets MkDocs
    # scan.
    warm = state.ready
    previous = config.extra.get("_previous_outputs")
    sparse = warm or previous is not None
    content_dir = config.extra.get("_content_dir") or config.docs_dir
    state.signature = config.extra.get("_theme_signature")

    if warm:
        pages, assets = _changed_sources(state, config, content_dir)
    elif sparse:
        pages, assets = _scan_content(config, content_dir)
    else:
        pages = {f.src_uri: f.abs_src_path for f in files.documentation_pages()}
        assets = {f.src_uri: f.abs_src_path for f in files
                  if not f.is_documentation_page() and f.inclusion.is_included()
                  and _inside(f.abs_src_path, config.docs_dir)}
    for src in [*pages, *assets]:
        if src == TAGS_DIR or src.startswith(TAGS_DIR + "/"):
            raise PluginError(f"{src}: 路径 /{TAGS_DIR}/ 保留给标签页，内容中不能使用")
        if _dest_for(src) in (FEED, SITEMAP) or src.startswith(SITEMAP_DIR + "/"):
            raise PluginError(f"{src}: 路径 /{_dest_for(src)} 保留给网站自动生成的文件，内容中不能使用")
    # --- site pages (dj_site_pages): collected once per build, their paths reserved.
    state.site = dj_site_pages.collect(config)
    dj_site_pages.check_clashes(state.site, list(pages) + list(assets))

    if warm:
        _progress(config, f"读取 {sum(1 for p in pages.values() if p)} 个有变化的页面 …")
        structural = _apply_sources(state, pages, assets)
        for src, path in pages.items():
            if path is not None and src in state.virtual:  # (a full build finds it in _put_page)
                raise PluginError(f"{src}: 与自动生成的列表页冲突，请修改该页面的网址")
        if "index.md" not in state.entries:
            raise PluginError("content/index.md（首页）缺失")
        if structural or _shared_digest(state, config) != state.shared:
            _derive_all(state, config)
        else:
            _apply_changes(state, config)
    else:
        if "index.md" not in pages:
            raise PluginError("content/index.md（首页）缺失")
        _progress(config, f"读取 {len(pages)} 个页面的 front matter …")
        cached = config.extra.get("_previous_sources") or {}
        for src_uri, path in sorted(pages.items()):
            state.entries[src_uri] = _load_page(state, src_uri, path, cached.get(src_uri))
        state.pages = dict(pages)
        state.assets = dict(assets)
        if previous:
            # The previous release's outputs: unchanged keys are not rendered again.
            state.html_outputs = None
            for src, record in previous.items():
                state.outputs[src] = record
                state.dest_owner[record["dest"]] = src
                state.state_shards[_state_shard(src)].add(src)
        _derive_all(state, config)

    # A static nav of home + top-level sections; every other page is built but unlisted.
    config["nav"] = [{"首页": "index.md"}] + [{e.title: e.src_uri} for e in state.nav_sections]
    config["nav"] += dj_site_pages.nav_items(state.site)  # 党员学习, 使用指南: after the CMS's sections
    modified = _plan_outputs(files, config, state, full=previous is None and not warm)
    if sparse:
        _hand_to_mkdocs(files, config, state, content_dir, modified)
    else:
        for src, content in sorted(state.virtual.items()):
            files.append(File.generated(config, src, content=content))
        for f in dj_site_pages.files(state.site, config):
            files.append(f)
        for f in files.documentation_pages():
            if _dest_for(f.src_uri) != f.dest_uri:  # _dest_for must agree with MkDocs
                raise PluginError(f"{f.src_uri}: 输出路径 {f.dest_uri} 与预期不符")
    state.total_pages = len(state.changed)
    _progress(config, f"共 {len(state.entries) + len(state.virtual)} 个页面（含 {len(state.virtual)} 个生成的列表页），"
                      f"本次渲染 {state.total_pages} 个")
    return files


def _inside(path: str | None, directory: str) -> bool:
    return bool(path) and os.path.abspath(path).startswith(os.path.abspath(directory) + os.sep)


def _scan_content(config, content_dir: str) -> tuple[dict[str, str], dict[str, str]]:
    """Pages and assets of content/, selected the way MkDocs' own scan selects them."""
    pages, assets = {}, {}
    for directory, subdirs, filenames in os.walk(content_dir):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        relative = os.path.relpath(directory, content_dir)
        for name in sorted(filenames):
            src = name if relative == "." else f"{relative}/{name}".replace(os.sep, "/")
            if name.startswith(".") or config.exclude_docs.match_file(src):
                continue
            (pages if name.endswith(".md") else assets)[src] = os.path.join(directory, name)
    return pages, assets


def _changed_sources(state: _State, config, content_dir: str) -> tuple[dict, dict]:
    """Pages and assets that may have changed since the catalogue was made: src -> path, or
    None when it is gone. From build_scripts' list of changed paths when it has one (git
    knows what a publish changed), else by comparing every file's size and mtime."""
    pages: dict[str, str | None] = {}
    assets: dict[str, str | None] = {}
    paths = config.extra.get("_changed_paths")
    if paths is None:
        found_pages, found_assets = _scan_content(config, content_dir)
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
            if known is None or known["key"] != _asset_key(path):
                assets[src] = path
        return pages, assets
    for src in paths:
        if not _is_source(config, src):
            continue
        path = os.path.join(content_dir, src)
        present = path if os.path.isfile(path) else None
        (pages if src.endswith(".md") else assets)[src] = present
    return pages, assets


def _load_page(state: _State, src_uri: str, path: str, cached: dict | None) -> Entry:
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
        src_uri=src_uri, url=_url_for(src_uri), meta=meta, kind=kind,
        title=str(meta.get("title") or posixpath.splitext(posixpath.basename(src_uri))[0]),
    )
    if kind == "article":
        entry.date = _parse_date(meta.get("date"))
        if entry.date is None and checked:
            log.warning(f"{src_uri}: date 应为 YYYY-MM-DD，实际为 {meta.get('date')!r}")
        tags = meta.get("tags") or []
        if not isinstance(tags, list):
            log.warning(f"{src_uri}: tags 应为列表")
            tags = []
        entry.tags = [str(t).strip() for t in tags if str(t).strip()]
        if kind_raw == FORM_TYPE and checked:
            try:
                dj_public_forms.form_view(meta)
            except dj_public_forms.FormProblem as problem:
                log.warning(f"{src_uri}: {problem}")
    return entry


def _asset_key(path: str) -> str:
    # Content assets carry their content hash in their name and are never rewritten in
    # place, so size and mtime are a safe, cheap key.
    stat = os.stat(path)
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def _url_for(src_uri: str) -> str:
    dest = _dest_for(src_uri)
    return "" if dest == "index.html" else dest[: -len("index.html")]


def _dest_for(src_uri: str) -> str:
    """Where MkDocs writes a page (use_directory_urls); checked against MkDocs in full builds."""
    if not src_uri.endswith(".md"):
        return src_uri
    stem = src_uri[:-3]
    if posixpath.basename(stem) in ("index", "README"):
        return posixpath.join(posixpath.dirname(stem), "index.html")
    return f"{stem}/index.html"


_ASSET_LINK = re.compile(r"/(assets/[^\s\"'()<>]+)")


def _hand_to_mkdocs(files: Files, config, state: _State, content_dir, modified: set[str]):
    """Give an incremental MkDocs run what it must render or copy, plus what those pages
    link to (navigation pages, assets) so links validate exactly as in a full build."""
    wanted = set(modified) | {"index.md"} | {e.src_uri for e in state.nav_sections}
    for src in sorted(wanted):
        if src in state.pages:
            files.append(File(src, content_dir, config.site_dir, config.use_directory_urls))
            with open(state.pages[src], encoding="utf-8-sig") as fh:
                wanted.update(m for m in _ASSET_LINK.findall(fh.read()) if m in state.assets)
        elif src in state.virtual:
            files.append(File.generated(config, src, content=state.virtual[src]))
    for src in sorted(wanted):
        if src in state.assets and files.get_file_from_path(src) is None:
            files.append(File(src, content_dir, config.site_dir, config.use_directory_urls))
    for f in dj_site_pages.files(state.site, config):  # few; in the nav, so always present
        files.append(f)
    for f in files:
        is_modified = f.src_uri in modified
        # MkDocs' dirty build asks each file whether to read, render and copy it.
        f.is_modified = (lambda is_modified=is_modified: is_modified)


# --------------------------------------------------------------------------- catalogue


def _apply_sources(state: _State, pages: dict, assets: dict) -> bool:
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
            new = _load_page(state, src, path, state.sources.get(src))
            state.pages[src] = path
            state.mark(src)  # the recorded size and mtime may have moved
            if old is not None and state.digests[src] == old_digest and new.meta == old.meta:
                continue  # same source: the old Entry stays (listings compare identities)
            state.entries[src] = new
        state.pending[src] = old
        if posixpath.basename(src) == "index.md":
            structural = True
    for src, path in sorted(assets.items()):
        if path is None:
            state.assets.pop(src, None)
            state.drop_output(src)
        else:
            state.assets[src] = path
            state.set_output(src, _asset_key(path), src)
    return structural


def _shared_digest(state: _State, config) -> str:
    """What every page shows: site settings, the navigation (home + top-level sections and
    their intros), the theme. A change re-renders every page, as a full build would.
    (``state.nav_sections`` only changes with a structural change, which derives it again.)"""
    nav = state.nav_sections
    return _digest({
        "settings": {k: config.extra.get(k) for k in ("org_name", "icp_number", "announcement", "build_year")},
        "site_url": config.site_url,
        "nav": [(e.title, e.src_uri, e.meta.get("intro") or "") for e in nav],
        "theme": config.extra.get("_theme_signature"),
    })


def _entry_slugs(entry: Entry) -> list[tuple[str, str, str]]:
    """(slug, spelling, normalised) of an article's tags, each tag once."""
    found, seen = [], set()
    for tag in entry.tags:
        slug = tag_slug(tag)
        if slug not in seen:
            seen.add(slug)
            found.append((slug, tag, unicodedata.normalize("NFKC", tag).strip()))
    return found


def _tag_name(state: _State, slug: str) -> str:
    # The spelling of the first article (in path order) carrying the tag: independent of
    # the order pages were published in, so incremental and full builds agree.
    spellings = state.tag_spellings[slug]
    return spellings[min(spellings)]


def _derive_all(state: _State, config) -> None:
    """Derive navigation, listings, tags, sitemap and every page's key from the entries."""
    entries = state.entries
    state.containers = {k for k, e in entries.items() if e.kind in ("home", "section")}
    for entry in entries.values():
        entry.section = _section_of(entry.src_uri, state.containers)
    children: dict[str, list[Entry]] = {k: [] for k in state.containers}
    for key in state.containers:
        entry = entries[key]
        if entry.section:
            children[entry.section].append(entry)
    for key in children:
        children[key].sort(key=lambda e: (e.order, e.url))
    state.nav_sections = children.get("index.md", [])
    state.shared = _shared_digest(state, config)
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
        for slug, spelling, norm in _entry_slugs(entry):
            _check_tag(state, slug, spelling, norm)
            state.tag_spellings.setdefault(slug, {})[entry.src_uri] = spelling
            members.setdefault(slug, []).append(entry)
    for slug, tagged in members.items():
        group = _tag_group(state, slug)
        group.reset(tagged)

    for key in sorted(state.sections):
        _paginate(state, state.sections[key])
    for slug in sorted(state.tag_groups):
        _paginate(state, state.tag_groups[slug])
    _tags_index(state)
    _home(state)

    state.sitemap = [{} for _ in range(SITEMAP_SHARDS)]
    for entry in entries.values():
        _sitemap_put(state, entry)
    for src in state.virtual:
        _sitemap_put_url(state, _url_for(src), "")
    for src in dj_site_pages.sitemap_sources(state.site):
        _sitemap_put_url(state, _url_for(src), "")
    state.sitemap_dirty = set(range(SITEMAP_SHARDS))

    pages = set(entries) | set(state.virtual)
    state.gone |= old_pages - pages
    state.touched |= pages
    live = pages | set(state.assets) | set(state.site.pages) | set(state.site.assets)
    theme_key = f"theme:{config.extra.get('_theme_signature')}"
    for src in [s for s, o in state.outputs.items()
                if s not in live and not s.startswith(GENERATED) and o["key"] != theme_key]:
        state.gone.add(src)
    for src, path in state.assets.items():
        state.set_output(src, _asset_key(path), src)
    state.dirty_records = None  # every state shard is written again (unchanged bytes are skipped)


def _check_tag(state: _State, slug: str, spelling: str, norm: str) -> None:
    known = state.tag_norms.get(slug)
    if known is not None and known != norm:
        raise PluginError(f"标签“{_tag_name(state, slug)}”与“{spelling}”的网址标识冲突（{slug}）")
    state.tag_norms[slug] = norm


def _tag_group(state: _State, slug: str) -> Group:
    group = state.tag_groups.get(slug)
    if group is None:
        group = Group("tag", f"{TAGS_DIR}/{slug}.md", f"{TAGS_DIR}/{slug}/", "", generate_first=True)
        state.tag_groups[slug] = group
    return group


def _apply_changes(state: _State, config) -> None:
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
            new.section = _section_of(src, state.containers)
            _list(state, new, sections, tags)
            state.touched.add(src)
        else:
            state.gone.add(src)
    for key in sorted(sections):
        _paginate(state, state.sections[key])
    for slug in sorted(tags):
        group = state.tag_groups.get(slug)
        if group is None:  # the tag's last article went: so do its pages
            for page in emptied[slug].page_srcs:
                _drop_page(state, page)
        else:
            _paginate(state, group)
    if tags:
        _tags_index(state)
    _home(state)


def _list(state: _State, entry: Entry, sections: set[str], tags: set[str]) -> None:
    _sitemap_put(state, entry)
    if entry.kind != "article" or not entry.date:
        return
    group = state.sections.get(entry.section)
    if group is not None:
        group.add(entry)
        sections.add(entry.section)
    state.latest.add(entry)
    for slug, spelling, norm in _entry_slugs(entry):
        _check_tag(state, slug, spelling, norm)
        state.tag_spellings.setdefault(slug, {})[entry.src_uri] = spelling
        _tag_group(state, slug).add(entry)
        tags.add(slug)


def _unlist(state: _State, entry: Entry, sections: set[str], tags: set[str], emptied: dict) -> None:
    _sitemap_drop(state, entry.url)
    if entry.kind != "article" or not entry.date:
        return
    group = state.sections.get(entry.section)
    if group is not None:
        group.remove(entry)
        sections.add(entry.section)
    state.latest.remove(entry)
    for slug, _spelling, _norm in _entry_slugs(entry):
        group = state.tag_groups[slug]
        group.remove(entry)
        del state.tag_spellings[slug][entry.src_uri]
        tags.add(slug)
        if not group.items:
            emptied[slug] = state.tag_groups.pop(slug)
            del state.tag_spellings[slug], state.tag_norms[slug]


def _group_crumbs(state: _State, group: Group) -> list[dict]:
    """Breadcrumbs of a group's generated pages (as on_page_context shows them)."""
    if group.kind == "section":
        base = state.entries[group.base_src]
        return _breadcrumbs(base) + [{"title": base.title, "url": base.url}]
    return [{"title": "首页", "url": ""}, {"title": "标签", "url": f"{TAGS_DIR}/"}]


def _paginate(state: _State, group: Group) -> None:
    """(Re)make a group's listing pages with stable pagination.

    Archive pages are fixed chunks of PAGE_SIZE articles counted from the oldest: page 1
    holds the oldest twenty. The first page (the section page itself, or the tag page)
    shows the newest articles that fill no archive page plus the newest full chunk (20–39
    articles), and links every archive page. So a new article changes the first page, and
    every twentieth one also adds an archive page and relinks the previous one; an old
    article's edit changes its own chunk only. Pages whose articles and links are
    unchanged (compared by identity, ``Listing.memo``) keep their listing and key.
    """
    items = group.items
    if group.kind == "tag":
        group.title = f"标签：{_tag_name(state, group.base_src[len(TAGS_DIR) + 1:-3])}"
    full = len(items) // PAGE_SIZE
    archive_count = archive_page_count(len(items))
    chunks = [items[(k - 1) * PAGE_SIZE: k * PAGE_SIZE] for k in range(1, archive_count + 1)]
    labels = [format_range(chunk[0].date, chunk[-1].date) for chunk in chunks]
    crumbs = None
    made = []
    for number, chunk in enumerate(chunks, start=1):
        src = _archive_src(group.base_src, number)
        made.append(src)
        memo = ("archive", group.title, number, number < archive_count, tuple(chunk))
        if _same(state, src, memo):
            continue
        pager = {
            "newest": group.base_url,
            "newer": archive_url(group.base_url, number + 1) if number < archive_count else group.base_url,
            "older": archive_url(group.base_url, number - 1) if number > 1 else None,
            "oldest": archive_url(group.base_url, 1) if number > 2 else None,
        }
        crumbs = crumbs or _digest(_group_crumbs(state, group))
        _put_page(state, src, Listing(kind=group.kind, items=chunk[::-1], base_url=group.base_url,
                                      pager=pager, label=labels[number - 1], memo=memo),
                  virtual=_virtual_page(f"{group.title}（{labels[number - 1]}）"), crumbs=crumbs)
    first = items[(full - 1) * PAGE_SIZE:] if full >= 1 else items
    src = group.base_src
    made.append(src)
    memo = ("first", group.title, tuple(first), tuple(labels), tuple(group.subsections))
    if not _same(state, src, memo):
        pager = None
        if archive_count:
            pager = {"newest": None, "newer": None,
                     "older": archive_url(group.base_url, archive_count),
                     "oldest": archive_url(group.base_url, 1) if archive_count > 1 else None}
        archive = [{"url": archive_url(group.base_url, n), "label": labels[n - 1]}
                   for n in range(archive_count, 0, -1)]
        listing = Listing(kind=group.kind, items=first[::-1], base_url=group.base_url,
                          subsections=group.subsections, pager=pager, archive=archive, memo=memo)
        if group.generate_first:
            crumbs = crumbs or _digest(_group_crumbs(state, group))
            _put_page(state, src, listing, virtual=_virtual_page(group.title), crumbs=crumbs)
        else:
            state.listings[src] = listing
            state.touched.add(src)
    for src in set(group.page_srcs) - set(made):
        _drop_page(state, src)
    group.page_srcs = made


def _same(state: _State, src: str, memo: tuple) -> bool:
    listing = state.listings.get(src)
    return listing is not None and listing.memo == memo


def _put_page(state: _State, src: str, listing: Listing, *, virtual: str, crumbs: str) -> None:
    """A generated listing page, new or changed."""
    if src in state.entries:
        raise PluginError(f"{src}: 与自动生成的列表页冲突，请修改该页面的网址")
    if src not in state.virtual:
        _sitemap_put_url(state, _url_for(src), "")
    state.listings[src] = listing
    state.virtual[src] = virtual
    state.virtual_crumbs[src] = crumbs
    state.touched.add(src)


def _drop_page(state: _State, src: str) -> None:
    if src in state.virtual:
        _sitemap_drop(state, _url_for(src))
    state.listings.pop(src, None)
    state.virtual.pop(src, None)
    state.virtual_crumbs.pop(src, None)
    state.gone.add(src)


def _tags_index(state: _State) -> None:
    tag_index = sorted(
        ({"name": _tag_name(state, slug), "url": f"{TAGS_DIR}/{slug}/", "count": len(group.items)}
         for slug, group in state.tag_groups.items()),
        key=lambda t: (-t["count"], t["name"]),
    )
    src = f"{TAGS_DIR}/index.md"
    memo = ("tags", json.dumps(tag_index, ensure_ascii=False, sort_keys=True))
    if not _same(state, src, memo):
        _put_page(state, src, Listing(kind="tags", items=[], tags=tag_index, memo=memo),
                  virtual=_virtual_page("标签"),
                  crumbs=_digest([{"title": "首页", "url": ""}]))


def _home(state: _State) -> None:
    items = state.latest.newest(HOME_LATEST)
    memo = ("home", tuple(items), tuple(state.nav_sections))
    if not _same(state, "index.md", memo):
        state.listings["index.md"] = Listing(kind="home", items=items, subsections=state.nav_sections,
                                             base_url="", memo=memo)
        state.touched.add("index.md")


# --------------------------------------------------------------------------- sitemap


def _sitemap_shard(url: str) -> int:
    return zlib.crc32(url.encode("utf-8")) % SITEMAP_SHARDS


def _sitemap_put(state: _State, entry: Entry) -> None:
    _sitemap_put_url(state, entry.url, entry.date.isoformat() if entry.date else "")


def _sitemap_put_url(state: _State, url: str, lastmod: str) -> None:
    shard = _sitemap_shard(url)
    if state.sitemap[shard].get(url) != lastmod:
        state.sitemap[shard][url] = lastmod
        state.sitemap_dirty.add(shard)


def _sitemap_drop(state: _State, url: str) -> None:
    shard = _sitemap_shard(url)
    if state.sitemap[shard].pop(url, None) is not None:
        state.sitemap_dirty.add(shard)


# --------------------------------------------------------------------------- outputs


def _output_key(state: _State, src: str) -> str:
    """Hash of everything a page is rendered from: what all pages share, its own source,
    its breadcrumbs and its listing. Equal keys mean byte-identical output."""
    entry = state.entries.get(src)
    if entry is not None:
        crumbs = state.section_crumbs.get(entry.section)
        if crumbs is None:  # every page of a section shares its trail
            crumbs = state.section_crumbs[entry.section] = _digest(_breadcrumbs(entry))
        source = state.digests[src]
    else:
        crumbs = state.virtual_crumbs.get(src, "")
        source = _digest(state.virtual[src])
    listing = state.listings.get(src)
    listed = listing.digest if listing else ""
    return hashlib.sha1(f"{state.shared}|{source}|{crumbs}|{listed}".encode()).hexdigest()


def _plan_outputs(files: Files, config, state: _State, *, full: bool) -> set[str]:
    """Give every changed output a key of everything it is rendered from, compare with the
    previous release's keys and return the src_uris whose output must be rendered or copied.

    An output whose key is unchanged is byte-identical to the previous release's copy, so
    an incremental build renders only outputs with a new key and build_scripts shares the
    rest with the previous release. A page's key covers its own source, its breadcrumbs and
    listing, and the inputs every page shares (site settings, navigation, theme): a change
    to those re-renders everything, which is what a full build would produce anyway.
    """
    for src in sorted(s for s in state.gone if s not in state.entries and s not in state.virtual):
        state.drop_output(src)
    for src in sorted(state.touched):
        if src in state.entries or src in state.virtual:
            state.set_output(src, _output_key(state, src), _dest_for(src))
    # Site pages (site/pages/): keyed by their file and what every page shares; an unchanged
    # record is a no-op, so they are rendered only when one of those changed.
    for src, record in dj_site_pages.output_keys(state.site, state.shared, _dest_for).items():
        state.set_output(src, record["key"], record["dest"])
    _plan_generated(config, state)
    for f in [f for f in files if not f.is_documentation_page() and f.dest_uri in state.generated]:
        # Material's sitemap.xml template (no longer rendered: on_config) would otherwise be
        # copied as a static file over ours.
        files.remove(f)
    if full:
        theme_key = f"theme:{config.extra.get('_theme_signature')}"
        for f in files:
            if not f.is_documentation_page() and f.inclusion.is_included() and f.src_uri not in state.outputs:
                state.set_output(f.src_uri, theme_key, f.dest_uri)
    # Pages to render and assets to copy (theme files only in a full build: an incremental
    # one has the same theme, else it would be a full one, and they carry over).
    modified = {src for src in state.modified if not src.startswith(GENERATED)}
    state.changed = sorted(state.outputs[src]["dest"] for src in modified if src.endswith(".md"))
    state.removed = sorted(d for d in state.removed_dests if d not in state.dest_owner)
    return modified


def _plan_generated(config, state: _State) -> None:
    """feed.xml, sitemap.xml and the sitemap shards that changed: outputs keyed by their bytes."""
    site_url = config.site_url or ""
    for shard in sorted(state.sitemap_dirty):
        src = f"{GENERATED}{SITEMAP_DIR}/{shard:02x}.xml"
        urls = state.sitemap[shard]
        if urls:
            _set_generated(state, src, _sitemap_shard_xml(site_url, urls))
        else:
            state.drop_output(src)
    present = [s for s in range(SITEMAP_SHARDS) if state.sitemap[s]]
    _set_generated(state, GENERATED + SITEMAP, _sitemap_index_xml(site_url, present))
    feed = _feed_xml(config, state)
    if feed is not None:
        _set_generated(state, GENERATED + FEED, feed)


def _set_generated(state: _State, src: str, data: bytes) -> None:
    dest = src[len(GENERATED):]
    state.set_output(src, hashlib.sha1(data).hexdigest(), dest)
    state.generated[dest] = data


def _own_templates(config) -> frozenset[str]:
    overrides = os.path.join(os.path.dirname(os.path.abspath(config.config_file_path)), "overrides")
    names = set()
    for directory, _subdirs, filenames in os.walk(overrides):
        for name in filenames:
            if name.endswith(".html"):
                names.add(os.path.relpath(os.path.join(directory, name), overrides).replace(os.sep, "/"))
    # material's 404.html only extends our main.html; the blocks it renders are ours.
    return frozenset(names | {"404.html"})


def on_env(env, config, files):
    _progress(config, "Markdown 解析完成，开始渲染页面 …")
    # Our templates (site/overrides) escape every value they print unless it is marked safe;
    # material's templates keep MkDocs' default (no autoescape) and only ever get values
    # this hook escaped (page and nav titles, site name, toc, meta).
    own = _own_templates(config)
    env.autoescape = lambda name: name in own
    # Every printed string loses control characters first (html_safety.plain); values
    # already marked safe are left as they are.
    env.finalize = _printable
    # Compiling material's templates costs ~0.5 s a build; keep the bytecode between
    # builds (and worker restarts). Jinja checks each template's source before using it,
    # but not the autoescape and finalize policy above, which the bytecode depends on too:
    # the directory is per theme signature (site/, its hooks, html_safety), so a change
    # there compiles afresh.
    signature = str(config.extra.get("_theme_signature") or "unsigned")[:12]
    cache_dir = os.path.join(tempfile.gettempdir(), f"dangjian-jinja-{os.getuid()}-{signature}")
    os.makedirs(cache_dir, exist_ok=True)
    env.bytecode_cache = jinja2.FileSystemBytecodeCache(cache_dir)
    return env


def _printable(value):
    if isinstance(value, str) and not isinstance(value, Markup):
        return plain(value)
    return value


def on_nav(nav, config, files):
    # Tabs, the drawer and nav pages' own titles come from here; material prints them raw.
    def walk(items):
        for item in items:
            if item.title is not None:
                item.title = escape(item.title)
            if getattr(item, "children", None):
                walk(item.children)

    walk(nav.items)
    return nav


# Front matter keys of site/pages that material or our templates read; content pages keep
# only their title (everything else they show comes from the catalogue, through ``dj``).
_SITE_PAGE_META = {"title", "template", "dj_page", "dj_view", "dj_nav_parents", "dj_scripts", "nav_order", "nav_title",
                   "sitemap"}


def on_page_markdown(markdown, page, config, files):
    # (content/ cannot use the site pages' paths: dj_site_pages.check_clashes)
    allowed = _SITE_PAGE_META if _state.site.kind(page.file.src_uri) is not None else {"title"}
    meta = {key: value for key, value in (page.meta or {}).items() if key in allowed}
    if "title" in meta:
        meta["title"] = escape(meta["title"])
    page.meta = meta
    return markdown


def on_page_content(html, page, config, files):
    # Rendered Markdown of content/ (and of site/pages) through the one allow-list: a
    # hand-edited or old content/ file cannot inject markup either.
    for item in _walk_toc(page.toc):
        item.title = escape(html_to_text(item.title))
    return sanitize_html(html)


def _walk_toc(items):
    for item in items:
        yield item
        yield from _walk_toc(item.children)


def on_page_context(context, page, config, nav):
    state = _state
    src = page.file.src_uri
    entry = state.entries.get(src)
    listing = state.listings.get(src)
    dj: dict = {"kind": None}

    # material prints page.title unescaped (header, <title>); ours escape anything else.
    page.title = escape(page.title) if page.title is not None else None
    if entry is not None:
        canonical = safe_url(entry.meta.get("canonical_url"), allow_relative=False)
        if canonical and canonical.lower().startswith(("http://", "https://")):
            page.canonical_url = escape(canonical)
        dj["breadcrumbs"] = _breadcrumbs(entry)
        if entry.kind == "article" and entry.meta.get("type") == FORM_TYPE:
            dj["kind"] = "form"
            dj["article"] = _article_view(entry)
            try:
                dj["form"] = dj_public_forms.form_view(entry.meta)
            except dj_public_forms.FormProblem:
                dj["form"] = None  # logged when the page was read; the page says it is unavailable
        elif entry.kind == "article":
            dj["kind"] = "article"
            dj["article"] = _article_view(entry)
        else:
            dj["kind"] = entry.kind
    elif state.site.kind(src) is not None:
        dj.update(dj_site_pages.page_context(state.site, src))
    elif listing is not None:
        dj["kind"] = listing.kind
        if listing.kind == "section":  # an archive page of a section
            base = state.entries[listing.base_url + "index.md"]
            dj["breadcrumbs"] = _breadcrumbs(base) + [{"title": base.title, "url": base.url}]
        else:
            dj["breadcrumbs"] = [{"title": "首页", "url": ""}]
            if listing.kind == "tag":
                dj["breadcrumbs"].append({"title": "标签", "url": f"{TAGS_DIR}/"})

    if listing is not None:
        dj["listing"] = _listing_view(listing)
    context["dj"] = dj
    return context


def _listing_view(listing: Listing) -> dict:
    return {
        "kind": listing.kind,
        "articles": [_article_view(e) for e in listing.items],
        "subsections": [{"title": e.title, "url": e.url, "intro": e.meta.get("intro") or ""}
                        for e in listing.subsections],
        "tags": listing.tags,
        "pager": listing.pager,
        "archive": listing.archive,
        "label": listing.label,
    }


def _breadcrumbs(entry: Entry | None) -> list[dict]:
    trail = []
    while entry is not None and entry.section:
        parent = _state.entries[entry.section]
        trail.append({"title": "首页" if parent.kind == "home" else parent.title, "url": parent.url})
        entry = parent
    return list(reversed(trail))


def _article_view(entry: Entry) -> dict:
    if entry.view is None:
        meta = entry.meta
        entry.view = {
            "title": entry.title,
            "url": entry.url,
            "date": format_date(entry.date),
            "date_iso": entry.date.isoformat() if entry.date else "",
            "summary": meta.get("summary") or "",
            "issuing_unit": meta.get("issuing_unit") or "",
            "category": meta.get("category") or "",
            "type_label": meta.get("type_label") or "",
            "is_form": meta.get("type") == FORM_TYPE,
            "tags": [{"name": t, "url": f"{TAGS_DIR}/{tag_slug(t)}/"} for t in entry.tags],
        }
    return entry.view


def on_post_page(output, page, config):
    state = _state
    state.rendered += 1
    if config.extra.get("_progress"):
        width = len(str(state.total_pages))
        print(f"[{state.rendered:>{width}}/{state.total_pages}] 渲染 {page.file.src_uri}",
              file=sys.stderr, flush=True)
    return output


def on_post_build(config):
    state = _state
    _progress(config, "写出 RSS 订阅 feed.xml 与网站地图 …")
    for dest, data in sorted(state.generated.items()):
        if GENERATED + dest in state.modified:
            path = os.path.join(config.site_dir, dest)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as fh:
                fh.write(data)
    state.generated = {}
    state.ready = state.reusable = True
    config.extra["_build_state"] = state


def _sitemap_shard_xml(site_url: str, urls: dict[str, str]) -> bytes:
    """One sitemap shard: its pages, with an article's date as its lastmod."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for url in sorted(urls):
        lastmod = urls[url]
        lines.append(f"  <url><loc>{xml_escape(site_url + url)}</loc>"
                     + (f"<lastmod>{lastmod}</lastmod>" if lastmod else "") + "</url>")
    lines.append("</urlset>\n")
    return "\n".join(lines).encode("utf-8")


def _sitemap_index_xml(site_url: str, shards: list[int]) -> bytes:
    """sitemap.xml: an index of the shards (one file of every URL would be rewritten on
    every publish; a shard holds the pages whose URL hashes to it)."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for shard in shards:
        lines.append(f"  <sitemap><loc>{xml_escape(site_url)}{SITEMAP_DIR}/{shard:02x}.xml</loc></sitemap>")
    lines.append("</sitemapindex>\n")
    return "\n".join(lines).encode("utf-8")


def _feed_xml(config, state: _State) -> bytes | None:
    site_url = config.site_url
    if not site_url:
        log.warning("_site.yml 缺少 site_url，无法生成带绝对链接的 RSS（feed.xml）")
        return None
    articles = state.latest.newest(FEED_SIZE)
    rss = ET.Element("rss", version="2.0")
    channel = ET.SubElement(rss, "channel")
    org = config.extra.get("org_name") or config.site_name
    ET.SubElement(channel, "title").text = plain(org)
    ET.SubElement(channel, "link").text = site_url
    ET.SubElement(channel, "description").text = f"{escape(org)} 最新发布"
    ET.SubElement(channel, "language").text = "zh-CN"
    if articles:
        # The newest article's date, not the clock: a rebuild of the same content must
        # produce the same file (incremental builds are compared with full builds).
        ET.SubElement(channel, "lastBuildDate").text = format_datetime(
            dt.datetime.combine(articles[0].date, dt.time(0, 0), SHANGHAI))
    for entry in articles:
        link = urljoin(site_url, entry.url)
        canonical = safe_url(entry.meta.get("canonical_url"), allow_relative=False)
        if canonical and urlsplit(canonical).scheme.lower() in ("http", "https"):
            link = canonical
        item = ET.SubElement(channel, "item")
        ET.SubElement(item, "title").text = plain(entry.title)
        ET.SubElement(item, "link").text = link
        ET.SubElement(item, "guid", isPermaLink="true").text = link
        ET.SubElement(item, "pubDate").text = format_datetime(
            dt.datetime.combine(entry.date, dt.time(0, 0), SHANGHAI))
        if entry.meta.get("summary"):
            # RSS readers render <description> as HTML: the summary is plain text.
            ET.SubElement(item, "description").text = str(escape(entry.meta["summary"]))
        for tag in entry.tags:
            ET.SubElement(item, "category").text = plain(tag)
    ET.indent(rss)
    return ET.tostring(rss, encoding="utf-8", xml_declaration=True)
