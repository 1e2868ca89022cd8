"""Publishing: turn recorded content changes into content/ commits and a new site release."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import logging
import os
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Page, PageLogEntry

from build_scripts import site_build
from build_scripts.content_repo import ContentRepo
from build_scripts.failpoints import pause_point
from build_scripts.locking import exclusive_lock, try_exclusive_lock
from build_scripts.media_store import NOT_IN_STORE_MESSAGE, MediaStoreError
from build_scripts.site_build import BuildError, ReleaseTarget, build_commit
from cms.audit import services as audit
from cms.audit.models import Action

from . import build_errors, selectors, workers
from .events import changes_released
from .exporter import Exporter
from .models import ContentChange, SiteBuild

logger = logging.getLogger(__name__)

SYSTEM_AUTHOR = ("网站发布系统", "publisher@localhost")
LOG_ACTIONS = {
    ContentChange.Action.PUBLISH: "wagtail.publish",
    ContentChange.Action.UNPUBLISH: "wagtail.unpublish",
    ContentChange.Action.MOVE: "wagtail.move",
    ContentChange.Action.DELETE: "wagtail.delete",
}
COMMIT_VERBS = {
    ContentChange.Action.PUBLISH: "发布",
    ContentChange.Action.UNPUBLISH: "撤销发布",
    ContentChange.Action.MOVE: "移动",
    ContentChange.Action.DELETE: "删除",
    ContentChange.Action.PRIVACY: "调整访问权限",
    ContentChange.Action.SETTINGS: "修改站点设置",
    ContentChange.Action.REBUILD: "全站同步",
}


# The last line of every change's commit message: finds the commit of a change whose
# worker died after committing and before saving the ContentChange row.
CHANGE_ID_LINE = "变更编号：{}"
# How far back (by committer date, before the change was recorded) that search looks.
CHANGE_COMMIT_SEARCH_SLACK = dt.timedelta(minutes=10)


def content_repo() -> ContentRepo:
    return ContentRepo.open_or_init(Path(settings.CONTENT_DIR), Path(settings.CONTENT_GIT_DIR))


def _identity(user) -> tuple[str, str]:
    if user is None:
        return SYSTEM_AUTHOR
    return user.display_name, user.email or f"{user.username}@localhost"


def _actor_from_log(change: ContentChange):
    """Who made the change, from Wagtail's log: the entry of the very revision a publish
    made live; otherwise (unpublish, move, delete) the page's latest such entry."""
    log_action = LOG_ACTIONS.get(change.action)
    if not log_action or change.page_id is None:
        return None
    entries = PageLogEntry.objects.filter(page_id=change.page_id, action=log_action).select_related("user")
    if change.revision_id is not None:
        entry = entries.filter(revision_id=change.revision_id).order_by("-timestamp", "-id").first()
        if entry is not None:
            return entry.user
    entry = (
        entries.filter(timestamp__lte=change.created_at + timezone.timedelta(seconds=5))
        .order_by("-timestamp", "-id")
        .first()
    )
    return entry.user if entry else None


def commit_message(change: ContentChange, actor) -> str:
    subject = (
        f"{COMMIT_VERBS[change.action]}：{change.page_title}" if change.page_title else COMMIT_VERBS[change.action]
    )
    lines = [subject, ""]
    if change.page_id:
        lines.append(f"页面ID：{change.page_id}")
    if actor is not None and actor != change.author:
        lines.append(f"审核发布：{actor.display_name}")
    lines.append(CHANGE_ID_LINE.format(change.pk))
    return "\n".join(lines).strip() + "\n"


IN_PROGRESS_MARKER = "publishing.in-progress"


@contextlib.contextmanager
def publishing_lock():
    """One publisher at a time, across processes (worker, management commands); every
    writer of content/ and its git directory holds it (publishing, content rollback).

    A holder leaves a marker file for as long as it holds the lock. Finding the marker on
    entry means the previous holder died on the way (the kernel released its flock): its
    uncommitted files are dropped (the changes it was exporting are still pending and are
    exported again) and lock files its killed git left are removed. Lock files are looked
    for on every entry (a git process can be killed alone, too).
    """
    with exclusive_lock(Path(settings.VAR_DIR) / "publishing.lock"), _database_lock(), _holding_publishing_lock():
        yield


