"""Bursts of publishes: each edit becomes its own commit, with its own text and author, in
order, however many arrive together and however many workers run."""

import re
import time

from wagtail.models import Page

from cms.accounts.roles import EDITOR
from cms.publishing import services, tasks
from cms.publishing.models import ContentChange, SiteBuild, WorkerHeartbeat
from tests.conftest import WORKER_DB, wait_until
from tests.factories import NewsPageFactory, SectionPageFactory, UserFactory, rich_body

EDIT = re.compile(r"第\d\d次修改")


def _edit(page, number, *, editor, publisher):
    page = Page.objects.get(pk=page.pk).specific
    page.title = f"{page.slug}·第{number:02d}次修改"
    page.body = rich_body(f"正文：第{number:02d}次修改")
    revision = page.save_revision(user=editor)
    revision.publish(user=publisher)
    return revision


@WORKER_DB
def test_twenty_edits_back_to_back_with_two_workers_are_twenty_commits_with_their_own_text(
    home, reviewer, publish, site_paths, public_site, worker_processes
):
    news = SectionPageFactory(parent=home, title="新闻动态", slug="news")
    pages = [
        NewsPageFactory(parent=news, title=f"稿件{n}", slug=f"story-{n}", body=rich_body("初稿")) for n in range(4)
    ]
    editors = [
        UserFactory(username=f"editor{n}", last_name="编辑", first_name=f"{n}号", groups=[EDITOR]) for n in range(5)
    ]
    publish()
    repo = services.content_repo()
    baseline = repo.head()
    first = worker_processes.start()
    second = worker_processes.start()
    wait_until(
        lambda: WorkerHeartbeat.objects.count() == 2,
        timeout=60,
        message="workers did not start",
        explain=worker_processes.logs,
    )

    edits = []  # (number, page, editor, revision)
    for number in range(1, 21):
        page, editor = pages[number % 4], editors[number % 5]
        edits.append((number, page, editor, _edit(page, number, editor=editor, publisher=reviewer)))
    changes = list(ContentChange.objects.filter(revision__in=[e[3] for e in edits]).order_by("id"))
    assert [c.revision_id for c in changes] == [e[3].pk for e in edits]

    def all_live():
        return (
            not ContentChange.objects.filter(released_at__isnull=True).exists()
            and not SiteBuild.objects.filter(status=SiteBuild.Status.RUNNING).exists()
        )

    wait_until(all_live, timeout=120, message="the burst never went live", explain=worker_processes.logs)
    assert first.poll() is None and second.poll() is None  # both ran throughout

    commits = list(reversed(repo.commits_between(baseline, repo.head(), max_count=100)))
    assert len(commits) == 20, [c["message"].splitlines()[0] for c in commits]
    for (number, page, editor, _revision), change, commit in zip(edits, changes, commits):
        own = f"第{number:02d}次修改"
        assert commit["message"].splitlines()[0] == f"发布：{page.slug}·{own}"
        assert services.CHANGE_ID_LINE.format(change.pk) in commit["message"].splitlines()
        assert commit["author_name"] == editor.display_name
        assert f"审核发布：{reviewer.display_name}" in commit["message"]
        text = repo.show_file(commit["sha"], f"news/{page.slug}.md")
        assert set(EDIT.findall(text)) == {own}, (own, text)
        assert ContentChange.objects.get(pk=change.pk).commit == commit["sha"]
    # Several builds may have coalesced them; the live site ends with every page's last edit.
    assert SiteBuild.objects.filter(status=SiteBuild.Status.SUCCEEDED).count() < 20
    for page in pages:
        last = max(number for number, p, *_ in edits if p.pk == page.pk)
        assert f"第{last:02d}次修改" in public_site.text(f"news/{page.slug}/index.html")
        assert set(EDIT.findall((site_paths["CONTENT_DIR"] / "news" / f"{page.slug}.md").read_text())) == {
            f"第{last:02d}次修改"
        }


def test_an_older_revision_published_late_never_overwrites_a_newer_one(home, publish, site_paths):
    """PostgreSQL can make two publishes of one page visible out of id order: the change
    carrying the older revision is then processed after the newer one was committed."""
    news = SectionPageFactory(parent=home, title="新闻动态", slug="news")
    page = NewsPageFactory(parent=news, title="稿件", slug="story", body=rich_body("初稿"))
    publish()
    older = _edit(page, 1, editor=None, publisher=None)
    newer = _edit(page, 2, editor=None, publisher=None)
    publish()
    repo = services.content_repo()
    head = repo.head()
    late = tasks.record_change(ContentChange.Action.PUBLISH, page=page, revision=older)
    publish()
    late.refresh_from_db()
    assert late.processed_at is not None and late.commit == ""
    assert repo.head() == head
    text = (site_paths["CONTENT_DIR"] / "news" / "story.md").read_text()
    assert EDIT.findall(text) and set(EDIT.findall(text)) == {"第02次修改"}
    assert Page.objects.get(pk=page.pk).live_revision_id == newer.pk


