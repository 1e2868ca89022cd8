import logging
import signal
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils.crypto import get_random_string
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME
from django_tasks_db.management.commands.db_worker import Worker

from cms.assessment.services import grade_submitted
from cms.publishing import recovery, workers
from cms.publishing import services as publishing

logger = logging.getLogger("cms.publishing")

SCHEDULED_JOB = "publish_scheduled"
RECOVERY_JOB = "recover_interrupted"
AUDIT_PRUNE_JOB = "audit_prune"
AUDIT_PRUNE_SECONDS = 24 * 3600
DELIVERY_CHECK_JOB = "delivery_check"
DELIVERY_CHECK_SECONDS = 120


def run_queue(worker_id: str) -> None:
    """One pass of django-tasks' database worker: the default queue's due tasks, one after
    another, until none is left (the command's loop; the browser tests run it in a thread)."""
    Worker(
        queue_names=[DEFAULT_TASK_QUEUE_NAME],
        interval=0,
        batch=True,
        backend_name=DEFAULT_TASK_BACKEND_ALIAS,
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    ).run()


def run_pass(worker_id: str) -> None:
    """One pass of the worker: quiz hand-ins first (members wait on the result page for their
    score; a batch per transaction, a few ms each — not a queued task per hand-in, since a
    contest's 500 hand-ins in one second would be 500 rows to claim and run), then the queue."""
    grade_submitted()
    run_queue(worker_id)


class Command(BaseCommand):
    help = (
        "A background worker: grades handed-in quizzes, runs queued tasks (site builds, "
        "notifications), publishes/expires scheduled pages every minute and recovers work of "
        "workers that died. "
        "Several may run; periodic jobs run once per period across all of them."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval",
            type=float,
            default=0.5,
            help="seconds between queue polls (a task queued on this host wakes the worker at once)",
        )
        parser.add_argument(
            "--scheduled-every",
            type=float,
            default=60.0,
            help="seconds between runs of Wagtail's publish_scheduled (across all workers)",
        )
        parser.add_argument(
            "--once", action="store_true", help="recover, run publish_scheduled, drain the queue once and exit"
        )

    def handle(self, *args, interval, scheduled_every, once, **options):
        self.running = True
        self.next_claim: dict[str, float] = {}  # job -> monotonic time of this worker's next claim

        def stop(signum, frame):
            self.running = False

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        worker_id = get_random_string(32)
        workers.register(worker_id)
        heartbeat = workers.HeartbeatThread(worker_id)
        heartbeat.start()
        doorbell = None if once else workers.Doorbell(worker_id)
        try:
            # Builds and tasks a dead worker left running: marked 中断/failed, queued again.
            recovery.recover_interrupted(me=worker_id)
            if not once:  # a long-lived worker: its first publish should not wait for imports
                publishing.warm_up()
            self.stdout.write(f"后台任务进程已启动（每 {interval:g} 秒检查一次任务队列）。")
            self.stdout.flush()  # a log file or journal shows it now, not when a buffer fills
            while self.running:
                self.periodic_jobs(worker_id, scheduled_every, once)
                run_pass(worker_id)
                close_old_connections()
                if once:
                    break
                # Idle now: no publish waits for these.
                if publishing.keep_warm_state():
                    publishing.settle_heap()
                doorbell.wait(interval)  # or less: a queued task rings it
        finally:
            if not once:
                # Stopped (a deploy's restart) right after a publish, before the idle loop wrote
                # the catalogue of that release: written now, or the next start would find the
                # previous release's and its first publish would derive the catalogue again
                # (~10 s at 100,000 pages).
                publishing.keep_warm_state(settled=0)
            if doorbell is not None:
                doorbell.close()
            heartbeat.stop()
            workers.unregister(worker_id)
        self.stdout.write("后台任务进程已停止。")

    # A worker that did not win a job's claim tries again after this many seconds at most
    # (not on every queue poll: a claim is a write).
    CLAIM_RETRY_SECONDS = 5.0

    def periodic_jobs(self, worker_id: str, scheduled_every: float, once: bool) -> None:
        jobs = (
            # Expired pages are unpublished here, which queues a publish of their removal.
            (SCHEDULED_JOB, scheduled_every, lambda: call_command("publish_scheduled", verbosity=0)),
            (RECOVERY_JOB, settings.WORKER_RECOVERY_SECONDS, lambda: recovery.recover_interrupted(me=worker_id)),
            # Audit entries past AUDIT_RETENTION_DAYS, behind a checkpoint (cms/audit/services.py).
            (AUDIT_PRUNE_JOB, AUDIT_PRUNE_SECONDS, lambda: call_command("audit_prune", verbosity=0)),
            # Pushes and emails left due by a worker that died mid-run (cms/delivery).
            (DELIVERY_CHECK_JOB, DELIVERY_CHECK_SECONDS, lambda: call_command("deliver_due", verbosity=0)),
        )
        for name, period, run in jobs:
            now = time.monotonic()
            # --once (a manual drain) runs publish_scheduled whatever the others did.
            forced = once and name == SCHEDULED_JOB
            if not forced and now < self.next_claim.get(name, 0.0):
                continue
            claimed = workers.claim_periodic_job(name, period, worker_id)
            self.next_claim[name] = now + (period if claimed else min(period, self.CLAIM_RETRY_SECONDS))
            if claimed or forced:
                run()
