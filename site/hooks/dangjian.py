"""MkDocs hook for the public site.

Reads the front matter of every page in content/ once (docs/content-format.md is the
contract) and from it

* builds the navigation: home + top-level sections only, so an article's HTML does not
  depend on any other article (material's default nav puts every page into every page);
* generates listing pages: newest-first articles of each section, paginated
  (``news/``, ``news/page/2/`` …), the home page's latest articles, and tag pages
  (``tags/``, ``tags/<slug>/``) as virtual files;
* gives templates what they need for the article meta line, breadcrumbs, listings,
  the announcement banner and the footer (``dj`` in the page context);
* writes the RSS 2.0 feed ``feed.xml``;
* prints progress to stderr when ``extra._progress`` is set (by build_scripts).

Content problems are logged as warnings naming the file, so a strict build fails with
all of them at once instead of stopping at the first.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import posixpath
import re
import sys
import tempfile
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from email.utils import format_datetime
from xml.sax.saxutils import escape
from urllib.parse import urljoin, urlsplit

import jinja2
import yaml
from mkdocs.exceptions import PluginError
from mkdocs.plugins import get_plugin_logger
from mkdocs.structure.files import File, Files

import dj_site_pages  # site/hooks/dj_site_pages.py: the member area and help pages (site/pages/)

log = get_plugin_logger("dangjian")

PAGE_SIZE = 20
HOME_LATEST = 10
FEED_SIZE = 20
ARTICLE_TYPES = {"news", "openness", "theory"}
TYPES = {"home", "section"} | ARTICLE_TYPES
TAGS_DIR = "tags"
SHANGHAI = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")

_FRONT_MATTER = re.compile(r"\A-{3}[ \t]*\n(.*?\n)?(?:-{3}|\.{3})[ \t]*(?:\n|\Z)", re.S)
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# --------------------------------------------------------------------------- model


@dataclass
class Entry:
    """One content page, from its front matter."""

    src_uri: str
    url: str  # site-relative, e.g. "news/foo/"
    meta: dict
    title: str
    kind: str  # "home" | "section" | "article"
    date: dt.date | None = None
    tags: list[str] = field(default_factory=list)
    section: str | None = None  # src_uri of the parent section/home index

    @property
    def order(self) -> int:
        value = self.meta.get("order")
        return value if isinstance(value, int) else 0


@dataclass
class Listing:
    """What one generated or section/home page shows below its intro."""

    kind: str  # "section" | "home" | "tag" | "tags"
    items: list[Entry]
    page_number: int = 1
    page_count: int = 1
    base_url: str = ""  # url of page 1
    subsections: list[Entry] = field(default_factory=list)
    tags: list[dict] = field(default_factory=list)


class _State:
    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}
        self.listings: dict[str, Listing] = {}
        self.tag_slugs: dict[str, str] = {}  # normalised tag -> slug
        self.tag_names: dict[str, str] = {}  # slug -> display name
        self.nav_sections: list[Entry] = []
        self.total_pages = 0
        self.rendered = 0
        self.digests: dict[str, str] = {}  # src_uri -> sha1 of the Markdown source
        self.sources: dict[str, dict] = {}  # src_uri -> {stat, digest, meta}, reused next build
        # Incremental builds (see _plan_outputs): what every output depends on, and the
        # difference to the previous release.
        self.outputs: dict[str, dict] = {}
        self.virtual: dict[str, str] = {}  # src_uri -> source of generated listing pages
        self.changed: list[str] = []  # dest_uri of documentation pages rendered this build
        self.removed: list[str] = []  # dest_uri of outputs the previous release has but this one drops
        self.site = dj_site_pages.SitePages()  # pages the site owns (site/pages/), not content/


_state = _State()


# --------------------------------------------------------------------------- helpers


def tag_slug(tag: str) -> str:
    """Stable URL segment for a tag.

    Tags are free Chinese text; a percent-encoded Chinese path turns into a long
    %E4%B8%89… string when shared in WeChat, and free text may contain "/" or "?".
    A short hash of the NFKC-normalised tag is stable across builds and machines.
    """
    norm = unicodedata.normalize("NFKC", tag).strip()
    return hashlib.sha1(norm.encode("utf-8")).hexdigest()[:10]


def format_date(value: dt.date | None) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


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


def _front_matter(path: str, src_uri: str, cached: dict | None) -> dict | None:
    """Front matter of a page, reusing the previous build's parse when the file is unchanged.

    Parsing YAML is the costliest part of reading 10,000 pages; a file the exporter has not
    rewritten keeps its size and mtime (it writes by atomic rename, so any change moves both).
    """
    stat = os.stat(path)
    key = [stat.st_size, stat.st_mtime_ns]
    if cached and cached.get("stat") == key:
        _state.digests[src_uri] = cached["digest"]
        _state.sources[src_uri] = cached
        return cached["meta"]
    meta = _read_front_matter(path, src_uri)
    if meta is not None:
        # Through JSON once, so a fresh parse and a cached one are the same values.
        meta = json.loads(json.dumps(meta, ensure_ascii=False, default=str))
        _state.sources[src_uri] = {"stat": key, "digest": _state.digests[src_uri], "meta": meta}
    return meta


def _read_front_matter(path: str, src_uri: str) -> dict | None:
    """The page's front matter, or None (after logging why) when it is unusable."""
    with open(path, "rb") as fh:
        raw = fh.read()
    _state.digests[src_uri] = hashlib.sha1(raw).hexdigest()
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


