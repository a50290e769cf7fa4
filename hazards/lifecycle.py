"""The hazard lifecycle (DESIGN.md §3) as data: which status may follow which.

    submitted → triaged → dispatched → in_progress → rectified → verified → closed
    side exits: rejected, duplicate (with duplicate_of); reopened from rectified/verified.

Only `hazards.services.hazard_transition` changes a hazard's status, and it consults this table;
anything not listed is refused with a 409 and a sentence. Task dispatch (issue 6) moves hazards
through dispatched / in_progress / rectified / verified with the same function.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from hazards.models import Status

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
