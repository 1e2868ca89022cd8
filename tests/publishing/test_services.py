import gc

import pytest
from django.urls import reverse
from wagtail.models import Page

from cms.publishing import services
from cms.publishing.exporter import manifest_shard
from cms.publishing.models import ContentChange, SiteBuild
from cms.publishing.tasks import publish_pending_changes
from tests.conftest import WORKER_DB
from tests.factories import NewsPageFactory, SectionPageFactory, UserFactory, rich_body


@pytest.fixture
def news(home):
    return SectionPageFactory(parent=home, title="新闻动态", slug="news")


def _log(limit=20):
    return services.content_repo().log(max_count=limit)


def test_each_change_is_one_commit_by_its_author(news, publish, site_paths):
    author = UserFactory(username="wang", last_name="王", first_name="小明")
    publish()
    page = NewsPageFactory(parent=news, title="第一篇", slug="first", user=author, body=rich_body("正文一"))
    publish()
    entry = _log(1)[0]
    assert entry["message"].startswith("发布：第一篇")
    assert entry["author_name"] == "王小明"
    assert (site_paths["CONTENT_DIR"] / "news" / "first.md").exists()

    page.move(news.get_parent(), pos="last-child")
    publish()
    assert _log(1)[0]["message"].startswith("移动：第一篇")
    assert not (site_paths["CONTENT_DIR"] / "news" / "first.md").exists()
    assert (site_paths["CONTENT_DIR"] / "first.md").exists()

    page.refresh_from_db()
    page.unpublish()
    publish()
    assert _log(1)[0]["message"].startswith("撤销发布：第一篇")
    assert not (site_paths["CONTENT_DIR"] / "first.md").exists()


def test_delete_removes_page_and_commits(news, publish, site_paths, public_site):
    page = NewsPageFactory(parent=news, title="将被删除", slug="to-delete")
    publish()
    assert public_site.exists("news/to-delete/index.html")
    Page.objects.get(pk=page.pk).delete()
    publish()
    assert _log(1)[0]["message"].startswith("删除：将被删除")
    assert not public_site.exists("news/to-delete/index.html")


def test_no_commit_when_nothing_changed(news, publish):
    NewsPageFactory(parent=news, title="不变", slug="same")
    publish()
    head = services.content_repo().head()
    page = Page.objects.get(slug="same").specific
    page.save_revision().publish()  # republish identical content
    publish()
    assert services.content_repo().head() == head


@WORKER_DB
def test_burst_of_publishes_coalesces_into_one_build(news, site_paths):
    for n in range(5):
        NewsPageFactory(parent=news, title=f"快讯{n}", slug=f"flash-{n}")
    pending = ContentChange.objects.filter(processed_at__isnull=True).count()
    assert pending >= 5
    from django.core.management import call_command

    call_command("worker", once=True)
    assert SiteBuild.objects.count() == 1
    assert not ContentChange.objects.filter(processed_at__isnull=True).exists()
    assert all((site_paths["CONTENT_DIR"] / "news" / f"flash-{n}.md").exists() for n in range(5))


