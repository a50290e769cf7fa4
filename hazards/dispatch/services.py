"""Every write of a task. Keyword-only, atomic; lock order hazard → task (then tasks by id).

Hazard statuses move in step through `hazards.services.hazard_transition` (which writes the
timeline and publishes `hazard.status_changed`):

    offer → dispatched · start → in_progress · complete → rectified · verify → verified
    refuse → reopened → in_progress (back to the assignee) · last offer lost → triaged

Live events (docs/events.md §10 "dispatch"): `task.offered` to the assignee; `task.updated` to the
assignee, the hazard's grid and the dispatchers on every change; `task.overdue` when escalation
flags a task past its due time. Points and follow-up Celery work are enqueued on commit.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from govern.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from govern.live import DISPATCH_TOPIC, grid_topic, publish, user_topic
from govern.media.checks import check_uploads
from govern.media.pending import apply_outcomes, render_pending
from govern.media.quarantine import delete_originals
from govern.media.writer import PhotoWriter
from govern.models import User
from govern.roles import is_dispatcher
from hazards import conf, policy
from hazards.dispatch.candidates import Candidate, busy_counts, rank_candidates
from hazards.models import (
    AssigneeKind,
    Hazard,
    PhotoStatus,
    Status,
    Task,
    TaskPhoto,
    TaskStatus,
)
from hazards.services import NOTE_MAX, enqueue_after_commit, hazard_transition, lock_hazard, photo_payload
from volunteers.models import Volunteer, VolunteerStatus

logger = logging.getLogger(__name__)

# Where a hazard may be when someone is offered it.
DISPATCHABLE = (Status.TRIAGED, Status.REOPENED, Status.DISPATCHED)


# --- helpers ---------------------------------------------------------------------------------------


def _text(value, *, field: str, required: bool = False, message: str | None = None) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(message or _("This field is required."), field=field)
    if len(value) > NOTE_MAX:
        raise InvalidInput(_("The text is too long: at most %(max)d characters.") % {"max": NOTE_MAX}, field=field)
    return value


def sla_times(hazard: Hazard, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """(accept deadline, due time) from the category's SLA scaled by the hazard's severity."""
    factor = float(conf.severity_sla_factor().get(hazard.severity, 1.0))
    category = hazard.category
    accept = max(float(conf.min_accept_minutes()), category.sla_accept_minutes * factor)
    rectify = max(accept, category.sla_rectify_minutes * factor)
    return now + dt.timedelta(minutes=accept), now + dt.timedelta(minutes=rectify)


def task_payload(task: Task) -> dict:
    hazard = task.hazard
    return {
        "id": task.pk,
        "status": task.status,
        "hazard": {
            "id": hazard.pk,
            "tracking_code": hazard.tracking_code,
            "status": hazard.status,
            "category": hazard.category.slug,
            "category_name": hazard.category.name,
            "category_name_en": hazard.category.name_en,
            "icon": hazard.category.icon,
            "severity": hazard.severity,
            "latitude": hazard.latitude,
            "longitude": hazard.longitude,
            "address": hazard.address,
            "grid": hazard.grid_id,
        },
        "assignee": task.assignee_id,
        "assignee_kind": task.assignee_kind,
        "offered_at": task.offered_at.isoformat(),
        "accept_deadline": task.accept_deadline.isoformat(),
        "due_at": task.due_at.isoformat(),
        "overdue": task.overdue,
        "verified": task.verified_at is not None,
        "reason": task.reason,
        "note": task.note,
        "at": timezone.now().isoformat(),
    }


def _topics(task: Task) -> list[str]:
    return [user_topic(task.assignee_id), grid_topic(task.hazard.grid_id), DISPATCH_TOPIC]


def _publish_updated(task: Task) -> None:
    publish(_topics(task), "task.updated", task_payload(task))


def _lock_task(task_id: int) -> tuple[Hazard, Task]:
    """Lock the task's hazard, then the task (the fixed order), and return both."""
    hazard_id = Task.objects.filter(pk=task_id).values_list("hazard_id", flat=True).first()
    if hazard_id is None:
        raise NotFound(_("No task with this id."))
    hazard = lock_hazard(hazard_id)
    task = Task.objects.select_for_update(of=("self",)).select_related("assignee").filter(pk=task_id).first()
    if task is None:
        raise NotFound(_("No task with this id."))
    task.hazard = hazard
    return hazard, task


