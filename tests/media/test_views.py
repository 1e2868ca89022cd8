"""Every URL of every private file of a lesson, asked for by everyone (cms/media/views.py)."""

import io
import re

import pytest
from PIL import Image as PILImage
from django.test import Client
from wagtail.models import Collection

from tests.access import member_log_in_redirect as log_in_redirect
from tests.factories import DocumentFactory, ImageFactory, LessonFactory
from tests.media.conftest import ATTACHMENT, AUDIO, LINKED, VIDEO, file_urls, read
from tests.study.conftest import client_for

#: persona → what every private file URL answers.
EXPECTED = {
    "anonymous": 302,  # to the member log-in, which comes back
    "other_branch": 404,  # outside the course's audience: as if there were no such file
    "wrong_status": 404,
    "in_audience": 200,
    "editor": 200,  # may choose the files in the admin
    "admin": 200,
}


def private_urls(world) -> dict[str, bytes | None]:
    """Each URL → the bytes it must answer with (None: an image, checked by decoding it)."""
    urls = {url: None for url in file_urls(world.body_html) if url.startswith("/media/images/")}
    assert len(urls) == 2, world.body_html  # the photo's rendition and the poster's
    for image in (world.image, world.poster):
        urls[image.file.url] = image.file.open("rb").read()
    in_body = file_urls(world.body_html)
    for document, data in zip(world.documents, (VIDEO, AUDIO, ATTACHMENT, LINKED)):
        assert document.url in in_body  # the body links each document through the checked view
        urls[document.url] = data
    assert all(url.startswith("/media/original_images/") for url in urls if "original_images" in url)
    return urls


@pytest.mark.parametrize("persona", list(EXPECTED))
def test_every_private_file_url_answers_by_the_lesson_audience(course_files, persona):
    client = client_for(course_files.people[persona])

    for url, data in private_urls(course_files).items():
        response = client.get(url)

        assert response.status_code == EXPECTED[persona], url
        if persona == "anonymous":
            assert response["Location"] == log_in_redirect(url)
        elif response.status_code == 404:
            assert not response.streaming and b"PRIVATE" not in response.content
        else:
            body = read(response)
            if data is None:
                assert PILImage.open(io.BytesIO(body)).format == "PNG", url  # the rendition itself
                assert response["Content-Type"] == "image/png"
            else:
                assert body == data, url
            assert response["Cache-Control"] == "private, no-store", url
            assert response["X-Content-Type-Options"] == "nosniff"
            assert "Content-Encoding" not in response


def test_a_rendition_and_an_original_are_the_image_s_own_files(course_files):
    client = client_for(course_files.people["in_audience"])
    rendition = course_files.image.get_rendition("max-1200x1200")

    assert read(client.get(rendition.url)) == rendition.file.open("rb").read()
    assert read(client.get(course_files.image.file.url)) == course_files.image.file.open("rb").read()


def test_a_file_no_live_page_of_mine_uses_is_not_mine(course_files, org):
    """Files of the same private collection that the member's lessons do not use: in a draft
    lesson, in a withdrawn lesson, in another branch's course, in no page at all."""
    from tests.factories import CourseFactory

    in_audience = client_for(course_files.people["in_audience"])
    editor = client_for(course_files.people["editor"])
    draft_image = ImageFactory(collection=course_files.collection, file__filename="draft.png")
    LessonFactory(parent=course_files.course, publish=False, body=[("image", {"image": draft_image, "caption": ""})])
    withdrawn_doc = DocumentFactory(collection=course_files.collection, file__filename="old.pdf")
    withdrawn = LessonFactory(
        parent=course_files.course, body=[("attachment", {"document": withdrawn_doc, "title": ""})]
    )
    withdrawn.unpublish()
    others_doc = DocumentFactory(collection=course_files.collection, file__filename="others.pdf")
    other_course = CourseFactory(audience_units=[org.second])
    LessonFactory(parent=other_course, body=[("attachment", {"document": others_doc, "title": ""})])
    unused = DocumentFactory(collection=course_files.collection, file__filename="unused.pdf")

    for url in (draft_image.file.url, withdrawn_doc.url, others_doc.url, unused.url):
        assert in_audience.get(url).status_code == 404, url
        assert editor.get(url).status_code == 200, url  # editors still see what they may choose


def test_a_file_added_to_a_lesson_opens_as_soon_as_the_lesson_is_published(course_files):
    """The reference index is written on publish, not by the worker's queued task later."""
    in_audience = client_for(course_files.people["in_audience"])
    added = DocumentFactory(collection=course_files.collection, file__filename="added.pdf", file__data=b"ADDED")
    assert in_audience.get(added.url).status_code == 404

    lesson = course_files.lesson
    lesson.body.append(("attachment", {"document": added, "title": ""}))
    lesson.save_revision().publish(skip_permission_checks=True)

    assert read(in_audience.get(added.url)) == b"ADDED"


def test_a_public_image_and_document_are_served_to_anyone(course_files):
    anonymous = Client()
    image = ImageFactory(title="公开图片", file__filename="public.png", file__format="PNG")
    document = DocumentFactory(title="公开文件", file__filename="public.pdf", file__data=b"%PDF PUBLIC")
    rendition = image.get_rendition("max-1200x1200")
    assert image.collection == Collection.get_first_root_node()

    for url in (rendition.url, image.file.url):
        response = anonymous.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == "no-cache"  # may be kept, checked again
        assert PILImage.open(io.BytesIO(read(response))).format == "PNG"
    assert read(anonymous.get(document.url)) == b"%PDF PUBLIC"