# pg_advisory_lock key of the publishing lock ("dangjian publishing" as a bigint).
PUBLISHING_ADVISORY_LOCK = 0x64_6A_70_75_62_6C_69


@contextlib.contextmanager
def _database_lock():
    """The file lock serialises publishers on one host; on PostgreSQL a session-level
    advisory lock on the same key serialises them across every host that shares the
    database too (workers on several machines whose var/ is shared storage, where flock is
    not to be trusted). PostgreSQL releases it when the holder's connection ends, however
    the process dies. SQLite is one file on one host: the file lock is all there is."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [PUBLISHING_ADVISORY_LOCK])
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [PUBLISHING_ADVISORY_LOCK])
        except DatabaseError:
            # The connection is broken or its transaction aborted: do not hide the error that
            # got us here. A closed connection has released the lock already.
            logger.exception("could not release the publishing advisory lock")


@contextlib.contextmanager
def try_publishing_lock():
    """Like publishing_lock, but yields False at once (holding nothing) when another process
    on this host holds it: then a publisher is active here."""
    with try_exclusive_lock(Path(settings.VAR_DIR) / "publishing.lock") as acquired:
        if not acquired:
            yield False
            return
        with _holding_publishing_lock():
            yield True


@contextlib.contextmanager
def _holding_publishing_lock():
    var_dir = Path(settings.VAR_DIR)
    marker = var_dir / IN_PROGRESS_MARKER
    interrupted = marker.exists()
    removed = ContentRepo.remove_stale_locks(Path(settings.CONTENT_GIT_DIR))
    if removed:
        logger.warning("removed stale git lock files: %s", ", ".join(map(str, removed)))
    if interrupted and (Path(settings.CONTENT_GIT_DIR) / "HEAD").is_file():
        logger.warning("the previous publisher died while publishing: resetting content/ to its last commit")
        content_repo().reset_work_tree()
    marker.write_text(f"{os.getpid()}\n", encoding="utf-8")
    try:
        yield
    finally:
        marker.unlink(missing_ok=True)


_SKIP = object()  # a publish whose revision is older than one already committed


def _last_committed_version(page_id: int):
    """The page's content as its newest processed publish left it in content/ (that
    revision), or None when no processed publish recorded one."""
    last = (
        ContentChange.objects.filter(
            page_id=page_id, action=ContentChange.Action.PUBLISH, processed_at__isnull=False, revision__isnull=False
        )
        .select_related("revision")
        .order_by("-revision_id")
        .first()
    )
    return last.revision.as_object() if last is not None else None


def _last_url_path(page_id: int) -> str:
    """Where the page's newest processed change left it (its url_path then), or ""."""
    return (
        ContentChange.objects.filter(page_id=page_id, processed_at__isnull=False)
        .exclude(url_path="")
        .order_by("-id")
        .values_list("url_path", flat=True)
        .first()
    ) or ""


def _placed(version, live, url_path: str):
    """`version` (None: the live row's content) at `url_path` (""/unchanged: where it is
    now), or None when that is just the live row."""
    if version is None:
        if not url_path or url_path == live.url_path:
            return None
        version = live.specific
    if url_path:
        version.url_path = url_path
    return version


