"""Every write of a task but its photos and escalation. Keyword-only, atomic; lock order hazard →
task (then tasks by id), as everywhere (hazards.core).

Hazard statuses move in step through `hazards.core.lifecycle.hazard_transition` (which writes the
timeline and publishes `hazard.status_changed`):

    offer → dispatched · start → in_progress · complete → rectified · verify → verified
    refuse → reopened → in_progress (back to the assignee) · last offer lost → triaged

Live events (docs/events.md §10 "dispatch"): `task.offered` to the assignee; `task.updated` to the
assignee, the hazard's grid and the dispatchers on every change (payloads: hazards.core.events).
Points are queued on commit (govern.task_outbox); after-photos are re-encoded by
hazards.dispatch.photos and escalation lives in hazards.dispatch.escalation.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govern.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from govern.live import DISPATCH_TOPIC, grid_topic, publish, user_topic
from govern.media.checks import check_uploads
from govern.media.pending import pending_rows
from govern.media.writer import PhotoWriter
from govern.models import User
from govern.roles import is_dispatcher
from govern.task_outbox import enqueue_on_commit, send_after_commit
from hazards import conf
from hazards.core import events, policy
from hazards.core.clean import NOTE_MAX, clean_text
from hazards.core.lifecycle import hazard_transition
from hazards.core.locks import lock_hazard, lock_task
from hazards.dispatch.candidates import Candidate, busy_counts, rank_candidates
from hazards.dispatch.timing import service_minutes, sla_times
from hazards.models import (
    ENGAGED_TASK_Q,
    LIVE_TASK_Q,
    AssigneeKind,
    Hazard,
    PhotoStatus,
    Status,
    Task,
    TaskPhoto,
    TaskStatus,
)
from volunteers.models import Volunteer, VolunteerStatus
from volunteers.service_records import service_record_create

logger = logging.getLogger(__name__)

# Where a hazard may be when someone is offered it.
DISPATCHABLE = (Status.TRIAGED, Status.REOPENED, Status.DISPATCHED)


# --- helpers ---------------------------------------------------------------------------------------


def _publish_updated(task: Task) -> None:
    publish(events.task_topics(task), "task.updated", events.task_changed(task))


def _own(task: Task, actor) -> None:
    if actor is None or task.assignee_id != actor.pk:
        if policy.can_dispatch(actor, task.hazard):
            raise PermissionDenied(_("Only the person this task was given to can do this."))
        raise NotFound(_("No task with this id."))


def _refuse_status(task: Task, *expected: str) -> None:
    if task.status in expected:
        return
    label = TaskStatus(task.status).label
    if task.status == TaskStatus.CANCELLED and task.reason:
        message = _("This task was cancelled: %(reason)s") % {"reason": task.reason}
    elif task.status == TaskStatus.EXPIRED:
        message = _("This offer expired: the hazard has been offered to someone else.")
    else:
        message = _("This task is %(status)s; that cannot be done now.") % {"status": label}
    raise Conflict(message, code="task_state")


# --- offering --------------------------------------------------------------------------------------


def _offer(*, hazard: Hazard, user_id: int, kind: str, actor, now, distance_m=None, instructions="") -> Task:
    accept_deadline, due_at = sla_times(hazard, now)
    try:
        with transaction.atomic():
            task = Task.objects.create(
                hazard=hazard,
                assignee_id=user_id,
                assignee_kind=kind,
                offered_by=actor if actor else None,
                distance_m=distance_m,
                offered_at=now,
                accept_deadline=accept_deadline,
                due_at=due_at,
                instructions=instructions,
            )
    except IntegrityError:
        raise Conflict(_("This person already holds a live task for this hazard."), code="already_offered")
    task.hazard = hazard
    data = events.task_changed(task)
    publish([user_topic(user_id)], "task.offered", data)
    publish([grid_topic(hazard.grid_id), DISPATCH_TOPIC], "task.updated", data)
    return task


def _named_assignee(hazard: Hazard, assignee_id) -> tuple[int, str, float | None]:
    """Validate an assignee chosen by the dispatcher: the grid's worker or an approved volunteer
    under their task limit without a live task on this hazard."""
    try:
        assignee_id = int(assignee_id)
    except (TypeError, ValueError):
        raise InvalidInput(_("assignee must be a user id."), field="assignee")
    user = User.objects.filter(pk=assignee_id, is_active=True).first()
    if user is None:
        raise InvalidInput(_("No active user with this id."), field="assignee")
    if hazard.grid.workers.filter(pk=user.pk).exists():
        kind, limit = AssigneeKind.GRID_WORKER, conf.grid_worker_max_active_tasks()
    else:
        volunteer = Volunteer.objects.filter(user_id=user.pk).first()
        if volunteer is None or volunteer.status != VolunteerStatus.APPROVED:
            raise InvalidInput(
                _("Tasks go to this grid's workers or to approved volunteers; this person is neither."),
                field="assignee",
            )
        kind, limit = AssigneeKind.VOLUNTEER, volunteer.max_active_tasks
    if Task.objects.filter(hazard=hazard, assignee=user).filter(LIVE_TASK_Q).exists():
        raise Conflict(_("This person already holds a live task for this hazard."), code="already_offered")
    if busy_counts([user.pk]).get(user.pk, 0) >= limit:
        raise Conflict(_("This person already has %(n)d open tasks, their limit.") % {"n": limit}, code="task_limit")
    return user.pk, kind, None


@dataclass
class DispatchOutcome:
    hazard: Hazard
    tasks: list[Task]
    candidates: list[Candidate]  # the best `broadcast` (empty when an assignee was named)


@transaction.atomic
def task_dispatch(
    *,
    hazard_id: int,
    actor,
    assignee_id: int | None = None,
    broadcast: int = 1,
    instructions: str = "",
    now: dt.datetime | None = None,
) -> DispatchOutcome:
    """Offer a hazard: to `assignee_id` when given, else to the best `broadcast` candidates (the
    first to accept wins, the other offers are then cancelled). Dispatchers, and grid workers for
    their own grids. The hazard becomes `dispatched` (from triaged or reopened).

    400 with a sentence when there is no candidate; 409 when the hazard is not waiting for
    someone (already accepted, being fixed, or closed)."""
    now = now or timezone.now()
    hazard = lock_hazard(hazard_id)
    if actor is not None and not policy.can_view(actor, hazard):
        raise NotFound(_("No hazard with this id is visible to you."))
    if actor is not None and not policy.can_dispatch(actor, hazard):
        raise PermissionDenied(_("Only dispatchers and this grid's workers may dispatch."))
    instructions = clean_text(instructions, field="instructions")
    try:
        broadcast = int(broadcast)
    except (TypeError, ValueError):
        raise InvalidInput(_("broadcast must be a number."), field="broadcast")
    if not 1 <= broadcast <= conf.max_broadcast():
        raise InvalidInput(
            _("broadcast must be between 1 and %(max)d.") % {"max": conf.max_broadcast()}, field="broadcast"
        )
    if hazard.status not in DISPATCHABLE:
        raise Conflict(
            _("This hazard is %(status)s: only triaged or reopened hazards are dispatched.")
            % {"status": Status(hazard.status).label},
            code="not_dispatchable",
        )
    if Task.objects.filter(hazard=hazard).filter(ENGAGED_TASK_Q).exists():
        raise Conflict(_("Someone has already accepted this hazard."), code="already_accepted")

    if assignee_id not in (None, ""):
        user_id, kind, distance = _named_assignee(hazard, assignee_id)
        picked = [(user_id, kind, distance)]
        ranked = []
    else:
        ranked = rank_candidates(hazard, now=now, limit=broadcast)
        if not ranked:
            raise InvalidInput(
                _(
                    "Nobody can take this hazard now: no grid worker or on-duty volunteer nearby is free"
                    " (with the required skill). Try again later or name an assignee."
                ),
                field="assignee",
                code="no_candidate",
            )
        picked = [(c.user_id, c.kind, c.distance_m) for c in ranked[:broadcast]]
    if hazard.status != Status.DISPATCHED:
        hazard_transition(
            hazard_id=hazard.pk,
            actor=actor,
            to_status=Status.DISPATCHED,
            note=_("Dispatched to a responder."),
        )
        hazard.refresh_from_db(fields=["status", "status_changed_at", "status_note"])
    tasks = [
        _offer(
            hazard=hazard, user_id=uid, kind=kind, actor=actor, now=now, distance_m=distance, instructions=instructions
        )
        for uid, kind, distance in picked
    ]
    return DispatchOutcome(hazard=hazard, tasks=tasks, candidates=ranked)


def auto_dispatch_after_triage(*, hazard_id: int, actor) -> list[Task]:
    """Triage of an auto-dispatch category offers the hazard at once; with nobody free it stays
    triaged for a dispatcher (no error: the triage itself succeeded)."""
    try:
        with transaction.atomic():
            return task_dispatch(hazard_id=hazard_id, actor=None).tasks
    except InvalidInput as exc:
        logger.info("auto-dispatch of hazard %s found nobody: %s", hazard_id, exc)
        return []


def offer_to_next(*, hazard: Hazard, actor, now, note: str) -> list[Task]:
    """An offer was declined or expired: if nobody else still holds one, offer the hazard to the
    next candidate; with no candidate left, hand it back to triage for a dispatcher."""
    if hazard.status != Status.DISPATCHED:
        return []
    if Task.objects.filter(hazard=hazard, status__in=[TaskStatus.OFFERED, TaskStatus.ACCEPTED]).exists():
        return []
    ranked = rank_candidates(hazard, now=now, limit=1)
    if ranked:
        best = ranked[0]
        return [
            _offer(hazard=hazard, user_id=best.user_id, kind=best.kind, actor=None, now=now, distance_m=best.distance_m)
        ]
    hazard_transition(hazard_id=hazard.pk, actor=actor, to_status=Status.TRIAGED, note=note)
    return []


# --- the assignee's moves ----------------------------------------------------------------------------


@transaction.atomic
def task_accept(*, task_id: int, actor, now: dt.datetime | None = None) -> Task:
    """Take an offer. First come wins under the hazard's row lock (and the one-engaged-task-per-hazard
    constraint where locks do not exist): the others' offers are cancelled and they get 409."""
    now = now or timezone.now()
    hazard, task = lock_task(task_id)
    _own(task, actor)
    if task.status == TaskStatus.CANCELLED and Task.objects.filter(hazard=hazard).filter(ENGAGED_TASK_Q).exists():
        raise Conflict(_("Someone else accepted this task first."), code="taken")
    _refuse_status(task, TaskStatus.OFFERED)
    if task.accept_deadline <= now:
        raise Conflict(_("This offer expired: the hazard has been offered to someone else."), code="expired")
    task.status, task.accepted_at = TaskStatus.ACCEPTED, now
    try:
        with transaction.atomic():
            task.save(update_fields=["status", "accepted_at", "updated_at"])
    except IntegrityError:
        raise Conflict(_("Someone else accepted this task first."), code="taken")
    for other in (
        Task.objects.select_for_update(no_key=True)
        .filter(hazard=hazard, status=TaskStatus.OFFERED)
        .exclude(pk=task.pk)
        .order_by("pk")
    ):
        other.status, other.ended_at = TaskStatus.CANCELLED, now
        other.reason = _("Someone else accepted this task first.")
        other.save(update_fields=["status", "ended_at", "reason", "updated_at"])
        other.hazard = hazard
        _publish_updated(other)
    _publish_updated(task)
    return task


