"""Who may do what with a hazard. One place, used by services (writes) and selectors (reads).

- Dispatchers (and superusers) see and may do everything.
- Grid workers see the hazards of the grids they own (and their own reports). In their own
  grids they may triage: accept, and mark duplicates — the routine, reversible-by-dispatch part.
  Rejecting a resident's report dismisses it for good, and reopening or closing settles whether
  a fix stands, so those stay with dispatchers. Grid workers dispatch their grids' hazards and
  verify the low-severity fixes there (HAZARD_GRID_WORKER_VERIFY_SEVERITIES), unless the proof of
  the fix is flagged (an after-photo failed a check: hazards.dispatch.proof).
- Everyone else sees the hazards they reported, and the public tracking page by code.
- The reporter's contact phone is visible to dispatchers, the grid's workers and the reporter;
  on a task card to the assignee holding the work: a grid worker always, a volunteer only when
  the reporter agreed to be called (`Hazard.contact_consent`).
"""

from __future__ import annotations

from govern.roles import is_dispatcher, is_grid_worker
from hazards import conf


def owned_grid_ids(user) -> frozenset[int]:
    """The grids this user works as a grid worker (cached on the instance; one query)."""
    if user is None or not getattr(user, "is_authenticated", False) or not is_grid_worker(user):
        return frozenset()
    cached = getattr(user, "_hazard_grid_ids", None)
    if cached is None:
        cached = frozenset(user.grids.values_list("id", flat=True))
        user._hazard_grid_ids = cached
    return cached


def works_grid(user, hazard) -> bool:
    return hazard.grid_id in owned_grid_ids(user)


def can_view(user, hazard) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return is_dispatcher(user) or hazard.reporter_id == user.pk or works_grid(user, hazard)


def can_see_contact(user, hazard) -> bool:
    return can_view(user, hazard)


def can_call_reporter(user, task) -> bool:
    """The reporter's phone on a task card: for the assignee once they hold the work; a grid
    worker (or a dispatcher) always, a volunteer only when the reporter agreed to be called."""
    from hazards.models import AssigneeKind, TaskStatus

    hazard = task.hazard
    if user is None or task.assignee_id != user.pk or not hazard.contact_phone:
        return False
    if task.status not in (TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS):
        return False
    return task.assignee_kind == AssigneeKind.GRID_WORKER or is_dispatcher(user) or hazard.contact_consent


def can_triage(user, hazard, decision: str) -> bool:
    if is_dispatcher(user):
        return True
    return decision in ("accept", "duplicate") and works_grid(user, hazard)


def can_reopen(user, hazard) -> bool:
    return is_dispatcher(user)


def can_close(user, hazard) -> bool:
    return is_dispatcher(user)


def can_dispatch(user, hazard) -> bool:
    """Offer the hazard to someone, or cancel one of its tasks."""
    return user is not None and (is_dispatcher(user) or works_grid(user, hazard))


def can_verify(user, task) -> bool:
    """Settle a done task (approve or refuse the fix)."""
    if user is None:
        return False
    if is_dispatcher(user):
        return True
    if task.proof_flagged:  # an after-photo failed a proof check (hazards.dispatch.proof)
        return False
    # On the gravest severity the hazard ever had: a grid worker who lowered it at triage (or
    # anyone who did) does not thereby get to settle a fix the system had judged graver.
    hazard = task.hazard
    allowed = conf.grid_worker_verify_severities()
    return works_grid(user, hazard) and hazard.severity in allowed and hazard.peak_severity in allowed


def sees_proof_checks(user, task) -> bool:
    """The proof-of-fix checks of a task's after-photos are for the people who verify: dispatchers
    and the grid's workers, never the assignee (nor the reporter, nor the public)."""
    if user is None or not getattr(user, "is_authenticated", False) or task.assignee_id == user.pk:
        return False
    return is_dispatcher(user) or works_grid(user, task.hazard)
