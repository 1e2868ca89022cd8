import pytest
from django.core.exceptions import ValidationError

from cms.core.blocks import AudioBlock, VideoBlock
from tests.factories import DocumentFactory, NewsPageFactory, SectionPageFactory


def test_video_block_accepts_mp4_and_rejects_other_files(db):
    block = VideoBlock()
    mp4 = DocumentFactory(file__filename="clip.mp4")
    pdf = DocumentFactory(file__filename="notice.pdf")
    assert block.clean(block.to_python({"video": mp4.pk, "poster": None, "caption": ""}))
    with pytest.raises(ValidationError) as error:
        block.clean(block.to_python({"video": pdf.pk, "poster": None, "caption": ""}))
    assert "视频只支持" in str(error.value.block_errors["video"])


def test_audio_block_rejects_video_files(db):
    block = AudioBlock()
    mp4 = DocumentFactory(file__filename="clip.mp4")
    with pytest.raises(ValidationError) as error:
        block.clean(block.to_python({"audio": mp4.pk, "caption": ""}))
    assert "音频只支持" in str(error.value.block_errors["audio"])


def test_reserved_slugs_are_refused(home):
    with pytest.raises(ValidationError) as error:
        SectionPageFactory(parent=home, slug="tags")
    assert "保留" in str(error.value)
    news = SectionPageFactory(parent=home, slug="news")
    with pytest.raises(ValidationError):
        NewsPageFactory(parent=news, slug="page")
