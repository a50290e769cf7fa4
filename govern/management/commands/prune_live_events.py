"""`python manage.py prune_live_events`: live-event retention for embedded mode (no Celery beat).

Services mode runs the same service hourly from beat (govern.tasks.prune_live_events); this
command is for cron or by hand. The window is LIVE_EVENT_RETENTION (env LIVE_EVENT_RETENTION_DAYS).
"""

from django.core.management.base import BaseCommand

from govern import conf
from govern.live import pruned_through
from govern.live_services import live_events_prune


class Command(BaseCommand):
    help = "Delete live events older than the retention window (LIVE_EVENT_RETENTION)."

    def handle(self, *args, **options):
        deleted = live_events_prune()
        self.stdout.write(
            f"Pruned {deleted} live event(s) older than {conf.live_event_retention()}; "
            f"events after #{pruned_through()} remain replayable."
        )
