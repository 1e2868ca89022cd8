"""The one StreamField block library shared by every page type and lesson.

Each block has one output rule, ``site_fragment(value, media)``: the fragment of the site's
Markdown it becomes (cms/core/block_output.py explains who calls it and what ``media`` is).
Wagtail's own render of a block or a body (admin preview, member API) is that fragment
through the site's Markdown and sanitiser, so there are no block templates.
"""

from pathlib import PurePath, PurePosixPath

from django.core.exceptions import ValidationError
from django.utils.safestring import mark_safe
from wagtail import blocks
from wagtail.contrib.table_block.blocks import TableBlock
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageChooserBlock

from build_scripts.html_safety import escape, markdown_inline

from .block_output import PreviewMedia, figure, file_size, render_body, site_html, table_markdown, text

RICH_TEXT_FEATURES = ["h3", "h4", "bold", "italic", "ol", "ul", "hr", "link", "document-link", "blockquote"]
VIDEO_EXTENSIONS = {".mp4", ".webm"}
AUDIO_EXTENSIONS = {".mp3", ".m4a", ".ogg"}


class SiteBlock:
    """A block whose output is its ``site_fragment``, wherever it is rendered."""

    def site_fragment(self, value, media) -> str:
        raise NotImplementedError

    def render(self, value, context=None):
        return mark_safe(site_html(self.site_fragment(value, PreviewMedia())))


class MediaFileBlock(SiteBlock, blocks.StructBlock):
    """A struct block whose `media_field` must be a document in one of `allowed_extensions`."""

    media_field = ""
    allowed_extensions: set[str] = set()
    media_label = ""

    def clean(self, value):
        value = super().clean(value)
        document = value.get(self.media_field)
        suffix = PurePath(document.file.name).suffix.lower() if document else ""
        if document is not None and suffix not in self.allowed_extensions:
            error = ValidationError(
                f"{self.media_label}只支持 {'、'.join(sorted(self.allowed_extensions))} 格式，"
                f"当前文件为“{suffix or '无扩展名'}”。"
            )
            raise blocks.StructBlockValidationError(block_errors={self.media_field: error})
        return value


class HeadingBlock(SiteBlock, blocks.CharBlock):
    def site_fragment(self, value, media):
        return f"## {markdown_inline(value)}" if value.strip() else ""


class ImageBlock(SiteBlock, blocks.StructBlock):
    image = ImageChooserBlock(label="图片")
    caption = blocks.CharBlock(label="图片说明", required=False, max_length=200)

    class Meta:
        icon = "image"
        label = "图片"

    def site_fragment(self, value, media):
        return figure(media, value["image"], value["caption"])


class GalleryBlock(SiteBlock, blocks.StructBlock):
    title = blocks.CharBlock(label="组图标题", required=False, max_length=100)
    images = blocks.ListBlock(ImageBlock(), label="图片", min_num=2)

    class Meta:
        icon = "image"
        label = "组图"

    def site_fragment(self, value, media):
        image_block = self.child_blocks["images"].child_block
        figures = [image_block.site_fragment(item, media) for item in value["images"]]
        figures = [f for f in figures if f]
        if not figures:
            return ""
        title = f'<p class="dj-gallery__title">{text(value["title"])}</p>' if value["title"] else ""
        return f'<div class="dj-gallery">{title}{"".join(figures)}</div>'


class VideoBlock(MediaFileBlock):
    media_field, allowed_extensions, media_label = "video", VIDEO_EXTENSIONS, "视频"

    video = DocumentChooserBlock(label="视频文件（MP4/WebM）")
    poster = ImageChooserBlock(label="封面图", required=False)
    caption = blocks.CharBlock(label="视频说明", required=False, max_length=200)

    class Meta:
        icon = "media"
        label = "视频"

    def site_fragment(self, value, media):
        src = media.document_url(value["video"])
        if not src:
            return ""
        poster = media.image_url(value["poster"]) if value["poster"] else None
        poster_attr = f' poster="{escape(poster[0])}"' if poster else ""
        caption = f"<figcaption>{text(value['caption'])}</figcaption>" if value["caption"] else ""
        label = text(value["caption"] or value["video"].title)
        # playsinline variants keep the video in the page in WeChat's in-app browser
        # (iOS WebKit and Android's X5 engine) instead of forcing full screen.
        return (
            f'<figure class="dj-video"><video controls playsinline webkit-playsinline '
            f'x5-playsinline preload="metadata"{poster_attr} src="{escape(src)}" aria-label="{label}">'
            f"</video>{caption}</figure>"
        )


