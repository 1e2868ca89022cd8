"""A worker killed anywhere in a publish loses nothing: real `manage.py worker` processes are
stopped at named pause points (build_scripts/failpoints.py), killed with SIGKILL and
replaced by a fresh worker, which must finish the publish on its own."""

import os
import subprocess
import time

from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from build_scripts.site_build import current_release
from cms.publishing import recovery, services, tasks
from cms.publishing.models import ContentChange, SiteBuild, WorkerHeartbeat
from cms.publishing.workers import hostname
from tests.conftest import WORKER_DB, wait_until
from tests.factories import NewsPageFactory, SectionPageFactory, rich_body

# Where the worker dies, in the order a publish passes them.
CRASH_POINTS = [
    "publish.after_export",  # files written to content/, not committed
    "publish.after_commit",  # commit made (update-ref), the change's row not saved
    "build.after_render",  # MkDocs has rendered the new release
    "build.before_switch",  # release complete, `current` not switched
    "build.after_switch",  # `current` switched, the database not told
]
BUILD_POINTS = {point for point in CRASH_POINTS if point.startswith("build.")}


def _edit(page, text, *, editor, reviewer):
    """An edit the editor wrote and the reviewer published; returns its ContentChange."""
    page = page.specific
    page.title = f"通知（{text}）"
    page.body = rich_body(f"正文：{text}")
    revision = page.save_revision(user=editor)
    revision.publish(user=reviewer)
    return ContentChange.objects.get(revision=revision)


def _commits_of(repo, change) -> list[str]:
    line = services.CHANGE_ID_LINE.format(change.pk)
    out = repo.git.log("--format=%H%x1f%B%x1e", "HEAD")
    return [
        record.split("\x1f")[0].strip()
        for record in out.split("\x1e")
        if "\x1f" in record and line in record.split("\x1f")[1].splitlines()
    ]


@WORKER_DB
def test_a_worker_killed_anywhere_in_a_publish_loses_nothing(
    home, editor, reviewer, publish, public_site, site_paths, worker_processes, admin_client
):
    news = SectionPageFactory(parent=home, title="新闻动态", slug="news")
    page = NewsPageFactory(parent=news, title="通知", slug="notice", user=editor, body=rich_body("初始正文"))
    publish()  # the site exists; the workers below build incrementally from its state on disk
    repo = services.content_repo()
    content_file = site_paths["CONTENT_DIR"] / "news" / "notice.md"

    for point in CRASH_POINTS:
        commits_before = repo.commit_count()
        paused = worker_processes.start(pause_at=point)
        change = _edit(page, f"在 {point} 处中断", editor=editor, reviewer=reviewer)
        wait_until(
            worker_processes.pause_marker(point).exists,
            timeout=90,
            message=f"the worker never reached {point}",
            explain=worker_processes.logs,
        )
        paused.kill()  # SIGKILL: no handler, no cleanup
        paused.wait()

        fresh = worker_processes.start()

        def published():
            change.refresh_from_db()
            return (
                change.released_at is not None
                and not SiteBuild.objects.filter(status=SiteBuild.Status.RUNNING).exists()
                # the queue drained: nothing the killed worker had is left running
                and not DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).exists()
            )

        wait_until(published, timeout=90, message=f"{point}: the change never went live", explain=worker_processes.logs)
        text = f"在 {point} 处中断"

        # The page is live in the current release, built from content/ exactly as committed.
        live = current_release(site_paths["SITE_RELEASES_DIR"])
        assert text in public_site.text("news/notice/index.html"), point
        assert live.commit == repo.head(), point
        assert change.released_in.status == SiteBuild.Status.SUCCEEDED
        assert change.released_in.release == live.name
        assert text in content_file.read_text(encoding="utf-8")
        assert text in repo.show_file(repo.head(), "news/notice.md")
        assert repo.git.status("--porcelain") == "", f"{point}: content/ differs from its last commit"
        # Exactly one commit for the edit, the change knows it, and no other commit appeared.
        assert _commits_of(repo, change) == [change.commit], point
        assert repo.commit_count() == commits_before + 1, point
        assert f"通知（{text}）" in repo.log(max_count=1)[0]["message"]
        assert repo.log(max_count=1)[0]["author_name"] == editor.display_name

        # The admin shows the killed build as 中断, nothing as still running; the killed
        # worker's task row failed, and nothing is left running or waiting.
        killed_tasks = DBTaskResult.objects.filter(exception_class_path=recovery.WORKER_DIED)
        assert killed_tasks.count() == CRASH_POINTS.index(point) + 1, point
        interrupted = SiteBuild.objects.filter(status=SiteBuild.Status.INTERRUPTED)
        assert interrupted.count() == len(BUILD_POINTS & set(CRASH_POINTS[: CRASH_POINTS.index(point) + 1]))
        if point in BUILD_POINTS:
            assert interrupted.first().error == SiteBuild.INTERRUPTED_MESSAGE
        assert not WorkerHeartbeat.objects.filter(pid=paused.pid, hostname=hostname()).exists()

        worker_processes.stop(fresh)
        assert fresh.returncode == 0
        page.refresh_from_db()

    listing = admin_client.get(reverse("publishing_build_list")).content.decode()
    assert "中断" in listing and SiteBuild.INTERRUPTED_MESSAGE in listing
    assert "构建中" not in listing
    dashboard = admin_client.get(reverse("wagtailadmin_home")).content.decode()
    assert "中断" in dashboard and "构建中" not in dashboard
    assert "最近一次网站构建失败" not in dashboard
    assert WorkerHeartbeat.objects.count() == 0  # stopped workers leave no row


