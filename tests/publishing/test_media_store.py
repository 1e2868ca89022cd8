"""Published video, audio and documents go to the media store beside the content repository
(build_scripts/media_store.py): content/'s history holds pointers, the site serves the
bytes, and an administrator can purge what no page uses any more, audited."""

import io
import os

import pytest
from django.urls import reverse

from build_scripts.media_store import read_pointer, store_for
from cms.accounts.roles import ADMINISTRATOR, EDITOR, REVIEWER
from cms.audit.models import Action, AuditEntry
from cms.publishing import selectors, services
from cms.publishing.exporter import Exporter
from cms.publishing.services import content_repo
from tests.access import assert_refused_in_admin, assert_sent_to_admin_log_in
from tests.factories import DocumentFactory, NewsPageFactory, SectionPageFactory, UserFactory

LECTURE = b"\x00\x00\x00\x18ftypmp42" + os.urandom(120_000)
NEW_LECTURE = b"\x00\x00\x00\x18ftypmp42" + os.urandom(90_000)


@pytest.fixture
def users(home):
    return {
        "editor": UserFactory(username="editor", groups=[EDITOR]),
        "reviewer": UserFactory(username="reviewer", groups=[REVIEWER]),
        "admin": UserFactory(username="siteadmin", groups=[ADMINISTRATOR]),
    }


@pytest.fixture
def lecture(home, publish):
    """A news page with a 党课 recording attached, published; then the recording replaced."""
    news = SectionPageFactory(parent=home, title="新闻动态", slug="news")
    old = DocumentFactory(title="党课录像", file__filename="lecture.mp4", file__data=LECTURE)
    page = NewsPageFactory(
        parent=news, title="党课", slug="lecture", body=[("attachment", {"document": old, "title": "党课录像"})]
    )
    first = publish()
    new = DocumentFactory(title="党课录像（修订）", file__filename="lecture-v2.mp4", file__data=NEW_LECTURE)
    page.body = [("attachment", {"document": new, "title": "党课录像"})]
    page.save_revision().publish()
    second = publish()
    return {"page": page, "old": old, "new": new, "first": first, "second": second}


def _media_files(root):
    return sorted((root / "assets" / "media").iterdir())


def test_the_history_holds_pointers_and_the_site_serves_the_recording(lecture, site_paths, public_site):
    [pointer_file] = _media_files(site_paths["CONTENT_DIR"])
    pointer = read_pointer(pointer_file)
    assert pointer is not None and pointer.size == len(NEW_LECTURE)
    store = store_for(site_paths["CONTENT_GIT_DIR"])
    assert store.object_path(pointer.oid).read_bytes() == NEW_LECTURE
    [served] = _media_files(public_site.root)
    assert served.read_bytes() == NEW_LECTURE and served.name == pointer_file.name
    # No commit ever held a recording: every media blob in the history is a pointer.
    repo = content_repo()
    sizes = repo.git.log("--all", "--format=", "--raw", "--no-abbrev", "--", "assets/media").split("\n")
    blobs = {line.split()[3] for line in sizes if line.startswith(":")} - {"0" * 40}
    assert len(blobs) == 2
    assert all(int(repo.git.cat_file("-s", blob)) < 200 for blob in blobs)


def test_a_replaced_recording_stays_for_rollback_until_purged(client, users, lecture, site_paths):
    rows = selectors.stored_media()
    assert [(row.size, row.in_use) for row in rows] == [(len(NEW_LECTURE), True), (len(LECTURE), False)]
    old = rows[1]
    first_release = site_paths["SITE_RELEASES_DIR"] / lecture["first"].release
    assert _media_files(first_release)[0].read_bytes() == LECTURE  # a rollback would still play it

    client.force_login(users["admin"])
    listing = client.get(reverse("publishing_media_store")).content.decode()
    assert "未使用的文件：1 个" in listing and old.short_oid in listing
    confirm = client.get(reverse("publishing_media_purge", args=[old.oid])).content.decode()
    assert "确认永久清除" in confirm and "csrfmiddlewaretoken" in confirm
    response = client.post(reverse("publishing_media_purge", args=[old.oid]))
    assert response.status_code == 302 and response["Location"] == reverse("publishing_media_store")

    store = store_for(site_paths["CONTENT_GIT_DIR"])
    assert not store.has(old.oid) and store.purge_record(old.oid)["purged_by"] == "siteadmin"
    assert not (first_release / "assets" / "media").exists() or _media_files(first_release) == []
    entry = AuditEntry.objects.get(action=Action.MEDIA_PURGED)
    assert entry.actor_username == "siteadmin" and entry.details["oid"] == old.oid
    assert entry.details["size"] == len(LECTURE)
    assert [row.oid for row in selectors.stored_media()] == [rows[0].oid]


