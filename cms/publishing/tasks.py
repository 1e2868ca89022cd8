from django_tasks import task

from . import services


@task()
def publish_pending_changes():
    build = services.publish_pending_changes()
    return None if build is None else {"build": build.pk, "status": build.status}


@task()
def rollback_content(build_id: int):
    """Run a content rollback queued from the admin (rollback.queue_content_rollback): the
    commit and the rebuild happen here, in the worker, not in the admin's HTTP request."""
    from . import rollback

    build = rollback.run_queued_rollback(build_id)
    return {"build": build.pk, "status": build.status}
