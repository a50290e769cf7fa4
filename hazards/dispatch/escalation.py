"""Escalation, the every-minute beat job (`hazards.tasks.escalate_tasks`; `manage.py escalate` in
embedded mode): offers not accepted in time expire and go to the next candidate (or back to
triage), offers close to their accept deadline are reminded to their person, once, and accepted or
started tasks past their due time are flagged overdue, once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govern.live import publish, user_topic
from hazards import conf
from hazards.core import events
from hazards.core.locks import lock_hazard, lock_task
from hazards.dispatch.services import offer_to_next
from hazards.models import Hazard, Status, Task, TaskStatus


@dataclass
class EscalationOutcome:
    expired: int = 0
    reoffered: int = 0
    returned_to_triage: int = 0
    overdue: int = 0
    warned: int = 0


def tasks_escalate(*, now: dt.datetime | None = None) -> EscalationOutcome:
    """The beat job (every minute; `manage.py escalate` in embedded mode). Each hazard in its own
    transaction so one failure does not hold back the rest; safe to run concurrently (row locks,
    state re-checked under them)."""
    now = now or timezone.now()
    outcome = EscalationOutcome()
    hazard_ids = sorted(
        set(
            Task.objects.filter(status=TaskStatus.OFFERED, accept_deadline__lte=now).values_list("hazard_id", flat=True)
        )
    )
    for hazard_id in hazard_ids:
        _expire_offers(hazard_id=hazard_id, now=now, outcome=outcome)
    expiring = list(
        Task.objects.filter(
            status=TaskStatus.OFFERED,
            expiry_warned_at__isnull=True,
            accept_deadline__gt=now,
            accept_deadline__lte=now + conf.offer_expiry_warning(),
        )
        .order_by("hazard_id", "pk")
        .values_list("pk", flat=True)
    )
    for task_id in expiring:
        if task_warn_expiring(task_id=task_id, now=now):
            outcome.warned += 1
    due = list(
        Task.objects.filter(status__in=[TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS], overdue=False, due_at__lte=now)
        .order_by("hazard_id", "pk")
        .values_list("pk", flat=True)
    )
    for task_id in due:
        if task_flag_overdue(task_id=task_id, now=now):
            outcome.overdue += 1
    return outcome


@transaction.atomic
def task_warn_expiring(*, task_id: int, now: dt.datetime | None = None) -> bool:
    """Remind the person an offer waits for that it expires soon: once per offer (`task.expiring`)."""
    now = now or timezone.now()
    hazard, task = lock_task(task_id)
    if task.status != TaskStatus.OFFERED or task.expiry_warned_at is not None or task.accept_deadline <= now:
        return False
    task.expiry_warned_at = now
    task.save(update_fields=["expiry_warned_at", "updated_at"])
    task.hazard = hazard
    publish([user_topic(task.assignee_id)], "task.expiring", events.task_expiring(task, now=now))
    return True


@transaction.atomic
def _expire_offers(*, hazard_id: int, now, outcome: EscalationOutcome) -> None:
    hazard = lock_hazard(hazard_id)
    expired = list(
        Task.objects.select_for_update(no_key=True)
        .filter(hazard=hazard, status=TaskStatus.OFFERED, accept_deadline__lte=now)
        .order_by("pk")
    )
    for task in expired:
        task.status, task.ended_at = TaskStatus.EXPIRED, now
        task.reason = _("Not accepted in time.")
        task.save(update_fields=["status", "ended_at", "reason", "updated_at"])
        task.hazard = hazard
        publish(events.task_topics(task), "task.updated", events.task_changed(task))
        outcome.expired += 1
    if not expired:
        return
    new = offer_to_next(
        hazard=hazard,
        actor=None,
        now=now,
        note=_("Nobody accepted in time and nobody else is free; waiting for dispatch."),
    )
    outcome.reoffered += len(new)
    if not new and Hazard.objects.filter(pk=hazard.pk, status=Status.TRIAGED).exists():
        outcome.returned_to_triage += 1


@transaction.atomic
def task_flag_overdue(*, task_id: int, now: dt.datetime | None = None) -> bool:
    """Flag a task past its due time (once) and tell its grid, the dispatchers and the assignee."""
    now = now or timezone.now()
    hazard, task = lock_task(task_id)
    if task.overdue or task.status not in (TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS) or task.due_at > now:
        return False
    task.overdue = True
    task.save(update_fields=["overdue", "updated_at"])
    publish(events.task_topics(task), "task.overdue", events.task_overdue(task, now=now))
    publish(events.task_topics(task), "task.updated", events.task_changed(task))
    return True
