"""Which links in a page's body are live on the public site.

A dead link is an editor's problem on one page, so it is found per page, at export, and
never reaches the site build: the exporter writes plain text instead of the link
(``AssetCollector``), and the editor and the reviewer see the same list of problems in the
page editor (``link_problems``, ``cms.core.panels.LinkCheckPanel``). The build only logs
links it cannot resolve (``site/mkdocs.yml`` validation), so one page can no longer stop
everybody's publishing.

A site URL is live when the public site will hold it: an exportable page (and, with a
``#fragment``, one of its headings), a page the build generates (tags, archive pages, feed,
sitemap), one of the site's own pages (site/pages: 党员学习, 使用指南), an exported file, or a
public document.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bs4 import BeautifulSoup
from django.conf import settings
from markdown.extensions.toc import unique
from pymdownx.slugs import slugify
from taggit.models import Tag
from wagtail.documents import get_document_model
from wagtail.models import Page, Site

from build_scripts.html_safety import allowed_id, plain
from build_scripts.site_paths import FEED, SITEMAP, SITEMAP_DIR, TAGS_DIR, archive_page_count, tag_slug

# The site's Markdown toc extension slugifies headings so (site/mkdocs.yml: toc.slugify);
# tests/publishing/test_links.py checks that these anchors are the built page's ids.
_SLUGIFY = slugify(case="lower")
_ARCHIVE = re.compile(r"^(?P<base>.*/)page/(?P<number>\d+)/$")
_HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")


@dataclass(frozen=True)
class LinkProblem:
    field: str  # where, e.g. 正文第 2 块（正文段落）
    text: str  # the link's text
    url: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}：链接“{self.text}”（{self.url}）{self.reason}"


def heading_anchors(body) -> set[str]:
    """The ids the site gives the headings of a StreamField body, in the toc's order."""
    ids: set[str] = set()
    for block in body or ():
        if block.block_type == "heading":
            texts = [plain(block.value)]
        elif block.block_type == "paragraph":
            soup = BeautifulSoup(block.value.source, "html.parser")
            texts = [node.get_text() for node in soup.find_all(_HEADING_TAGS)]
        else:
            continue
        for text in texts:
            text = " ".join(text.split())
            if text:
                unique(_SLUGIFY(text, "-"), ids)
    return {anchor for anchor in ids if allowed_id(anchor)}


@dataclass(frozen=True)
class _Target:
    title: str
    anchors: frozenset[str] | None  # None: not checked (pages whose headings we do not know)


class SiteLinks:
    """Resolves URLs against what the public site holds. One per page (``body`` is that
    page's, for its own anchors); lookups are lazy, so a page without links costs nothing."""

    def __init__(self, site: Site, is_page_exportable, *, body=None, content_dir=None):
        self.site = site
        self.is_page_exportable = is_page_exportable
        self.body = body
        self.content_dir = Path(content_dir or settings.CONTENT_DIR)

    @cached_property
    def own_anchors(self) -> frozenset[str]:
        return frozenset(heading_anchors(self.body))

    @cached_property
    def _public_host(self) -> str:
        return urlsplit(settings.PUBLIC_SITE_URL).netloc.lower()

    @cached_property
    def _site_page_urls(self) -> set[str]:
        """URLs of the site's own pages (site/pages/**.md), as the build makes them."""
        root = Path(settings.SITE_SOURCE_DIR) / "pages"
        urls = set()
        for path in root.rglob("*.md"):
            stem = path.relative_to(root).with_suffix("").as_posix()
            folder, name = posixpath.split(stem)
            urls.add("/" + (f"{folder}/" if name == "index" and folder else "" if name == "index" else f"{stem}/"))
        return urls

    @cached_property
    def _tag_slugs(self) -> set[str]:
        return {tag_slug(name) for name in Tag.objects.values_list("name", flat=True)}

    def problem(self, url: str) -> str | None:
        """Why ``url`` (already a safe URL) is dead on the site, in Chinese; None if live."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme in ("mailto", "tel"):
            return None
        if scheme in ("http", "https"):
            if parts.netloc.lower() != self._public_host:
                return None  # another site: not ours to judge
            path = parts.path or "/"
        elif url.startswith("#"):
            return self._anchor_problem("本页", self.own_anchors, parts.fragment)
        elif url.startswith("?"):
            return None  # the page itself
        elif url.startswith("/"):
            path = parts.path
        else:
            return "不是完整的站内地址：站内链接请以 / 开头，例如 /news/"
        target = self._resolve(unquote(path), anchors=bool(parts.fragment))
        if target is None:
            return f"指向的站内地址 {unquote(path)} 在公开网站上不存在"
        if parts.fragment and target.anchors is not None:
            return self._anchor_problem(f"页面“{target.title}”", target.anchors, parts.fragment)
        return None

    @staticmethod
    def _anchor_problem(where: str, anchors, fragment: str) -> str | None:
        anchor = unquote(fragment)
        if not anchor or anchor in anchors:
            return None
        return f"指向的锚点不存在：{where}没有名为“{anchor}”的小标题"

    def _resolve(self, path: str, *, anchors: bool) -> _Target | None:
        if not path.startswith("/") or "//" in path or "/../" in f"{path}/":
            return None
        stem, extension = posixpath.splitext(path.rstrip("/"))
        if extension and not path.endswith("/"):
            return self._resolve_file(path)
        directory = path if path.endswith("/") else path + "/"
        if directory in self._site_page_urls:
            return _Target(title=directory, anchors=None)
        if directory == f"/{TAGS_DIR}/":
            return _Target(title="标签", anchors=frozenset())
        if directory.startswith(f"/{TAGS_DIR}/") and directory.count("/") == 3:
            slug = directory.split("/")[2]
            return _Target(title="标签", anchors=frozenset()) if slug in self._tag_slugs else None
        archive = _ARCHIVE.match(directory)
        if archive:
            return self._resolve_archive(archive.group("base"), int(archive.group("number")))
        page = self._page_at(directory)
        if page is None:
            return None
        body = getattr(page, "body", None)
        return _Target(title=page.title, anchors=frozenset(heading_anchors(body)) if anchors else None)

    def _page_at(self, directory: str):
        url_path = self.site.root_page.url_path + directory.lstrip("/")
        page = Page.objects.filter(url_path=url_path).first()
        if page is None or not self.is_page_exportable(page):
            return None
        return page.specific

    def _resolve_archive(self, base: str, number: int) -> _Target | None:
        from cms.core.models import ArticlePage

        from .exportable import exportable_queryset

        section = self._page_at(base)
        if section is None:
            return None
        articles = exportable_queryset(self.site).child_of(section).type(ArticlePage).count()
        if not 1 <= number <= archive_page_count(articles):
            return None
        return _Target(title=section.title, anchors=frozenset())

    def _resolve_file(self, path: str) -> _Target | None:
        relative = path.lstrip("/")
        if relative in (FEED, SITEMAP) or (relative.startswith(f"{SITEMAP_DIR}/") and relative.endswith(".xml")):
            return _Target(title=relative, anchors=None)
        if relative.startswith("assets/") and (self.content_dir / relative).is_file():
            return _Target(title=relative, anchors=None)
        match = re.match(r"^documents/(\d+)/[^/]+$", relative)
        if match:
            document = get_document_model().objects.filter(pk=match.group(1)).select_related("collection").first()
            if document is not None and not document.collection.get_view_restrictions().exists():
                return _Target(title=document.title, anchors=None)
        return None
