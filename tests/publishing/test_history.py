"""A page's publishing history from content/'s git log, and diffs between versions."""

import pytest
from django.urls import reverse

from cms.accounts.models import OrganisationUnit
from cms.accounts.roles import ADMINISTRATOR, EDITOR, REVIEWER, branch_editor_group_name
from cms.bootstrap.roles import setup_roles
from cms.publishing import history
from tests.factories import NewsPageFactory, SectionPageFactory, UserFactory, rich_body


@pytest.fixture
def news(home):
    return SectionPageFactory(parent=home, title="新闻动态", slug="news")


@pytest.fixture
def publish(site_paths, monkeypatch):
    """Commit changes to content/ as the worker does, but skip the site build: history is
    read from content/'s git log only, and builds are what makes publishing tests slow."""
    from cms.publishing import services
    from cms.publishing.models import SiteBuild

    def no_build(commit, changes=(), **kwargs):
        return SiteBuild.objects.create(commit=commit or "", status=SiteBuild.Status.SUCCEEDED)

    monkeypatch.setattr(services, "build_site", no_build)
    return lambda: services.publish_pending_changes(force_build=True)


@pytest.fixture
def versions(news, publish):
    """One page published three times by two authors, then moved to a new slug."""
    wang = UserFactory(username="wang", last_name="王", first_name="小明")
    li = UserFactory(username="li", last_name="李", first_name="四")
    page = NewsPageFactory(
        parent=news, title="支部通知", slug="notice", user=wang, body=rich_body("第一段不变。", "会议时间：上午九点。")
    )
    publish()
    page.body = rich_body("第一段不变。", "会议时间：下午三点。")
    page.save_revision(user=li).publish(user=li, skip_permission_checks=True)
    publish()
    page.title = "支部通知<script>alert(1)</script>"
    page.save_revision(user=wang).publish(user=wang, skip_permission_checks=True)
    publish()
    return page


def _url(page, **query):
    url = reverse("publishing_page_history", args=[page.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_versions_are_listed_newest_first(versions):
    path, found = history.page_versions(versions)
    assert path == "news/notice.md"
    assert [v["author_name"] for v in found] == ["王小明", "李四", "王小明"]
    assert all(v["subject"].startswith("发布：支部通知") for v in found)
    assert found[0]["when"] >= found[1]["when"] >= found[2]["when"]


def test_diff_between_two_versions_shows_the_changed_line(client, versions, home):
    admin = UserFactory(username="boss", groups=[ADMINISTRATOR])
    client.force_login(admin)
    _, found = history.page_versions(versions)
    newest, middle, oldest = found
    html = client.get(_url(versions, **{"from": oldest["sha"], "to": middle["sha"]})).content.decode()
    assert "会议时间：上午九点。" in html and "会议时间：下午三点。" in html
    rows = history.diff_lines(history.version_text(oldest), history.version_text(middle))
    assert [r.text for r in rows if r.kind == "del"] == ["会议时间：上午九点。"]
    assert [r.text for r in rows if r.kind == "add"] == ["会议时间：下午三点。"]
    # Default: the newest version against the one before; HTML in content is escaped.
    html = client.get(_url(versions)).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" not in html
    assert "王小明" in html and "李四" in html


def test_a_moved_page_keeps_its_history(versions, publish):
    versions.slug = "notice-2026"
    versions.save_revision().publish()
    publish()
    path, found = history.page_versions(versions)
    assert path == "news/notice-2026.md"
    assert len(found) == 4
    assert found[0]["status"] == "R" and found[-1]["path"] == "news/notice.md"


def test_history_of_another_page_at_the_same_path_is_not_shown(news, publish):
    old = NewsPageFactory(parent=news, title="旧文章", slug="same-slug")
    publish()
    old.delete()
    publish()
    new = NewsPageFactory(parent=news, title="新文章", slug="same-slug")
    publish()
    _, found = history.page_versions(new)
    assert [v["subject"] for v in found] == ["发布：新文章"]


def test_diff_lines_number_lines_and_keep_chinese():
    rows = history.diff_lines("甲\n乙\n丙\n", "甲\n乙改\n丙\n")
    assert [(r.kind, r.text, r.old_no, r.new_no) for r in rows[1:]] == [
        ("ctx", "甲", 1, 1),
        ("del", "乙", 2, None),
        ("add", "乙改", None, 2),
        ("ctx", "丙", 3, 3),
    ]


# ----------------------------------------------------------------------------- permissions and entry points


@pytest.mark.parametrize("group", [EDITOR, REVIEWER, ADMINISTRATOR])
def test_users_who_can_edit_the_page_see_its_history(client, versions, group):
    client.force_login(UserFactory(username="u", groups=[group]))
    response = client.get(_url(versions))
    assert response.status_code == 200
    assert "发布历史" in response.content.decode()
    edit = client.get(reverse("wagtailadmin_pages:edit", args=[versions.pk])).content.decode()
    assert _url(versions) in edit
    listing = client.get(reverse("wagtailadmin_explore", args=[versions.get_parent().pk])).content.decode()
    assert _url(versions) in listing


def test_users_who_cannot_edit_the_page_are_turned_away(client, home, versions):
    branch = OrganisationUnit.objects.create(name="第九党支部", kind=OrganisationUnit.Kind.BRANCH)
    SectionPageFactory(parent=home, title="第九党支部", slug="branch-9", organisation=branch)
    setup_roles()
    client.force_login(UserFactory(username="branch", groups=[branch_editor_group_name(branch)]))
    response = client.get(_url(versions))
    assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")


def test_unknown_page_is_404(client, home):
    client.force_login(UserFactory(username="boss", groups=[ADMINISTRATOR]))
    assert client.get(reverse("publishing_page_history", args=[999999])).status_code == 404
