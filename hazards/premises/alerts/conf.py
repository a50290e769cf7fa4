"""Settings of sensor alerts, each overridable in Django settings under the same name."""

from __future__ import annotations

from django.conf import settings


def default_category() -> str:
    """The hazard category of an alert whose metric no rule names."""
    return getattr(settings, "ALERTS_DEFAULT_CATEGORY", "other")


def max_sensors_per_premises() -> int:
    """Auto-registration stops here: a gateway inventing sensor ids cannot fill the table."""
    return getattr(settings, "ALERTS_MAX_SENSORS_PER_PREMISES", 500)


def value_limit() -> float:
    """|value| and |threshold| above this are refused as implausible (no physical metric needs more)."""
    return getattr(settings, "ALERTS_VALUE_LIMIT", 1e9)
