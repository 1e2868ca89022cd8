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
from collections.abc import Callable
from typing import Any

import yaml

from build_scripts import listings, site_pages, sitemap
from build_scripts.catalogue_state import Catalogue
from build_scripts.page_model import (
    FORM_TYPE,
    GENERATED,
    TYPES,
    ContentError,
    Entry,
    Group,
    SiteInputs,
    digest,
    log,
    parse_date,
    section_of,
    url_for,
)
from build_scripts.public_forms import FormProblem, form_view
from build_scripts.site_paths import SITEMAP_SHARDS, TAGS_DIR, tag_slug

_FRONT_MATTER = re.compile(r"\A-{3}[ \t]*\n(.*?\n)?(?:-{3}|\.{3})[ \t]*(?:\n|\Z)", re.S)
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# content/ paths a build takes: src -> absolute path (None = the source is gone).
Sources = dict[str, str]
Changes = dict[str, str | None]


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


def changed_sources(
    state: Catalogue, excluded: Callable[[str], bool], content_dir: str, paths: list[str] | None
) -> tuple[Changes, Changes]:
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
        src_uri=src_uri,
        url=url_for(src_uri),
        meta=meta,
        kind=kind,
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


def load_all(state: Catalogue, pages: Sources, assets: Sources, cached: dict[str, dict[str, Any]]) -> None:
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
    return digest(
        {
            "settings": {
                "org_name": inputs.org_name,
                "icp_number": inputs.icp_number,
                "announcement": inputs.announcement,
                "build_year": inputs.build_year,
            },
            "site_url": inputs.site_url,
            "nav": [(e.title, e.src_uri, e.meta.get("intro") or "") for e in nav],
            "theme": inputs.theme_signature,
        }
    )


def entry_slugs(entry: Entry) -> list[tuple[str, str, str]]:
    """(slug, spelling, normalised) of an article's tags, each tag once."""
    found, seen = [], set()
    for tag in entry.tags:
        slug = tag_slug(tag)
        if slug not in seen:
            seen.add(slug)
            found.append((slug, tag, unicodedata.normalize("NFKC", tag).strip()))
    return found


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
        for key in sorted(state.containers)
        if key != "index.md"
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

    state.sitemap = [{} for _ in range(SITEMAP_SHARDS)]
    for entry in entries.values():
        sitemap.put_entry(state, entry)
    for src in state.virtual:
        sitemap.put_url(state, url_for(src), "")
    for src in site_pages.sitemap_sources(state.site):
        sitemap.put_url(state, url_for(src), "")
    state.sitemap_dirty = set(range(SITEMAP_SHARDS))

    pages = set(entries) | set(state.virtual)
    state.gone |= old_pages - pages
    state.touched |= pages
    live = pages | set(state.assets) | set(state.site.pages) | set(state.site.assets)
    theme = theme_key(inputs)
    for src in [
        s for s, o in state.outputs.items() if s not in live and not s.startswith(GENERATED) and o["key"] != theme
    ]:
        state.gone.add(src)
    for src, path in state.assets.items():
        state.set_output(src, asset_key(path), src)
    state.dirty_records = None  # every state shard is written again (unchanged bytes are skipped)


def check_tag(state: Catalogue, slug: str, spelling: str, norm: str) -> None:
    known = state.tag_norms.get(slug)
    if known is not None and known != norm:
        raise ContentError(f"标签“{state.tag_name(slug)}”与“{spelling}”的网址标识冲突（{slug}）")
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
