"""Rolling the public site back: to a kept release (switch) or to a content commit (rebuild)."""

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from build_scripts.site_build import current_release, list_releases
from cms.accounts.roles import ADMINISTRATOR, EDITOR, REVIEWER
from cms.publishing import rollback, selectors, tasks
from cms.publishing.models import SiteBuild
from cms.publishing.services import content_repo
from cms.publishing.tasks import rollback_content as rollback_task
from tests.conftest import WORKER_DB
from tests.factories import NewsPageFactory, SectionPageFactory, UserFactory, rich_body


@pytest.fixture
def users(home):
    return {
        "editor": UserFactory(username="editor", groups=[EDITOR]),
        "reviewer": UserFactory(username="reviewer", groups=[REVIEWER]),
        "admin": UserFactory(username="siteadmin", last_name="赵", first_name="管理", groups=[ADMINISTRATOR]),
    }


@pytest.fixture
def two_releases(home, publish, site_paths):
    """A page published twice: release 1 shows 第一版正文, release 2 (current) 第二版正文."""
    news = SectionPageFactory(parent=home, title="新闻动态", slug="news")
    page = NewsPageFactory(parent=news, title="通知", slug="notice", body=rich_body("第一版正文"))
    first = publish()
    page.body = rich_body("第二版正文")
    page.save_revision().publish()
    second = publish()
    first_commit = content_repo().log(path="news/notice.md")[-1]["sha"]
    return {"page": page, "first": first, "second": second, "first_commit": first_commit}


def _current(site_paths):
    return current_release(site_paths["SITE_RELEASES_DIR"])


# ----------------------------------------------------------------------------- permissions


def _urls(release, sha):
    return [
        ("get", reverse("publishing_releases")),
        ("get", reverse("publishing_release_rollback", args=[release])),
        ("post", reverse("publishing_release_rollback", args=[release])),
        ("get", reverse("publishing_content_history")),
        ("get", reverse("publishing_content_rollback", args=[sha])),
        ("post", reverse("publishing_content_rollback", args=[sha])),
    ]


@pytest.mark.parametrize("role", ["editor", "reviewer"])
def test_editors_and_reviewers_are_turned_away(client, users, role):
    # Denied before anything is looked up, so no site needs to be built for this.
    client.force_login(users[role])
    for method, url in _urls("20261126T000000.000Z-abcdef1", "a" * 40):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home"), url
    assert not SiteBuild.objects.exists()
    menu = client.get(reverse("wagtailadmin_home")).content.decode()
    assert f'"url": "{reverse("publishing_releases")}"' not in menu