@transaction.atomic
def task_decline(*, task_id: int, actor, reason: str = "", now: dt.datetime | None = None) -> Task:
    """Turn down an offer (or give back an accepted task before starting: a reason is then
    required). The hazard goes to the next candidate, or back to triage."""
    now = now or timezone.now()
    hazard, task = lock_task(task_id)
    _own(task, actor)
    _refuse_status(task, TaskStatus.OFFERED, TaskStatus.ACCEPTED)
    reason = clean_text(
        reason,
        field="reason",
        required=task.status == TaskStatus.ACCEPTED,
        message=_("Say why you give the task back."),
    )
    task.status, task.ended_at, task.reason = TaskStatus.DECLINED, now, reason
    task.save(update_fields=["status", "ended_at", "reason", "updated_at"])
    _publish_updated(task)
    offer_to_next(hazard=hazard, actor=actor, now=now, note=_("The responder declined; waiting for dispatch."))
    return task


@transaction.atomic
def task_start(*, task_id: int, actor, now: dt.datetime | None = None) -> Task:
    """On site, working: accepted → in_progress; the hazard becomes in progress."""
    now = now or timezone.now()
    hazard, task = lock_task(task_id)
    _own(task, actor)
    _refuse_status(task, TaskStatus.ACCEPTED)
    task.status, task.started_at = TaskStatus.IN_PROGRESS, now
    task.save(update_fields=["status", "started_at", "updated_at"])
    task.hazard = hazard_transition(
        hazard_id=hazard.pk, actor=actor, to_status=Status.IN_PROGRESS, note=_("The responder is on site.")
    )
    _publish_updated(task)
    return task