def test_task_is_queued_not_run_in_the_request(news, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        NewsPageFactory(parent=news, title="排队", slug="queued")
    assert SiteBuild.objects.count() == 0
    queued = DBTaskResult.objects.filter(task_path=f"{publish_pending_changes.module_path}")
    assert queued.exists()
    # Saving a page also queues Wagtail's search and reference index updates (before the
    # publish): the worker takes the publish first, an editor is waiting for it.
    assert DBTaskResult.objects.ready().exclude(task_path=publish_pending_changes.module_path).exists()
    assert DBTaskResult.objects.ready().first().task_path == publish_pending_changes.module_path


def test_failed_build_keeps_old_site_and_tells_editors(news, publish, public_site, site_paths, admin_client):
    NewsPageFactory(parent=news, title="正常页面", slug="fine")
    publish()
    live_release = public_site.root

    # Break the build the way a bad deploy would: invalid site configuration.
    broken_site = site_paths["VAR_DIR"] / "broken-site"
    broken_site.mkdir()
    (broken_site / "mkdocs.yml").write_text("site_name: [unclosed\n", encoding="utf-8")
    from django.conf import settings

    settings.SITE_SOURCE_DIR = broken_site
    NewsPageFactory(parent=news, title="构建失败时发布", slug="during-failure")
    build = publish(expect_success=False)

    assert build.status == SiteBuild.Status.FAILED
    assert build.error
    assert public_site.root == live_release
    assert public_site.exists("news/fine/index.html")
    dashboard = admin_client.get(reverse("wagtailadmin_home")).content.decode()
    assert "最近一次网站构建失败" in dashboard
    assert admin_client.get(reverse("publishing_build_list")).status_code == 200


def test_build_listing_summarises_large_batches(db):
    build = SiteBuild(changes="\n".join(f"发布：页面{n}" for n in range(30)))
    assert build.changes_summary.splitlines()[-1] == "…… 共 30 项变更"
    assert len(build.changes_summary.splitlines()) == SiteBuild.SUMMARY_LINES + 1
    assert str(ContentChange(action=ContentChange.Action.REBUILD)) == "全站同步"


def test_a_publish_whose_commit_failed_is_committed_by_the_retry(news, publish, site_paths, public_site, monkeypatch):
    """The exporter wrote the files, then git failed: the change stays pending, and the
    retry (whose export finds the files already written) still stages and commits them."""
    from build_scripts.content_repo import ContentRepo

    publish()
    NewsPageFactory(parent=news, title="第一次提交失败", slug="retry")
    real = ContentRepo.commit_all

    def broken(*args, **kwargs):
        raise RuntimeError("git 进程被杀死")

    monkeypatch.setattr(ContentRepo, "commit_all", broken)
    with pytest.raises(RuntimeError):
        services.publish_pending_changes()
    assert (site_paths["CONTENT_DIR"] / "news" / "retry.md").exists()  # written, not committed
    assert ContentChange.objects.filter(processed_at__isnull=True).exists()
    monkeypatch.setattr(ContentRepo, "commit_all", real)
    build = publish(force_build=False)
    assert _log(1)[0]["message"].startswith("发布：第一次提交失败")
    assert "news/retry.md" in services.content_repo().changed_paths(_log(2)[1]["sha"], _log(1)[0]["sha"])
    assert build.status == SiteBuild.Status.SUCCEEDED and public_site.exists("news/retry/index.html")


def test_builds_look_only_at_what_git_says_changed(news, publish, site_paths):
    from build_scripts.site_build import current_release

    publish()
    first = current_release(site_paths["SITE_RELEASES_DIR"])
    assert first.exact  # built from content/ exactly as committed
    NewsPageFactory(parent=news, title="新文章", slug="fresh")
    changes = []
    # The engine decides what a build looks at (build_scripts.site_build.build_commit).
    from build_scripts import site_build

    real = site_build.build_release

    def spy(*args, **kwargs):
        changes.append((kwargs["changed_since"], kwargs["changed_paths"]))
        return real(*args, **kwargs)

    site_build.build_release = spy
    try:
        publish()
    finally:
        site_build.build_release = real
    fresh = Page.objects.get(slug="fresh")
    assert changes == [(first.name, sorted([manifest_shard(fresh.pk), "news/fresh.md"]))]


def test_publishers_on_other_hosts_wait_for_the_database_lock(db, site_paths):
    """The file lock only covers one host: on PostgreSQL a publisher also waits for the
    advisory lock that a publisher on another machine (another connection) holds."""
    import threading

    import psycopg
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the advisory lock exists on PostgreSQL only; SQLite is one host's file")
    params = connection.settings_dict
    other_host = psycopg.connect(
        dbname=params["NAME"],
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        user=params["USER"] or None,
        password=params["PASSWORD"] or None,
        autocommit=True,
    )
    other_host.execute("SELECT pg_advisory_lock(%s)", [services.PUBLISHING_ADVISORY_LOCK])
    entered = threading.Event()

    def publisher():
        from django.db import connection as thread_connection

        try:
            with services.publishing_lock():
                entered.set()
        finally:
            thread_connection.close()

    thread = threading.Thread(target=publisher)
    thread.start()
    try:
        assert not entered.wait(1.5), "a second publisher ran while another host held the lock"
        other_host.execute("SELECT pg_advisory_unlock(%s)", [services.PUBLISHING_ADVISORY_LOCK])
        assert entered.wait(10), "the publisher did not get the lock once the other host let go"
    finally:
        other_host.close()
        thread.join(10)


def test_a_worker_start_loads_what_its_first_publish_would(monkeypatch, request):
    """The renderer (MkDocs, material and its plugins) and the search dictionary, ~2 s whatever
    the site's size, are loaded when the worker starts, not when an editor's publish waits."""
    from build_scripts import search_index, site_build

    monkeypatch.setattr(search_index, "_tokenizer", None)
    monkeypatch.setattr(site_build, "_RENDERERS", {})
    request.addfinalizer(gc.unfreeze)  # (a worker's start freezes what it loaded: settle_heap)
    services.warm_up()
    assert gc.get_freeze_count() > 0
    assert search_index._tokenizer is not None and "党支部" in search_index._tokenizer.FREQ
    assert site_build._RENDERERS  # the site's renderer module, loaded with MkDocs


def test_an_idle_worker_collects_once_and_leaves_its_warm_state_out_of_later_collections():
    """A full collection walks every object the worker holds (the catalogue of the whole site:
    ~0.75 s at 100,000 pages) and used to land in the middle of a publish now and then. When
    idle, the worker collects what is garbage and freezes the rest."""
    import weakref

    class Node:
        pass

    garbage = Node()
    garbage.cycle = garbage  # only a collection frees a cycle
    gone = weakref.ref(garbage)
    del garbage
    kept = Node()
    gc.disable()  # (no automatic collection may free the cycle first)
    try:
        services.settle_heap()
        assert gone() is None, "the garbage cycle survived"
        assert gc.get_freeze_count() > 0
        assert all(obj is not kept for obj in gc.get_objects()), "a live object is still collected"
        # Settling again collects garbage that was frozen: nothing is kept for ever.
        kept.cycle = kept
        frozen = weakref.ref(kept)
        del kept
        services.settle_heap()
        assert frozen() is None, "a frozen object that became garbage was never collected"
    finally:
        gc.enable()
        gc.unfreeze()
