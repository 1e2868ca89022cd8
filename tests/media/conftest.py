"""A lesson whose every kind of file sits in a log-in-restricted collection, and the people
who ask for those files."""

from types import SimpleNamespace

import pytest
from bs4 import BeautifulSoup
from wagtail.models import CollectionViewRestriction
from wagtail.rich_text import RichText

from cms.accounts.models import MemberStatus
from tests.factories import CollectionFactory, CourseFactory, DocumentFactory, ImageFactory, LessonFactory
from tests.study.conftest import (
    API,
    administrator,
    client_for,
    member,
    org,  # noqa: F401  (the study tests' organisation, as a fixture here too)
)

#: Distinct bytes per file, so a test can tell which file an answer holds.
VIDEO = b"\x00\x00\x00\x18ftypmp42 PRIVATE-VIDEO"
AUDIO = b"ID3\x03\x00 PRIVATE-AUDIO"
ATTACHMENT = b"%PDF-1.4 PRIVATE-ATTACHMENT"
LINKED = b"%PDF-1.4 PRIVATE-LINKED-DOCUMENT"


def restricted_collection(name="课程资料"):
    collection = CollectionFactory.create(name)
    CollectionViewRestriction.objects.create(collection=collection, restriction_type=CollectionViewRestriction.LOGIN)
    return collection


def file_urls(body_html: str) -> set[str]:
    soup = BeautifulSoup(body_html, "html.parser")
    urls = {tag[attr] for attr in ("src", "href", "poster") for tag in soup.find_all(attrs={attr: True})}
    return {url for url in urls if url.startswith(("/media/", "/documents/"))}


def read(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def course_files(home, org, editor):
    """A course for 正式党员 of 第一党支部 with one lesson using a private image (twice: in the
    body and as the video's poster), a video, an audio file, an attachment and a document
    linked from the text — plus the people: anonymous, another branch, the wrong status, the
    audience, an editor and a 管理员."""
    private = restricted_collection()
    image = ImageFactory(
        title="支部合影", collection=private, file__filename="branch-photo.png", file__format="PNG", file__color="blue"
    )
    poster = ImageFactory(title="党课封面", collection=private, file__filename="poster.png", file__format="PNG")
    video = DocumentFactory(title="党课视频", collection=private, file__filename="lecture.mp4", file__data=VIDEO)
    audio = DocumentFactory(title="党课音频", collection=private, file__filename="lecture.mp3", file__data=AUDIO)
    attachment = DocumentFactory(
        title="学习材料", collection=private, file__filename="notes.pdf", file__data=ATTACHMENT
    )
    linked = DocumentFactory(title="参考文件", collection=private, file__filename="reading.pdf", file__data=LINKED)
    course = CourseFactory(title="一支部党员课", audience_units=[org.first], audience_statuses=[MemberStatus.FULL])
    lesson = LessonFactory(
        parent=course,
        body=[
            ("paragraph", RichText(f'<p>阅读<a linktype="document" id="{linked.pk}">参考文件</a>。</p>')),
            ("image", {"image": image, "caption": "支部合影"}),
            ("video", {"video": video, "poster": poster, "caption": "专题党课"}),
            ("audio", {"audio": audio, "caption": "录音"}),
            ("attachment", {"document": attachment, "title": ""}),
        ],
    )
    people = {
        "anonymous": None,
        "other_branch": member(org.second, MemberStatus.FULL),
        "wrong_status": member(org.first, MemberStatus.ACTIVIST),
        "in_audience": member(org.first, MemberStatus.FULL),
        "editor": editor,
        "admin": administrator(),
    }
    body_html = client_for(people["in_audience"]).get(f"{API}lessons/{lesson.pk}/").json()["body_html"]
    return SimpleNamespace(
        collection=private,
        image=image,
        poster=poster,
        video=video,
        audio=audio,
        attachment=attachment,
        linked=linked,
        documents=[video, audio, attachment, linked],
        course=course,
        lesson=lesson,
        people=people,
        body_html=body_html,
    )
