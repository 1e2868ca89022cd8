"""What a StreamField body becomes on the site, for the exporter and for every Wagtail render.

Each block of `blocks.BodyBlock` has one rule, its ``site_fragment(value, media)``: the
fragment of the site's Markdown (with HTML blocks) it becomes. The exporter joins the
fragments into ``content/*.md`` (`render_body`); a Wagtail render of a block or a body (the
admin preview of every page type, a lesson's ``body_html`` in the member API) turns the same
fragments into HTML with the site's own Markdown extensions and the site's sanitiser
(`site_html`), so an editor sees what the public will see.

The two differ only in the `BlockMedia` handed to the rule, which decides the URL of every
image, document and page a block uses, or that it is left out (``None``): the exporter's
`cms.publishing.markdown.AssetCollector` writes public files under ``/assets/`` and links
only pages the public site holds; `PreviewMedia` uses Wagtail's serve URLs, which check
permissions themselves (“Private media” in docs/architecture.md).

Every editor-typed value goes through `build_scripts.html_safety`: plain text is escaped
(in HTML blocks) or made literal Markdown, rich text is sanitised before it becomes
Markdown, so nothing an editor types can become markup.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import markdown
from bs4 import BeautifulSoup
from django.conf import settings
from markdownify import MarkdownConverter
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Page
from wagtail.rich_text.rewriters import EmbedRewriter, LinkRewriter, MultiRuleRewriter

from build_scripts.html_safety import (
    escape,
    markdown_escape,
    markdown_inline,
    plain,
    safe_url,
    sanitize_html,
    sanitize_rich_text,
)
from build_scripts.site_build import site_markdown_options

IMAGE_RENDITION_SPEC = "max-1200x1200"

# Why a chosen page or document link becomes plain text on the site (the editor sees it).
DEAD_PAGE = "指向的页面没有在公开网站上发布（草稿、已撤下、设有访问限制或属于党员学习），网站上显示为普通文字"
DEAD_DOCUMENT = "指向的文件不存在或属于不公开的文件夹，网站上显示为普通文字"
UNSAFE_LINK = "不是允许的链接地址（只能是 http、https、mailto、tel 或以 / 开头的站内地址），已去掉链接"


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
    converter = _SafeMarkdownConverter(
        heading_style="ATX", bullets="-", escape_asterisks=False, escape_underscores=False
    )
    return converter.convert(sanitize_rich_text(html)).strip()


class BlockMedia:
    """Decides where the images, documents and pages a body uses are found (``None``: left
    out, a link becomes plain text), and turns rich text into Markdown with those URLs.

    ``field`` names the block being rendered, for the problems a subclass reports."""

    field = "正文"

    def __init__(self):
        self._made_urls: set[str] = set()  # hrefs our page/document rules wrote: live by construction

    def image_url(self, image) -> tuple[str, int, int] | None:
        """(URL, width, height) of the image's rendition at IMAGE_RENDITION_SPEC."""
        raise NotImplementedError

    def document_url(self, document) -> str | None:
        raise NotImplementedError

    def page_url(self, page) -> str | None:
        raise NotImplementedError

    def link_problem(self, url: str) -> str | None:
        """Why a typed (already safe) URL must not stay a link, if it must not."""
        return None

    def dead_link(self, text: str, href: str, reason: str) -> None:
        """A link became plain text for `reason` (the exporter tells the editor)."""

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
        """Keep live links; turn the others into plain text, each reported to `dead_link`."""
        if "<a" not in html:
            return html
        soup = BeautifulSoup(html, "html.parser")
        for link in soup.find_all("a"):
            dead = link.attrs.pop("data-dj-dead", None)
            href = link.get("href")
            if dead:
                reason = DEAD_PAGE if dead == "page" else DEAD_DOCUMENT
            elif href is None or href in self._made_urls:
                continue
            else:
                url = safe_url(href)
                reason = UNSAFE_LINK if url is None else self.link_problem(url)
                if reason is None:
                    link["href"] = url
            if reason:
                self.dead_link(" ".join(link.get_text(" ").split()), href or "", reason)
                del link["href"]
        return str(soup)

    def _embedded_image(self, attrs: dict) -> str:
        image = get_image_model().objects.filter(pk=attrs.get("id")).first()
        found = self.image_url(image)
        if not found:
            return ""
        url, width, height = found
        return (
            f'<img src="{escape(url)}" alt="{escape(attrs.get("alt", ""))}" width="{width}" '
            f'height="{height}" loading="lazy">'
        )

    def rich_text_to_markdown(self, db_html: str) -> str:
        rewriter = MultiRuleRewriter(
            [
                LinkRewriter(rules={"page": self._page_link, "document": self._document_link}),
                EmbedRewriter(rules={"image": self._embedded_image, "media": lambda attrs: ""}),
            ]
        )
        return rich_text_markdown(self._check_links(rewriter(db_html)))


