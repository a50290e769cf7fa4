"""Writes on the live outbox other than publish: retention."""

from __future__ import annotations

from django.db import transaction

from govern.live import retention_cutoff
from govern.models import LiveEvent


@transaction.atomic
def live_events_prune() -> int:
    """Delete events older than the retention window; returns how many went."""
    deleted, _per_model = LiveEvent.objects.filter(created_at__lt=retention_cutoff()).delete()
    return deleted
