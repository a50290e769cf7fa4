"""`manage.py alert_key_issue <premises code or id> [--name N]`: issue an enterprise sensor key.

The raw key is printed once and never stored (only its SHA-256). Revoke it by deactivating the
API client in the admin.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from govern.errors import DomainError
from hazards.premises.alerts.services import enterprise_key_issue
from hazards.premises.models import Premises


class Command(BaseCommand):
    help = "Issue an API key for an enterprise's sensors (POST /api/v1/alerts/); printed once."

    def add_arguments(self, parser):
        parser.add_argument("premises", help="the enterprise's register code (or its id)")
        parser.add_argument("--name", default="", help="a name for the key (default: the enterprise's name)")

    def handle(self, *args, premises: str, name: str = "", **options):
        found = Premises.objects.filter(code=premises).first()
        if found is None and premises.isdigit():
            found = Premises.objects.filter(pk=int(premises)).first()
        if found is None:
            raise CommandError(f"No premises with code or id {premises!r}.")
        try:
            key, raw = enterprise_key_issue(premises_id=found.pk, name=name)
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(f"Sensor key for {found.name} ({found.code}), shown once:")
        self.stdout.write(raw)
