"""The page model of the public site: what one content page is (``Entry``), what a listing
page shows (``Listing``), articles listed together (``Group``), the inputs every page
shares (``SiteInputs``), and the path and date rules they are built with.

Everything here is plain Python: the renderer (``site/hooks/mkdocs_adapter.py``) turns these
values into HTML, the rest of the engine (``catalogue``, ``listings``, ``output_plan``)
decides which of them change. docs/content-format.md is the contract for front matter.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import json
import logging
import posixpath
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from build_scripts.html_safety import plain, safe_url
from build_scripts.site_paths import TAGS_DIR, tag_slug

HOME_LATEST = 10  # articles on the home page
FEED_SIZE = 20  # articles in feed.xml
ARTICLE_TYPES = {"news", "openness", "theory", "faq", "contestresult"}
# A public feedback form (群众心声 …): listed in its section like an article, rendered with
# the form from its ``dj_form`` front matter (build_scripts/public_forms.py).
FORM_TYPE = "form"
TYPES = {"home", "section", FORM_TYPE} | ARTICLE_TYPES
SHANGHAI = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
# Outputs the engine writes itself (not rendered pages): their src in the build state.
GENERATED = "generated:"

CONTENT_LOG = "build_scripts.content"


class ContentError(Exception):
    """content/ (or site/pages) cannot be built at all, e.g. a reserved path or a URL clash;
    the message names the file and is meant for editors (简体中文). The renderer turns it
    into its own build error."""


if TYPE_CHECKING:  # (generic in typeshed only, not at run time)
    _Adapter = logging.LoggerAdapter[logging.Logger]
else:
    _Adapter = logging.LoggerAdapter


class _Prefixed(_Adapter):
    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        return f"content: {msg}", kwargs


# Problems in one page are warnings naming the file, so a strict build fails with all of
# them at once instead of stopping at the first. The renderer forwards this logger to its
# own log (a strict MkDocs build counts the warnings of the "mkdocs" logger tree).
log = _Prefixed(logging.getLogger(CONTENT_LOG), {})


@dataclass(frozen=True)
class SiteInputs:
    """What every page shows besides its own content: the site settings (content/_site.yml,
    as the renderer escaped and normalised them), the year in the footer and the theme.
    A change to any of them re-renders every page (``catalogue.shared_digest``)."""

    org_name: str | None
    icp_number: str | None
    announcement: dict[str, Any] | None
    build_year: int
    site_url: str | None
    site_name: str  # HTML-escaped (material prints it raw)
    theme_signature: str | None  # build_scripts.site_build.theme_signature; None outside the engine


def normalise_announcement(announcement: object) -> dict[str, Any] | None:
    """The banner of _site.yml as the templates use it: plain text, and a link only when it is
    http(s) or site-relative (else the text stays, without the link)."""
    if isinstance(announcement, dict) and announcement.get("text"):
        url = safe_url((announcement.get("url") or "").strip()) or ""
        internal = url.startswith("/")
        return {
            "text": plain(announcement["text"]),
            "url": url,
            "path": url.lstrip("/") if internal else "",
            "internal": internal,
        }
    return None


@dataclass(eq=False)  # identity: listings are compared by which Entry objects they hold
class Entry:
    """One content page, from its front matter. Never changed once built: a changed page
    gets a new Entry, which is how listings notice it."""

    src_uri: str
    url: str  # site-relative, e.g. "news/foo/"
    meta: dict[str, Any]
    title: str
    kind: str  # "home" | "section" | "article"
    date: dt.date | None = None
    tags: list[str] = field(default_factory=list)
    section: str | None = None  # src_uri of the parent section/home index
    view: dict[str, Any] | None = field(default=None, repr=False)  # article_view, computed once

    @property
    def order(self) -> int:
        value = self.meta.get("order")
        return value if isinstance(value, int) else 0

    @property
    def sort_key(self) -> tuple[dt.date, int, str]:
        """Listing order (ascending = oldest first); unique because the URL is."""
        return (self.date or dt.date.min, self.meta.get("page_id") or 0, self.url)


@dataclass(eq=False)
class Listing:
    """What one generated or section/home page shows below its intro."""

    kind: str  # "section" | "home" | "tag" | "tags"
    items: list[Entry]  # newest first
    base_url: str = ""  # url of the first page
    subsections: list[Entry] = field(default_factory=list)
    tags: list[dict[str, Any]] = field(default_factory=list)
    pager: dict[str, str | None] | None = None  # urls: newest / newer / older / oldest (None = no link)
    archive: list[dict[str, str]] = field(default_factory=list)  # first page: every archive page, newest first
    label: str = ""  # archive page: the dates its articles span
    memo: tuple[Any, ...] = ()  # what the listing was made from (see listings.paginate)
    _digest: str | None = field(default=None, repr=False)

    @property
    def digest(self) -> str:
        if self._digest is None:
            self._digest = digest(listing_view(self))
        return self._digest


class Group:
    """Articles listed together (one section's own articles, or one tag's), oldest first."""

    def __init__(
        self,
        kind: str,
        base_src: str,
        base_url: str,
        title: str,
        *,
        subsections: list[Entry] | tuple[Entry, ...] = (),
        generate_first: bool = False,
    ) -> None:
        self.kind = kind
        self.base_src = base_src
        self.base_url = base_url
        self.title = title
        self.subsections = list(subsections)
        self.generate_first = generate_first  # the first page is virtual too (tags)
        self.keys: list[tuple[dt.date, int, str]] = []
        self.items: list[Entry] = []
        self.page_srcs: list[str] = []  # pages made by the last listings.paginate

    def reset(self, entries: list[Entry]) -> None:
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
            raise ContentError(f"{entry.src_uri}: 列表索引不一致（内部错误）")
        del self.keys[index]
        del self.items[index]

    def newest(self, count: int) -> list[Entry]:
        return self.items[-count:][::-1] if count else []


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


def parse_date(value: object) -> dt.date | None:
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


def section_of(src_uri: str, sections: set[str]) -> str | None:
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


def archive_src(base_src: str, number: int) -> str:
    """src_uri of archive page `number` of the listing whose first page is `base_src`."""
    folder = posixpath.dirname(base_src) if base_src.endswith("index.md") else base_src[:-3]
    return posixpath.join(folder, "page", f"{number}.md")


def virtual_page(title: str) -> str:
    """Markdown source of a generated listing page."""
    # A JSON string is a valid YAML scalar, and much cheaper to produce for thousands of
    # listing pages than yaml.safe_dump.
    return f"---\ntitle: {json.dumps(title, ensure_ascii=False)}\ntype: listing\n---\n"


def digest(value: object) -> str:
    return hashlib.sha1(json.dumps(value, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()


def dumps(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def url_for(src_uri: str) -> str:
    dest = dest_for(src_uri)
    return "" if dest == "index.html" else dest[: -len("index.html")]


def dest_for(src_uri: str) -> str:
    """Where a page is written (directory URLs); the renderer checks this against its own
    rule in full builds."""
    if not src_uri.endswith(".md"):
        return src_uri
    stem = src_uri[:-3]
    if posixpath.basename(stem) in ("index", "README"):
        return posixpath.join(posixpath.dirname(stem), "index.html")
    return f"{stem}/index.html"


# --------------------------------------------------------------------------- template views


def listing_view(listing: Listing) -> dict[str, Any]:
    """``dj.listing`` in the templates; its digest is part of the page's output key."""
    return {
        "kind": listing.kind,
        "articles": [article_view(e) for e in listing.items],
        "subsections": [
            {"title": e.title, "url": e.url, "intro": e.meta.get("intro") or ""} for e in listing.subsections
        ],
        "tags": listing.tags,
        "pager": listing.pager,
        "archive": listing.archive,
        "label": listing.label,
    }


def article_view(entry: Entry) -> dict[str, Any]:
    """``dj.article`` and each article of a listing in the templates."""
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
