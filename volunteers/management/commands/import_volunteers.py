"""`python manage.py import_volunteers roster.csv [--partial] [--as USERNAME]`: import a CSV roster.

Same rules as the admin import (volunteers.roster): all rows are checked first; without --partial
nothing is imported if any row is bad. Exits with status 1 when rows were rejected.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from govern.models import User
from govern.roles import is_dispatcher
from volunteers.roster import roster_import


class Command(BaseCommand):
    help = "Import volunteers from a CSV roster (see volunteers/roster.py for the columns)."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--partial", action="store_true", help="import the valid rows even if some rows are bad")
        parser.add_argument(
            "--as", dest="actor", default="admin", help="dispatcher recorded as the approver (default admin)"
        )

    def handle(self, *args, path: str, partial: bool, actor: str, **options):
        user = User.objects.filter(username=actor).first()
        if user is None or not is_dispatcher(user):
            raise CommandError(f"--as {actor}: no such dispatcher (a superuser or a member of the dispatcher role).")
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        report = roster_import(data=data, actor=user, partial=partial)
        for error in report.errors:
            self.stderr.write(f"line {error.line} {error.username}: " + "; ".join(error.messages))
        self.stdout.write(report.summary())
        if report.errors:
            raise SystemExit(1)
