"""Render a page's StreamField body to the Markdown + HTML-block format of content/.

Every image, document and internal link goes through an `AssetCollector`, which decides
what is public: a private asset or a link to a non-public page never reaches content/.
Every editor-typed value goes through `build_scripts.html_safety`: plain text is escaped
(in HTML blocks) or made literal Markdown, rich text is sanitised before it becomes
Markdown, so nothing an editor types can become markup on the site.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Callable

from bs4 import BeautifulSoup
from markdownify import MarkdownConverter
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Page
from wagtail.rich_text.rewriters import EmbedRewriter, LinkRewriter, MultiRuleRewriter

from build_scripts.html_safety import escape, markdown_escape, markdown_inline, plain, safe_url, sanitize_rich_text

from .links import LinkProblem, SiteLinks

IMAGE_RENDITION_SPEC = "max-1200x1200"


class _SafeMarkdownConverter(MarkdownConverter):
    """markdownify, with text made literal for Python-Markdown: its default escaping leaves
    ``<`` and ``&`` alone, so text an editor typed as ``<script>`` (stored escaped by
    Draftail) would come back as raw HTML."""

    def escape(self, text, parent_tags):
        if not text or "_noformat" in parent_tags:
            return text or ""
        return markdown_escape(text)

    def convert_img(self, el, text, parent_tags):
        src = safe_url(el.attrs.get("src"))
        if not src:
            return ""
        return f"![{markdown_inline(el.attrs.get('alt') or '')}]({src})"


def rich_text_markdown(html: str) -> str:
    """Sanitised rich text (``sanitize_rich_text``) as Markdown."""
    converter = _SafeMarkdownConverter(heading_style="ATX", bullets="-", escape_asterisks=False,
                                       escape_underscores=False)
    return converter.convert(sanitize_rich_text(html)).strip()


@dataclass
class Asset:
    """A file content/ needs: `source` is a callable returning an open binary file."""

    path: str  # relative to content/, e.g. assets/images/12-ab12cd34ef-max1200.jpg
    open_source: Callable = field(repr=False)


def _file_digest(media) -> str:
    """Short content hash for stable asset names: a replaced file gets a new name."""
    return media.get_file_hash()[:10]


def _is_public_collection(collection) -> bool:
    return not collection.get_view_restrictions().exists()


# Why a chosen page or document link becomes plain text on the site (the editor sees it).
_DEAD_PAGE = "指向的页面没有在公开网站上发布（草稿、已撤下、设有访问限制或属于党员学习），网站上显示为普通文字"
_DEAD_DOCUMENT = "指向的文件不存在或属于不公开的文件夹，网站上显示为普通文字"
_UNSAFE = "不是允许的链接地址（只能是 http、https、mailto、tel 或以 / 开头的站内地址），已去掉链接"


class AssetCollector:
    """Collects the assets one page uses and maps them to stable site URLs, and decides
    which of its links stay links (``links``: a dead one becomes plain text and a
    ``LinkProblem`` in ``problems``, named after ``field``, the block being rendered).

    ``dry_run`` only decides: no rendition is made and no file is read (the page editor
    uses it to list a draft's link problems)."""

    def __init__(self, is_page_exportable: Callable[[Page], bool], *, links: SiteLinks | None = None,
                 dry_run: bool = False):
        self.assets: dict[str, Asset] = {}
        self._is_page_exportable = is_page_exportable
        self.links = links
        self.dry_run = dry_run
        self.problems: list[LinkProblem] = []
        self.field = "正文"
        self._made_urls: set[str] = set()  # hrefs our page/document rules wrote: live by construction

    def _add(self, path: str, opener: Callable) -> str:
        self.assets.setdefault(path, Asset(path=path, open_source=opener))
        return "/" + path

    def image_url(self, image) -> tuple[str, int, int] | None:
        if image is None or not _is_public_collection(image.collection):
            return None
        if self.dry_run:
            return f"/assets/images/{image.pk}", image.width, image.height
        rendition = image.get_rendition(IMAGE_RENDITION_SPEC)
        suffix = PurePosixPath(rendition.file.name).suffix.lower() or ".jpg"
        path = f"assets/images/{image.pk}-{_file_digest(image)}-max1200{suffix}"
        return self._add(path, rendition.file.open), rendition.width, rendition.height

    def document_url(self, document) -> str | None:
        if document is None or not _is_public_collection(document.collection):
            return None
        suffix = PurePosixPath(document.file.name).suffix.lower()
        path = f"assets/media/{document.pk}-{_file_digest(document)}{suffix}"
        return self._add(path, document.file.open)

    def page_url(self, page) -> str | None:
        if page is None:
            return None
        page = page.specific
        return page.url if self._is_page_exportable(page) else None

    # Rich text rewriting -------------------------------------------------------------

    def _page_link(self, attrs: dict) -> str:
        page = Page.objects.filter(pk=attrs.get("id")).first()
        url = self.page_url(page)
        if not url:
            return '<a data-dj-dead="page">'
        self._made_urls.add(url)
        return f'<a href="{escape(url)}">'

    def _document_link(self, attrs: dict) -> str:
        document = get_document_model().objects.filter(pk=attrs.get("id")).first()
        url = self.document_url(document)
        if not url:
            return '<a data-dj-dead="document">'
        self._made_urls.add(url)
        return f'<a href="{escape(url)}">'

    def _check_links(self, html: str) -> str:
        """Keep live links; turn the others into plain text, each with a LinkProblem."""
        if "<a" not in html:
            return html
        soup = BeautifulSoup(html, "html.parser")
        for link in soup.find_all("a"):
            dead = link.attrs.pop("data-dj-dead", None)
            href = link.get("href")
            if dead:
                reason = _DEAD_PAGE if dead == "page" else _DEAD_DOCUMENT
            elif href is None or href in self._made_urls:
                continue
            else:
                url = safe_url(href)
                reason = _UNSAFE if url is None else (self.links.problem(url) if self.links else None)
                if reason is None:
                    link["href"] = url
            if reason:
                self.problems.append(LinkProblem(self.field, " ".join(link.get_text(" ").split()), href or "", reason))
                del link["href"]
        return str(soup)

    def _embedded_image(self, attrs: dict) -> str:
        image = get_image_model().objects.filter(pk=attrs.get("id")).first()
        found = self.image_url(image)
        if not found:
            return ""
        url, width, height = found
        return (f'<img src="{escape(url)}" alt="{escape(attrs.get("alt", ""))}" width="{width}" '
                f'height="{height}" loading="lazy">')

    def rich_text_to_markdown(self, db_html: str) -> str:
        rewriter = MultiRuleRewriter([
            LinkRewriter(rules={"page": self._page_link, "document": self._document_link}),
            EmbedRewriter(rules={"image": self._embedded_image, "media": lambda attrs: ""}),
        ])
        return rich_text_markdown(self._check_links(rewriter(db_html)))


def _text(value) -> str:
    """A plain-text field for an HTML block: escaped, on one line (a blank line would end
    the HTML block in the middle and hand the rest to Markdown)."""
    return escape(" ".join(plain(value).split()))


def _figure(collector: AssetCollector, image, caption: str, css_class: str = "dj-figure") -> str:
    found = collector.image_url(image)
    if not found:
        return ""
    url, width, height = found
    alt = _text(caption or image.title)
    caption_html = f"<figcaption>{_text(caption)}</figcaption>" if caption else ""
    return (f'<figure class="{css_class}"><img src="{escape(url)}" alt="{alt}" width="{width}" '
            f'height="{height}" loading="lazy">{caption_html}</figure>')


def _table_markdown(value: dict) -> str:
    rows = [[(cell or "").strip() for cell in row] for row in (value.get("data") or [])]
    rows = [row for row in rows if any(row)]
    if not rows:
        return ""
    width = max(len(row) for row in rows)
    rows = [row + [""] * (width - len(row)) for row in rows]

    def cell(text: str) -> str:
        return "<br>".join(markdown_inline(line) for line in text.split("\n") if line.strip())

    if value.get("first_row_is_table_header"):
        header, body = rows[0], rows[1:]
    else:
        header, body = [""] * width, rows
    lines = ["| " + " | ".join(cell(c) for c in header) + " |", "|" + "---|" * width]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in body]
    caption = (value.get("table_caption") or "").strip()
    return (f"**{markdown_inline(caption)}**\n\n" if caption else "") + "\n".join(lines)