def _page_url(base_url: str, number: int) -> str:
    return base_url if number == 1 else f"{base_url}page/{number}/"


def _page_src(base_src: str, number: int) -> str:
    """src_uri of listing page `number` whose first page is `base_src`."""
    if number == 1:
        return base_src
    folder = posixpath.dirname(base_src) if base_src.endswith("index.md") else base_src[:-3]
    return posixpath.join(folder, "page", f"{number}.md")


def _newest_first(entries) -> list[Entry]:
    return sorted(
        entries,
        key=lambda e: (e.date or dt.date.min, e.meta.get("page_id") or 0, e.url),
        reverse=True,
    )


def _virtual_page(title: str) -> str:
    # A JSON string is a valid YAML scalar, and much cheaper to produce for thousands of
    # listing pages than yaml.safe_dump.
    return f"---\ntitle: {json.dumps(title, ensure_ascii=False)}\ntype: listing\n---\n"


def _progress(config, message: str) -> None:
    if config.extra.get("_progress"):
        print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- events


def on_config(config):
    global _state
    _state = _State()
    announcement = config.extra.get("announcement")
    if isinstance(announcement, dict) and announcement.get("text"):
        url = (announcement.get("url") or "").strip()
        internal = url.startswith("/") and not url.startswith("//")
        config.extra["announcement"] = {
            "text": str(announcement["text"]),
            "url": url,
            "path": url.lstrip("/") if internal else "",
            "internal": internal,
        }
    else:
        config.extra["announcement"] = None
    config.extra["build_year"] = dt.datetime.now(SHANGHAI).year
    # The sitemap is written by on_post_build from the whole catalogue: MkDocs' template only
    # sees the files of this run, which in an incremental build are the changed ones.
    config.theme.static_templates.discard("sitemap.xml")
    return config