@WORKER_DB
def test_what_a_killed_publisher_leaves_in_content_does_not_block_the_next_publish(
    home, publish, site_paths, public_site
):
    news = SectionPageFactory(parent=home, title="新闻动态", slug="news")
    publish()
    # A publisher killed inside `git update-index`: its marker, git's index.lock, a file it
    # was still writing and a file of a change it had not committed.
    git_dir, content = site_paths["CONTENT_GIT_DIR"], site_paths["CONTENT_DIR"]
    (site_paths["VAR_DIR"] / services.IN_PROGRESS_MARKER).write_text("4242\n")
    lock = git_dir / "index.lock"
    lock.write_bytes(b"")
    os.utime(lock, (time.time() - 60, time.time() - 60))
    half_written = content / "news" / ".tmp-x1y2z3"
    half_written.write_text("写了一半")
    uncommitted = content / "news" / "never-committed.md"
    uncommitted.write_text("---\ntitle: 未提交\n---\n")

    NewsPageFactory(parent=news, title="之后的发布", slug="after", body=rich_body("之后的正文"))
    publish()

    assert not lock.exists() and not half_written.exists() and not uncommitted.exists()
    assert services.content_repo().log(max_count=1)[0]["message"].startswith("发布：之后的发布")
    assert public_site.exists("news/after/index.html")
    assert not public_site.exists("news/never-committed/index.html")
    assert not (site_paths["VAR_DIR"] / services.IN_PROGRESS_MARKER).exists()


@WORKER_DB
def test_an_interrupted_content_rollback_is_run_again(home, publish, site_paths, public_site, django_user_model):
    from django.core.management import call_command

    news = SectionPageFactory(parent=home, title="新闻动态", slug="news")
    page = NewsPageFactory(parent=news, title="通知", slug="notice", body=rich_body("第一版正文"))
    publish()
    first = services.content_repo().head()
    page.body = rich_body("第二版正文")
    page.save_revision().publish()
    publish()
    admin = django_user_model.objects.create(username="boss", last_name="赵", first_name="管理")
    # Its worker died after taking it up and before committing anything: a real process
    # that has exited stands for it.
    dead = subprocess.Popen(["true"])
    dead.wait()
    record = tasks.queue_content_rollback(first, user=admin)
    SiteBuild.objects.filter(pk=record.pk).update(status=SiteBuild.Status.RUNNING, hostname=hostname(), pid=dead.pid)

    report = recovery.recover_interrupted()
    record.refresh_from_db()
    assert record.status == SiteBuild.Status.INTERRUPTED and report.interrupted_builds == [record.pk]
    call_command("worker", once=True)

    again = SiteBuild.objects.filter(kind=SiteBuild.Kind.CONTENT_ROLLBACK).exclude(pk=record.pk).get()
    assert again.status == SiteBuild.Status.SUCCEEDED and again.actor == admin and again.target == first
    assert "第一版正文" in public_site.text("news/notice/index.html")
    assert not SiteBuild.objects.filter(status=SiteBuild.Status.RUNNING).exists()


def test_the_admin_shows_an_interrupted_build_as_such(db, admin_client):
    SiteBuild.objects.create(status=SiteBuild.Status.FAILED, error="配置错误")
    SiteBuild.objects.create(status=SiteBuild.Status.SUCCEEDED)
    SiteBuild.objects.create(status=SiteBuild.Status.INTERRUPTED, error=SiteBuild.INTERRUPTED_MESSAGE)
    for url in (reverse("publishing_build_list"), reverse("wagtailadmin_home")):
        page = admin_client.get(url).content.decode()
        assert "中断" in page and SiteBuild.INTERRUPTED_MESSAGE in page
        assert "构建中" not in page
        assert "最近一次网站构建失败" not in page  # the success after the failure still counts
