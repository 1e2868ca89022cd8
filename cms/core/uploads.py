"""What an editor may upload as a document, video or audio file: a size limit per kind and a
content check (the file must really be what its name says; a renamed program or page is
refused). Used by the admin's document forms (``DocumentForm``, WAGTAILDOCS_DOCUMENT_FORM_BASE),
the single and the multiple uploader alike."""
from __future__ import annotations

from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from wagtail.documents.forms import BaseDocumentForm

from .blocks import AUDIO_EXTENSIONS, VIDEO_EXTENSIONS

_ZIP = (b"PK\x03\x04",)
_OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)
# Leading bytes each extension's files start with (None: checked otherwise, see _looks_like).
SIGNATURES = {
    ".pdf": (b"%PDF-",),
    ".docx": _ZIP, ".xlsx": _ZIP, ".pptx": _ZIP, ".odt": _ZIP, ".ods": _ZIP, ".zip": _ZIP,
    ".doc": _OLE, ".xls": _OLE, ".ppt": _OLE,
    ".webm": (b"\x1a\x45\xdf\xa3",),
    ".ogg": (b"OggS",),
    ".mp4": None, ".m4a": None, ".mp3": None, ".txt": None,
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
        raise ValidationError(f"{KIND_LABELS[kind]}不能超过 {filesizeformat(limit)}，"
                              f"当前文件为 {filesizeformat(file.size)}。")
    position = file.tell() if hasattr(file, "tell") else 0
    file.seek(0)
    head = file.read(512)
    file.seek(position)
    suffix = PurePath(file.name).suffix.lower()
    if not _looks_like(suffix, head):
        raise ValidationError(f"文件内容与扩展名“{suffix or '无'}”不符，请上传真正的 {suffix.lstrip('.').upper()} 文件。")


class DocumentForm(BaseDocumentForm):
    def clean_file(self):
        file = self.cleaned_data.get("file")
        if file is not None and hasattr(file, "size") and "file" in self.changed_data:
            check_upload(file)
        return file

    class Meta(BaseDocumentForm.Meta):
        pass
