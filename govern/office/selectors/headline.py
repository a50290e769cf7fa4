"""The dashboard's headline numbers, right now (not over the chosen period):

- open: hazards not yet closed, rejected or merged as duplicates;
- overdue: tasks still open (accepted, in progress, or done but not yet verified) that escalation
  flagged overdue;
- fixed this week: hazards with a `→ rectified` event since Monday 00:00 (site time), each once;
- satisfaction: the share of residents' ratings of a fix that were satisfied, over the last 90
  days — None while residents have given none (the ratings are collected on the tracking page).

Three queries, whatever the number of hazards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from hazards.models import OPEN_STATUSES, Hazard, HazardEvent, Severity, Status, Task, TaskStatus

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
    satisfaction_percent: int | None = None
    ratings: int = 0


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
    return Headline(
        open=counts["open"],
        open_critical=counts["critical"],
        overdue=overdue,
        fixed_this_week=fixed,
        week_start=start,
    )
