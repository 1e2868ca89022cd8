"""What an editor may upload. Documents, video and audio: a size limit per kind and a
content check (the file must really be what its name says; a renamed program or page is
refused). Images: re-encoded on upload, which drops EXIF (a phone photo's GPS position, the
camera's serial number) and every other metadata chunk, and turns the picture upright first.
Used by the admin's forms (``DocumentForm``, WAGTAILDOCS_DOCUMENT_FORM_BASE; ``ImageForm``,
WAGTAILIMAGES_IMAGE_FORM_BASE), the single and the multiple uploader alike."""

from __future__ import annotations

import io
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from wagtail.documents.forms import BaseDocumentForm
from wagtail.images.forms import BaseImageForm

from .blocks import AUDIO_EXTENSIONS, VIDEO_EXTENSIONS

_ZIP = (b"PK\x03\x04",)
_OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)
# Leading bytes each extension's files start with (None: checked otherwise, see _looks_like).
SIGNATURES = {
    ".pdf": (b"%PDF-",),
    ".docx": _ZIP,
    ".xlsx": _ZIP,
    ".pptx": _ZIP,
    ".odt": _ZIP,
    ".ods": _ZIP,
    ".zip": _ZIP,
    ".doc": _OLE,
    ".xls": _OLE,
    ".ppt": _OLE,
    ".webm": (b"\x1a\x45\xdf\xa3",),
    ".ogg": (b"OggS",),
    ".mp4": None,
    ".m4a": None,
    ".mp3": None,
    ".txt": None,
}
KIND_LABELS = {"video": "视频", "audio": "音频", "document": "文件"}


def kind_of(name: str) -> str:
    suffix = PurePath(name).suffix.lower()
    if suffix in VIDEO_EXTENSIONS:
        return "video"
    if suffix in AUDIO_EXTENSIONS:
        return "audio"
    return "document"


def _looks_like(suffix: str, head: bytes) -> bool:
    expected = SIGNATURES.get(suffix)
    if expected is not None:
        return head.startswith(expected)
    if suffix in (".mp4", ".m4a"):
        return head[4:8] == b"ftyp"
    if suffix == ".mp3":
        return head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)
    if suffix == ".txt":
        if b"\x00" in head:
            return False
        for encoding in ("utf-8", "gb18030"):
            try:
                head.decode(encoding)
                return True
            except UnicodeDecodeError as exc:
                if exc.start >= len(head) - 4:  # a character cut off at the end of the sample
                    return True
        return False
    return True  # an extension without a known signature (none today)


def check_upload(file) -> None:
    """Raise a Chinese ValidationError unless ``file`` is within its kind's size limit and
    its content matches its extension."""
    kind = kind_of(file.name)
    limit = settings.UPLOAD_MAX_BYTES[kind]
    if file.size > limit:
        raise ValidationError(
            f"{KIND_LABELS[kind]}不能超过 {filesizeformat(limit)}，当前文件为 {filesizeformat(file.size)}。"
        )
    position = file.tell() if hasattr(file, "tell") else 0
    file.seek(0)
    head = file.read(512)
    file.seek(position)
    suffix = PurePath(file.name).suffix.lower()
    if not _looks_like(suffix, head):
        raise ValidationError(
            f"文件内容与扩展名“{suffix or '无'}”不符，请上传真正的 {suffix.lstrip('.').upper()} 文件。"
        )


class DocumentForm(BaseDocumentForm):
    def clean_file(self):
        file = self.cleaned_data.get("file")
        if file is not None and hasattr(file, "size") and "file" in self.changed_data:
            check_upload(file)
        return file

    class Meta(BaseDocumentForm.Meta):
        pass


# Pillow format → how it is written again (GIFs are left alone: re-encoding would flatten
# animations, and GIF carries no EXIF).
_REENCODE = {"JPEG": {"quality": 92, "optimize": True}, "PNG": {"optimize": True}, "WEBP": {"quality": 90}}


def reencoded(upload):
    """The uploaded image written again without metadata (upright), or the upload itself
    when its format is not re-encoded."""
    from PIL import Image, ImageOps

    upload.seek(0)
    with Image.open(upload) as image:
        kind = image.format
        if kind not in _REENCODE:
            upload.seek(0)
            return upload
        upright = ImageOps.exif_transpose(image)
        if kind == "JPEG" and upright.mode not in ("RGB", "L"):
            upright = upright.convert("RGB")
        buffer = io.BytesIO()
        # No exif=, no icc_profile=, no pnginfo=: nothing but the pixels is written.
        upright.save(buffer, format=kind, **_REENCODE[kind])
    return SimpleUploadedFile(upload.name, buffer.getvalue(), content_type=getattr(upload, "content_type", None))


class ImageForm(BaseImageForm):
    def clean_file(self):
        file = self.cleaned_data.get("file")
        if file is not None and "file" in self.changed_data and hasattr(file, "read"):
            return reencoded(file)
        return file

    class Meta(BaseImageForm.Meta):
        pass