def on_files(files: Files, config) -> Files:
    state = _state
    # Incremental builds (build_scripts passes the previous release's outputs) run MkDocs on
    # an empty docs_dir: this hook reads the catalogue of content/ itself and hands MkDocs
    # only the files that must be rendered or copied. A full build lets MkDocs scan.
    sparse = config.extra.get("_previous_outputs") is not None
    content_dir = config.extra.get("_content_dir") or config.docs_dir
    if sparse:
        pages, assets = _scan_content(config, content_dir)
    else:
        pages = {f.src_uri: f.abs_src_path for f in files.documentation_pages()}
        assets = {f.src_uri: f.abs_src_path for f in files
                  if not f.is_documentation_page() and f.inclusion.is_included()
                  and _inside(f.abs_src_path, config.docs_dir)}
    if "index.md" not in pages:
        raise PluginError("content/index.md（首页）缺失")
    for src in list(pages) + list(assets):
        if src == TAGS_DIR or src.startswith(TAGS_DIR + "/"):
            raise PluginError(f"{src}: 路径 /{TAGS_DIR}/ 保留给标签页，内容中不能使用")
    # --- site pages (dj_site_pages): collected once per build, their paths reserved.
    state.site = dj_site_pages.collect(config)
    dj_site_pages.check_clashes(state.site, list(pages) + list(assets))

    _progress(config, f"读取 {len(pages)} 个页面的 front matter …")
    cached = config.extra.get("_previous_sources") or {}
    for src_uri, path in sorted(pages.items()):
        meta = _front_matter(path, src_uri, cached.get(src_uri))
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
        state.entries[src_uri] = entry

    containers = {k for k, e in state.entries.items() if e.kind in ("home", "section")}
    for entry in state.entries.values():
        entry.section = _section_of(entry.src_uri, containers)

    articles = [e for e in state.entries.values() if e.kind == "article" and e.date]
    by_section: dict[str, list[Entry]] = {k: [] for k in containers}
    children: dict[str, list[Entry]] = {k: [] for k in containers}
    for entry in articles:
        by_section[entry.section].append(entry)
    for key in containers:
        entry = state.entries[key]
        if entry.section:
            children[entry.section].append(entry)
    for key in children:
        children[key].sort(key=lambda e: (e.order, e.url))

    state.nav_sections = children.get("index.md", [])
    # A static nav of home + top-level sections; every other page is built but unlisted.
    config["nav"] = [{"首页": "index.md"}] + [{e.title: e.src_uri} for e in state.nav_sections]
    config["nav"] += dj_site_pages.nav_items(state.site)  # 党员学习, 使用指南: after the CMS's sections

    newest = _newest_first(articles)
    state.listings["index.md"] = Listing(
        kind="home", items=newest[:HOME_LATEST], subsections=state.nav_sections, base_url="")
    for key in sorted(containers):
        if key == "index.md":
            continue
        _paginate(pages, state, base_src=key, base_url=state.entries[key].url,
                  title=state.entries[key].title, kind="section",
                  items=_newest_first(by_section[key]), subsections=children[key])

    # Tags: group by normalised form so "三会一课" and "三会一课 " are one tag.
    tagged: dict[str, list[Entry]] = {}
    for entry in articles:
        for tag in entry.tags:
            slug = tag_slug(tag)
            norm = unicodedata.normalize("NFKC", tag).strip()
            known = state.tag_names.get(slug)
            if known is not None and unicodedata.normalize("NFKC", known).strip() != norm:
                raise PluginError(f"标签“{known}”与“{tag}”的网址标识冲突（{slug}）")
            state.tag_names.setdefault(slug, tag)
            state.tag_slugs[norm] = slug
            tagged.setdefault(slug, []).append(entry)
    tag_index = sorted(
        ({"name": state.tag_names[s], "url": f"{TAGS_DIR}/{s}/", "count": len(v)}
         for s, v in tagged.items()),
        key=lambda t: (-t["count"], t["name"]),
    )
    state.virtual[f"{TAGS_DIR}/index.md"] = _virtual_page("标签")
    state.listings[f"{TAGS_DIR}/index.md"] = Listing(kind="tags", items=[], tags=tag_index)
    for slug, entries in sorted(tagged.items()):
        _paginate(pages, state, base_src=f"{TAGS_DIR}/{slug}.md",
                  base_url=f"{TAGS_DIR}/{slug}/", title=f"标签：{state.tag_names[slug]}",
                  kind="tag", items=_newest_first(entries), generate_first=True)

    modified = _plan_outputs(files, config, state, assets)
    if sparse:
        _hand_to_mkdocs(files, config, state, pages, assets, content_dir, modified)
    else:
        for src, content in sorted(state.virtual.items()):
            files.append(File.generated(config, src, content=content))
        for f in dj_site_pages.files(state.site, config):
            files.append(f)
        for f in files.documentation_pages():
            if _dest_for(f.src_uri) != f.dest_uri:  # _dest_for must agree with MkDocs
                raise PluginError(f"{f.src_uri}: 输出路径 {f.dest_uri} 与预期不符")
    state.total_pages = len(state.changed)
    _progress(config, f"共 {len(pages) + len(state.virtual)} 个页面（含 {len(state.virtual)} 个生成的列表页），"
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


def _hand_to_mkdocs(files: Files, config, state: _State, pages, assets, content_dir, modified: set[str]):
    """Give an incremental MkDocs run what it must render or copy, plus what those pages
    link to (navigation pages, assets) so links validate exactly as in a full build."""
    wanted = set(modified) | {"index.md"} | {e.src_uri for e in state.nav_sections}
    for src in sorted(wanted):
        if src in pages:
            files.append(File(src, content_dir, config.site_dir, config.use_directory_urls))
            with open(pages[src], encoding="utf-8-sig") as fh:
                wanted.update(m for m in _ASSET_LINK.findall(fh.read()) if m in assets)
        elif src in state.virtual:
            files.append(File.generated(config, src, content=state.virtual[src]))
    for src in sorted(wanted):
        if src in assets and files.get_file_from_path(src) is None:
            files.append(File(src, content_dir, config.site_dir, config.use_directory_urls))
    for f in dj_site_pages.files(state.site, config):  # few; in the nav, so always present
        files.append(f)
    for f in files:
        is_modified = f.src_uri in modified
        # MkDocs' dirty build asks each file whether to read, render and copy it.
        f.is_modified = (lambda is_modified=is_modified: is_modified)


def _digest(value) -> str:
    return hashlib.sha1(json.dumps(value, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()


def _plan_outputs(files: Files, config, state: _State, assets: dict[str, str]) -> set[str]:
    """Give every output a key of everything it is rendered from, compare with the previous
    release's keys (``extra._previous_outputs``, set by build_scripts) and return the
    src_uris whose output must be rendered or copied.

    An output whose key is unchanged is byte-identical to the previous release's copy, so
    an incremental build renders only outputs with a new key and build_scripts hard-links
    the rest. A page's key covers its own source, its breadcrumbs and listing, and the
    inputs every page shares (site settings, navigation, theme): a change to those
    re-renders everything, which is what a full build would produce anyway.
    """
    previous = config.extra.get("_previous_outputs")
    shared = _digest({
        "settings": {k: config.extra.get(k) for k in ("org_name", "icp_number", "announcement", "build_year")},
        "site_url": config.site_url,
        "nav": [(e.title, e.src_uri, e.meta.get("intro") or "") for e in state.nav_sections],
        "theme": config.extra.get("_theme_signature"),
    })
    outputs: dict[str, dict] = {}
    crumbs_by_section: dict[str | None, str] = {}  # every page of a section shares its trail
    for src in sorted(set(state.entries) | set(state.virtual)):
        entry = state.entries.get(src)
        listing = state.listings.get(src)
        if entry is not None:
            if entry.section not in crumbs_by_section:
                crumbs_by_section[entry.section] = _digest(_breadcrumbs(entry))
            crumbs = crumbs_by_section[entry.section]
        else:
            crumbs = ""
        source = state.digests.get(src) or _digest(state.virtual.get(src))
        listed = _digest(_listing_view(listing)) if listing else ""
        key = hashlib.sha1(f"{shared}|{source}|{crumbs}|{listed}".encode()).hexdigest()
        outputs[src] = {"key": key, "dest": _dest_for(src)}
    for src, path in assets.items():
        # Content assets carry their content hash in their name and are never rewritten
        # in place, so size and mtime are a safe, cheap key.
        stat = os.stat(path)
        outputs[src] = {"key": f"{stat.st_size}:{stat.st_mtime_ns}", "dest": src}
    outputs.update(dj_site_pages.output_keys(state.site, shared, _dest_for))
    theme_key = f"theme:{config.extra.get('_theme_signature')}"
    if previous is None:
        for f in files:
            if not f.is_documentation_page() and f.inclusion.is_included() and f.src_uri not in outputs:
                outputs[f.src_uri] = {"key": theme_key, "dest": f.dest_uri}
    else:  # the theme is unchanged (else this would be a full build): its files carry over
        for src, output in previous.items():
            if output["key"] == theme_key and src not in outputs:
                outputs[src] = output
    state.outputs = outputs

    if previous is None:
        modified = set(outputs)
    else:
        modified = {src for src, output in outputs.items() if previous.get(src) != output}
        state.removed = sorted({o["dest"] for o in previous.values()} - {o["dest"] for o in outputs.values()})
    state.changed = sorted(outputs[src]["dest"] for src in modified if src.endswith(".md"))
    return modified


def _paginate(pages, state, *, base_src, base_url, title, kind, items,
              subsections=(), generate_first=False):
    count = max(1, -(-len(items) // PAGE_SIZE))
    for number in range(1, count + 1):
        src = _page_src(base_src, number)
        if number > 1 or generate_first:
            if src in pages:
                raise PluginError(f"{src}: 与自动生成的分页冲突，请修改该页面的网址")
            page_title = title if number == 1 else f"{title}（第 {number} 页）"
            state.virtual[src] = _virtual_page(page_title)
        state.listings[src] = Listing(
            kind=kind, items=items[(number - 1) * PAGE_SIZE: number * PAGE_SIZE],
            page_number=number, page_count=count, base_url=base_url,
            subsections=list(subsections) if number == 1 else [],
        )


def on_env(env, config, files):
    _progress(config, "Markdown 解析完成，开始渲染页面 …")
    # Compiling material's templates costs ~0.5 s a build; keep the bytecode between
    # builds (and worker restarts). Jinja checks the source's mtime before using it.
    cache_dir = os.path.join(tempfile.gettempdir(), f"dangjian-jinja-{os.getuid()}")
    os.makedirs(cache_dir, exist_ok=True)
    env.bytecode_cache = jinja2.FileSystemBytecodeCache(cache_dir)
    return env


def on_page_context(context, page, config, nav):
    state = _state
    src = page.file.src_uri
    entry = state.entries.get(src)
    listing = state.listings.get(src)
    dj: dict = {"kind": None}

    if entry is not None:
        canonical = entry.meta.get("canonical_url")
        if isinstance(canonical, str) and canonical.startswith(("http://", "https://")):
            page.canonical_url = canonical
        dj["breadcrumbs"] = _breadcrumbs(entry)
        if entry.kind == "article":
            dj["kind"] = "article"
            dj["article"] = _article_view(entry)
        else:
            dj["kind"] = entry.kind
    elif state.site.kind(src) is not None:
        dj.update(dj_site_pages.page_context(state.site, src))
    elif listing is not None:
        dj["kind"] = listing.kind
        if listing.kind == "section":  # page 2, 3 … of a section
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
        "pages": _pager(listing),
        "page_number": listing.page_number,
        "page_count": listing.page_count,
    }


def _breadcrumbs(entry: Entry | None) -> list[dict]:
    trail = []
    while entry is not None and entry.section:
        parent = _state.entries[entry.section]
        trail.append({"title": "首页" if parent.kind == "home" else parent.title, "url": parent.url})
        entry = parent
    return list(reversed(trail))


def _article_view(entry: Entry) -> dict:
    meta = entry.meta
    return {
        "title": entry.title,
        "url": entry.url,
        "date": format_date(entry.date),
        "date_iso": entry.date.isoformat() if entry.date else "",
        "summary": meta.get("summary") or "",
        "issuing_unit": meta.get("issuing_unit") or "",
        "category": meta.get("category") or "",
        "type_label": meta.get("type_label") or "",
        "tags": [{"name": t, "url": f"{TAGS_DIR}/{tag_slug(t)}/"} for t in entry.tags],
    }


def _pager(listing: Listing) -> list[dict]:
    """Page links: first, last and a window around the current page; None = gap."""
    if listing.page_count <= 1:
        return []
    current, last = listing.page_number, listing.page_count
    shown = sorted({1, last, *range(max(1, current - 2), min(last, current + 2) + 1)})
    items, previous = [], 0
    for number in shown:
        if number - previous > 1:
            items.append(None)
        items.append({"number": number, "url": _page_url(listing.base_url, number),
                      "current": number == current})
        previous = number
    return items


def on_post_page(output, page, config):
    state = _state
    state.rendered += 1
    if config.extra.get("_progress"):
        width = len(str(state.total_pages))
        print(f"[{state.rendered:>{width}}/{state.total_pages}] 渲染 {page.file.src_uri}",
              file=sys.stderr, flush=True)
    return output


def on_post_build(config):
    _progress(config, "写出 RSS 订阅 feed.xml …")
    _write_feed(config)
    _write_sitemap(config)
    config.extra["_build_state"] = _state


def _write_sitemap(config) -> None:
    """sitemap.xml (+ .gz) of every page, with an article's date as its lastmod."""
    site_url = config.site_url or ""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for src in sorted(set(_state.entries) | set(_state.virtual) | set(dj_site_pages.sitemap_sources(_state.site))):
        entry = _state.entries.get(src)
        url = entry.url if entry else _url_for(src)
        lines.append(f"  <url><loc>{escape(site_url + url)}</loc>"
                     + (f"<lastmod>{entry.date.isoformat()}</lastmod>" if entry and entry.date else "")
                     + "</url>")
    lines.append("</urlset>\n")
    data = "\n".join(lines).encode("utf-8")
    with open(os.path.join(config.site_dir, "sitemap.xml"), "wb") as fh:
        fh.write(data)
    # mtime=0 keeps the archive byte-identical between builds of the same content.
    with open(os.path.join(config.site_dir, "sitemap.xml.gz"), "wb") as raw, \
            gzip.GzipFile(fileobj=raw, mode="wb", filename="", mtime=0) as fh:
        fh.write(data)


def _write_feed(config) -> None:
    site_url = config.site_url
    if not site_url:
        log.warning("_site.yml 缺少 site_url，无法生成带绝对链接的 RSS（feed.xml）")
        return
    articles = _newest_first(e for e in _state.entries.values() if e.kind == "article" and e.date)
    rss = ET.Element("rss", version="2.0")
    channel = ET.SubElement(rss, "channel")
    org = config.extra.get("org_name") or config.site_name
    ET.SubElement(channel, "title").text = org
    ET.SubElement(channel, "link").text = site_url
    ET.SubElement(channel, "description").text = f"{org} 最新发布"
    ET.SubElement(channel, "language").text = "zh-CN"
    if articles:
        # The newest article's date, not the clock: a rebuild of the same content must
        # produce the same file (incremental builds are compared with full builds).
        ET.SubElement(channel, "lastBuildDate").text = format_datetime(
            dt.datetime.combine(articles[0].date, dt.time(0, 0), SHANGHAI))
    for entry in articles[:FEED_SIZE]:
        link = urljoin(site_url, entry.url)
        canonical = entry.meta.get("canonical_url")
        if isinstance(canonical, str) and urlsplit(canonical).scheme in ("http", "https"):
            link = canonical
        item = ET.SubElement(channel, "item")
        ET.SubElement(item, "title").text = entry.title
        ET.SubElement(item, "link").text = link
        ET.SubElement(item, "guid", isPermaLink="true").text = link
        ET.SubElement(item, "pubDate").text = format_datetime(
            dt.datetime.combine(entry.date, dt.time(0, 0), SHANGHAI))
        if entry.meta.get("summary"):
            ET.SubElement(item, "description").text = str(entry.meta["summary"])
        for tag in entry.tags:
            ET.SubElement(item, "category").text = tag
    ET.indent(rss)
    path = os.path.join(config.site_dir, "feed.xml")
    with open(path, "wb") as fh:
        ET.ElementTree(rss).write(fh, encoding="utf-8", xml_declaration=True)