class AudioBlock(MediaFileBlock):
    media_field, allowed_extensions, media_label = "audio", AUDIO_EXTENSIONS, "音频"

    audio = DocumentChooserBlock(label="音频文件（MP3/M4A/OGG）")
    caption = blocks.CharBlock(label="音频说明", required=False, max_length=200)

    class Meta:
        icon = "media"
        label = "音频"

    def site_fragment(self, value, media):
        src = media.document_url(value["audio"])
        if not src:
            return ""
        label = text(value["caption"] or value["audio"].title)
        caption = f"<figcaption>{text(value['caption'])}</figcaption>" if value["caption"] else ""
        return (
            f'<figure class="dj-audio"><audio controls preload="none" src="{escape(src)}" '
            f'aria-label="{label}"></audio>{caption}</figure>'
        )


class SiteTableBlock(SiteBlock, TableBlock):
    def site_fragment(self, value, media):
        return table_markdown(value)


class AttachmentBlock(SiteBlock, blocks.StructBlock):
    document = DocumentChooserBlock(label="文件")
    title = blocks.CharBlock(label="显示名称", required=False, max_length=200, help_text="留空则使用文件标题")

    class Meta:
        icon = "doc-full"
        label = "附件"

    def site_fragment(self, value, media):
        document = value["document"]
        url = media.document_url(document)
        if not url:
            return ""
        title = (value["title"] or document.title).strip()
        suffix = PurePosixPath(document.file.name).suffix.lstrip(".").upper()
        details = "，".join(part for part in (suffix, file_size(document)) if part)
        return (
            f'<p class="dj-attachment"><a href="{escape(url)}" download>{text(title)}</a>'
            f'<span class="dj-attachment__meta">（{text(details)}）</span></p>'
        )


class QuoteBlock(SiteBlock, blocks.StructBlock):
    text = blocks.TextBlock(label="引文")
    source = blocks.CharBlock(label="出处", required=False, max_length=200)

    class Meta:
        icon = "openquote"
        label = "引用"

    def site_fragment(self, value, media):
        lines = [f"> {markdown_inline(line)}" if line.strip() else ">" for line in value["text"].strip().splitlines()]
        if value["source"].strip():
            lines += [">", f"> —— {markdown_inline(value['source'])}"]
        return "\n".join(lines)


class SanitisedRichTextBlock(SiteBlock, blocks.RichTextBlock):
    """Rich text through the one allow-list (``sanitize_rich_text`` on its way to Markdown,
    ``sanitize_html`` after): the editor only makes safe markup, but text saved through the
    model API, an import or a script can hold anything."""

    def site_fragment(self, value, media):
        return media.rich_text_to_markdown(value.source)


class BodyBlock(blocks.StreamBlock):
    heading = HeadingBlock(label="小标题", max_length=120, icon="title")
    paragraph = SanitisedRichTextBlock(label="正文段落", features=RICH_TEXT_FEATURES)
    image = ImageBlock()
    gallery = GalleryBlock()
    video = VideoBlock()
    audio = AudioBlock()
    table = SiteTableBlock(label="表格")
    attachment = AttachmentBlock()
    quote = QuoteBlock()

    def render_basic(self, value, context=None):
        # The whole body in one Markdown document, as the site converts it (heading ids
        # are numbered per page).
        return mark_safe(site_html(render_body(PreviewMedia(), value)))
