"""Several workers: periodic jobs run once per period across all of them, and a worker
whose process is gone is known to be dead."""

import datetime
import os
import socket
import subprocess
import threading

from django.db import connection
from django.db.models import F
from django.utils import timezone

from cms.publishing import workers
from cms.publishing.models import PeriodicJob, WorkerHeartbeat
from tests.conftest import WORKER_DB


def _race(job: str, period: float, claimers: int = 2) -> list[bool]:
    """`claimers` workers (threads with their own database connections) claim the job at once."""
    barrier = threading.Barrier(claimers)
    results: list[bool] = []

    def claim(worker_id):
        try:
            barrier.wait()
            results.append(workers.claim_periodic_job(job, period, worker_id))
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(f"worker-{n}",)) for n in range(claimers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(results)


@WORKER_DB
def test_two_workers_claiming_a_periodic_job_run_it_once_per_period():
    assert _race("publish_scheduled", 60) == [False, True]  # the first time: one creates the row
    assert _race("publish_scheduled", 60) == [False, False]  # within the period: nobody
    # A minute later (the last run moved back in time) exactly one of them runs it again.
    PeriodicJob.objects.update(last_run_at=F("last_run_at") - datetime.timedelta(seconds=61))
    assert _race("publish_scheduled", 60) == [False, True]
    assert _race("recover_interrupted", 30) == [False, True]  # each job has its own period
    assert PeriodicJob.objects.get(name="publish_scheduled").last_worker_id.startswith("worker-")


def test_a_worker_is_dead_when_its_process_is_gone_or_it_is_not_seen(db):
    gone = subprocess.Popen(["true"])
    gone.wait()
    now = timezone.now()
    here, there = workers.hostname(), "another-host"

    def row(worker_id, host, pid, seen_seconds_ago):
        seen = now - datetime.timedelta(seconds=seen_seconds_ago)
        return WorkerHeartbeat.objects.create(
            worker_id=worker_id, hostname=host, pid=pid, started_at=seen, last_seen_at=seen
        )

    assert workers.is_alive(row("alive-here", here, os.getppid(), 1), now)
    assert not workers.is_alive(row("killed-here", here, gone.pid, 1), now)  # no need to wait
    assert not workers.is_alive(row("my-pid-now", here, os.getpid(), 1), now, me="someone-else")
    assert workers.is_alive(row("alive-there", there, 1, 5), now)
    assert not workers.is_alive(row("silent-there", there, 1, workers.dead_after_seconds() + 1), now)


def test_a_worker_that_was_taken_for_dead_comes_back_with_its_next_heartbeat(db):
    workers.register("w1")
    WorkerHeartbeat.objects.filter(worker_id="w1").delete()  # another worker's recovery did that
    workers.beat("w1")
    assert WorkerHeartbeat.objects.get(worker_id="w1").pid == os.getpid()
    workers.unregister("w1")
    assert not WorkerHeartbeat.objects.exists() and workers.current_worker_id() is None


def test_a_ring_wakes_the_waiting_worker_and_a_worker_killed_without_cleanup_is_forgotten(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    assert workers.ring_doorbells() == 0  # no worker ever ran here: nothing to ring, no error

    doorbell = workers.Doorbell("w" * 32)
    try:
        assert not doorbell.wait(0.01)
        assert workers.ring_doorbells() == 1
        assert workers.ring_doorbells() == 1
        assert doorbell.wait(30)  # at once: both rings are in its queue
        assert not doorbell.wait(0.01)  # and one wake-up consumed both

        killed = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)  # bound, then gone, file left
        killed.bind(str(workers.doorbell_dir() / "killed.sock"))
        killed.close()
        assert workers.ring_doorbells() == 1
        assert sorted(p.name for p in workers.doorbell_dir().iterdir()) == [doorbell.path.name]
    finally:
        doorbell.close()
    assert not doorbell.path.exists()
    assert workers.ring_doorbells() == 0


def test_a_worker_whose_doorbell_path_is_too_long_for_a_socket_polls_instead(settings, tmp_path):
    settings.VAR_DIR = tmp_path / ("长" * 40)
    doorbell = workers.Doorbell("w" * 32)
    assert doorbell.socket is None
    assert not doorbell.wait(0.01)
    assert workers.ring_doorbells() == 0
    doorbell.close()
