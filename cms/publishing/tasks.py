from django_tasks import task

from . import services


@task()
def publish_pending_changes():
    build = services.publish_pending_changes()
    return None if build is None else {"build": build.pk, "status": build.status}
