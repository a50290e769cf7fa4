"""The back office's hazard page: the hazard with its timeline, photos and suggestions
(hazards.reports.selectors.hazard_get), every task with its after-photos and assignee, and the
reporter's answer, and its premises: the one it is linked to and the ones nearby to link it to.
A fixed number of queries: the hazard's own (6), the tasks and their photos (2), the answer and its photos (2),
the premises link (1), the premises nearby (1) and the one the reporter named (1, when they did)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch

from hazards.core import policy
from hazards.models import FeedbackPhoto, FixFeedback, Hazard, PhotoStatus, Status, Task, TaskPhoto, TaskStatus
from hazards.premises.linking import NearbyPremises, premises_near
from hazards.premises.models import Premises, PremisesHazard
from hazards.premises.selectors import visible_premises
from hazards.reports.selectors import hazard_get

OPEN_TASK = (TaskStatus.OFFERED, TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS)


@dataclass(frozen=True)
class HazardPage:
    hazard: Hazard
    tasks: list[Task]
    feedback: FixFeedback | None
    pending: Task | None  # the done task waiting for verification
    actions: dict[str, bool]
    premises_link: PremisesHazard | None
    nearby_premises: list[NearbyPremises]  # to link it to (empty when the user may not link)
    premises_hint: Premises | None  # the premises the reporter named, when the user sees it


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
        "reassign": any(t.status in OPEN_TASK for t in tasks) and policy.can_dispatch(user, hazard),
        # Merging stays possible after triage, until someone is sent (the lifecycle's rule).
        "duplicate": status in (Status.SUBMITTED, Status.TRIAGED) and policy.can_triage(user, hazard, "duplicate"),
        "contact": policy.can_see_contact(user, hazard),
        "premises": policy.can_dispatch(user, hazard),
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
    feedback = (
        FixFeedback.objects.filter(hazard_id=hazard.pk)
        .prefetch_related(Prefetch("photos", queryset=_ready_answer_photos(), to_attr="ready_photos"))
        .first()
    )
    actions = _actions(user, hazard, tasks, pending)
    link = PremisesHazard.objects.select_related("premises", "premises__type").filter(hazard_id=hazard.pk).first()
    nearby, hint = [], None
    if actions["premises"]:
        scope = visible_premises(user)
        nearby = premises_near(latitude=hazard.latitude, longitude=hazard.longitude, queryset=scope)
        hint_id = _hint_id(hazard)
        if hint_id is not None:
            hint = next((n.premises for n in nearby if n.premises.pk == hint_id), None)
            hint = hint or scope.select_related("type").filter(pk=hint_id).first()
    return HazardPage(hazard, tasks, feedback, pending, actions, link, nearby, hint)


def _ready_answer_photos():
    return FeedbackPhoto.objects.filter(status=PhotoStatus.READY).order_by("position", "id")


def _hint_id(hazard: Hazard) -> int | None:
    """The premises the reporter named on the form (hazards.reports keeps it in client_data)."""
    raw = (hazard.client_data or {}).get("premises_hint")
    return raw if isinstance(raw, int) and raw > 0 else None
