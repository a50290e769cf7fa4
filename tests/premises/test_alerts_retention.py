"""Retention of sensor alert history: old readings that changed nothing go, the hazards' history stays."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from hazards.premises.alerts.retention import alert_history_prune
from hazards.premises.models import AlertEvent, AlertKind
from hazards.premises.tasks import prune_alert_history
from tests.premises.alerts_fixtures import *  # noqa: F403 - the alert fixtures
from tests.premises.alerts_fixtures import alert

pytestmark = pytest.mark.django_db


def test_old_readings_that_changed_nothing_are_deleted(sensor_api, settings):
    settings.ALERT_HISTORY_RETENTION_DAYS = 30
    for value in (85, 86, 78, 70, 72, 90):  # raise, update, hold, clear, normal, raise
        assert alert(sensor_api, value=value).status_code in (200, 201)
    kinds = list(AlertEvent.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == ["raise", "update", "hold", "clear", "normal", "raise"]
    old = timezone.now() - timedelta(days=31)
    AlertEvent.objects.exclude(pk=AlertEvent.objects.order_by("-id").values("pk")[:1]).update(received_at=old)
    assert alert(sensor_api, value=91).json()["kind"] == "update"  # a recent reading

    assert prune_alert_history.apply().get() == 3  # the old update, hold and normal
    left = list(AlertEvent.objects.order_by("id").values_list("kind", flat=True))
    assert left == ["raise", "clear", "raise", "update"]
    assert alert_history_prune() == 0


def test_zero_keeps_everything(sensor_api, settings):
    settings.ALERT_HISTORY_RETENTION_DAYS = 0
    alert(sensor_api, value=85)
    alert(sensor_api, value=60)
    AlertEvent.objects.update(received_at=timezone.now() - timedelta(days=3650))
    assert alert_history_prune() == 0 and AlertEvent.objects.count() == 2
    assert set(AlertEvent.objects.values_list("kind", flat=True)) == {AlertKind.RAISE, AlertKind.CLEAR}
