"""Uploads through the admin: a size limit per kind and content that matches the name."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from wagtail.documents import get_document_model

from tests.factories import PASSWORD, UserFactory
from tests.html import error_texts

GOOD = {
    "notes.pdf": b"%PDF-1.7\n...",
    "plan.docx": b"PK\x03\x04rest",
    "old.doc": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest",
    "lecture.mp4": b"\x00\x00\x00\x18ftypmp42rest",
    "talk.mp3": b"ID3\x04rest",
    "talk2.mp3": b"\xff\xfb\x90rest",
    "clip.webm": b"\x1a\x45\xdf\xa3rest",
    "readme.txt": "学习安排：每周三下午。".encode("gb18030"),
}
BAD = {
    "notes.pdf": b"<html><script>alert(1)</script></html>",
    "plan.docx": b"MZ\x90\x00 a Windows program",
    "lecture.mp4": b"#!/bin/sh\nrm -rf /\n",
    "readme.txt": b"\x00\x01\x02binary",
}


@pytest.fixture
def admin_client(client, home):
    UserFactory(username="boss", is_superuser=True, is_staff=True)
    client.login(username="boss", password=PASSWORD)
    return client


def upload(client, name, data):
    return client.post(
        reverse("wagtaildocs:add"),
        {
            "title": name,
            "file": SimpleUploadedFile(name, data),
            "collection": 1,
        },
    )


@pytest.mark.parametrize("name", GOOD)
def test_real_files_are_accepted(admin_client, name):
    response = upload(admin_client, name, GOOD[name])
    assert response.status_code == 302, error_texts(response)
    assert get_document_model().objects.filter(title=name).exists()


@pytest.mark.parametrize("name", BAD)
def test_files_whose_content_is_not_their_type_are_refused(admin_client, name):
    response = upload(admin_client, name, BAD[name])
    assert response.status_code == 200
    assert any("文件内容与扩展名" in text for text in error_texts(response)), error_texts(response)
    assert not get_document_model().objects.filter(title=name).exists()


def test_files_over_their_kinds_limit_are_refused(admin_client, settings):
    settings.UPLOAD_MAX_BYTES = {"document": 1024, "video": 4096, "audio": 1024}
    too_big = upload(admin_client, "big.pdf", b"%PDF-" + b"x" * 2000)
    assert any("文件不能超过 1.0 KB" in text for text in error_texts(too_big)), error_texts(too_big)
    assert upload(admin_client, "ok.mp4", b"\x00\x00\x00\x18ftyp" + b"x" * 2000).status_code == 302
    video = upload(admin_client, "long.mp4", b"\x00\x00\x00\x18ftyp" + b"x" * 5000)
    assert any("视频不能超过 4.0 KB" in text for text in error_texts(video)), error_texts(video)


def test_the_multiple_uploader_checks_too(admin_client):
    response = admin_client.post(
        reverse("wagtaildocs:add_multiple"),
        {
            "files[]": SimpleUploadedFile("fake.pdf", b"not a pdf at all"),
            "collection": 1,
        },
        headers={"X-Requested-With": "XMLHttpRequest"},
    )
    assert response.status_code == 200
    assert response.json()["success"] is False
    assert "文件内容与扩展名" in response.json()["error_message"]
    assert not get_document_model().objects.filter(title="fake").exists()


def _photo_with_gps(kind="JPEG") -> bytes:
    """A 40x20 photo as a phone takes it: camera make, GPS position, and 'rotate 90°' in EXIF."""
    from io import BytesIO

    from PIL import Image

    image = Image.new("RGB", (40, 20), "red")
    exif = Image.Exif()
    exif[0x010F] = "SomePhone"  # Make
    exif[0x0112] = 6  # Orientation: the camera was held upright
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 17.0)}  # GPS
    buffer = BytesIO()
    image.save(buffer, format=kind, exif=exif)
    return buffer.getvalue()


@pytest.mark.parametrize("name, kind", [("photo.jpg", "JPEG"), ("photo.png", "PNG"), ("photo.webp", "WEBP")])
def test_uploaded_photos_lose_their_exif_and_gps_and_stand_upright(admin_client, name, kind):
    from PIL import Image
    from wagtail.images import get_image_model

    data = _photo_with_gps(kind)
    assert b"SomePhone" in data
    response = admin_client.post(
        reverse("wagtailimages:add"),
        {
            "title": "支部活动",
            "file": SimpleUploadedFile(name, data),
            "collection": 1,
        },
    )
    assert response.status_code == 302, error_texts(response)

    stored = get_image_model().objects.get(title="支部活动")
    with stored.open_file() as handle:
        raw = handle.read()
    assert b"SomePhone" not in raw
    with Image.open(stored.file.path) as image:
        assert not image.getexif(), dict(image.getexif())
        assert image.size == (20, 40)  # turned upright, as the phone showed it
    assert (stored.width, stored.height) == (20, 40)
