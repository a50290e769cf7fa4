"""The back office's hazard page: the hazard with its timeline, photos and suggestions
(hazards.reports.selectors.hazard_get), every task with its after-photos and assignee, and the
reporter's answer. A fixed number of queries: the hazard's own (6), the tasks and their photos (2),
the answer (1)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch

from hazards.core import policy
from hazards.models import FixFeedback, Hazard, PhotoStatus, Status, Task, TaskPhoto, TaskStatus
from hazards.reports.selectors import hazard_get

OPEN_TASK = (TaskStatus.OFFERED, TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS)


@dataclass(frozen=True)
class HazardPage:
    hazard: Hazard
    tasks: list[Task]
    feedback: FixFeedback | None
    pending: Task | None  # the done task waiting for verification
    actions: dict[str, bool]


def _actions(user, hazard: Hazard, tasks: list[Task], pending: Task | None) -> dict[str, bool]:
    """What the page offers this user (the services decide again on every write)."""
    status = hazard.status
    return {
        "triage": status == Status.SUBMITTED and policy.can_triage(user, hazard, "accept"),
        "reject": status == Status.SUBMITTED and policy.can_triage(user, hazard, "reject"),
        "dispatch": status in (Status.TRIAGED, Status.REOPENED) and policy.can_dispatch(user, hazard),
        "verify": pending is not None and policy.can_verify(user, pending) and pending.assignee_id != user.pk,
        "reopen": status in (Status.RECTIFIED, Status.VERIFIED) and policy.can_reopen(user, hazard),
        "close": status == Status.VERIFIED and policy.can_close(user, hazard),
        "cancel": any(t.status in OPEN_TASK for t in tasks) and policy.can_dispatch(user, hazard),
        "contact": policy.can_see_contact(user, hazard),
    }


def hazard_page(*, user, hazard_id: int) -> HazardPage:
    hazard = hazard_get(user=user, hazard_id=hazard_id)  # 404 when not visible to this user
    ready = (
        TaskPhoto.objects.filter(status=PhotoStatus.READY)
        .select_related("reused_from_task__hazard")  # the proof warnings name the other fix
        .order_by("position", "id")
    )
    tasks = list(
        Task.objects.filter(hazard_id=hazard.pk)
        .select_related("assignee")
        .prefetch_related(Prefetch("photos", queryset=ready, to_attr="ready_photos"))
        .order_by("offered_at", "id")
    )
    for task in tasks:
        task.hazard = hazard
    pending = next((t for t in tasks if t.status == TaskStatus.DONE and t.verified_at is None), None)
    feedback = FixFeedback.objects.filter(hazard_id=hazard.pk).first()
    return HazardPage(hazard, tasks, feedback, pending, _actions(user, hazard, tasks, pending))
