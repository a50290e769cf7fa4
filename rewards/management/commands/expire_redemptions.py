"""`python manage.py expire_redemptions`: what the beat job does, for embedded mode (cron it)."""

from django.core.management.base import BaseCommand

from rewards.redemptions import redemptions_expire_due


class Command(BaseCommand):
    help = "Expire overdue issued redemption codes and refund their points and stock (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None, help="at most this many codes per batch")

    def handle(self, *args, limit=None, **options):
        total = 0
        while True:
            done = redemptions_expire_due(limit=limit)
            total += done
            if done == 0 or limit:
                break
        self.stdout.write(f"Expired {total} redemption(s).")
