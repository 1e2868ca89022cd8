from django_tasks import task

from . import services

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
    """Run a content rollback queued from the admin (rollback.queue_content_rollback): the
    commit and the rebuild happen here, in the worker, not in the admin's HTTP request."""
    from . import rollback

    build = rollback.run_queued_rollback(build_id)
    return {"build": build.pk, "status": build.status}
