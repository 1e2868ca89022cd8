"""The publishing work queue: the tasks the worker runs and the two ways to queue them.

Direction (tests/test_import_cycles.py keeps it): callers (signals, views, commands) → tasks →
rollback → services. ``services`` and ``rollback`` never import this module: they do the work;
this module decides when it runs (after the caller's transaction commits, in the worker).
"""

import logging

from django.db import transaction
from django_tasks import task

from . import rollback, services
from .models import ContentChange, SiteBuild

logger = logging.getLogger(__name__)

# Ahead of Wagtail's own queued work in the same worker (search index and reference index
# updates, several per page save, slower as the site grows): an editor waits for a publish.
PUBLISH_PRIORITY = 50


@task(priority=PUBLISH_PRIORITY)
def publish_pending_changes(force_build: bool = False):
    """`force_build`: build even with no change to publish (recovery of an interrupted
    content rollback, whose commit has no ContentChange)."""
    build = services.publish_pending_changes(force_build=force_build)
    return None if build is None else {"build": build.pk, "status": build.status}


@task(priority=PUBLISH_PRIORITY)
def rollback_content(build_id: int):
    """Run a content rollback queued from the admin (queue_content_rollback): the commit and
    the rebuild happen here, in the worker, not in the admin's HTTP request."""
    build = rollback.run_queued_rollback(build_id)
    return {"build": build.pk, "status": build.status}


def record_change(
    action: str, *, page=None, author=None, actor=None, revision=None, url_path: str | None = None
) -> ContentChange:
    """Remember a change and queue the publish task once the transaction commits."""
    change = ContentChange.objects.create(
        action=action,
        page_id=getattr(page, "pk", None),
        page_title=getattr(page, "title", "")[:255],
        url_path=url_path if url_path is not None else (getattr(page, "url_path", "") or ""),
        author=author,
        actor=actor,
        revision=revision,
    )
    transaction.on_commit(lambda: publish_pending_changes.enqueue())
    return change


def queue_content_rollback(rev: str, *, user=None) -> SiteBuild:
    """Queue a content rollback for the worker (the admin's way: a rebuild can take minutes
    at 10,000 pages and must not run inside an HTTP request). Returns the QUEUED SiteBuild
    that the worker fills in; RollbackError for an unknown commit or no difference."""
    sha, subject = rollback.check_rollback_target(services.content_repo(), rev)
    record = SiteBuild.objects.create(
        kind=SiteBuild.Kind.CONTENT_ROLLBACK,
        status=SiteBuild.Status.QUEUED,
        actor=user,
        changes=rollback.rollback_message(sha, subject),
        target=sha,
    )
    transaction.on_commit(lambda: rollback_content.enqueue(record.pk))
    logger.info("content rollback to %s queued by %s (build %s)", sha, getattr(user, "username", "?"), record.pk)
    return record