def test_the_live_revision_wins_even_when_its_change_comes_last(home, publish, site_paths):
    """The reverse order: the older revision is the live one (its transaction committed
    last), and its change is processed after the newer revision's."""
    news = SectionPageFactory(parent=home, title="新闻动态", slug="news")
    page = NewsPageFactory(parent=news, title="稿件", slug="story", body=rich_body("初稿"))
    publish()
    older = _edit(page, 1, editor=None, publisher=None)
    _edit(page, 2, editor=None, publisher=None)
    publish()
    older.publish()  # made live again: the page row now holds revision 1
    publish()
    text = (site_paths["CONTENT_DIR"] / "news" / "story.md").read_text()
    assert set(EDIT.findall(text)) == {"第01次修改"}


def test_a_move_and_an_unpublish_inside_a_burst_keep_every_commit_its_own_state(home, publish, site_paths):
    news = SectionPageFactory(parent=home, title="新闻动态", slug="news")
    notices = SectionPageFactory(parent=home, title="通知公告", slug="notices")
    page = NewsPageFactory(parent=news, title="稿件", slug="story", body=rich_body("初稿"))
    publish()
    repo = services.content_repo()
    baseline = repo.head()
    _edit(page, 1, editor=None, publisher=None)
    Page.objects.get(pk=page.pk).move(notices, pos="last-child")
    _edit(page, 2, editor=None, publisher=None)
    Page.objects.get(pk=page.pk).specific.unpublish()
    _edit(page, 3, editor=None, publisher=None)
    publish()  # one run: all five changes at once

    commits = list(reversed(repo.commits_between(baseline, repo.head())))
    subjects = [c["message"].splitlines()[0] for c in commits]
    assert subjects == [
        "发布：story·第01次修改",
        "移动：story·第01次修改",
        "发布：story·第02次修改",
        "撤销发布：story·第02次修改",
        "发布：story·第03次修改",
    ]
    states = []
    for commit in commits:
        files = repo.changed_paths(None, commit["sha"])
        where = [path for path in ("news/story.md", "notices/story.md") if path in files]
        text = repo.show_file(commit["sha"], where[0]) if where else ""
        states.append((where, sorted(set(EDIT.findall(text)))))
    assert states == [
        (["news/story.md"], ["第01次修改"]),  # its own edit
        (["notices/story.md"], ["第01次修改"]),  # moved as it was, not with a later edit
        (["notices/story.md"], ["第02次修改"]),
        ([], []),  # unpublished, although published again later
        (["notices/story.md"], ["第03次修改"]),
    ]


@WORKER_DB
def test_a_worker_stopped_right_after_a_publish_leaves_the_catalogue_of_that_release_for_the_next_start(
    home, reviewer, publish, site_paths, worker_processes
):
    """An idle worker writes the catalogue of its last release to disk once the release is a
    few seconds old; a restart right after a publish (a deploy) must write it too, or the next
    worker's first publish derives the catalogue again (~10 s at 100,000 pages)."""
    import pickle

    from build_scripts.site_build import WARM_SNAPSHOT, current_release

    news = SectionPageFactory(parent=home, title="新闻动态", slug="news")
    page = NewsPageFactory(parent=news, title="稿件", slug="story", body=rich_body("初稿"))
    publish()
    worker = worker_processes.start()
    wait_until(lambda: WorkerHeartbeat.objects.exists(), message="no worker started", explain=worker_processes.logs)
    _edit(page, 1, editor=reviewer, publisher=reviewer)
    wait_until(
        lambda: not ContentChange.objects.filter(released_at__isnull=True).exists(),
        message="the edit never went live",
        explain=worker_processes.logs,
    )
    worker_processes.stop(worker)  # at once: well before the idle worker's own snapshot
    assert worker.returncode == 0, worker_processes.logs()

    with open(site_paths["SITE_RELEASES_DIR"] / WARM_SNAPSHOT, "rb") as snapshot:
        header = pickle.load(snapshot)
    assert header["release"] == current_release(site_paths["SITE_RELEASES_DIR"]).name


@WORKER_DB
def test_an_idle_worker_starts_a_publish_at_once_rather_than_at_its_next_queue_poll(
    home, reviewer, publish, site_paths, worker_processes
):
    """Whoever queues the publish rings the worker's doorbell (cms/publishing/workers.py):
    with a 30-second poll, the edit still goes live within seconds."""
    news = SectionPageFactory(parent=home, title="新闻动态", slug="news")
    page = NewsPageFactory(parent=news, title="稿件", slug="story", body=rich_body("初稿"))
    publish()
    worker_processes.start(interval=30)
    wait_until(
        lambda: "后台任务进程已启动" in worker_processes.logs(), message="no worker", explain=worker_processes.logs
    )
    time.sleep(2)  # its first pass is over: the worker waits for its next poll, 28 s away
    _edit(page, 1, editor=reviewer, publisher=reviewer)
    wait_until(
        lambda: not ContentChange.objects.filter(released_at__isnull=True).exists(),
        timeout=15,
        message="the edit waited for the worker's next poll",
        explain=worker_processes.logs,
    )
