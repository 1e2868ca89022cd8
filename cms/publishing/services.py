"""Publishing: turn recorded content changes into content/ commits and a new site release."""
from __future__ import annotations

import logging
from pathlib import Path

import git

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from wagtail.models import PageLogEntry

from build_scripts.content_repo import ContentRepo
from build_scripts.locking import exclusive_lock
from build_scripts.content_repo import ContentRepoError
from build_scripts.site_build import BuildError, build_release, current_release

from . import build_errors
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


def record_change(action: str, *, page=None, author=None, actor=None) -> ContentChange:
    """Remember a change and queue the publish task once the transaction commits."""
    from .tasks import publish_pending_changes

    change = ContentChange.objects.create(
        action=action,
        page_id=getattr(page, "pk", None),
        page_title=getattr(page, "title", "")[:255],
        author=author,
        actor=actor,
    )
    transaction.on_commit(lambda: publish_pending_changes.enqueue())
    return change


def content_repo() -> ContentRepo:
    return ContentRepo.open_or_init(Path(settings.CONTENT_DIR), Path(settings.CONTENT_GIT_DIR))


def _identity(user) -> tuple[str, str]:
    if user is None:
        return SYSTEM_AUTHOR
    return user.display_name, user.email or f"{user.username}@localhost"


def _actor_from_log(change: ContentChange):
    log_action = LOG_ACTIONS.get(change.action)
    if not log_action or change.page_id is None:
        return None
    entry = (PageLogEntry.objects.filter(page_id=change.page_id, action=log_action,
                                         timestamp__lte=change.created_at + timezone.timedelta(seconds=5))
             .select_related("user").order_by("-timestamp", "-id").first())
    return entry.user if entry else None


def commit_message(change: ContentChange, actor) -> str:
    subject = f"{COMMIT_VERBS[change.action]}：{change.page_title}" if change.page_title else COMMIT_VERBS[change.action]
    lines = [subject, ""]
    if change.page_id:
        lines.append(f"页面ID：{change.page_id}")
    if actor is not None and actor != change.author:
        lines.append(f"审核发布：{actor.display_name}")
    return "\n".join(lines).strip() + "\n"


def publishing_lock():
    """One publisher at a time, across processes (worker, management commands)."""
    return exclusive_lock(Path(settings.VAR_DIR) / "publishing.lock")


def _apply_change(exporter: Exporter, repo: ContentRepo, change: ContentChange) -> str | None:
    if change.action == ContentChange.Action.REBUILD:
        exporter.sync(None)
    elif change.action == ContentChange.Action.SETTINGS:
        exporter.write_site_settings()
    else:
        exporter.sync(exporter.affected_page_ids(change.page_id, whole_subtree=change.action != ContentChange.Action.PUBLISH))
    touched = exporter.take_touched()
    if change.action == ContentChange.Action.REBUILD:
        touched = None  # a whole-site resync stages everything (git add -A)
    actor = change.actor or _actor_from_log(change)
    author = change.author or actor
    author_name, author_email = _identity(author)
    committer_name, committer_email = _identity(actor or author)
    return repo.commit_all(
        commit_message(change, actor), author_name, author_email,
        committer_name=committer_name, committer_email=committer_email,
        paths=touched,
    )


def publish_pending_changes(*, force_build: bool = False, progress: bool = False) -> SiteBuild | None:
    """Commit every pending change to content/, then build and switch one new release.

    Returns the SiteBuild record, or None when another run already handled everything
    (bursts of publishes coalesce into the first run that sees them).
    """
    with publishing_lock():
        changes = list(ContentChange.objects.filter(processed_at__isnull=True).order_by("id"))
        if not changes and not force_build:
            return None
        exporter = Exporter()
        repo = content_repo()
        deleted = {c.page_id for c in changes if c.action == ContentChange.Action.DELETE}
        for change in changes:
            # Wagtail unpublishes a live page just before deleting it: one "删除" commit says it.
            superseded = change.action == ContentChange.Action.UNPUBLISH and change.page_id in deleted
            sha = None if superseded else _apply_change(exporter, repo, change)
            change.processed_at = timezone.now()
            change.commit = sha or ""
            change.save(update_fields=["processed_at", "commit"])
        # No whole-site resync here: it would cost O(site size) on every publish. Each
        # change's scope is exact, and `manage.py publish_site` (a REBUILD change) resyncs all.
        return build_site(repo.head(), changes, progress=progress)


def build_site(commit: str | None, changes=(), *, progress: bool = False,
               record: SiteBuild | None = None) -> SiteBuild:
    """Build and switch a release of content/ as committed in `commit` (the caller holds
    the publishing lock and has just committed everything, so content/ equals `commit`).
    The outcome goes into `record` (a queued rollback's) or a new SiteBuild row."""
    if record is None:
        record = SiteBuild.objects.create(
            commit=commit or "",
            changes="\n".join(str(change) for change in changes),
        )
    else:
        record.commit = commit or ""
        record.save(update_fields=["commit"])
    releases_dir = Path(settings.SITE_RELEASES_DIR)
    since, changed = _changed_since_current(releases_dir, commit)
    try:
        release = build_release(
            Path(settings.CONTENT_DIR), releases_dir,
            site_dir=Path(settings.SITE_SOURCE_DIR), commit=commit,
            keep=settings.SITE_RELEASES_KEEP, progress=progress,
            changed_paths=changed, changed_since=since, content_matches_commit=commit is not None,
            # The worker lives long: it prepares the next build's copies and collects
            # pruned releases on threads of its own, after the new pages are live.
            background=True,
        )
    except BuildError as error:
        logger.error("site build failed: %s", error)
        record.status = SiteBuild.Status.FAILED
        record.error = build_errors.explain(str(error), Exporter().load_manifest())
    else:
        record.status = SiteBuild.Status.SUCCEEDED
        record.release = release.name
    record.finished_at = timezone.now()
    record.save(update_fields=["status", "error", "release", "finished_at"])
    return record


def _changed_since_current(releases_dir: Path, commit: str | None) -> tuple[str | None, list[str] | None]:
    """(current release, content paths changed since it was built) from git, so the build
    looks at those files only instead of every file of content/. (None, None) when git
    cannot say: no current release, or it was not built from exactly its commit."""
    current = current_release(releases_dir)
    if current is None or not current.exact or not current.commit or not commit:
        return None, None
    if current.commit == commit:
        return current.name, []
    try:
        return current.name, content_repo().changed_paths(current.commit, commit)
    except (ContentRepoError, git.GitCommandError):  # e.g. a commit from another repository
        return None, None
