"""The one StreamField block library shared by every page type (and, later, lessons)."""
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.utils.safestring import mark_safe
from wagtail import blocks
from wagtail.contrib.table_block.blocks import TableBlock
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageChooserBlock

from build_scripts.html_safety import sanitize_html

RICH_TEXT_FEATURES = ["h3", "h4", "bold", "italic", "ol", "ul", "hr", "link", "document-link", "blockquote"]
VIDEO_EXTENSIONS = {".mp4", ".webm"}
AUDIO_EXTENSIONS = {".mp3", ".m4a", ".ogg"}


class MediaFileBlock(blocks.StructBlock):
    """A struct block whose `media_field` must be a document in one of `allowed_extensions`."""

    media_field = ""
    allowed_extensions: set[str] = set()
    media_label = ""

    def clean(self, value):
        value = super().clean(value)
        document = value.get(self.media_field)
        suffix = PurePath(document.file.name).suffix.lower() if document else ""
        if document is not None and suffix not in self.allowed_extensions:
            error = ValidationError(f"{self.media_label}只支持 {'、'.join(sorted(self.allowed_extensions))} 格式，"
                                    f"当前文件为“{suffix or '无扩展名'}”。")
            raise blocks.StructBlockValidationError(block_errors={self.media_field: error})
        return value


class ImageBlock(blocks.StructBlock):
    image = ImageChooserBlock(label="图片")
    caption = blocks.CharBlock(label="图片说明", required=False, max_length=200)

    class Meta:
        icon = "image"
        label = "图片"
        template = "core/blocks/image.html"


class GalleryBlock(blocks.StructBlock):
    title = blocks.CharBlock(label="组图标题", required=False, max_length=100)
    images = blocks.ListBlock(ImageBlock(), label="图片", min_num=2)

    class Meta:
        icon = "image"
        label = "组图"
        template = "core/blocks/gallery.html"


class VideoBlock(MediaFileBlock):
    media_field, allowed_extensions, media_label = "video", VIDEO_EXTENSIONS, "视频"

    video = DocumentChooserBlock(label="视频文件（MP4/WebM）")
    poster = ImageChooserBlock(label="封面图", required=False)
    caption = blocks.CharBlock(label="视频说明", required=False, max_length=200)

    class Meta:
        icon = "media"
        label = "视频"
        template = "core/blocks/video.html"


class AudioBlock(MediaFileBlock):
    media_field, allowed_extensions, media_label = "audio", AUDIO_EXTENSIONS, "音频"

    audio = DocumentChooserBlock(label="音频文件（MP3/M4A/OGG）")
    caption = blocks.CharBlock(label="音频说明", required=False, max_length=200)

    class Meta:
        icon = "media"
        label = "音频"
        template = "core/blocks/audio.html"


class AttachmentBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label="文件")
    title = blocks.CharBlock(label="显示名称", required=False, max_length=200,
                             help_text="留空则使用文件标题")

    class Meta:
        icon = "doc-full"
        label = "附件"
        template = "core/blocks/attachment.html"


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock(label="引文")
    source = blocks.CharBlock(label="出处", required=False, max_length=200)

    class Meta:
        icon = "openquote"
        label = "引用"
        template = "core/blocks/quote.html"


class SanitisedRichTextBlock(blocks.RichTextBlock):
    """Rich text rendered through the one allow-list (build_scripts/html_safety.py). The
    editor only makes safe markup, but text saved through the model API, an import or a
    script can hold anything, and it is rendered in the admin preview and the member API."""

    def render_basic(self, value, context=None):
        return mark_safe(sanitize_html(super().render_basic(value, context=context)))


class BodyBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(label="小标题", max_length=120, icon="title",
                               template="core/blocks/heading.html")
    paragraph = SanitisedRichTextBlock(label="正文段落", features=RICH_TEXT_FEATURES)
    image = ImageBlock()
    gallery = GalleryBlock()
    video = VideoBlock()
    audio = AudioBlock()
    table = TableBlock(label="表格", template="core/blocks/table.html")
    attachment = AttachmentBlock()
    quote = QuoteBlock()