def _versions_for(change: ContentChange, scope: set[int] | None, exporter: Exporter):
    """The state of the pages in scope as of `change`, where it is not their live row
    (Exporter.sync's `versions`: a page object, or None for absent), or _SKIP.

    * A publish is exported from the revision it made live, at the URL the page had then,
      so a burst of edits becomes one commit per edit with its own text. If a newer
      revision of the page is already committed (PostgreSQL can commit two publishes of
      one page out of id order), this older one is skipped: content/ must end with the
      live revision.
    * A move places the page where that move put it, with the content it had then.
    * An unpublished or deleted page is absent, even if it was published again since.
    * Another page in scope with a later publish or move still pending stays as its last
      processed change left it (that later change brings its own commit); one never
      exported yet stays out until then.
    """
    Action = ContentChange.Action
    versions: dict = {}
    later = ContentChange.objects.filter(
        processed_at__isnull=True, id__gt=change.id, action__in=[Action.PUBLISH, Action.MOVE]
    )
    if scope is not None:  # (it holds the change's own page)
        later = later.filter(page_id__in=scope)
    later = set(later.values_list("page_id", "action"))
    later_publish = {page_id for page_id, action in later if action == Action.PUBLISH}
    target = change.page_id
    own = {Action.PUBLISH, Action.MOVE, Action.UNPUBLISH, Action.DELETE}  # the target's state is this change's
    held_back = {page_id for page_id, _ in later} - {None} - ({target} if change.action in own else set())

    if target is not None and change.action in (Action.UNPUBLISH, Action.DELETE):
        versions[target] = None
    elif target is not None and change.action in (Action.PUBLISH, Action.MOVE):
        live = Page.objects.filter(pk=target).first()
        if live is not None:
            version = None
            if change.action == Action.PUBLISH and change.revision_id is not None:
                if change.revision_id != live.live_revision_id:
                    newer_done = ContentChange.objects.filter(
                        page_id=target,
                        action=Action.PUBLISH,
                        processed_at__isnull=False,
                        revision_id__gt=change.revision_id,
                    ).exists()
                    if newer_done:
                        return _SKIP
                    version = change.revision.as_object()
            elif target in later_publish:
                version = _last_committed_version(target)
            placed = _placed(version, live, change.url_path)
            if placed is not None:
                versions[target] = placed

    if held_back:
        manifest = exporter.load_manifest()
        live_pages = Page.objects.in_bulk(held_back)
        for page_id in held_back:
            live = live_pages.get(page_id)
            if live is None:
                continue
            version = _last_committed_version(page_id) if page_id in later_publish else None
            if version is None and page_id in later_publish and page_id not in manifest:
                versions[page_id] = None  # published for the first time by that later change
                continue
            placed = _placed(version, live, _last_url_path(page_id))
            if placed is not None:
                versions[page_id] = placed
    return versions


def _apply_change(exporter: Exporter, repo: ContentRepo, change: ContentChange) -> str | None:
    if change.action == ContentChange.Action.SETTINGS:
        exporter.write_site_settings()
    else:
        if change.action == ContentChange.Action.REBUILD:
            scope = None
        else:
            scope = exporter.affected_page_ids(
                change.page_id, whole_subtree=change.action != ContentChange.Action.PUBLISH
            )
            if change.page_id is not None:
                scope.add(change.page_id)
        versions = _versions_for(change, scope, exporter)
        if versions is _SKIP:
            logger.info(
                "change %s skipped: a newer revision of page %s is already committed", change.pk, change.page_id
            )
            return None
        exporter.sync(scope, versions)
    pause_point("publish.after_export")
    touched = exporter.take_touched()
    if change.action == ContentChange.Action.REBUILD:
        touched = None  # a whole-site resync stages everything (git add -A)
    actor = change.actor or _actor_from_log(change)
    author = change.author or actor
    author_name, author_email = _identity(author)
    committer_name, committer_email = _identity(actor or author)
    sha = repo.commit_all(
        commit_message(change, actor),
        author_name,
        author_email,
        committer_name=committer_name,
        committer_email=committer_email,
        paths=touched,
    )
    if sha is None:
        # Nothing to commit: nothing changed, or this change was committed by a run that
        # died before it could record so. Its commit says which change it is.
        sha = repo.find_commit_with_line(
            CHANGE_ID_LINE.format(change.pk), since=change.created_at - CHANGE_COMMIT_SEARCH_SLACK
        )
    pause_point("publish.after_commit")
    return sha


def unreleased_changes():
    """Changes committed to content/ that no live release contains yet (their build failed
    or was interrupted): the next build includes them."""
    return ContentChange.objects.filter(processed_at__isnull=False, released_at__isnull=True)


