import logging
import signal
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils.crypto import get_random_string
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME
from django_tasks_db.management.commands.db_worker import Worker

logger = logging.getLogger("cms.publishing")


class Command(BaseCommand):
    help = ("The one background worker: runs queued tasks (site builds, notifications) and "
            "publishes/expires scheduled pages every minute.")

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=0.5, help="seconds between queue polls")
        parser.add_argument("--scheduled-every", type=float, default=60.0,
                            help="seconds between runs of Wagtail's publish_scheduled")
        parser.add_argument("--once", action="store_true", help="drain the queue once and exit")

    def handle(self, *args, interval, scheduled_every, once, **options):
        self.running = True

        def stop(signum, frame):
            self.running = False

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        worker_id = get_random_string(32)
        next_scheduled = 0.0
        self.stdout.write(f"后台任务进程已启动（每 {interval:g} 秒检查一次任务队列）。")
        while self.running:
            if time.monotonic() >= next_scheduled:
                # Expired pages are unpublished here, which queues a publish of their removal.
                call_command("publish_scheduled", verbosity=0)
                next_scheduled = time.monotonic() + scheduled_every
            Worker(
                queue_names=[DEFAULT_TASK_QUEUE_NAME], interval=0, batch=True,
                backend_name=DEFAULT_TASK_BACKEND_ALIAS, startup_delay=False, max_tasks=None,
                worker_id=worker_id, excluded_queue_names=[],
            ).run()
            close_old_connections()
            if once:
                break
            time.sleep(interval)
        self.stdout.write("后台任务进程已停止。")