def task_complete(*, task_id: int, actor, note: str, photos: Sequence, now: dt.datetime | None = None) -> Task:
    """Fixed: in_progress → done with a note and at least one after-photo (the report pipeline:
    the fast checks before anything is written, the uploads quarantined, then re-encoded by
    `hazards.tasks.process_task_photos` after the commit: hazards.dispatch.photos); the hazard
    becomes rectified. The photo rows left `processing` are the record of the work owed."""
    note = clean_text(note, field="note", required=True, message=_("Describe what you did."))
    checked = check_uploads(list(photos), limits=conf.photo_limits(), min_count=1)  # no decode: cheap
    with PhotoWriter("tasks") as writer:
        originals = [writer.write_original(upload) for upload in checked]
        with transaction.atomic():
            now = now or timezone.now()
            hazard, task = lock_task(task_id)
            _own(task, actor)
            _refuse_status(task, TaskStatus.IN_PROGRESS)
            start = TaskPhoto.objects.filter(task=task).count()
            rows = pending_rows(TaskPhoto, checked, originals, start=start, task=task)
            TaskPhoto.objects.bulk_create(rows)
            task.status, task.completed_at, task.note, task.reason = TaskStatus.DONE, now, note, ""
            task.save(update_fields=["status", "completed_at", "note", "reason", "updated_at"])
            task.hazard = hazard_transition(hazard_id=hazard.pk, actor=actor, to_status=Status.RECTIFIED, note=note)
            publish(events.task_topics(task), "task.updated", events.task_with_photos(task, rows))
    send_after_commit("hazards.tasks.process_task_photos", task_id=task.pk)
    return task