def publish_pending_changes(*, force_build: bool = False, progress: bool = False) -> SiteBuild | None:
    """Commit every pending change to content/, then build and switch one new release.

    Returns the SiteBuild record, or None when another run already handled everything
    (bursts of publishes coalesce into the first run that sees them). Changes committed
    earlier whose build failed or was interrupted are built again.
    """
    with publishing_lock():
        changes = list(
            ContentChange.objects.filter(processed_at__isnull=True).select_related("revision").order_by("id")
        )
        if not changes and not force_build and not unreleased_changes().exists():
            return None
        exporter = Exporter()
        repo = content_repo()
        deleted = {c.page_id for c in changes if c.action == ContentChange.Action.DELETE}
        try:
            for change in changes:
                # Wagtail unpublishes a live page just before deleting it: one "删除" commit says it.
                superseded = change.action == ContentChange.Action.UNPUBLISH and change.page_id in deleted
                sha = None if superseded else _apply_change(exporter, repo, change)
                change.processed_at = timezone.now()
                change.commit = sha or ""
                change.save(update_fields=["processed_at", "commit"])
            # No whole-site resync here: it would cost O(site size) on every publish. Each
            # change's scope is exact, and `manage.py publish_site` (a REBUILD change) resyncs all.
            return build_site(repo.head(), list(unreleased_changes().order_by("id")), progress=progress)
        finally:
            repo.wait_for_index()  # (updated while the site was built; under the lock)


def this_process() -> dict:
    """SiteBuild fields saying which process runs a build."""
    return {"worker_id": workers.current_worker_id() or "", "hostname": workers.hostname(), "pid": os.getpid()}


def warm_up() -> None:
    """A long-lived worker's start: load what its first publish would otherwise load (the
    site's renderer with MkDocs and its theme, the search dictionary, the current release's
    catalogue from its snapshot, the URL map that pages' addresses are worked out from, the
    export manifest and the Markdown of a page), so the first publish after a start is as
    quick as the next. A failure is only logged: that publish then loads what it needs
    itself and reports any real problem."""
    try:
        site_build.warm_up(settings.CONTENT_DIR, settings.SITE_RELEASES_DIR, settings.SITE_SOURCE_DIR)
        reverse("wagtail_serve", args=("",))
        Exporter().warm_up()
    except Exception:
        logger.exception("warming up the site build failed")
    settle_heap()


