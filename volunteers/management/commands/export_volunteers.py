"""`python manage.py export_volunteers [--status approved] [-o file.csv]`: the roster as CSV (importable back)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from volunteers.models import Volunteer, VolunteerStatus
from volunteers.roster import roster_csv


class Command(BaseCommand):
    help = "Export volunteers as CSV in the roster import's format."

    def add_arguments(self, parser):
        parser.add_argument("--status", choices=VolunteerStatus.values)
        parser.add_argument("-o", "--output", help="file to write (default: stdout)")

    def handle(self, *args, status=None, output=None, **options):
        queryset = Volunteer.objects.order_by("id")
        if status:
            queryset = queryset.filter(status=status)
        text = roster_csv(queryset)
        if output:
            with open(output, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
        else:
            self.stdout.write(text, ending="")
