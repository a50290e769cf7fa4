"""Reassigning an open task: the dispatcher (or the grid's worker) takes an offered, accepted or
in-progress task from its assignee and offers the hazard to someone they name, in one transaction.

Cancelling and dispatching separately would let the hazard slip in between: a cancel hands it to
the next ranked candidate (or back to triage), and someone else could accept before the named
person is offered it. Here the hazard stays locked from the cancel to the new offer; locks in the
one order (the hazard, then its task: hazards.core.locks.lock_task). The one-engaged-task and
one-live-task-per-person constraints still hold: the old task ends before the new one is created.

The hazard's status follows: a hazard being worked on goes in_progress → triaged → dispatched (the
same two steps a refused fix takes through reopened), an offered or accepted one stays dispatched.
The reason stays on the cancelled task, for the office and the old assignee; the public status
note only says the hazard went to another responder.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govern.errors import Conflict, NotFound, PermissionDenied
from hazards.core import policy
from hazards.core.clean import clean_text
from hazards.core.lifecycle import hazard_transition
from hazards.core.locks import lock_task
from hazards.dispatch.services import _named_assignee, _offer, _publish_updated, _refuse_status
from hazards.models import Status, Task, TaskStatus

OPEN_TASK = (TaskStatus.OFFERED, TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS)


@transaction.atomic
def task_reassign(*, task_id: int, actor, assignee_id, reason: str, now: dt.datetime | None = None) -> Task:
    """Withdraw an open task and offer its hazard to `assignee_id` (the grid's worker or an approved
    volunteer under their limit, as for a named dispatch). Returns the new offer. A reason is
    required; the same person again is a 409; a task no longer open is a 409 saying what it is."""
    now = now or timezone.now()
    hazard, task = lock_task(task_id)
    if actor is None or not policy.can_view(actor, hazard):
        raise NotFound(_("No task with this id."))
    if not policy.can_dispatch(actor, hazard):
        raise PermissionDenied(_("Only dispatchers and this grid's workers may reassign a task."))
    _refuse_status(task, *OPEN_TASK)
    reason = clean_text(reason, field="reason", required=True, message=_("Say why the task is reassigned."))
    if str(assignee_id).strip() == str(task.assignee_id):
        raise Conflict(_("This task is already with this person; choose someone else."), code="same_assignee")
    was_started = task.status == TaskStatus.IN_PROGRESS
    task.status, task.ended_at, task.reason = TaskStatus.CANCELLED, now, reason
    task.save(update_fields=["status", "ended_at", "reason", "updated_at"])
    _publish_updated(task)
    # Validated after the old task ended (it no longer counts against anyone); a refusal here
    # rolls the cancellation back with it.
    user_id, kind, distance = _named_assignee(hazard, assignee_id)
    moved = _("The hazard went to another responder.")
    if was_started and hazard.status == Status.IN_PROGRESS:
        hazard_transition(hazard_id=hazard.pk, actor=actor, to_status=Status.TRIAGED, note=moved)
        hazard = hazard_transition(hazard_id=hazard.pk, actor=actor, to_status=Status.DISPATCHED, note=moved)
    elif hazard.status != Status.DISPATCHED:
        hazard = hazard_transition(hazard_id=hazard.pk, actor=actor, to_status=Status.DISPATCHED, note=moved)
    return _offer(
        hazard=hazard,
        user_id=user_id,
        kind=kind,
        actor=actor,
        now=now,
        distance_m=distance,
        instructions=task.instructions,
    )
