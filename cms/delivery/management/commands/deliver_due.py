from django.core.management.base import BaseCommand
from django.utils import timezone

from cms.delivery import sending, tasks


class Command(BaseCommand):
    help = (
        "Queue the delivery task when pushes or emails are due (the safety net behind the task's "
        "own scheduling: a worker that died mid-run scheduled nothing). --now sends in this process."
    )

    def add_arguments(self, parser):
        parser.add_argument("--now", action="store_true", help="send here instead of queueing the task")

    def handle(self, *args, now=False, **options):
        if now:
            result = sending.deliver_due(schedule=tasks.schedule_delivery)
            self.stdout.write(str(result))
            return
        due = sending.next_due_at()
        if due is not None and due <= timezone.now():
            tasks.enqueue_delivery()
            if options["verbosity"] > 1:
                self.stdout.write("delivery task queued")
