"""`python manage.py import_premises register.csv [--as USERNAME]`: import the premises register.

Same rules as the /premises/import/ page (hazards.premises.imports): every row is checked first and
nothing is imported if any row is bad; rows whose code is registered update that premises.
Exits with status 1 when the file was refused.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from govern.models import User
from hazards.premises.imports import premises_import
from hazards.premises.policy import can_manage


class Command(BaseCommand):
    help = "Import premises from a CSV register (see hazards/premises/imports.py for the columns)."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument(
            "--as", dest="actor", default="admin", help="dispatcher recorded as the importer (default admin)"
        )

    def handle(self, *args, path: str, actor: str, **options):
        user = User.objects.filter(username=actor).first()
        if user is None or not can_manage(user):
            raise CommandError(f"--as {actor}: no such dispatcher (a superuser or a member of the dispatcher role).")
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        report = premises_import(data=data, actor=user)
        for error in report.errors:
            self.stderr.write(f"line {error.line} {error.code}: " + "; ".join(error.messages))
        self.stdout.write(report.summary())
        if not report.committed:
            raise SystemExit(1)
