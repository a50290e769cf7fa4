"""Settings of sensor alerts, each overridable in Django settings under the same name."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def default_category() -> str:
    """The hazard category of an alert whose metric no rule names."""
    return getattr(settings, "ALERTS_DEFAULT_CATEGORY", "other")


def max_sensors_per_premises() -> int:
    """Auto-registration stops here: a gateway inventing sensor ids cannot fill the table."""
    return getattr(settings, "ALERTS_MAX_SENSORS_PER_PREMISES", 500)


def value_limit() -> float:
    """|value| and |threshold| above this are refused as implausible (no physical metric needs more)."""
    return getattr(settings, "ALERTS_VALUE_LIMIT", 1e9)


def clear_margin_percent() -> float:
    """The clear band of rules that set none (and of metrics with no rule), in percent of |threshold|:
    an open hazard clears only once the reading is back inside the threshold by this much."""
    from hazards.premises.models.alerts import CLEAR_MARGIN_MAX

    value = getattr(settings, "ALERTS_CLEAR_MARGIN_PERCENT", 5.0)
    try:
        value = float(value)
    except (TypeError, ValueError):
        value = -1.0
    if not 0 <= value <= CLEAR_MARGIN_MAX:
        raise ImproperlyConfigured(f"ALERTS_CLEAR_MARGIN_PERCENT must be a number from 0 to {CLEAR_MARGIN_MAX}.")
    return value
