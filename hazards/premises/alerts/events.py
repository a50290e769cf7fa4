"""The `sensor.alert` payload (docs/events.md); the alert API answers with the same hazard fields."""

from __future__ import annotations

from hazards.core.events import hazard_fields
from hazards.models import Hazard
from hazards.premises.models import AlertEvent, Premises, Sensor

# The hazard an alert raised, updated or cleared.
ALERT_HAZARD = ("id", "tracking_code", "status", "severity")


def alert_hazard(hazard: Hazard | None) -> dict | None:
    return hazard_fields(hazard, ALERT_HAZARD) if hazard is not None else None


def alert_payload(*, event: AlertEvent, sensor: Sensor, premises: Premises, hazard: Hazard | None) -> dict:
    return {
        "id": event.pk,
        "kind": event.kind,
        "premises": premises.pk,
        "premises_name": premises.name,
        "sensor": sensor.pk,
        "sensor_id": sensor.sensor_id,
        "label": sensor.label,
        "metric": sensor.metric,
        "unit": sensor.unit,
        "value": event.value,
        "threshold": event.threshold,
        "severity": event.severity or None,
        "message": event.message,
        "hazard": alert_hazard(hazard),
        "grid": premises.grid_id,
        "received_at": event.received_at.isoformat(),
    }