def _file_size(document) -> str:
    try:
        size = document.get_file_size() or 0
    except OSError:
        return ""
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    return f"{max(1, round(size / 1024))} KB"


def render_block(collector: AssetCollector, block) -> str:
    kind, value = block.block_type, block.value
    if kind == "heading":
        return f"## {markdown_inline(value)}" if value.strip() else ""
    if kind == "paragraph":
        return collector.rich_text_to_markdown(value.source)
    if kind == "image":
        return _figure(collector, value["image"], value["caption"])
    if kind == "gallery":
        figures = [_figure(collector, item["image"], item["caption"]) for item in value["images"]]
        figures = [f for f in figures if f]
        if not figures:
            return ""
        title = f'<p class="dj-gallery__title">{_text(value["title"])}</p>' if value["title"] else ""
        return f'<div class="dj-gallery">{title}{"".join(figures)}</div>'
    if kind == "video":
        src = collector.document_url(value["video"])
        if not src:
            return ""
        poster = collector.image_url(value["poster"]) if value["poster"] else None
        poster_attr = f' poster="{escape(poster[0])}"' if poster else ""
        caption = f"<figcaption>{_text(value['caption'])}</figcaption>" if value["caption"] else ""
        label = _text(value["caption"] or value["video"].title)
        # playsinline variants keep the video in the page in WeChat's in-app browser
        # (iOS WebKit and Android's X5 engine) instead of forcing full screen.
        return (f'<figure class="dj-video"><video controls playsinline webkit-playsinline '
                f'x5-playsinline preload="metadata"{poster_attr} src="{escape(src)}" aria-label="{label}">'
                f'</video>{caption}</figure>')
    if kind == "audio":
        src = collector.document_url(value["audio"])
        if not src:
            return ""
        label = _text(value["caption"] or value["audio"].title)
        caption = f"<figcaption>{_text(value['caption'])}</figcaption>" if value["caption"] else ""
        return (f'<figure class="dj-audio"><audio controls preload="none" src="{escape(src)}" '
                f'aria-label="{label}"></audio>{caption}</figure>')
    if kind == "table":
        return _table_markdown(value)
    if kind == "attachment":
        document = value["document"]
        url = collector.document_url(document)
        if not url:
            return ""
        title = (value["title"] or document.title).strip()
        suffix = PurePosixPath(document.file.name).suffix.lstrip(".").upper()
        details = "，".join(part for part in (suffix, _file_size(document)) if part)
        return (f'<p class="dj-attachment"><a href="{escape(url)}" download>{_text(title)}</a>'
                f'<span class="dj-attachment__meta">（{_text(details)}）</span></p>')
    if kind == "quote":
        lines = [f"> {markdown_inline(line)}" if line.strip() else ">" for line in value["text"].strip().splitlines()]
        if value["source"].strip():
            lines += [">", f"> —— {markdown_inline(value['source'])}"]
        return "\n".join(lines)
    raise ValueError(f"unknown block type {kind!r}")


def render_body(collector: AssetCollector, body) -> str:
    parts = []
    for number, block in enumerate(body, start=1):
        collector.field = f"正文第 {number} 块（{block.block.label}）"
        parts.append(render_block(collector, block))
    return "\n\n".join(part for part in parts if part.strip())