def settle_heap() -> None:
    """Collect the garbage once, then leave everything still alive out of later collections
    (``gc.freeze``). A long-lived worker holds the catalogue of the whole site: at 100,000
    pages a full collection walks millions of objects (~0.75 s), and one came in the middle
    of a publish now and then (bench/README.md, publish_latency). The worker calls this when
    idle (``warm_up``, and after ``keep_warm_state`` wrote a release's catalogue), so what
    was frozen before and has become garbage since is collected then, not kept."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


#: Seconds a release stays the newest before the worker writes its catalogue to disk.
WARM_SNAPSHOT_SETTLED_SECONDS = 5.0


def keep_warm_state(settled: float = WARM_SNAPSHOT_SETTLED_SECONDS) -> bool:
    """The catalogue of the release this process last built goes to disk (once per release,
    when no publish followed it for ``settled`` seconds), for the next worker's start
    (``warm_up``): the worker calls it when idle, ``publish_site`` after its build. True
    when it was written now."""
    try:
        return site_build.save_warm_snapshot(
            settings.CONTENT_DIR, settings.SITE_RELEASES_DIR, settings.SITE_SOURCE_DIR, settled=settled
        )
    except Exception:  # a cache: the worker goes on, its next start is cold
        logger.exception("keeping the site build's warm state failed")
        return False


def build_site(commit: str | None, changes=(), *, progress: bool = False, record: SiteBuild | None = None) -> SiteBuild:
    """Build and switch a release of content/ as committed in `commit` (the caller holds
    the publishing lock and has just committed everything, so content/ equals `commit`).
    The outcome goes into `record` (a queued rollback's) or a new SiteBuild row. On
    success every committed change is marked released by it: content/ is `commit`, which
    holds them all."""
    if record is None:
        record = SiteBuild.objects.create(
            commit=commit or "",
            changes="\n".join(str(change) for change in changes),
            **this_process(),
        )
    else:
        record.commit = commit or ""
        process = this_process()
        for name, value in process.items():
            setattr(record, name, value)
        record.save(update_fields=["commit", *process])
    target = ReleaseTarget(
        Path(settings.SITE_RELEASES_DIR), Path(settings.SITE_SOURCE_DIR), settings.SITE_RELEASES_KEEP
    )
    try:
        release = build_commit(content_repo(), commit, target, progress=progress)
    except BuildError as error:
        logger.error("site build failed: %s", error)
        record.status = SiteBuild.Status.FAILED
        record.error = build_errors.explain(str(error), Exporter().load_manifest())
    else:
        pause_point("build.after_switch")
        record.status = SiteBuild.Status.SUCCEEDED
        record.release = release.name
        # Where a slow publish spent its time, for whoever reads the worker's log.
        logger.info(
            "release %s built: %s pages rendered, phases (seconds since the start, cumulative) %s",
            release.name,
            release.rendered,
            site_build.LAST_TIMINGS,
        )
    record.finished_at = timezone.now()
    released: list[int] = []
    with transaction.atomic():
        record.save(update_fields=["status", "error", "release", "finished_at"])
        if record.status == SiteBuild.Status.SUCCEEDED:
            released = list(unreleased_changes().values_list("pk", flat=True))
            unreleased_changes().update(released_at=record.finished_at, released_in=record)
    if released:
        transaction.on_commit(lambda: _tell_released(released, record))
    return record


def _tell_released(change_ids: list[int], build: SiteBuild) -> None:
    """Listeners (push notifications of new pages) only queue work; whatever goes wrong
    there is logged and never fails the build that is already live."""
    for receiver, result in changes_released.send_robust(sender=SiteBuild, change_ids=change_ids, build=build):
        if isinstance(result, Exception):
            logger.error("a listener of released changes failed: %r", receiver, exc_info=result)


class MediaInUse(Exception):
    """The medium is still published (content/ points at it, or the live release serves it)."""


class PublishingBusy(Exception):
    """A publish or build is running; the message is for people."""


MEDIA_IN_USE_MESSAGE = "该媒体文件仍在公开网站或待发布内容中使用，不能清除。请先在页面中撤下或替换它并发布。"
PUBLISHING_BUSY_MESSAGE = "网站正在发布或构建，请稍后再清除。"


def purge_media(oid: str, *, user) -> dict:
    """Delete a medium no page uses any more from the media store and from every kept release
    (a replaced 党课 recording, a document that must not stay online), recording who did it
    in the audit log and beside the store. Refused at once while a publish runs (a request
    does not wait for a build); under the publishing lock and the releases' lock, so no
    publish, build or switch starts using it meanwhile. Raises MediaInUse, PublishingBusy, or
    MediaStoreError when it is not in the store."""
    releases_dir = Path(settings.SITE_RELEASES_DIR)
    with try_publishing_lock() as acquired:
        if not acquired:
            raise PublishingBusy(PUBLISHING_BUSY_MESSAGE)
        with site_build.releases_lock(releases_dir):
            row = selectors.stored_medium(oid)
            if row is None:
                raise MediaStoreError(NOT_IN_STORE_MESSAGE)
            if row.in_use:
                raise MediaInUse(MEDIA_IN_USE_MESSAGE)
            # Recorded before anything is deleted (strict: no audit, no purge); the purge
            # itself is safe to repeat if it fails half-way (its record is written first).
            audit.record(
                Action.MEDIA_PURGED,
                actor=user,
                object_type="媒体文件",
                object_id=oid[:12],
                object_repr="、".join(row.paths)[:200] or oid[:12],
                details={"oid": oid, "size": row.size, "paths": list(row.paths)},
                strict=True,
            )
            releases = [release.path for release in site_build.list_releases(releases_dir)]
            return selectors.media_store().purge(oid, by=user.get_username(), releases=releases)