def _own(task: Task, actor) -> None:
    if actor is None or task.assignee_id != actor.pk:
        if actor is not None and (is_dispatcher(actor) or policy.works_grid(actor, task.hazard)):
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


def _can_dispatch(actor, hazard: Hazard) -> bool:
    return actor is not None and (is_dispatcher(actor) or policy.works_grid(actor, hazard))


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
    data = task_payload(task)
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
    if Task.objects.filter(hazard=hazard, assignee=user).filter(_live_q()).exists():
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
    if actor is not None and not _can_dispatch(actor, hazard):
        raise PermissionDenied(_("Only dispatchers and this grid's workers may dispatch."))
    instructions = _text(instructions, field="instructions")
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
    if Task.objects.filter(hazard=hazard).filter(_engaged_q()).exists():
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


def _live_q():
    return Q(status__in=[TaskStatus.OFFERED, TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS]) | Q(
        status=TaskStatus.DONE, verified_at__isnull=True
    )


def _engaged_q():
    return Q(status__in=[TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS]) | Q(
        status=TaskStatus.DONE, verified_at__isnull=True
    )


def auto_dispatch_after_triage(*, hazard_id: int, actor) -> list[Task]:
    """Triage of an auto-dispatch category offers the hazard at once; with nobody free it stays
    triaged for a dispatcher (no error: the triage itself succeeded)."""
    try:
        with transaction.atomic():
            return task_dispatch(hazard_id=hazard_id, actor=None).tasks
    except InvalidInput as exc:
        logger.info("auto-dispatch of hazard %s found nobody: %s", hazard_id, exc)
        return []


def _after_offer_lost(*, hazard: Hazard, actor, now, note: str) -> list[Task]:
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
    hazard, task = _lock_task(task_id)
    _own(task, actor)
    if task.status == TaskStatus.CANCELLED and Task.objects.filter(hazard=hazard).filter(_engaged_q()).exists():
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
        Task.objects.select_for_update()
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
    hazard, task = _lock_task(task_id)
    _own(task, actor)
    _refuse_status(task, TaskStatus.OFFERED, TaskStatus.ACCEPTED)
    reason = _text(
        reason,
        field="reason",
        required=task.status == TaskStatus.ACCEPTED,
        message=_("Say why you give the task back."),
    )
    task.status, task.ended_at, task.reason = TaskStatus.DECLINED, now, reason
    task.save(update_fields=["status", "ended_at", "reason", "updated_at"])
    _publish_updated(task)
    _after_offer_lost(hazard=hazard, actor=actor, now=now, note=_("The responder declined; waiting for dispatch."))
    return task


