"""A sensor alert as posted, checked: each value cleaned or an InvalidInput naming the field."""

from __future__ import annotations

import math
import re

from django.utils.translation import gettext as _

from govern.errors import InvalidInput
from hazards.premises.alerts import conf
from hazards.premises.models.alerts import SENSOR_ID_MAX

SENSOR_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/\-]{0,63}$")  # SENSOR_ID_MAX characters
METRIC_RE = re.compile(r"^[a-z][a-z0-9_.\-]{0,39}$")
MESSAGE_MAX = 500


def _clean_number(raw, field: str) -> float:
    if isinstance(raw, bool) or raw is None or raw == "":
        raise InvalidInput(_("%(field)s is required and must be a number.") % {"field": field}, field=field)
    try:
        value = float(raw)
    except (TypeError, ValueError, OverflowError):
        raise InvalidInput(_("%(field)s must be a number.") % {"field": field}, field=field) from None
    limit = conf.value_limit()
    if not math.isfinite(value) or abs(value) > limit:
        raise InvalidInput(
            _("%(field)s must be a finite number between -%(limit)g and %(limit)g.") % {"field": field, "limit": limit},
            field=field,
        )
    return value


def clean_alert(*, sensor_id, metric, value, threshold, message) -> tuple[str, str, float, float, str]:
    sensor_id = str(sensor_id if sensor_id is not None else "").strip()
    if not sensor_id:
        raise InvalidInput(_("sensor_id is required."), field="sensor_id")
    if not SENSOR_ID_RE.match(sensor_id):
        raise InvalidInput(
            _(
                "sensor_id must be 1-%(max)d characters: letters, digits and _ . : / - (starting with a letter or digit)."
            )
            % {"max": SENSOR_ID_MAX},
            field="sensor_id",
        )
    metric = str(metric if metric is not None else "").strip().lower()
    if not metric:
        raise InvalidInput(_("metric is required."), field="metric")
    if not METRIC_RE.match(metric):
        raise InvalidInput(
            _(
                "metric must be a name like temperature or gas_ppm: up to 40 lower-case letters, digits and _ . - starting with a letter."
            ),
            field="metric",
        )
    value = _clean_number(value, "value")
    threshold = _clean_number(threshold, "threshold")
    message = str(message or "").strip()
    if len(message) > MESSAGE_MAX:
        raise InvalidInput(
            _("message is too long: at most %(max)d characters.") % {"max": MESSAGE_MAX}, field="message"
        )
    return sensor_id, metric, value, threshold, message
