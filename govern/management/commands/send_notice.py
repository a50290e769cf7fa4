"""`python manage.py send_notice "text" [--topic dispatch] [--topic grid:3] [--level warning]`

Publishes a `system.notice` (docs/events.md) through the live road, e.g. a storm warning to the
dispatchers and the grid workers of some grids. To schedule one, use the Celery task
`govern.tasks.notice_publish` (beat, or `celery -A govern call`).
"""

from django.core.management.base import BaseCommand, CommandError

from govern.errors import DomainError
from govern.live_services import NOTICE_LEVELS, notice_publish


class Command(BaseCommand):
    help = "Publish a system.notice live event to the given topics (default: dispatch)."

    def add_arguments(self, parser):
        parser.add_argument("text")
        parser.add_argument(
            "--topic",
            action="append",
            dest="topics",
            default=[],
            help="user:<id>, grid:<id>, dispatch or hazard:<code>; repeatable",
        )
        parser.add_argument("--level", default="info", choices=NOTICE_LEVELS)

    def handle(self, *args, text, topics, level, **options):
        try:
            event = notice_publish(topics=topics, text=text, level=level)
        except DomainError as exc:
            raise CommandError(str(exc))
        self.stdout.write(f"Published live event #{event.pk} to {', '.join(event.topics)}.")