@transaction.atomic
def task_start(*, task_id: int, actor, now: dt.datetime | None = None) -> Task:
    """On site, working: accepted → in_progress; the hazard becomes in progress."""
    now = now or timezone.now()
    hazard, task = _lock_task(task_id)
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
    `hazards.tasks.process_task_photos` after the commit); the hazard becomes rectified."""
    note = _text(note, field="note", required=True, message=_("Describe what you did."))
    checked = check_uploads(list(photos), limits=conf.photo_limits(), min_count=1)  # no decode: cheap
    with PhotoWriter("tasks") as writer:
        originals = [writer.write_original(upload) for upload in checked]
        with transaction.atomic():
            now = now or timezone.now()
            hazard, task = _lock_task(task_id)
            _own(task, actor)
            _refuse_status(task, TaskStatus.IN_PROGRESS)
            start = TaskPhoto.objects.filter(task=task).count()
            rows = [
                TaskPhoto(
                    task=task,
                    status=PhotoStatus.PROCESSING,
                    original=original,
                    width=upload.width,
                    height=upload.height,
                    original_format=upload.original_format,
                    position=position,
                )
                for position, (upload, original) in enumerate(zip(checked, originals, strict=True), start=start)
            ]
            TaskPhoto.objects.bulk_create(rows)
            task.status, task.completed_at, task.note, task.reason = TaskStatus.DONE, now, note, ""
            task.save(update_fields=["status", "completed_at", "note", "reason", "updated_at"])
            task.hazard = hazard_transition(hazard_id=hazard.pk, actor=actor, to_status=Status.RECTIFIED, note=note)
            publish(_topics(task), "task.updated", _with_photos(task_payload(task), rows))
    enqueue_after_commit(_process_task_photos_task(), task_id=task.pk)
    return task


def _process_task_photos_task():
    from hazards.tasks import process_task_photos

    return process_task_photos


def _with_photos(data: dict, photos) -> dict:
    ready = [photo for photo in photos if photo.status == PhotoStatus.READY]
    data["photos"] = [default_storage.url(photo.thumb.name) for photo in ready]
    data["photos_pending"] = sum(1 for photo in photos if photo.status == PhotoStatus.PROCESSING)
    data["photo_details"] = [photo_payload(photo) for photo in photos]
    return data


def task_photos_process(*, task_id: int) -> dict:
    """Re-encode a completed task's pending after-photos (as hazards.services.hazard_photos_process
    does for reports: idempotent, decode outside the transaction, failures recorded with their
    reason, originals deleted once committed) and publish `task.updated` with the photos."""
    pending = list(TaskPhoto.objects.filter(task_id=task_id, status=PhotoStatus.PROCESSING).order_by("position", "id"))
    if not pending:
        return {"ready": 0, "failed": 0}
    outcomes = render_pending(pending, limits=conf.photo_limits())  # CPU-heavy; outside the transaction
    changed, originals, gone = [], [], False
    with PhotoWriter("tasks") as writer, transaction.atomic():
        try:
            _hazard, task = _lock_task(task_id)
        except NotFound:
            gone = True
        else:
            rows = list(
                TaskPhoto.objects.select_for_update()
                .filter(task_id=task_id, pk__in=[row.pk for row in pending], status=PhotoStatus.PROCESSING)
                .order_by("pk")
            )
            changed, originals = apply_outcomes(rows, outcomes, writer)
            if changed:
                photos = list(TaskPhoto.objects.filter(task_id=task_id).order_by("position", "id"))
                publish(_topics(task), "task.updated", _with_photos(task_payload(task), photos))
    if gone:
        originals = [row.original for row in pending]
    delete_originals(originals)
    return {
        "ready": sum(1 for row in changed if row.status == PhotoStatus.READY),
        "failed": sum(1 for row in changed if row.status == PhotoStatus.FAILED),
    }


# --- verification --------------------------------------------------------------------------------------


def can_verify(actor, task: Task) -> bool:
    if actor is None:
        return False
    if is_dispatcher(actor):
        return True
    return policy.works_grid(actor, task.hazard) and task.hazard.severity in conf.grid_worker_verify_severities()


def service_minutes(task: Task) -> int:
    begun = task.accepted_at or task.offered_at
    minutes = math.ceil(max(0.0, (task.completed_at - begun).total_seconds()) / 60)
    return max(1, min(minutes, conf.service_minutes_cap()))


@transaction.atomic
def task_verify(*, task_id: int, actor, approved: bool, note: str = "", now: dt.datetime | None = None) -> Task:
    """A dispatcher (or the grid's worker, for low severity) settles a done task.

    Approve: hazard verified; the assignee earns `task_verified` points (× the hazard's severity
    factor) and the reporter `report_verified` (both enqueued on commit, idempotent per source;
    nobody earns for verifying their own work); a volunteer is credited service minutes.
    Refuse (a note is required): the hazard is reopened and goes straight back to the assignee,
    whose task returns to in progress with the reason."""
    now = now or timezone.now()
    hazard, task = _lock_task(task_id)
    if actor is None or not (policy.can_view(actor, hazard) or task.assignee_id == actor.pk):
        raise NotFound(_("No task with this id."))
    if not can_verify(actor, task):
        if policy.works_grid(actor, hazard):
            raise PermissionDenied(_("Grid workers verify low-severity fixes only; a dispatcher verifies this one."))
        raise PermissionDenied(_("Only a dispatcher may verify this fix."))
    if task.assignee_id == actor.pk:
        raise PermissionDenied(_("Someone else must verify your own fix."))
    if task.status != TaskStatus.DONE or task.verified_at is not None:
        if task.verified_at is not None:
            raise Conflict(_("This task is already verified."), code="task_state")
        _refuse_status(task, TaskStatus.DONE)
    note = _text(
        note, field="note", required=not approved, message=_("Say why the fix is refused: the responder will read it.")
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
    _publish_updated(task)
    return task


def _award_assignee(task: Task, actor) -> None:
    from govern.task_outbox import enqueue_on_commit
    from rewards.tasks import award_points
    from volunteers.service_records import service_record_create

    user_id, task_id, severity, actor_id = task.assignee_id, task.pk, task.hazard.severity, actor.pk
    enqueue_on_commit(
        award_points,
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
    hazard, task = _lock_task(task_id)
    if actor is None or not policy.can_view(actor, hazard):
        raise NotFound(_("No task with this id."))
    if not _can_dispatch(actor, hazard):
        raise PermissionDenied(_("Only dispatchers and this grid's workers may cancel a task."))
    _refuse_status(task, TaskStatus.OFFERED, TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS)
    reason = _text(reason, field="reason", required=True, message=_("Say why the task is cancelled."))
    was_started = task.status == TaskStatus.IN_PROGRESS
    task.status, task.ended_at, task.reason = TaskStatus.CANCELLED, now, reason
    task.save(update_fields=["status", "ended_at", "reason", "updated_at"])
    _publish_updated(task)
    if was_started and hazard.status == Status.IN_PROGRESS:
        hazard_transition(hazard_id=hazard.pk, actor=actor, to_status=Status.TRIAGED, note=reason)
    else:
        _after_offer_lost(hazard=hazard, actor=actor, now=now, note=reason)
    return task


def tasks_withdraw_for_hazard(*, hazard: Hazard, reason: str, now: dt.datetime | None = None) -> list[Task]:
    """Cancel every offered, accepted or in-progress task of a hazard that is closing without a
    fix to verify (its sensor reads normal again): nobody keeps walking to a hazard that is gone.
    The caller holds the hazard's row lock (hazard before task, the fixed order) and moves the
    hazard itself; each task gets `task.updated`. Done tasks stay as they are."""
    now = now or timezone.now()
    tasks = list(
        Task.objects.select_for_update(of=("self",))
        .filter(hazard_id=hazard.pk, status__in=[TaskStatus.OFFERED, TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS])
        .order_by("pk")
    )
    for task in tasks:
        task.hazard = hazard
        task.status, task.ended_at, task.reason = TaskStatus.CANCELLED, now, (reason or "")[:NOTE_MAX]
        task.save(update_fields=["status", "ended_at", "reason", "updated_at"])
        _publish_updated(task)
    return tasks


# --- escalation ----------------------------------------------------------------------------------------


@dataclass
class EscalationOutcome:
    expired: int = 0
    reoffered: int = 0
    returned_to_triage: int = 0
    overdue: int = 0


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
def _expire_offers(*, hazard_id: int, now, outcome: EscalationOutcome) -> None:
    hazard = lock_hazard(hazard_id)
    expired = list(
        Task.objects.select_for_update()
        .filter(hazard=hazard, status=TaskStatus.OFFERED, accept_deadline__lte=now)
        .order_by("pk")
    )
    for task in expired:
        task.status, task.ended_at = TaskStatus.EXPIRED, now
        task.reason = _("Not accepted in time.")
        task.save(update_fields=["status", "ended_at", "reason", "updated_at"])
        task.hazard = hazard
        _publish_updated(task)
        outcome.expired += 1
    if not expired:
        return
    new = _after_offer_lost(
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
    hazard, task = _lock_task(task_id)
    if task.overdue or task.status not in (TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS) or task.due_at > now:
        return False
    task.overdue = True
    task.save(update_fields=["overdue", "updated_at"])
    data = task_payload(task)
    data["overdue_by_s"] = int((now - task.due_at).total_seconds())
    publish(_topics(task), "task.overdue", data)
    publish(_topics(task), "task.updated", task_payload(task))
    return True


__all__ = [
    "DispatchOutcome",
    "EscalationOutcome",
    "auto_dispatch_after_triage",
    "can_verify",
    "sla_times",
    "task_accept",
    "task_cancel",
    "task_complete",
    "task_decline",
    "task_dispatch",
    "task_flag_overdue",
    "task_payload",
    "task_start",
    "task_verify",
    "tasks_escalate",
]