def test_a_collection_below_a_restricted_one_is_restricted_too(course_files):
    below = course_files.collection.add_child(name="下级资料")
    document = DocumentFactory(collection=below, file__filename="below.pdf")

    assert Client().get(document.url)["Location"] == log_in_redirect(document.url)
    assert client_for(course_files.people["in_audience"]).get(document.url).status_code == 404


def test_files_used_by_pages_outside_the_study_tree_follow_those_pages(course_files, home):
    """A file of a restricted collection on a public page is for everyone signed in; on a page
    with a password it needs that password too (Wagtail's page view restriction)."""
    from wagtail.models import PageViewRestriction

    from tests.factories import NewsPageFactory

    other_branch = client_for(course_files.people["other_branch"])
    on_public = DocumentFactory(collection=course_files.collection, file__filename="public-page.pdf")
    on_locked = DocumentFactory(collection=course_files.collection, file__filename="locked-page.pdf")
    NewsPageFactory(parent=home, body=[("attachment", {"document": on_public, "title": ""})])
    locked = NewsPageFactory(parent=home, body=[("attachment", {"document": on_locked, "title": ""})])
    PageViewRestriction.objects.create(page=locked, restriction_type=PageViewRestriction.PASSWORD, password="pw")

    assert Client().get(on_public.url)["Location"] == log_in_redirect(on_public.url)  # the collection's log-in
    assert other_branch.get(on_public.url).status_code == 200
    assert other_branch.get(on_locked.url).status_code == 404


def test_editors_see_private_thumbnails_in_the_admin(course_files):
    editor = client_for(course_files.people["editor"])

    for page in ("/admin/images/", "/admin/images/chooser/"):
        response = editor.get(page)
        html = response.json()["html"] if page.endswith("chooser/") else response.content.decode()
        thumbnails = set(re.findall(r'src="(/media/images/[^"]+)"', html))
        assert len(thumbnails) >= 2, page  # both private images are listed
        for url in thumbnails:
            shown = editor.get(url)
            assert shown.status_code == 200, url
            assert PILImage.open(io.BytesIO(read(shown))).size[0] > 0
            assert Client().get(url).status_code == 302  # the same thumbnail, logged out


def test_a_branch_editor_without_media_permission_is_not_staff_for_files(course_files):
    """Admin access alone is not enough: 支部书记 (admin access, no image permission) are
    treated as members."""
    from cms.accounts.models import BranchRole, MemberStatus
    from tests.study.conftest import member

    secretary = member(course_files.people["other_branch"].organisation, MemberStatus.FULL, BranchRole.SECRETARY)
    assert secretary.has_perm("wagtailadmin.access_admin")

    assert client_for(secretary).get(course_files.attachment.url).status_code == 404


def test_only_get_and_head_are_answered(course_files):
    client = client_for(course_files.people["in_audience"])
    url = course_files.image.file.url

    assert client.head(url).status_code == 200
    assert client.post(url).status_code == 405


def test_no_other_path_reaches_a_file(course_files, publish, settings):
    """Documents' stored files, paths that climb out, absolute paths and NUL bytes: the public
    site's 404, never a file (the catch-all of cms/publishing/views.py answers what the media
    routes do not)."""
    publish()
    stored = [course_files.attachment.file.name, course_files.video.file.name]
    attempts = [f"/media/{name}" for name in stored] + [
        "/media/documents/",
        "/media/",
        "/media/images/",
        "/media/original_images/",
        "/media/images/../../cms/settings/base.py",
        "/media/images/%2e%2e/%2e%2e/cms/settings/base.py",
        "/media/original_images/..%2f..%2fcms%2fsettings%2fbase.py",
        "/media/images/..",
        "/media/original_images/%2e%2e",
        "/media/images/.%2e/.%2e/etc/passwd",
        "/media/images//etc/passwd",
        "/media/original_images/%2Fetc%2Fpasswd",
        f"/media/images/{course_files.image.file.name}",  # a real file, in the other folder
        "/media/images/a%00.png",
        "/media/original_images/%00",
        "/documents/1/../../cms/settings/base.py",
        "/documents/99999999999999999999/notes.pdf",
        f"/documents/{course_files.attachment.pk}/notes.pdf%00",
        f"/documents/{course_files.attachment.pk}/..%2f..%2fcms%2fsettings%2fbase.py",
    ]
    clients = [client_for(course_files.people[persona]) for persona in ("anonymous", "in_audience", "editor")]

    for client in clients:
        for path in attempts:
            response = client.get(path)
            assert response.status_code == 404, path
            body = read(response)
            assert b"PRIVATE" not in body and b"INSTALLED_APPS" not in body and b"root:" not in body, path
        for path in ("//etc/passwd", f"/{settings.MEDIA_ROOT}/{course_files.attachment.file.name}"):
            response = client.get("/", PATH_INFO=path)  # as browsers and curl send them
            assert response.status_code == 404, path
            assert b"PRIVATE" not in read(response), path
