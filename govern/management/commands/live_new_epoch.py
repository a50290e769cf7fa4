"""`python manage.py live_new_epoch`: after restoring the database from a backup.

Starts a new live-stream epoch (govern.live_epoch): every client that saw events of the lost
history is told to resync (pages reload) instead of silently missing the events that reuse their
ids. `migrate` does this by itself when the backup went into a fresh database; run this after a
restore over the same database (deploy/restore.sh always does).
"""

from django.core.management.base import BaseCommand

from govern.live_epoch import epoch_base, start_new_epoch


class Command(BaseCommand):
    help = "Start a new live-event epoch (after a database restore): clients resync instead of missing events."

    def add_arguments(self, parser):
        parser.add_argument("--reason", default="manage.py live_new_epoch")

    def handle(self, *args, reason: str, **options):
        epoch = start_new_epoch(reason=reason)
        self.stdout.write(f"Live stream epoch {epoch}: event ids continue after {epoch_base(epoch)}.")