# --- verification --------------------------------------------------------------------------------------


@transaction.atomic
def task_verify(*, task_id: int, actor, approved: bool, note: str = "", now: dt.datetime | None = None) -> Task:
    """A dispatcher (or the grid's worker, for low severity) settles a done task.

    Approve: hazard verified; the assignee earns `task_verified` points (× the hazard's severity
    factor) and the reporter `report_verified` (both enqueued on commit, idempotent per source;
    nobody earns for verifying their own work); a volunteer is credited service minutes.
    Refuse (a note is required): the hazard is reopened and goes straight back to the assignee,
    whose task returns to in progress with the reason."""
    now = now or timezone.now()
    hazard, task = lock_task(task_id)
    if actor is None or not (policy.can_view(actor, hazard) or task.assignee_id == actor.pk):
        raise NotFound(_("No task with this id."))
    if not policy.can_verify(actor, task):
        if policy.works_grid(actor, hazard) and task.proof_flagged:
            # The proof checks (hazards.dispatch.proof) flagged an after-photo.
            raise PermissionDenied(
                _("The after-photos of this fix raised doubts (see the warnings): only a dispatcher may verify it.")
            )
        if policy.works_grid(actor, hazard):
            raise PermissionDenied(_("Grid workers verify low-severity fixes only; a dispatcher verifies this one."))
        raise PermissionDenied(_("Only a dispatcher may verify this fix."))
    if task.assignee_id == actor.pk:
        raise PermissionDenied(_("Someone else must verify your own fix."))
    if task.status != TaskStatus.DONE or task.verified_at is not None:
        if task.verified_at is not None:
            raise Conflict(_("This task is already verified."), code="task_state")
        _refuse_status(task, TaskStatus.DONE)
    note = clean_text(
        note, field="note", required=not approved, message=_("Say why the fix is refused: the responder will read it.")
    )
    if approved and not is_dispatcher(actor) and task.photos.filter(status=PhotoStatus.PROCESSING).exists():
        # The proof checks run when the photos are processed: until then nobody knows whether
        # this fix is a grid worker's to verify (hazards.dispatch.proof).
        raise Conflict(
            _("The after-photos of this fix are still being checked; verify it in a moment."), code="photos_processing"
        )
    if approved:
        task.verified_at, task.verified_by = now, actor
        task.save(update_fields=["verified_at", "verified_by", "updated_at"])
        task.hazard = hazard_transition(
            hazard_id=hazard.pk, actor=actor, to_status=Status.VERIFIED, note=note or _("The fix is verified.")
        )
        _award_assignee(task, actor)
    else:
        task.status, task.completed_at, task.reason = TaskStatus.IN_PROGRESS, None, note
        task.save(update_fields=["status", "completed_at", "reason", "updated_at"])
        hazard_transition(hazard_id=hazard.pk, actor=actor, to_status=Status.REOPENED, note=note)
        task.hazard = hazard_transition(
            hazard_id=hazard.pk,
            actor=actor,
            to_status=Status.IN_PROGRESS,
            note=_("Returned to the responder to finish the fix."),
        )
        publish(events.task_topics(task), "task.updated", events.task_returned(task))
        return task
    _publish_updated(task)
    return task


