"""The board's queues that close the loop (issue 18): fixes waiting for verification, and reports
whose reporter says the fix did not work.

- to verify: hazards `rectified` with a done, unverified task. Each card: the report photos and
  the after-photos with their proof warnings (hazards.dispatch.proof), the completion note, the
  assignee, the time from accept to done.
- reopen requested: the reporter answered "not fixed" (FixFeedback.fixed = False) and the hazard
  is still rectified or verified, not reopened since: a dispatcher decides (reopen, or close
  anyway); it leaves the queue when the hazard moves on.
- offers expired: hazards waiting for dispatch (triaged or reopened) whose latest offer nobody
  accepted in time (escalation expired it and found nobody else free). Each card offers it again
  to the same responder or to the best candidate, in one click (hazards.dispatch.services).

A fixed number of queries however long the queues: to verify 3 (the tasks with hazard, category,
grid and assignee; the report photos; the after-photos), reopen requested 2 (the answers; their
photos), offers expired 1.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Subquery

from hazards.models import (
    FeedbackPhoto,
    FixFeedback,
    Hazard,
    HazardEvent,
    HazardPhoto,
    PhotoStatus,
    Status,
    Task,
    TaskPhoto,
    TaskStatus,
)

QUEUE_LIMIT = 100
REOPEN_FROM = (Status.RECTIFIED, Status.VERIFIED)
WAITING_FOR_DISPATCH = (Status.TRIAGED, Status.REOPENED)


@dataclass(frozen=True)
class ToVerify:
    hazard: Hazard
    task: Task
    report_photos: list[HazardPhoto]
    after_photos: list[TaskPhoto]

    @property
    def work_minutes(self) -> int | None:
        """Minutes from accept to done (None when the task was never accepted, e.g. imported)."""
        if self.task.accepted_at is None or self.task.completed_at is None:
            return None
        return max(0, round((self.task.completed_at - self.task.accepted_at) / dt.timedelta(minutes=1)))


def _ready(model):
    return model.objects.filter(status=PhotoStatus.READY).order_by("position", "id")


def to_verify(*, grid_ids: frozenset[int] | None = None, limit: int = QUEUE_LIMIT) -> list[ToVerify]:
    """Done, unverified tasks of rectified hazards, oldest fix first (`grid_ids`: only those grids)."""
    tasks = (
        Task.objects.filter(status=TaskStatus.DONE, verified_at__isnull=True, hazard__status=Status.RECTIFIED)
        .select_related("hazard__category", "hazard__grid", "hazard__community", "assignee")
        .prefetch_related(
            Prefetch("hazard__photos", queryset=_ready(HazardPhoto), to_attr="ready_photos"),
            Prefetch(
                "photos",
                queryset=_ready(TaskPhoto).select_related("reused_from_task__hazard"),
                to_attr="ready_photos",
            ),
        )
        .order_by("completed_at", "id")
    )
    if grid_ids is not None:
        tasks = tasks.filter(hazard__grid_id__in=sorted(grid_ids))
    return [ToVerify(t.hazard, t, t.hazard.ready_photos, t.ready_photos) for t in tasks[:limit]]


def reopen_requested(*, limit: int = QUEUE_LIMIT) -> list[FixFeedback]:
    """The reporters' "not fixed" answers still waiting for a dispatcher, oldest first: a hazard
    reopened since the answer (a refused fix, a reopen) has had its answer."""
    reopened_since = HazardEvent.objects.filter(
        hazard_id=OuterRef("hazard_id"), to_status=Status.REOPENED, created_at__gte=OuterRef("created_at")
    )
    return list(
        FixFeedback.objects.filter(fixed=False, hazard__status__in=REOPEN_FROM)
        .exclude(Exists(reopened_since))
        .select_related("hazard__category", "hazard__grid", "hazard__community")
        .prefetch_related(Prefetch("photos", queryset=_ready(FeedbackPhoto), to_attr="ready_photos"))
        .order_by("created_at", "id")[:limit]
    )


def offers_expired(*, limit: int = QUEUE_LIMIT) -> list[Task]:
    """The expired offers that are their hazard's latest task while the hazard waits for dispatch,
    longest waiting first (a later offer, accepted or not, takes the hazard out of this queue)."""
    latest = Task.objects.filter(hazard_id=OuterRef("hazard_id")).order_by("-offered_at", "-id").values("pk")[:1]
    return list(
        Task.objects.filter(status=TaskStatus.EXPIRED, hazard__status__in=WAITING_FOR_DISPATCH, pk=Subquery(latest))
        .select_related("hazard__category", "hazard__grid", "hazard__community", "assignee")
        .order_by("ended_at", "id")[:limit]
    )
