"""What a sensor measures, in words: the metric names gateways send, labelled for people.

A gateway names its metric freely ("temperature", "gas_ppm"); the pages show the label when the
metric is one of these and the raw name, marked as a code, when it is not.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

METRIC_LABELS = {
    "temperature": _("temperature"),
    "vibration": _("vibration"),
    "gas_ppm": _("combustible gas"),
    "co_ppm": _("carbon monoxide"),
    "oxygen_percent": _("oxygen"),
    "smoke": _("smoke"),
    "pressure": _("pressure"),
    "humidity": _("humidity"),
    "water_level": _("water level"),
    "current": _("electric current"),
}


def metric_label(metric: str) -> str:
    """The label of a known metric, or "" for one the pages show as sent."""
    label = METRIC_LABELS.get(metric.strip().lower())
    return str(label) if label else ""
