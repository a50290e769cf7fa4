"""How long a task may take, and how long it took: the SLA clock and the service minutes credited."""

from __future__ import annotations

import datetime as dt
import math

from hazards import conf
from hazards.models import Hazard, Task


def sla_times(hazard: Hazard, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """(accept deadline, due time) from the category's SLA scaled by the hazard's severity."""
    factor = float(conf.severity_sla_factor().get(hazard.severity, 1.0))
    category = hazard.category
    accept = max(float(conf.min_accept_minutes()), category.sla_accept_minutes * factor)
    rectify = max(accept, category.sla_rectify_minutes * factor)
    return now + dt.timedelta(minutes=accept), now + dt.timedelta(minutes=rectify)


def service_minutes(task: Task) -> int:
    """A volunteer's credited minutes for a verified task: from acceptance (or the offer) to
    completion, at least 1, at most HAZARD_SERVICE_MINUTES_CAP."""
    begun = task.accepted_at or task.offered_at
    minutes = math.ceil(max(0.0, (task.completed_at - begun).total_seconds()) / 60)
    return max(1, min(minutes, conf.service_minutes_cap()))
