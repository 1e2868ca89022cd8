"""/api/health/ for monitoring: 200 when a worker runs and the queue moves, 503 otherwise."""

import datetime

from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from cms.publishing import workers
from cms.publishing.models import SiteBuild
from cms.publishing.tasks import publish_pending_changes

URL = "/api/health/"


def a_running_worker():
    """A heartbeat of a live process on this host (our parent: not us, which a web process
    would rightly take for a stale row)."""
    import os

    from cms.publishing.models import WorkerHeartbeat

    now = timezone.now()
    return WorkerHeartbeat.objects.create(
        worker_id="worker-under-test", hostname=workers.hostname(), pid=os.getppid(), started_at=now, last_seen_at=now
    )


def test_without_a_worker_the_site_is_degraded(client, db):
    response = client.get(URL)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded" and body["workers_alive"] == 0
    assert any("没有正在运行的后台任务进程" in problem for problem in body["problems"])


def test_a_running_worker_and_a_moving_queue_are_healthy(client, db):
    a_running_worker()
    finished = timezone.now() - datetime.timedelta(minutes=3)
    SiteBuild.objects.create(status=SiteBuild.Status.SUCCEEDED, finished_at=finished)
    publish_pending_changes.enqueue()

    response = client.get(URL)

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok" and body["workers_alive"] == 1 and body["problems"] == []
    assert body["tasks_waiting"] == 1 and 0 <= body["oldest_waiting_seconds"] < 60
    assert body["last_successful_build"].startswith(timezone.localtime(finished).strftime("%Y-%m-%dT%H:%M"))
    assert response["Cache-Control"] == "no-store"


def test_a_queue_that_does_not_move_is_reported(client, db, settings):
    a_running_worker()
    publish_pending_changes.enqueue()
    DBTaskResult.objects.update(enqueued_at=timezone.now() - datetime.timedelta(minutes=10))

    response = client.get(URL)

    assert response.status_code == 503
    assert any("任务队列积压" in problem for problem in response.json()["problems"])


def test_the_answer_names_no_host_or_process(client, db):
    a_running_worker()
    text = client.get(URL).content.decode()
    assert workers.hostname() not in text and "worker-under-test" not in text
