"""The grid worker's queue (/grid/): the open reports of the grids they work, and what
hazards.core.policy lets them do there, no more — accept or mark duplicate at triage, dispatch
(from the candidates), verify low-severity fixes. Reads only; the page is hazards.triage.grid_views.

A fixed number of queries however many reports: the worker's grids (1), the hazards with
category and grid (1), their first photos (1), the fixes waiting for verification with their
assignees (1) and after-photos (1).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from govern.errors import NotFound
from hazards.core import policy
from hazards.models import OPEN_STATUSES, Hazard, HazardPhoto, PhotoStatus, Status, Task, TaskPhoto, TaskStatus

QUEUE_LIMIT = 200
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}


@dataclass(frozen=True)
class GridCard:
    hazard: Hazard
    pending: Task | None  # a done task waiting for verification
    can_triage: bool
    can_merge: bool  # mark it a duplicate: at triage and after, until someone is sent
    can_dispatch: bool
    can_verify: bool


def _ready(model):
    return model.objects.filter(status=PhotoStatus.READY).order_by("position", "id")


def grid_queue(*, user, limit: int = QUEUE_LIMIT) -> list[GridCard]:
    """Open reports in the user's grids, gravest first, then oldest (empty for anyone without grids)."""
    grids = policy.owned_grid_ids(user)
    if not grids:
        return []
    hazards = list(
        Hazard.objects.filter(grid_id__in=sorted(grids), status__in=sorted(OPEN_STATUSES))
        .select_related("category", "grid")
        .prefetch_related(Prefetch("photos", queryset=_ready(HazardPhoto), to_attr="ready_photos"))
        .order_by("created_at", "id")[:limit]
    )
    rectified = [h.pk for h in hazards if h.status == Status.RECTIFIED]
    pending = {
        t.hazard_id: t
        for t in Task.objects.filter(hazard_id__in=rectified, status=TaskStatus.DONE, verified_at__isnull=True)
        .select_related("assignee")
        .prefetch_related(
            Prefetch(
                "photos", queryset=_ready(TaskPhoto).select_related("reused_from_task__hazard"), to_attr="ready_photos"
            )
        )
    }
    cards = []
    for hazard in sorted(hazards, key=lambda h: (SEVERITY_ORDER.get(h.severity, 9), h.created_at, h.pk)):
        task = pending.get(hazard.pk)
        if task is not None:
            task.hazard = hazard
        cards.append(
            GridCard(
                hazard=hazard,
                pending=task,
                can_triage=hazard.status == Status.SUBMITTED and policy.can_triage(user, hazard, "accept"),
                can_merge=hazard.status in (Status.SUBMITTED, Status.TRIAGED)
                and policy.can_triage(user, hazard, "duplicate"),
                can_dispatch=hazard.status in (Status.TRIAGED, Status.REOPENED) and policy.can_dispatch(user, hazard),
                can_verify=task is not None and policy.can_verify(user, task) and task.assignee_id != user.pk,
            )
        )
    return cards


def grid_hazard(*, user, hazard_id: int) -> Hazard:
    """A hazard in one of the user's grids; another grid's (or none) is 404."""
    hazard = Hazard.objects.select_related("grid", "category").filter(pk=hazard_id).first()
    if hazard is None or not policy.works_grid(user, hazard):
        raise NotFound(_("No report with this id in your grids."))
    return hazard
