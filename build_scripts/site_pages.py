"""Pages the site itself owns, kept in ``site/pages/`` (next to mkdocs.yml), not in content/.

content/ belongs to the CMS exporter; these pages are part of the site's code and change with
it. Today they are

* ``member/`` — the member area (党员学习): ``/member/``, ``/member/course/?id=N``,
  ``/member/lesson/?id=N``. Static shells rendered with ``overrides/member.html``; they hold no
  study material — ``assets/javascripts/dj-member.js`` fetches everything from ``/api/member/``.
  Front matter ``sitemap: false`` and the template's ``noindex`` keep them out of the sitemap
  and the site search; the feed only ever lists articles.
* ``help/`` — 使用指南 with its screenshots: ordinary Markdown pages, searchable and in the
  sitemap.

Pages with ``nav_order`` in their front matter join the navigation after the CMS's sections.

The engine (``build_scripts.catalogue``, ``output_plan``) and the renderer
(``site/hooks/mkdocs_adapter.py``) call in here at a few marked points (collect, clash check,
navigation, output keys, sitemap, page context), so these pages go through the same incremental
machinery as content: site/ is part of the theme signature (editing a file here forces a full
build), and each page's key also covers what every page shares (navigation, site settings), so
a renamed section re-renders them exactly as a full build would.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml

from build_scripts.page_model import ContentError

PAGES_DIR = "pages"

_FRONT_MATTER = re.compile(r"\A-{3}[ \t]*\n(.*?\n)?(?:-{3}|\.{3})[ \t]*(?:\n|\Z)", re.S)


@dataclass
class SitePages:
    root: str = ""
    pages: dict[str, str] = field(default_factory=dict)  # src_uri -> absolute path
    assets: dict[str, str] = field(default_factory=dict)
    meta: dict[str, dict[str, Any]] = field(default_factory=dict)  # src_uri -> front matter
    digests: dict[str, str] = field(default_factory=dict)  # src_uri -> sha1 of the file

    @property
    def top_level(self) -> set[str]:
        """First path segments these pages occupy (member, help)."""
        return {src.split("/", 1)[0] for src in (*self.pages, *self.assets) if "/" in src}

    def kind(self, src_uri: str) -> str | None:
        """``dj_page`` of a site page ("member", "help"), None for anything else."""
        meta = self.meta.get(src_uri)
        return str(meta.get("dj_page") or "page") if meta is not None else None


def collect(site_dir: str) -> SitePages:
    """Every page and asset under ``site_dir``/pages (``site_dir`` holds mkdocs.yml)."""
    site = SitePages(root=os.path.join(os.path.abspath(site_dir), PAGES_DIR))
    if not os.path.isdir(site.root):
        return site
    for directory, subdirs, filenames in os.walk(site.root):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith((".", "__")))
        relative = os.path.relpath(directory, site.root)
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            src = name if relative == "." else f"{relative}/{name}".replace(os.sep, "/")
            path = os.path.join(directory, name)
            with open(path, "rb") as fh:
                raw = fh.read()
            site.digests[src] = hashlib.sha1(raw).hexdigest()
            if name.endswith(".md"):
                site.pages[src] = path
                site.meta[src] = _front_matter(raw, src)
            else:
                site.assets[src] = path
    return site


def _front_matter(raw: bytes, src: str) -> dict[str, Any]:
    match = _FRONT_MATTER.match(raw.decode("utf-8-sig"))
    data = yaml.safe_load(match.group(1) or "") if match else None
    if not isinstance(data, dict) or not isinstance(data.get("title"), str):
        raise ContentError(f"site/{PAGES_DIR}/{src}: 缺少带 title 的 YAML front matter")
    return data


def check_clashes(site: SitePages, content_paths: Iterable[str]) -> None:
    """content/ may not use the paths these pages own (the CMS reserves the slugs too)."""
    owned = site.top_level  # a property that walks every site page: once, not per content path
    for src in content_paths:
        if src.split("/", 1)[0] in owned:
            raise ContentError(
                f"{src}: 路径 /{src.split('/', 1)[0]}/ 保留给网站自带页面（site/{PAGES_DIR}/），内容中不能使用"
            )


def nav_items(site: SitePages) -> list[dict[str, str]]:
    ordered = sorted(
        (meta["nav_order"], src) for src, meta in site.meta.items() if isinstance(meta.get("nav_order"), int)
    )
    return [{str(site.meta[src].get("nav_title") or site.meta[src]["title"]): src} for _, src in ordered]


def output_keys(site: SitePages, shared: str, dest_for: Callable[[str], str]) -> dict[str, dict[str, str]]:
    """Build-state keys: a page is rendered from its own file plus what every page shares;
    an asset is copied as it is."""
    outputs: dict[str, dict[str, str]] = {}
    for src in site.pages:
        key = hashlib.sha1(f"{shared}|site|{site.digests[src]}".encode()).hexdigest()
        outputs[src] = {"key": key, "dest": dest_for(src)}
    for src in site.assets:
        outputs[src] = {"key": f"site:{site.digests[src]}", "dest": src}
    return outputs


def sources(site: SitePages) -> list[str]:
    """Every site page and asset, always handed to the renderer: the navigation links to the
    pages and the help pages to their images, so link validation needs them even when
    nothing is re-rendered."""
    return sorted((*site.pages, *site.assets))


def sitemap_sources(site: SitePages) -> list[str]:
    return [src for src, meta in site.meta.items() if meta.get("sitemap", True) is not False]


def page_context(site: SitePages, src_uri: str) -> dict[str, Any] | None:
    """``dj`` for a site page: its kind and, for pages below a folder index, breadcrumbs."""
    kind = site.kind(src_uri)
    if kind is None:
        return None
    crumbs = [{"title": "首页", "url": ""}]
    folder = posixpath.dirname(src_uri)
    parent = posixpath.join(folder, "index.md")
    if posixpath.basename(src_uri) != "index.md" and parent in site.meta:
        crumbs.append({"title": site.meta[parent]["title"], "url": folder + "/"})
    return {"kind": kind, "breadcrumbs": crumbs}
