"""The public site as Django serves it in `make run`: straight from the `current` release."""

import importlib
from urllib.parse import urlencode

from django.test import Client
from django.urls import clear_url_caches
from wagtail.models import CollectionViewRestriction

import cms.urls
from tests.access import member_log_in_redirect
from tests.factories import (
    PASSWORD,
    CollectionFactory,
    CourseFactory,
    DocumentFactory,
    LessonFactory,
    MembershipFactory,
    NewsPageFactory,
    SectionPageFactory,
    UserFactory,
)


def test_before_the_first_build_the_site_says_so(client, site_paths):
    response = client.get("/")
    assert response.status_code == 503
    assert "网站尚未发布" in response.content.decode()


def test_serves_pages_assets_and_404(client, home, publish):
    news = SectionPageFactory(parent=home, slug="news", title="新闻动态")
    NewsPageFactory(parent=news, slug="hello", title="你好")
    publish()
    page = client.get("/news/hello/")
    assert page.status_code == 200
    assert "你好" in b"".join(page.streaming_content).decode()
    assert client.get("/news/hello").status_code == 302
    assert client.get("/feed.xml")["Content-Type"].startswith(("application/xml", "application/rss", "text/xml"))
    missing = client.get("/news/nothing-here/")
    assert missing.status_code == 404
    assert client.get("/admin/login/").status_code == 200  # the CMS is not shadowed by the site
    assert client.get("/../../etc/passwd").status_code in (400, 404)


HOSTILE_PATHS = [
    "/" + "a" * 256 + "/",  # a segment longer than a file name may be
    "/" + "a" * 256,
    "/" + "新" * 90 + "/",  # 90 characters, 270 bytes
    "/" + "a/" * 2100,  # a whole path longer than the file system takes
    "/%00",
    "/news/%00/",
    "/index.html%00.txt",  # NUL byte
    "/../secret.txt",
    "/%2e%2e/secret.txt",
    "/news/../../secret.txt",
    "/news/..%2f..%2fsecret.txt",
    "/./index.html",
    "/news//",
    "/news/./",
    "/sitemap.xml/",
    "/404.html/index.html",
    "/news/index.html/",  # a file used as a directory
    "/%ff/",
    "/%c3%28",
    "/news/%e4%b8/",  # not UTF-8
]


def test_hostile_paths_get_the_sites_404_and_nothing_outside_the_release(
    client, home, site_paths, publish, public_site
):
    SectionPageFactory(parent=home, slug="news", title="新闻动态")
    publish()
    # Next to the releases and above them: what a path escaping the release would find.
    (site_paths["SITE_RELEASES_DIR"] / "secret.txt").write_text("SECRET-OUTSIDE")
    (site_paths["VAR_DIR"] / "secret.txt").write_text("SECRET-OUTSIDE")
    not_found = public_site.root.joinpath("404.html").read_bytes()

    for path in HOSTILE_PATHS:
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.content == not_found, path

    # As browsers and curl send them (the test client would read `//etc` as a host name): an
    # empty first segment makes an absolute path; it must not redirect to `//etc/` (another host).
    for path in ["//etc", "//etc/passwd", f"/{site_paths['VAR_DIR']}/secret.txt", "//news/"]:
        response = client.get("/", PATH_INFO=path)
        assert (response.status_code, response.get("Location")) == (404, None), path
        assert response.content == not_found, path

    assert client.get("/news").headers["Location"] == "/news/"  # a directory still redirects


def test_private_documents_are_not_served_from_media(client, settings, home):
    settings.DEBUG = True  # the development media route is the one that could leak
    private = CollectionFactory.create("纪检资料")
    CollectionViewRestriction.objects.create(collection=private, restriction_type=CollectionViewRestriction.LOGIN)
    document = DocumentFactory(collection=private, file__data=b"SECRET-REPORT")
    clear_url_caches()
    importlib.reload(cms.urls)
    try:
        direct = client.get(settings.MEDIA_URL + document.file.name)
        assert direct.status_code in (404, 503) or b"SECRET-REPORT" not in b"".join(direct.streaming_content)
        checked = client.get(document.url)
        # The collection's log-in restriction: sent to the member log-in, back to the file after.
        assert (checked.status_code, checked["Location"]) == (302, member_log_in_redirect(document.url))
    finally:
        settings.DEBUG = False
        clear_url_caches()
        importlib.reload(cms.urls)


def test_a_restricted_document_sends_visitors_to_the_member_log_in_and_opens_once_logged_in(home, publish):
    publish()  # the member pages are part of every build
    private = CollectionFactory.create("支部资料")
    CollectionViewRestriction.objects.create(collection=private, restriction_type=CollectionViewRestriction.LOGIN)
    document = DocumentFactory(collection=private, file__data=b"BRANCH-MINUTES", file__filename="minutes.txt")
    # A private file opens for members who may read a lesson using it (cms/media/selectors.py).
    LessonFactory(parent=CourseFactory(), body=[("attachment", {"document": document, "title": ""})])
    MembershipFactory(user=UserFactory(username="member1"))
    client = Client(enforce_csrf_checks=True)

    response = client.get(document.url)

    assert response.status_code == 302
    assert response["Location"] == "/member/?" + urlencode({"next": document.url}, safe="/")
    log_in_page = client.get(response["Location"])
    assert log_in_page.status_code == 200
    assert 'data-view="home"' in b"".join(log_in_page.streaming_content).decode()
    token = client.get("/api/member/session/").cookies["csrftoken"].value  # what the page does
    assert (
        client.post(
            "/api/member/session/",
            {"username": "member1", "password": PASSWORD},
            content_type="application/json",
            headers={"X-CSRFToken": token},
        ).status_code
        == 200
    )
    opened = client.get(document.url)
    assert opened.status_code == 200
    assert b"".join(opened.streaming_content) == b"BRANCH-MINUTES"
