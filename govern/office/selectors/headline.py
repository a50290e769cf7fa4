"""The dashboard's headline numbers, right now (not over the chosen period):

- open: hazards not yet closed, rejected or merged as duplicates;
- overdue: tasks still open (accepted, in progress, or done but not yet verified) that escalation
  flagged overdue;
- fixed this week: hazards with a `→ rectified` event since Monday 00:00 (site time), each once;
- satisfaction: the mean of the stars (1–5) residents gave the fixes they confirmed on the
  tracking page over the last 90 days (the dashboard table's "average satisfaction", district-wide
  and over a rolling window) — None while residents have rated none.

Four queries, whatever the number of hazards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import Avg, Count, Q
from django.utils import timezone

from hazards.models import OPEN_STATUSES, FixFeedback, Hazard, HazardEvent, Severity, Status, Task, TaskStatus

OPEN_TASK = Q(status__in=[TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS]) | Q(
    status=TaskStatus.DONE, verified_at__isnull=True
)


@dataclass(frozen=True)
class Headline:
    open: int
    open_critical: int
    overdue: int
    fixed_this_week: int
    week_start: datetime
    satisfaction: float | None = None  # mean stars, one decimal
    ratings: int = 0


RATING_WINDOW = timedelta(days=90)


def week_start(now: datetime) -> datetime:
    local = timezone.localtime(now)
    monday = local.date() - timedelta(days=local.weekday())
    return timezone.make_aware(datetime.combine(monday, time.min), local.tzinfo)


def headline(*, now: datetime | None = None) -> Headline:
    now = now or timezone.now()
    start = week_start(now)
    counts = Hazard.objects.filter(status__in=list(OPEN_STATUSES)).aggregate(
        open=Count("id"), critical=Count("id", filter=Q(severity=Severity.CRITICAL))
    )
    overdue = Task.objects.filter(OPEN_TASK, overdue=True).count()
    fixed = (
        HazardEvent.objects.filter(to_status=Status.RECTIFIED, created_at__gte=start, created_at__lte=now)
        .values("hazard_id")
        .distinct()
        .count()
    )
    rated = FixFeedback.objects.filter(fixed=True, created_at__gt=now - RATING_WINDOW, created_at__lte=now).aggregate(
        n=Count("id"), mean=Avg("stars")
    )
    return Headline(
        open=counts["open"],
        open_critical=counts["critical"],
        overdue=overdue,
        fixed_this_week=fixed,
        week_start=start,
        satisfaction=None if rated["mean"] is None else round(float(rated["mean"]), 1),
        ratings=rated["n"],
    )