class PreviewMedia(BlockMedia):
    """Wagtail's own URLs, for renders inside the CMS (admin preview, member API): image
    renditions under MEDIA_URL and documents under /documents/, both permission-checked
    when served, and pages that are live."""

    def image_url(self, image):
        if image is None:
            return None
        rendition = image.get_rendition(IMAGE_RENDITION_SPEC)
        return rendition.url, rendition.width, rendition.height

    def document_url(self, document):
        return document.url if document is not None else None

    def page_url(self, page):
        return page.url if page is not None and page.live else None


def render_body(media: BlockMedia, body) -> str:
    """A StreamField body as the site's Markdown: each block's fragment, blank-line separated."""
    parts = []
    for number, block in enumerate(body, start=1):
        media.field = f"正文第 {number} 块（{block.block.label}）"
        parts.append(block.block.site_fragment(block.value, media))
    return "\n\n".join(part for part in parts if part.strip())


@cache
def _site_markdown_options() -> tuple[list[Any], dict[str, Any]]:
    return site_markdown_options(Path(settings.SITE_SOURCE_DIR))


def site_html(source: str) -> str:
    """The site's Markdown as the HTML the site shows: the build's extensions, then the
    build's sanitiser (the hook's ``on_page_content``)."""
    extensions, configs = _site_markdown_options()
    return sanitize_html(markdown.Markdown(extensions=extensions, extension_configs=configs).convert(source))


# Helpers of the block rules (cms/core/blocks.py) ------------------------------------------


def text(value) -> str:
    """A plain-text field for an HTML block: escaped, on one line (a blank line would end
    the HTML block in the middle and hand the rest to Markdown)."""
    return escape(" ".join(plain(value).split()))


def figure(media: BlockMedia, image, caption: str, css_class: str = "dj-figure") -> str:
    found = media.image_url(image)
    if not found:
        return ""
    url, width, height = found
    alt = text(caption or image.title)
    caption_html = f"<figcaption>{text(caption)}</figcaption>" if caption else ""
    return (
        f'<figure class="{css_class}"><img src="{escape(url)}" alt="{alt}" width="{width}" '
        f'height="{height}" loading="lazy">{caption_html}</figure>'
    )


def table_markdown(value: dict) -> str:
    rows = [[(cell or "").strip() for cell in row] for row in (value.get("data") or [])]
    rows = [row for row in rows if any(row)]
    if not rows:
        return ""
    width = max(len(row) for row in rows)
    rows = [row + [""] * (width - len(row)) for row in rows]

    def cell(content: str) -> str:
        return "<br>".join(markdown_inline(line) for line in content.split("\n") if line.strip())

    if value.get("first_row_is_table_header"):
        header, body = rows[0], rows[1:]
    else:
        header, body = [""] * width, rows
    lines = ["| " + " | ".join(cell(c) for c in header) + " |", "|" + "---|" * width]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in body]
    caption = (value.get("table_caption") or "").strip()
    return (f"**{markdown_inline(caption)}**\n\n" if caption else "") + "\n".join(lines)


def file_size(document) -> str:
    try:
        size = document.get_file_size() or 0
    except OSError:
        return ""
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    return f"{max(1, round(size / 1024))} KB"
