from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db.models import Max, Min
from django.utils import timezone

from build_scripts import site_build
from build_scripts.media_store import MEDIA_PREFIX, MediaStore, referenced, store_for

from .models import SiteBuild


def recent_builds(limit: int = 20):
    return list(SiteBuild.objects.all()[:limit])


def unresolved_failure() -> SiteBuild | None:
    """The newest build, if it failed: a later success means the problem is fixed (switching
    to a kept release builds nothing, so it does not count as a fix; queued or running
    builds have no outcome yet, and an interrupted one says nothing about the content: its
    automatic rebuild does)."""
    latest = (
        SiteBuild.objects.exclude(
            status__in=[SiteBuild.Status.QUEUED, SiteBuild.Status.RUNNING, SiteBuild.Status.INTERRUPTED]
        )
        .exclude(kind=SiteBuild.Kind.SWITCH)
        # a queued rollback refused before committing anything built nothing either
        .exclude(kind=SiteBuild.Kind.CONTENT_ROLLBACK, commit="")
        .first()
    )
    return latest if latest and latest.status == SiteBuild.Status.FAILED else None


@dataclass(frozen=True)
class Health:
    """What monitoring needs to know about the app and the worker (``/api/health/``)."""

    workers_alive: int
    worker_last_seen: dt.datetime | None
    tasks_waiting: int
    oldest_waiting_seconds: int | None
    last_successful_build: dt.datetime | None
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def health(now: dt.datetime | None = None) -> Health:
    """A few queries, whatever the size of the site: heartbeats, the waiting queue, the last
    successful build. Problems in Chinese: no live worker, a queue that does not move."""
    from django.conf import settings
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from . import workers
    from .models import WorkerHeartbeat

    now = now or timezone.now()
    beats = list(WorkerHeartbeat.objects.all())
    alive = [beat for beat in beats if workers.is_alive(beat, now)]
    waiting = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    oldest = waiting.aggregate(oldest=Min("enqueued_at"))["oldest"]
    oldest_seconds = int((now - oldest).total_seconds()) if oldest else None
    built = SiteBuild.objects.filter(status=SiteBuild.Status.SUCCEEDED).aggregate(last=Max("finished_at"))["last"]
    problems = []
    if not alive:
        problems.append("没有正在运行的后台任务进程：发布不会生效，请启动 manage.py worker。")
    if oldest_seconds is not None and oldest_seconds > settings.HEALTH_QUEUE_STALE_SECONDS:
        problems.append(f"任务队列积压：最早的任务已等待 {oldest_seconds} 秒。")
    return Health(
        workers_alive=len(alive),
        worker_last_seen=max((beat.last_seen_at for beat in beats), default=None),
        tasks_waiting=waiting.count(),
        oldest_waiting_seconds=oldest_seconds,
        last_successful_build=built,
        problems=problems,
    )


def choosable_pages(user, pages):
    """What the page chooser (link and page blocks) offers ``user``: the pages they may edit,
    with the pages above them so they can be browsed to, plus the public site's live public
    pages, which anyone may link to. Never another section's drafts or the private study
    tree (学习园地 and its courses) they do not edit; a link to those could only become
    plain text at export anyway. Superusers see everything, as everywhere in the admin."""
    from django.db.models import Q
    from wagtail.permissions import page_permission_policy

    from .exporter import exportable_queryset

    if user.is_superuser:
        return pages
    explorable = page_permission_policy.explorable_instances(user).values("pk")
    return pages.filter(Q(pk__in=explorable) | Q(pk__in=exportable_queryset().values("pk")))


@dataclass(frozen=True)
class StoredMedium:
    """A video, audio file or document in the media store (build_scripts/media_store.py)."""

    oid: str
    size: int
    stored_at: dt.datetime
    paths: tuple[str, ...]
    in_use: bool  # content/ points at it, or the live release serves it: not purgeable

    @property
    def short_oid(self) -> str:
        return self.oid[:12]


def media_store() -> MediaStore:
    return store_for(settings.CONTENT_GIT_DIR)


def stored_media() -> list[StoredMedium]:
    """Every stored medium, newest first, and which are still used: content/ points at it,
    or the live release serves it (linked, or copied at one of the paths it was stored for:
    names carry the file's hash)."""
    store = media_store()
    pointed = referenced(settings.CONTENT_DIR)
    current = site_build.current_release(settings.SITE_RELEASES_DIR)
    served = _served_inodes(current.path) if current else set()
    rows = []
    for stored in store.objects():
        try:
            found = store.object_path(stored.oid).stat()
        except FileNotFoundError:  # purged meanwhile
            continue
        in_use = (
            stored.oid in pointed
            or (found.st_ino, found.st_dev) in served
            or (current is not None and any((current.path / path).exists() for path in stored.paths))
        )
        rows.append(StoredMedium(stored.oid, stored.size, stored.stored_at, stored.paths, in_use))
    return sorted(rows, key=lambda row: (row.stored_at, row.oid), reverse=True)


def stored_medium(oid: str) -> StoredMedium | None:
    return next((row for row in stored_media() if row.oid == oid), None)


def _served_inodes(release_dir: Path) -> set[tuple[int, int]]:
    media = release_dir / MEDIA_PREFIX
    if not media.is_dir():
        return set()
    return {(s.st_ino, s.st_dev) for s in (p.stat() for p in media.rglob("*") if p.is_file())}
