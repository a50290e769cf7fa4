"""The hazard lifecycle (DESIGN.md §3): which status may follow which, and the one writer of it.

    submitted → triaged → dispatched → in_progress → rectified → verified → closed
    side exits: rejected, duplicate (with duplicate_of); reopened from rectified/verified.

Only `hazard_transition` changes a hazard's status, and it consults this table; anything not
listed is refused with a 409 and a sentence. Triage (hazards.triage) and task dispatch
(hazards.dispatch) move hazards with it; it checks no permission (its callers decide who may).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from govern.errors import Conflict
from govern.live import publish
from govern.task_outbox import enqueue_on_commit
from hazards.core import events
from hazards.core.clean import clean_note, clean_severity
from hazards.core.locks import lock_hazard
from hazards.models import SEVERITY_RANK, Hazard, HazardEvent, Source, Status, Task, max_severity
from rewards.earning import CLAWBACK_TASK, FINDING_FIXED, REPORT_VERIFIED, TASK_VERIFIED

S = Status

TRANSITIONS: dict[str, frozenset[str]] = {
    S.SUBMITTED: frozenset({S.TRIAGED, S.REJECTED, S.DUPLICATE}),
    # A triaged hazard may still turn out to be a duplicate or not a hazard at all.
    S.TRIAGED: frozenset({S.DISPATCHED, S.REJECTED, S.DUPLICATE}),
    # Back to triaged when the last live task is declined, expires or is cancelled.
    S.DISPATCHED: frozenset({S.IN_PROGRESS, S.TRIAGED}),
    S.IN_PROGRESS: frozenset({S.RECTIFIED, S.TRIAGED}),
    S.RECTIFIED: frozenset({S.VERIFIED, S.REOPENED}),
    S.VERIFIED: frozenset({S.CLOSED, S.REOPENED}),
    # A refused fix goes back to its assignee (dispatched / in_progress) or to triage for someone else.
    S.REOPENED: frozenset({S.DISPATCHED, S.IN_PROGRESS, S.TRIAGED}),
    S.CLOSED: frozenset(),
    S.REJECTED: frozenset(),
    S.DUPLICATE: frozenset(),
}

assert set(TRANSITIONS) == set(Status.values), "every status needs a row"

# Cleared by its source: a hazard that a machine raised (a sensor alert, issue 12) closes by
# itself when the same machine reports the value back to normal — from any open status straight
# to closed, without a fix being verified, because the condition that made it a hazard is gone.
# People never walk this edge: only `hazard_transition(..., cleared_by_source=True)` may, and
# only the sensor-alert service passes that; a dispatcher still closes through `verified`.
FINAL = frozenset({S.CLOSED, S.REJECTED, S.DUPLICATE})
CLEARED_BY_SOURCE_FROM = frozenset(s for s in Status.values if s not in FINAL)


def is_open(status: str) -> bool:
    return status not in FINAL


def is_legal(from_status: str, to_status: str, *, cleared_by_source: bool = False) -> bool:
    if cleared_by_source and to_status == S.CLOSED and from_status in CLEARED_BY_SOURCE_FROM:
        return True
    return to_status in TRANSITIONS.get(from_status, frozenset())


def status_label(status: str) -> str:
    try:
        return str(Status(status).label)
    except ValueError:
        return status


def refusal_sentence(from_status: str, to_status: str) -> str:
    """Why the transition is refused, in a sentence a dispatcher understands."""
    allowed = TRANSITIONS.get(from_status, frozenset())
    if from_status == to_status:
        return _("This hazard is already %(status)s.") % {"status": status_label(from_status)}
    if not allowed:
        return _("This hazard is %(from)s, a final state: it cannot become %(to)s.") % {
            "from": status_label(from_status),
            "to": status_label(to_status),
        }
    options = ", ".join(status_label(s) for s in Status.values if s in allowed)
    return _("A hazard that is %(from)s cannot become %(to)s; from %(from)s it can only become: %(options)s.") % {
        "from": status_label(from_status),
        "to": status_label(to_status),
        "options": options,
    }


# --- the writer -----------------------------------------------------------------------------------


@transaction.atomic
def hazard_transition(
    *,
    hazard_id: int,
    actor,
    to_status: str,
    note: str = "",
    duplicate_of_id: int | None = None,
    cleared_by_source: bool = False,
) -> Hazard:
    """Move a hazard along the lifecycle table, or raise Conflict (409) saying why not.

    `cleared_by_source=True` also allows open → closed (CLEARED_BY_SOURCE_FROM): only the
    sensor-alert service passes it, when the sensor that raised the hazard reads normal again.

    Locks the hazard row, checks `TRANSITIONS`, writes a HazardEvent, and publishes
    `hazard.status_changed` to the hazard's followers — and to every report merged into it as a
    duplicate, so their reporters follow it. `duplicate_of_id` names the original when the hazard
    becomes a duplicate. No permission check here: callers (triage, reopen, close, and task
    dispatch) decide who may.
    """
    note = clean_note(note)
    hazard = lock_hazard(hazard_id)
    from_status = hazard.status
    if not is_legal(from_status, to_status, cleared_by_source=cleared_by_source):
        raise Conflict(refusal_sentence(from_status, to_status), code="illegal_transition")
    hazard.status = to_status
    hazard.duplicate_of_id = duplicate_of_id if to_status == Status.DUPLICATE else None
    hazard.status_changed_at = timezone.now()
    if note:
        hazard.status_note = note
    hazard.save(update_fields=["status", "duplicate_of", "status_changed_at", "status_note", "updated_at"])
    event = HazardEvent.objects.create(
        hazard=hazard, actor=actor, from_status=from_status, to_status=to_status, note=note
    )
    topics = events.hazard_topics(hazard) + events.merged_followers(hazard)
    publish(topics, "hazard.status_changed", events.hazard_status_changed(hazard, event))
    if to_status == Status.VERIFIED:
        hazard_verified_followups(hazard=hazard, actor=actor)
    if to_status == Status.REOPENED and from_status == Status.VERIFIED:
        hazard_reopened_after_verification(hazard=hazard, actor=actor)
    return hazard


@transaction.atomic
def hazard_raise_severity(*, hazard_id: int, severity: str, actor=None, note: str = "") -> tuple[Hazard, bool]:
    """Raise an open hazard's severity (never lower it): a timeline note (a HazardEvent whose
    from and to are the current status) and `hazard.status_changed` with from == to, so boards
    and followers update the severity. Returns (hazard, whether it changed). Used by sensor
    alerts when a reading gets worse; a lower or equal severity changes nothing."""
    severity = clean_severity(severity, required=True)
    note = clean_note(note)
    hazard = lock_hazard(hazard_id)
    if not is_open(hazard.status):
        raise Conflict(refusal_sentence(hazard.status, hazard.status), code="illegal_transition")
    if SEVERITY_RANK[severity] <= SEVERITY_RANK[hazard.severity]:
        return hazard, False
    hazard.severity = severity
    hazard.peak_severity = max_severity(hazard.peak_severity, severity)
    hazard.save(update_fields=["severity", "peak_severity", "updated_at"])
    event = HazardEvent.objects.create(
        hazard=hazard, actor=actor, from_status=hazard.status, to_status=hazard.status, note=note
    )
    publish(events.hazard_topics(hazard), "hazard.status_changed", events.hazard_status_changed(hazard, event))
    return hazard, True


def hazard_reopened_after_verification(*, hazard: Hazard, actor) -> None:
    """A verified hazard is reopened: the fix did not hold, so each verified task's award is
    taken back (rewards.clawback: once per award, never below zero, a shortfall flagged for a
    dispatcher). Queued on commit like the award itself; points are never locked here."""
    task_ids = Task.objects.filter(hazard_id=hazard.pk, verified_at__isnull=False).values_list("pk", flat=True)
    for task_id in task_ids:
        enqueue_on_commit(
            CLAWBACK_TASK,
            rule_code=TASK_VERIFIED,
            source_type="hazards.task",
            source_id=str(task_id),
            reason=_("Hazard %(code)s reopened after verification") % {"code": hazard.tracking_code},
            actor_id=getattr(actor, "pk", None),
        )


def hazard_verified_followups(*, hazard: Hazard, actor) -> None:
    """The one place where work that follows a verification starts (inside the transaction that
    makes a hazard `verified`; task verification gets here too).

    The reporter earns `report_verified`, enqueued on commit and idempotent per (rule, hazard,
    user). A cluster of duplicate reports pays once, to its first reporter: the earliest report
    (the original or one merged into it) whose reporter was signed in. Nobody earns for verifying
    their own report (rewards refuses it). A hazard found by an inspection pays its inspector
    (the reporter) `finding_fixed` instead: the inspector's finding was fixed.
    """
    cluster = Hazard.objects.filter(Q(pk=hazard.pk) | Q(duplicate_of_id=hazard.pk), reporter__isnull=False)
    first = cluster.order_by("created_at", "id").values_list("reporter_id", flat=True).first()
    if first is None:
        return
    enqueue_on_commit(
        "rewards.tasks.award_points",
        user_id=first,
        rule_code=FINDING_FIXED if hazard.source == Source.INSPECTION else REPORT_VERIFIED,
        source_type="hazards.hazard",
        source_id=str(hazard.pk),
        actor_id=getattr(actor, "pk", None),
        severity=hazard.severity,
    )