def test_a_medium_in_use_cannot_be_purged(client, users, lecture, site_paths):
    live = selectors.stored_media()[0]
    assert live.in_use
    client.force_login(users["admin"])
    confirm = client.get(reverse("publishing_media_purge", args=[live.oid])).content.decode()
    assert "仍在公开网站或待发布内容中使用" in confirm and "确认永久清除" not in confirm
    client.post(reverse("publishing_media_purge", args=[live.oid]))
    assert store_for(site_paths["CONTENT_GIT_DIR"]).has(live.oid)
    with pytest.raises(services.MediaInUse):
        services.purge_media(live.oid, user=users["admin"])
    assert not AuditEntry.objects.filter(action=Action.MEDIA_PURGED).exists()


def test_a_purge_that_cannot_be_audited_does_not_happen(users, lecture, site_paths, monkeypatch):
    from cms.audit import services as audit

    def broken(*args, **kwargs):
        raise audit.AuditUnavailable("审计日志不可用")

    monkeypatch.setattr(audit, "_append", broken)
    old = selectors.stored_media()[1]
    with pytest.raises(audit.AuditUnavailable):
        services.purge_media(old.oid, user=users["admin"])
    assert store_for(site_paths["CONTENT_GIT_DIR"]).has(old.oid)


def test_only_administrators_reach_the_media_store(client, users, home):
    oid = "ab" * 32
    urls = [
        ("get", reverse("publishing_media_store")),
        ("get", reverse("publishing_media_purge", args=[oid])),
        ("post", reverse("publishing_media_purge", args=[oid])),
    ]
    for method, url in urls:
        assert_sent_to_admin_log_in(getattr(client, method)(url), url)
    for role in ("editor", "reviewer"):
        client.force_login(users[role])
        for method, url in urls:
            assert_refused_in_admin(getattr(client, method)(url))
    client.force_login(users["admin"])
    assert client.get(urls[0][1]).status_code == 200
    assert client.get(urls[1][1]).status_code == 404  # not in the store
    assert client.get(reverse("publishing_media_purge", args=["..%2F..%2Fetc"])).status_code == 404


def test_stored_names_are_escaped_in_the_admin(client, users, home, site_paths):
    store = store_for(site_paths["CONTENT_GIT_DIR"])
    hostile = "assets/media/<script>alert(1)</script>.mp4"
    store.put(io.BytesIO(b"x" * 10), hostile)
    client.force_login(users["admin"])
    html = client.get(reverse("publishing_media_store")).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_medium_committed_whole_before_the_store_becomes_a_pointer(home, site_paths, publish, public_site):
    news = SectionPageFactory(parent=home, title="新闻动态", slug="news")
    document = DocumentFactory(title="党课录像", file__filename="lecture.mp4", file__data=LECTURE)
    NewsPageFactory(parent=news, slug="lecture", body=[("attachment", {"document": document, "title": ""})])
    publish()
    [pointer_file] = _media_files(site_paths["CONTENT_DIR"])
    pointer_file.write_bytes(LECTURE)  # as an earlier version exported it
    content_repo().commit_all("旧版导出", "系统", "system@example.invalid")
    Exporter().sync(None)
    assert read_pointer(pointer_file).size == len(LECTURE)
    publish()
    assert _media_files(public_site.root)[0].read_bytes() == LECTURE


def test_a_copy_the_live_release_serves_counts_as_in_use(lecture, site_paths):
    """Releases on another file system hold copies, not links: still not purgeable."""
    old = selectors.stored_media()[1]
    live = site_paths["SITE_RELEASES_DIR"] / "current"
    target = live / old.paths[0]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(LECTURE)
    assert next(row for row in selectors.stored_media() if row.oid == old.oid).in_use


def test_no_purge_while_a_publish_runs(users, lecture, site_paths):
    old = selectors.stored_media()[1]
    with services.publishing_lock():
        with pytest.raises(services.PublishingBusy):
            services.purge_media(old.oid, user=users["admin"])
    assert store_for(site_paths["CONTENT_GIT_DIR"]).has(old.oid)
    assert not AuditEntry.objects.filter(action=Action.MEDIA_PURGED).exists()


def test_a_medium_whose_object_is_gone_is_stored_again_when_its_page_is_exported(lecture, site_paths):
    [pointer_file] = _media_files(site_paths["CONTENT_DIR"])
    store = store_for(site_paths["CONTENT_GIT_DIR"])
    pointer = read_pointer(pointer_file)
    os.chmod(store.object_path(pointer.oid), 0o644)
    store.object_path(pointer.oid).unlink()  # lost
    Exporter().sync(None)
    assert store.object_path(pointer.oid).read_bytes() == NEW_LECTURE
