"""Rolling the public site back: to a kept release (instant) or to any content/ commit (rebuild).

Semantics (also shown to the admin; docs/site-build.md "Rollback and publishing history"):

* Neither kind of rollback touches the CMS database. Pages in Wagtail keep their current
  live revision.
* **Switching to a kept release** only moves `current`; content/ is untouched.
* **Rolling content back to a commit** adds a commit on top of content/'s history whose tree
  equals that commit's (history is never rewritten; the manifest `.manifest/` comes
  back with the tree, so content/ stays self-consistent) and builds a release from it.
* A switch lasts until the next build: any publish builds from content/'s HEAD, which
  still holds the newest content, so the whole site comes back.
* A content rollback lasts page by page: publishing is incremental (each change syncs only
  the pages it affects, using the manifest), so a page returns to its CMS state when it, or
  an ancestor whose URL changes, is next published, unpublished, moved or deleted; other
  pages keep the rolled-back content. Pages deleted, unpublished or made private after the
  target commit come back on the public site (their files and manifest entries are part of
  the old tree) until `manage.py publish_site` resyncs everything with the CMS.
  The confirmation screen lists those pages.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from build_scripts.site_build import BuildError, current_release, list_releases, switch_to

from .models import SiteBuild
from .services import _identity, build_site, content_repo, publishing_lock, this_process

logger = logging.getLogger(__name__)

PERMISSION = "publishing.rollback_site"
_SHA_PREFIX = re.compile(r"^[0-9a-fA-F]{4,40}$")


class RollbackError(Exception):
    """A rollback could not be done; the message is for the admin (简体中文)."""


def can_rollback(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(PERMISSION))


def _releases_dir() -> Path:
    return Path(settings.SITE_RELEASES_DIR)


def is_release_name(value: str) -> bool:
    return any(r.name == value for r in list_releases(_releases_dir()))


def switch_release(name: str, *, user=None) -> SiteBuild:
    """Serve the kept release `name` again (no rebuild) and record who did it."""
    before = current_release(_releases_dir())
    if before is not None and before.name == name:
        raise RollbackError(f"版本 {name} 已经是公开网站的当前版本。")
    try:
        release = switch_to(_releases_dir(), name)
    except BuildError as error:
        raise RollbackError(str(error)) from error
    actor = f"，操作人：{user.display_name}" if user is not None else ""
    record = SiteBuild.objects.create(
        kind=SiteBuild.Kind.SWITCH,
        status=SiteBuild.Status.SUCCEEDED,
        actor=user,
        commit=release.commit or "",
        release=release.name,
        finished_at=timezone.now(),
        changes=(
            f"回滚：切换到已保留的版本 {release.name}（内容提交 {(release.commit or '—')[:8]}）"
            + (f"，此前为 {before.name}" if before else "")
            + actor
        ),
    )
    logger.info("site switched to release %s by %s", release.name, getattr(user, "username", "command line"))
    return record


def resolve_commit(rev: str) -> str | None:
    """Full sha for a sha or unique prefix (4+ hex digits) in content/'s history."""
    rev = (rev or "").strip()
    if not _SHA_PREFIX.match(rev):
        return None
    return content_repo().resolve_commit(rev)


def rollback_message(sha: str, subject: str) -> str:
    return f"回滚网站内容到 {sha[:8]}：{subject}"


def check_rollback_target(repo, rev: str) -> tuple[str, str]:
    """(full sha, subject) of the commit to roll content back to; RollbackError when there
    is no such commit or content/ already equals it."""
    sha = resolve_commit(rev)
    if sha is None:
        raise RollbackError(f"内容仓库中找不到提交 {rev}（提交号至少 4 位十六进制，且前缀须唯一）。")
    target = repo.commits_between(None, sha, max_count=1)[0]
    subject = target["message"].splitlines()[0] if target["message"] else ""
    head = repo.head()
    if head is not None and repo.repo.commit(head).tree == repo.repo.commit(sha).tree:
        raise RollbackError(f"当前内容与提交 {sha[:8]} 完全相同，无需回滚。")
    return sha, subject


def run_queued_rollback(build_id: int) -> SiteBuild:
    """The worker's side of ``tasks.queue_content_rollback``."""
    record = SiteBuild.objects.select_related("actor").get(pk=build_id)
    if record.status != SiteBuild.Status.QUEUED:  # already run (a task delivered twice)
        return record
    try:
        return rollback_content(record.target, user=record.actor, record=record)
    except RollbackError as error:  # e.g. content changed to equal the target meanwhile
        record.status = SiteBuild.Status.FAILED
        record.error = str(error)
        record.finished_at = timezone.now()
        record.save(update_fields=["status", "error", "finished_at"])
        return record


def rollback_content(rev: str, *, user=None, progress: bool = False, record: SiteBuild | None = None) -> SiteBuild:
    """Commit content/ as it was at `rev` on top of the history, then build and switch
    (synchronously: ``manage.py site_rollback``, and the worker for queued rollbacks).

    Raises RollbackError for an unknown commit or when content/ already equals it. A
    failed build is returned as a FAILED SiteBuild (the live site is unchanged).
    """
    with publishing_lock():  # the worker commits under the same lock
        repo = content_repo()
        sha, subject = check_rollback_target(repo, rev)
        if record is not None:
            record.status = SiteBuild.Status.RUNNING
            record.started_at = timezone.now()  # the wait in the queue is not build time
            process = this_process()  # who runs it: an interrupted rollback is recognised
            for name, value in process.items():
                setattr(record, name, value)
            record.save(update_fields=["status", "started_at", *process])
        previous_head = repo.head() or ""
        message = rollback_message(sha, subject) + f"\n\n回滚前的提交：{previous_head[:8]}\n目标提交：{sha}\n"
        name, email = _identity(user)
        new_sha = repo.restore_tree(sha, message, name, email)
        if new_sha is None:
            raise RollbackError(f"当前内容与提交 {sha[:8]} 完全相同，无需回滚。")
        record = build_site(new_sha, [rollback_message(sha, subject)], progress=progress, record=record)
        record.kind = SiteBuild.Kind.CONTENT_ROLLBACK
        record.actor = user
        record.target = sha
        record.save(update_fields=["kind", "actor", "target"])
    logger.info(
        "content rolled back to %s by %s as %s (build %s)",
        sha,
        getattr(user, "username", "command line"),
        new_sha,
        record.status,
    )
    return record
