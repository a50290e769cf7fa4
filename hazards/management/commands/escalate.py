"""`manage.py escalate`: the dispatch escalation pass (the beat job's service) run once, or every
minute with --loop for embedded mode, where no Celery beat runs."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from hazards.dispatch.escalation import tasks_escalate


class Command(BaseCommand):
    help = "Expire offers past their accept deadline (re-offering the hazard) and flag past-due tasks overdue."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="run every --interval seconds until interrupted")
        parser.add_argument("--interval", type=int, default=60)

    def handle(self, *args, loop=False, interval=60, **options):
        while True:
            outcome = tasks_escalate()
            self.stdout.write(
                f"expired {outcome.expired}, re-offered {outcome.reoffered}, "
                f"back to triage {outcome.returned_to_triage}, reminded {outcome.warned}, newly overdue {outcome.overdue}"
            )
            if not loop:
                return
            time.sleep(max(5, interval))