def test_anonymous_users_must_log_in(client, home):
    response = client.get(reverse("publishing_releases"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_administrators_see_every_page(client, users, two_releases):
    client.force_login(users["admin"])
    for method, url in _urls(two_releases["first"].release, two_releases["first_commit"]):
        if method == "get":
            assert client.get(url).status_code == 200, url
    menu = client.get(reverse("wagtailadmin_home")).content.decode()
    assert f'"url": "{reverse("publishing_releases")}"' in menu
    # The releases list marks the live release and says what each one published.
    html = client.get(reverse("publishing_releases")).content.decode()
    assert html.count("当前线上版本") == 1
    assert two_releases["first"].release in html and two_releases["second"].release in html
    assert "发布：通知" in html
    assert "news/notice.md" in html
    assert "回滚到此版本" in html
    assert "下一次任何发布" in html  # the warning


def test_permission_is_granted_through_the_group_only(users):
    assert users["admin"].has_perm(rollback.PERMISSION)
    assert not users["reviewer"].has_perm(rollback.PERMISSION)


# ----------------------------------------------------------------------------- switch


def test_switch_to_an_older_release(client, users, two_releases, public_site, site_paths):
    client.force_login(users["admin"])
    name = two_releases["first"].release
    confirm = client.get(reverse("publishing_release_rollback", args=[name])).content.decode()
    assert "确认回滚到此版本" in confirm and "csrfmiddlewaretoken" in confirm
    assert "第二版正文" in public_site.text("news/notice/index.html")

    response = client.post(reverse("publishing_release_rollback", args=[name]))
    assert response.status_code == 302

    assert _current(site_paths).name == name
    assert "第一版正文" in public_site.text("news/notice/index.html")
    assert client.get("/news/notice/").status_code == 200
    record = SiteBuild.objects.filter(kind=SiteBuild.Kind.SWITCH).get()
    assert record.actor == users["admin"] and record.release == name
    assert record.status == SiteBuild.Status.SUCCEEDED
    assert name in record.changes and two_releases["second"].release in record.changes
    # A switch builds nothing, so it neither hides nor counts as a build failure.
    assert selectors.unresolved_failure() is None
    page = client.get(reverse("publishing_releases")).content.decode()
    assert "切换到已保留版本" in page and "赵管理" in page


def test_next_build_after_a_switch_serves_the_newest_content(users, two_releases, publish, public_site):
    rollback.switch_release(two_releases["first"].release, user=users["admin"])
    NewsPageFactory(parent=two_releases["page"].get_parent(), title="另一篇", slug="other")
    publish()
    assert "第二版正文" in public_site.text("news/notice/index.html")
    assert public_site.exists("news/other/index.html")


def test_switch_needs_csrf_and_a_known_release(client, users, two_releases, site_paths):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(users["admin"])
    assert strict.post(reverse("publishing_release_rollback", args=[two_releases["first"].release])).status_code == 403
    client.force_login(users["admin"])
    assert client.get(reverse("publishing_release_rollback", args=["nope"])).status_code == 404
    response = client.post(reverse("publishing_release_rollback", args=["20200101T000000.000Z-abc"]), follow=True)
    assert "不存在" in response.content.decode()
    assert _current(site_paths).name == two_releases["second"].release
    assert not SiteBuild.objects.filter(kind=SiteBuild.Kind.SWITCH).exists()


# ----------------------------------------------------------------------------- content rollback


@WORKER_DB
def test_content_rollback_is_queued_then_the_worker_commits_the_old_tree_and_rebuilds(
    client, users, two_releases, public_site, site_paths
):
    client.force_login(users["admin"])
    repo = content_repo()
    target = two_releases["first_commit"]
    before = [e["sha"] for e in repo.log(max_count=100)]
    live = _current(site_paths).name
    listing = client.get(reverse("publishing_content_history")).content.decode()
    assert "以此版本重建网站" in listing and target[:8] in listing
    confirm = client.get(reverse("publishing_content_rollback", args=[target])).content.decode()
    assert "确认回滚并重建网站" in confirm and "news/notice.md" in confirm

    response = client.post(reverse("publishing_content_rollback", args=[target]), follow=True)
    # Nothing happened in the request: a queued record, a queued task.
    page = response.content.decode()
    assert "已加入发布队列" in page and "排队中" in page and "自动刷新" in page
    queued = SiteBuild.objects.get(kind=SiteBuild.Kind.CONTENT_ROLLBACK)
    assert queued.status == SiteBuild.Status.QUEUED and queued.actor == users["admin"] and queued.target == target
    assert [e["sha"] for e in repo.log(max_count=100)] == before and _current(site_paths).name == live
    assert DBTaskResult.objects.filter(task_path=rollback_task.module_path, status="READY").exists()

    call_command("worker", once=True)  # what `make run` keeps running

    log = repo.log(max_count=100)
    assert [e["sha"] for e in log[1:]] == before  # history kept, one commit on top
    newest = log[0]
    assert newest["message"].startswith(f"回滚网站内容到 {target[:8]}：发布：通知")
    assert newest["author_name"] == "赵管理"
    assert repo.repo.commit(newest["sha"]).tree == repo.repo.commit(target).tree
    assert "第一版正文" in (site_paths["CONTENT_DIR"] / "news" / "notice.md").read_text(encoding="utf-8")
    assert "第一版正文" in public_site.text("news/notice/index.html")
    record = SiteBuild.objects.get(kind=SiteBuild.Kind.CONTENT_ROLLBACK)
    assert record.pk == queued.pk
    assert record.status == SiteBuild.Status.SUCCEEDED and record.actor == users["admin"]
    assert record.commit == newest["sha"] and _current(site_paths).name == record.release
    assert "排队中" not in client.get(reverse("publishing_releases")).content.decode()
    with pytest.raises(rollback.RollbackError, match="无需回滚"):
        rollback.rollback_content(target)
    # The admin says so at once, without queueing anything.
    response = client.post(reverse("publishing_content_rollback", args=[target]), follow=True)
    assert "无需回滚" in response.content.decode()
    assert SiteBuild.objects.filter(kind=SiteBuild.Kind.CONTENT_ROLLBACK).count() == 1


@WORKER_DB
def test_a_queued_rollback_that_became_pointless_fails_with_the_reason(users, two_releases, site_paths):
    target = two_releases["first_commit"]
    record = tasks.queue_content_rollback(target, user=users["admin"])
    rollback.rollback_content(target)  # someone ran site_rollback meanwhile
    call_command("worker", once=True)
    record.refresh_from_db()
    assert record.status == SiteBuild.Status.FAILED and "无需回滚" in record.error
    assert record.commit == ""  # nothing was committed or built …
    assert selectors.unresolved_failure() is None  # … so the dashboard reports no build failure


def test_after_a_content_rollback_pages_return_as_they_are_published(users, two_releases, publish, public_site):
    """Publishing is incremental: other publishes leave the rolled-back page alone; its own
    next publish brings it back to the CMS content; publish_site resyncs everything."""
    page = two_releases["page"]
    rollback.rollback_content(two_releases["first_commit"], user=users["admin"])
    assert "第一版正文" in public_site.text("news/notice/index.html")
    NewsPageFactory(parent=page.get_parent(), title="另一篇", slug="other")
    publish()
    assert public_site.exists("news/other/index.html")
    assert "第一版正文" in public_site.text("news/notice/index.html")
    page.refresh_from_db()
    page.save_revision().publish()
    publish()
    assert "第二版正文" in public_site.text("news/notice/index.html")


def test_publish_site_resyncs_everything_after_a_rollback(users, two_releases, public_site):
    rollback.rollback_content(two_releases["first_commit"], user=users["admin"])
    call_command("publish_site")
    assert "第二版正文" in public_site.text("news/notice/index.html")
    # The worker's next start begins from this build's catalogue, not from parsing content/.
    from django.conf import settings

    from build_scripts.site_build import forget_warm_state, warm_up

    forget_warm_state()
    assert warm_up(settings.CONTENT_DIR, settings.SITE_RELEASES_DIR, settings.SITE_SOURCE_DIR)


def test_confirmation_lists_pages_that_would_come_back(client, users, two_releases, publish):
    news = two_releases["page"].get_parent()
    secret = NewsPageFactory(parent=news, title="后来撤下的文章", slug="withdrawn")
    publish()
    target = content_repo().head()
    secret.unpublish()
    NewsPageFactory(parent=news, title="新近发布", slug="newer")
    publish()
    client.force_login(users["admin"])
    html = client.get(reverse("publishing_content_rollback", args=[target])).content.decode()
    assert "会重新出现在公开网站上" in html and "后来撤下的文章" in html and "news/withdrawn.md" in html
    assert "暂时消失" in html and "新近发布" in html


# ----------------------------------------------------------------------------- command


def test_command_switches_to_a_release_name(two_releases, public_site, site_paths, capsys):
    call_command("site_rollback", two_releases["first"].release)
    assert _current(site_paths).name == two_releases["first"].release
    assert "第一版正文" in public_site.text("news/notice/index.html")
    assert SiteBuild.objects.filter(kind=SiteBuild.Kind.SWITCH, actor=None).exists()


def test_command_rolls_content_back_to_a_sha_prefix(two_releases, public_site, users):
    prefix = two_releases["first_commit"][:7]
    releases_before = {r.name for r in list_releases(public_site.root.parent)}
    call_command("site_rollback", prefix, user="siteadmin")
    newest = content_repo().log(max_count=1)[0]
    assert newest["message"].startswith(f"回滚网站内容到 {prefix}")
    assert newest["author_name"] == "赵管理"
    assert public_site.root.name not in releases_before  # a new release was built
    assert "第一版正文" in public_site.text("news/notice/index.html")


def test_command_rejects_unknown_targets_in_chinese(two_releases, site_paths, capsys):
    head = content_repo().head()
    for garbage in ["不存在的版本", "zzzz", "abc", "deadbeef", "HEAD~1", "main", "20990101T000000.000Z-abcdef1"]:
        with pytest.raises(CommandError, match="既不是已保留的网站版本"):
            call_command("site_rollback", garbage)
    with pytest.raises(CommandError, match="已经是公开网站的当前版本"):
        call_command("site_rollback", two_releases["second"].release)
    with pytest.raises(CommandError, match="用户 nobody 不存在"):
        call_command("site_rollback", two_releases["first"].release, user="nobody")
    assert content_repo().head() == head
    assert _current(site_paths).name == two_releases["second"].release
    call_command("site_rollback", "--list")
    out = capsys.readouterr().out
    assert f"* {two_releases['second'].release}" in out
    assert "发布：通知" in out
