"""Handing a file to nginx instead of streaming it (cms/media/sendfile.py)."""

import pytest
from django.test import Client

from tests.access import member_log_in_redirect as log_in_redirect
from tests.factories import ImageFactory
from tests.study.conftest import client_for

PREFIX = "/_protected_media/"


@pytest.fixture
def accel(settings):
    settings.PRIVATE_MEDIA_ACCEL_PREFIX = PREFIX


def test_with_a_prefix_the_answer_names_the_file_for_nginx_and_has_no_body(course_files, accel):
    client = client_for(course_files.people["in_audience"])
    rendition = course_files.image.get_rendition("max-1200x1200")
    cases = {
        rendition.url: (rendition.file.name, "image/png"),
        course_files.image.file.url: (course_files.image.file.name, "image/png"),
        course_files.video.url: (course_files.video.file.name, "video/mp4"),
        course_files.attachment.url: (course_files.attachment.file.name, "application/pdf"),
    }

    for url, (stored_name, content_type) in cases.items():
        response = client.get(url)

        assert response.status_code == 200, url
        assert response["X-Accel-Redirect"] == PREFIX + stored_name
        assert response.content == b""
        assert response.get("Content-Length", "0") == "0"  # the empty body's; nginx sends the file's own
        assert response["Content-Type"] == content_type
        assert response["Cache-Control"] == "private, no-store"  # nginx passes it on
    document = client.get(course_files.attachment.url)  # Wagtail's own headers are kept
    assert document["Content-Disposition"].endswith('; filename="notes.pdf"')
    assert document["Content-Security-Policy"] == "default-src 'none'"


def test_with_a_prefix_refusals_stay_refusals(course_files, accel):
    url = course_files.image.file.url

    anonymous = Client().get(url)
    outsider = client_for(course_files.people["other_branch"]).get(url)

    assert (anonymous.status_code, anonymous["Location"]) == (302, log_in_redirect(url))
    assert outsider.status_code == 404
    assert "X-Accel-Redirect" not in anonymous and "X-Accel-Redirect" not in outsider


def test_a_chinese_file_name_is_percent_encoded_for_nginx(course_files, accel):
    from tests.factories import DocumentFactory

    document = DocumentFactory(file__filename="学习材料.pdf")  # public: the name is what matters here

    response = Client().get(document.url)

    assert response["X-Accel-Redirect"] == PREFIX + "documents/%E5%AD%A6%E4%B9%A0%E6%9D%90%E6%96%99.pdf"


def test_only_files_below_media_root_are_ever_named(settings, tmp_path, accel):
    from django.http import Http404

    from cms.media.sendfile import accel_path

    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "images").mkdir()
    (tmp_path / "secret.txt").write_text("secret")

    assert accel_path(tmp_path / "media" / "images" / "a.png") == PREFIX + "images/a.png"
    for outside in (tmp_path / "secret.txt", tmp_path / "media" / ".." / "secret.txt", "/etc/passwd"):
        with pytest.raises(Http404):
            accel_path(outside)


def test_without_a_prefix_django_streams_the_file_and_answers_if_modified_since(course_files):
    client = client_for(course_files.people["in_audience"])
    url = course_files.image.file.url

    first = client.get(url)
    again = client.get(url, headers={"If-Modified-Since": first["Last-Modified"]})
    by_etag = client.get(url, headers={"If-None-Match": first["ETag"]})

    assert first.streaming and "X-Accel-Redirect" not in first
    assert again.status_code == 304 and by_etag.status_code == 304


def test_conditional_requests_are_answered_only_after_the_access_check(course_files):
    url = course_files.image.file.url
    etag = client_for(course_files.people["in_audience"]).get(url)["ETag"]

    assert client_for(course_files.people["other_branch"]).get(url, headers={"If-None-Match": etag}).status_code == 404


def test_the_public_image_is_handed_over_too(db, site_paths, accel):
    image = ImageFactory(file__filename="open.png", file__format="PNG")

    response = Client().get(image.file.url)

    assert response["X-Accel-Redirect"] == PREFIX + image.file.name
    assert response["Cache-Control"] == "no-cache"
