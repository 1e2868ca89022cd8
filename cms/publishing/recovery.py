"""Work whose process died: mark it, and publish what it carried again.

A worker killed in the middle of a publish (kill -9, out of memory, a reboot) leaves its
django-tasks-db row RUNNING, possibly a SiteBuild RUNNING, changes committed to content/
but not released, or a content/ work tree with uncommitted files. The files are the next
publisher's business (services.publishing_lock resets content/ and removes stale git lock
files when it finds the dead holder's marker). This module handles the rows: every worker
runs `recover_interrupted` when it starts and, once across all workers, every
WORKER_RECOVERY_SECONDS.

Whose process is dead (workers.is_alive): a task row names its worker (the last of
`worker_ids`), a SiteBuild its worker, host and pid. A worker whose heartbeat row is gone
or says it is dead is dead; a build on this host is dead if its pid is gone or if nobody
on this host holds the publishing lock (every build runs under it).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from . import services, tasks, workers
from .models import SiteBuild, WorkerHeartbeat

logger = logging.getLogger(__name__)

WORKER_DIED = "cms.publishing.recovery.WorkerDied"


class WorkerDied(Exception):
    """Recorded on a task row whose worker process died while running it."""


@dataclass
class Recovery:
    dead_workers: list[str] = field(default_factory=list)
    failed_tasks: list[str] = field(default_factory=list)
    interrupted_builds: list[int] = field(default_factory=list)
    enqueued: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.failed_tasks or self.interrupted_builds or self.enqueued)


def _task_traceback(heartbeat: WorkerHeartbeat | None, worker_id: str) -> str:
    where = f"（{heartbeat.hostname}，进程号 {heartbeat.pid}）" if heartbeat else f"（{worker_id or '未知'}）"
    return f"后台任务进程{where}在运行此任务时意外退出，任务已标记为失败；所带的发布已重新排队。"


def _enqueue_once(task, *args, **kwargs) -> bool:
    """Enqueue unless the same call already waits in the queue."""
    wanted = {"args": list(args), "kwargs": kwargs}
    waiting = DBTaskResult.objects.filter(status=TaskResultStatus.READY, task_path=task.module_path)
    if any(row.args_kwargs == wanted for row in waiting):
        return False
    task.enqueue(*args, **kwargs)
    return True


def _requeue_rollback(build: SiteBuild, report: Recovery) -> None:
    """An interrupted content rollback: if its commit was made, a build of content/'s HEAD
    makes it live; if not, the same rollback is queued again (as a new row)."""
    repo = services.content_repo()
    since = build.started_at - services.CHANGE_COMMIT_SEARCH_SLACK
    if build.target and repo.find_commit_with_line(f"目标提交：{build.target}", since=since) is None:
        again = SiteBuild.objects.create(
            kind=SiteBuild.Kind.CONTENT_ROLLBACK,
            status=SiteBuild.Status.QUEUED,
            actor=build.actor,
            changes=build.changes,
            target=build.target,
        )
        tasks.rollback_content.enqueue(again.pk)
        report.enqueued.append(f"rollback_content({again.pk})")
    elif _enqueue_once(tasks.publish_pending_changes, force_build=True):
        report.enqueued.append("publish_pending_changes(force_build=True)")


def recover_interrupted(*, me: str | None = None) -> Recovery:
    """Mark the task rows and builds of dead processes (FAILED / 中断), queue what they
    carried again (deduplicated) and forget dead workers. `me`: the calling worker's id.
    Safe to run in several workers at once: every status change is a conditional UPDATE."""
    report = Recovery()
    now = timezone.now()
    grace = now - dt.timedelta(seconds=workers.dead_after_seconds())
    heartbeats = {hb.worker_id: hb for hb in WorkerHeartbeat.objects.all()}
    dead = {wid: hb for wid, hb in heartbeats.items() if not workers.is_alive(hb, now, me=me)}
    report.dead_workers = sorted(dead)

    def worker_dead(worker_id: str, started_at) -> bool:
        if not worker_id or worker_id == me:
            return False
        if worker_id in heartbeats:
            return worker_id in dead
        # No heartbeat row: its worker stopped or was recovered already, or it is a worker
        # that keeps none (django-tasks-db's own db_worker): dead once the grace is over.
        return started_at is not None and started_at < grace

    publish_again = False
    rollbacks_waiting: set[int] = set()
    for row in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING):
        worker_id = row.worker_ids[-1] if row.worker_ids else ""
        if not worker_dead(worker_id, row.started_at):
            continue
        marked = DBTaskResult.objects.filter(pk=row.pk, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            return_value=None,
            exception_class_path=WORKER_DIED,
            traceback=_task_traceback(dead.get(worker_id), worker_id),
        )
        if not marked:
            continue
        report.failed_tasks.append(f"{row.task_path} {row.pk}")
        if row.task_path == tasks.publish_pending_changes.module_path:
            publish_again = True
        elif row.task_path == tasks.rollback_content.module_path and row.args_kwargs.get("args"):
            rollbacks_waiting.add(int(row.args_kwargs["args"][0]))

    with services.try_publishing_lock() as idle_here:
        for build in SiteBuild.objects.filter(status=SiteBuild.Status.RUNNING).select_related("actor"):
            on_this_host = build.hostname == workers.hostname()
            if build.worker_id and build.worker_id == me:
                continue
            gone = (
                worker_dead(build.worker_id, build.started_at)
                or (on_this_host and (idle_here or not workers.process_exists(build.pid)))
                # rows from before builds recorded their process
                or (not build.hostname and idle_here and build.started_at < grace)
            )
            if not gone:
                continue
            marked = SiteBuild.objects.filter(pk=build.pk, status=SiteBuild.Status.RUNNING).update(
                status=SiteBuild.Status.INTERRUPTED, error=SiteBuild.INTERRUPTED_MESSAGE, finished_at=now
            )
            if not marked:
                continue
            report.interrupted_builds.append(build.pk)
            if build.kind == SiteBuild.Kind.CONTENT_ROLLBACK:
                _requeue_rollback(build, report)
            else:
                publish_again = True

    for build_id in sorted(rollbacks_waiting):
        # Died before the rollback started (it waited for the publishing lock): run it again.
        if SiteBuild.objects.filter(pk=build_id, status=SiteBuild.Status.QUEUED).exists():
            if _enqueue_once(tasks.rollback_content, build_id):
                report.enqueued.append(f"rollback_content({build_id})")
    if publish_again:
        # It finds the changes still pending and those committed but not released.
        if _enqueue_once(tasks.publish_pending_changes):
            report.enqueued.append("publish_pending_changes()")
    WorkerHeartbeat.objects.filter(worker_id__in=list(dead)).delete()
    if report:
        logger.warning("recovered interrupted work: %s", report)
    return report
