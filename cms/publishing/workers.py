"""Worker processes: which are alive (heartbeats) and which one runs a periodic job.

`manage.py worker` registers itself on start (WorkerHeartbeat: its django-tasks-db worker
id, host and pid), refreshes `last_seen_at` from a thread every WORKER_HEARTBEAT_SECONDS
and deletes its row when it stops. A worker is dead when, on this host, its process is
gone (or its pid is now another worker's), or when it has not been seen for
WORKER_DEAD_AFTER_SECONDS (another host, a hung machine). cms/publishing/recovery.py acts
on that.

An idle worker polls the queue every `--interval` seconds (0.5 by default) and, in between,
listens on its doorbell: a datagram socket in VAR_DIR/run/. Whoever queues a task rings
every doorbell there once its transaction commits (`ring_doorbells`), so a publish starts
at once instead of on the next poll (a quarter of a second on average; bench/README.md,
publish_latency). Workers on other hosts are not rung; they keep polling.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import select
import socket
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from .models import PeriodicJob, WorkerHeartbeat

logger = logging.getLogger(__name__)

_current_worker_id: str | None = None


def current_worker_id() -> str | None:
    """The worker id of this process if it is a worker (recorded on the builds it runs)."""
    return _current_worker_id


def hostname() -> str:
    return socket.gethostname()


def heartbeat_seconds() -> float:
    return float(getattr(settings, "WORKER_HEARTBEAT_SECONDS", 5))


def dead_after_seconds() -> float:
    return float(getattr(settings, "WORKER_DEAD_AFTER_SECONDS", 60))


def process_exists(pid: int | None) -> bool:
    """Whether a process with this pid exists on this host."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, belongs to someone else
        return True
    return True


def register(worker_id: str) -> WorkerHeartbeat:
    global _current_worker_id
    now = timezone.now()
    heartbeat, _ = WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"hostname": hostname(), "pid": os.getpid(), "started_at": now, "last_seen_at": now},
    )
    _current_worker_id = worker_id
    return heartbeat


def beat(worker_id: str) -> None:
    """Say this worker is alive. Its row is back if another worker took it for dead and
    removed it (the machine was suspended, say): it is alive after all."""
    now = timezone.now()
    if not WorkerHeartbeat.objects.filter(worker_id=worker_id).update(last_seen_at=now):
        WorkerHeartbeat.objects.update_or_create(
            worker_id=worker_id,
            defaults={"hostname": hostname(), "pid": os.getpid(), "started_at": now, "last_seen_at": now},
        )


def unregister(worker_id: str) -> None:
    global _current_worker_id
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()
    if _current_worker_id == worker_id:
        _current_worker_id = None


def is_alive(heartbeat: WorkerHeartbeat, now: dt.datetime | None = None, *, me: str | None = None) -> bool:
    """Whether the worker of this row still runs (`me`: the asking worker's own id)."""
    if me is not None and heartbeat.worker_id == me:
        return True
    if heartbeat.hostname == hostname():
        if not process_exists(heartbeat.pid):
            return False
        if heartbeat.pid == os.getpid():  # our pid now: that worker is gone
            return False
    now = now or timezone.now()
    return heartbeat.last_seen_at >= now - dt.timedelta(seconds=dead_after_seconds())


class HeartbeatThread(threading.Thread):
    """Refreshes the worker's heartbeat while the main thread runs tasks (a full build of a
    big site takes minutes; the worker must not look dead meanwhile)."""

    def __init__(self, worker_id: str, interval: float | None = None) -> None:
        super().__init__(name="worker-heartbeat", daemon=True)
        self.worker_id = worker_id
        self.interval = heartbeat_seconds() if interval is None else interval
        self._stop_event = threading.Event()

    def run(self) -> None:
        try:
            while not self._stop_event.wait(self.interval):
                try:
                    beat(self.worker_id)
                except Exception:  # the database is away for a moment: try again next time
                    logger.warning("worker heartbeat failed", exc_info=True)
                finally:
                    connection.close()
        finally:
            connection.close()

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=10)


def claim_periodic_job(name: str, period_seconds: float, worker_id: str = "") -> bool:
    """True for exactly one caller per period, across processes and machines: a conditional
    UPDATE of the job's row (`last_run_at` older than one period) that one caller wins."""
    now = timezone.now()
    claimed = PeriodicJob.objects.filter(
        name=name,
        last_run_at__lte=now - dt.timedelta(seconds=period_seconds),
    ).update(last_run_at=now, last_worker_id=worker_id)
    if claimed:
        return True
    if PeriodicJob.objects.filter(name=name).exists():
        return False
    try:
        with transaction.atomic():
            PeriodicJob.objects.create(name=name, last_run_at=now, last_worker_id=worker_id)
    except IntegrityError:  # another worker created it a moment ago: it runs the job
        return False
    return True


# Longest socket path the kernel takes (sun_path is 108 bytes with its terminating NUL).
_MAX_SOCKET_PATH = 107


def doorbell_dir() -> Path:
    return Path(settings.VAR_DIR) / "run"


class Doorbell:
    """The worker's end: a datagram socket that any process on this host can ring to cut the
    worker's idle wait short. Without one (a VAR_DIR path too long for a socket, a read-only
    directory) the worker just sleeps between polls, as before."""

    def __init__(self, worker_id: str) -> None:
        self.path = doorbell_dir() / f"{worker_id[:16]}.sock"
        self.socket: socket.socket | None = None
        if len(os.fsencode(self.path)) > _MAX_SOCKET_PATH:
            logger.warning("worker doorbell path too long (%s): polling only", self.path)
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.unlink(missing_ok=True)
            bell = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            try:
                bell.bind(str(self.path))
            except OSError:
                bell.close()
                raise
        except OSError:  # (out of file descriptors, too)
            logger.warning("worker doorbell %s could not be opened: polling only", self.path, exc_info=True)
            return
        bell.setblocking(False)
        self.socket = bell

    def wait(self, timeout: float) -> bool:
        """Sleep up to `timeout` seconds, less if rung. True when rung; every ring that came
        meanwhile is consumed (one pass serves them all)."""
        if self.socket is None:
            time.sleep(timeout)
            return False
        readable, _, _ = select.select([self.socket], [], [], timeout)
        if not readable:
            return False
        try:
            while True:
                self.socket.recv(16)
        except BlockingIOError:
            pass
        return True

    def close(self) -> None:
        if self.socket is not None:
            self.socket.close()
            self.socket = None
            self.path.unlink(missing_ok=True)


def ring_doorbells() -> int:
    """Wake every idle worker on this host (called once a transaction that queued a task has
    committed). Never fails the caller: a worker that cannot be rung finds the task on its
    next poll. Returns how many doorbells rang."""
    try:
        bells = [entry.path for entry in os.scandir(doorbell_dir()) if entry.name.endswith(".sock")]
    except OSError:  # no worker has run here yet
        return 0
    rung = 0
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as ringer:
        ringer.setblocking(False)
        for path in bells:
            try:
                ringer.sendto(b"\0", path)
                rung += 1
            except BlockingIOError:  # its queue is full of rings it has not read: awake anyway
                rung += 1
            except ConnectionRefusedError:  # a worker killed before it could remove its bell
                Path(path).unlink(missing_ok=True)
            except OSError:  # removed meanwhile, another user's: it polls
                pass
    return rung
