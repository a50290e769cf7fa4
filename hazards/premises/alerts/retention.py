"""Retention of sensor alert history (beat job `hazards.premises.tasks.prune_alert_history`).

A gateway reporting every minute writes half a million rows a year per sensor, almost all of them
readings that changed nothing. Those (kinds normal, hold, update) are deleted once older than
ALERT_HISTORY_RETENTION_DAYS (90; 0 keeps everything). Raises, clears and releases stay: they are
the hazards' history, and whether a sensor raised a hazard is read from them.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hazards.premises.models import AlertEvent, AlertKind

PRUNED_KINDS = (AlertKind.NORMAL, AlertKind.HOLD, AlertKind.UPDATE)


def alert_history_prune(*, now=None, batch_size: int = 5000) -> int:
    """Delete old readings that changed nothing, in batches; returns how many."""
    days = int(getattr(settings, "ALERT_HISTORY_RETENTION_DAYS", 90))
    if days <= 0:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(
                AlertEvent.objects.filter(received_at__lt=cutoff, kind__in=PRUNED_KINDS)
                .order_by("id")
                .values_list("id", flat=True)[:batch_size]
            )
            if not ids:
                return deleted
            deleted += AlertEvent.objects.filter(id__in=ids).delete()[0]
