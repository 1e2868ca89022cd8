"""The delivery task the worker runs (``manage.py worker``, the queue publishing uses).

Callers never send in their own request: ``services.announce`` queues rows and enqueues
``deliver_due`` on commit; a run that leaves messages waiting (rate limits, backoff)
schedules the next run for when they are due (django-tasks' ``run_after``, which the
database backend supports)."""

from django_tasks import task

from . import sending

# Below publishing (50): an editor waiting for a publish goes first; a delivery run is
# bounded by DELIVERY_TASK_MAX_SECONDS and a dead robot costs one timeout.
DELIVERY_PRIORITY = 10


@task(priority=DELIVERY_PRIORITY)
def deliver_due():
    return sending.deliver_due(schedule=schedule_delivery)


def schedule_delivery(when):
    deliver_due.using(run_after=when).enqueue()


def enqueue_delivery():
    deliver_due.enqueue()
