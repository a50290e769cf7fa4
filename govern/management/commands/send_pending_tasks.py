"""`manage.py send_pending_tasks`: hand the broker the tasks that commits owed while it was down
(what the beat job does every minute; useful after an outage, or in embedded mode to re-run a
task whose eager run failed)."""

from datetime import timedelta

from django.core.management.base import BaseCommand

from govern.task_outbox import GRACE, send_pending_tasks


class Command(BaseCommand):
    help = "Send the Celery tasks still waiting in the task outbox."

    def add_arguments(self, parser):
        parser.add_argument(
            "--grace",
            type=float,
            default=GRACE.total_seconds(),
            help="skip rows younger than this many seconds (their own commit may still send them)",
        )

    def handle(self, *args, grace: float, **options):
        self.stdout.write(f"sent {send_pending_tasks(grace=timedelta(seconds=grace))}")