def _award_assignee(task: Task, actor) -> None:
    user_id, task_id, severity, actor_id = task.assignee_id, task.pk, task.hazard.severity, actor.pk
    enqueue_on_commit(
        "rewards.tasks.award_points",
        user_id=user_id,
        rule_code="task_verified",
        source_type="hazards.task",
        source_id=str(task_id),
        actor_id=actor_id,
        severity=severity,
    )
    if task.assignee_kind == AssigneeKind.VOLUNTEER and Volunteer.objects.filter(user_id=user_id).exists():
        service_record_create(
            volunteer_user_id=user_id,
            minutes=service_minutes(task),
            source_ref=f"task:{task_id}",
            note=_("Hazard %(code)s fixed") % {"code": task.hazard.tracking_code},
            actor=actor,
        )


@transaction.atomic
def task_cancel(*, task_id: int, actor, reason: str, now: dt.datetime | None = None) -> Task:
    """A dispatcher (or the grid's worker) withdraws an open, unfinished task; the hazard goes to
    the next candidate or back to triage."""
    now = now or timezone.now()
    hazard, task = lock_task(task_id)
    if actor is None or not policy.can_view(actor, hazard):
        raise NotFound(_("No task with this id."))
    if not policy.can_dispatch(actor, hazard):
        raise PermissionDenied(_("Only dispatchers and this grid's workers may cancel a task."))
    _refuse_status(task, TaskStatus.OFFERED, TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS)
    reason = clean_text(reason, field="reason", required=True, message=_("Say why the task is cancelled."))
    was_started = task.status == TaskStatus.IN_PROGRESS
    task.status, task.ended_at, task.reason = TaskStatus.CANCELLED, now, reason
    task.save(update_fields=["status", "ended_at", "reason", "updated_at"])
    _publish_updated(task)
    if was_started and hazard.status == Status.IN_PROGRESS:
        hazard_transition(hazard_id=hazard.pk, actor=actor, to_status=Status.TRIAGED, note=reason)
    else:
        offer_to_next(hazard=hazard, actor=actor, now=now, note=reason)
    return task


def tasks_withdraw_for_hazard(*, hazard_id: int, reason: str, now: dt.datetime | None = None) -> list[Task]:
    """Cancel every offered, accepted or in-progress task of a hazard that is closing without a
    fix to verify (its sensor reads normal again): nobody keeps walking to a hazard that is gone.
    Locks the hazard (the caller usually holds it already), then its tasks; the caller moves the
    hazard itself. Each task gets `task.updated`. Done tasks stay as they are."""
    now = now or timezone.now()
    hazard = lock_hazard(hazard_id)
    tasks = list(
        Task.objects.select_for_update(of=("self",), no_key=True)
        .filter(hazard_id=hazard.pk, status__in=[TaskStatus.OFFERED, TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS])
        .order_by("pk")
    )
    for task in tasks:
        task.hazard = hazard
        task.status, task.ended_at, task.reason = TaskStatus.CANCELLED, now, (reason or "")[:NOTE_MAX]
        task.save(update_fields=["status", "ended_at", "reason", "updated_at"])
        _publish_updated(task)
    return tasks
