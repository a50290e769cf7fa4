"""The writes behind the pages' action forms (the back office's hazard page and board, the grid
worker's queue): read a POSTed form, call one service, return the sentence to show. The
services decide who may; the page decides which actions it offers (`decisions`)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govern.errors import InvalidInput
from hazards.dispatch.reassign import task_reassign
from hazards.dispatch.services import task_dispatch, task_verify
from hazards.triage.services import hazard_triage

DONE = {
    "accept": gettext_lazy("Accepted."),
    "reject": gettext_lazy("Rejected."),
    "duplicate": gettext_lazy("Marked as duplicate."),
}


def _id(raw, *, field: str) -> int:
    raw = str(raw or "").strip()
    if not raw.isdigit():
        raise InvalidInput(_("Choose one from the list."), field=field)
    return int(raw)


def triage_from_form(*, post, actor, hazard_id: int, decisions: tuple[str, ...]) -> str:
    decision = post.get("decision", "")
    if decision not in decisions:
        if decisions == ("accept", "duplicate"):
            raise InvalidInput(_("Choose accept or duplicate."), field="decision")
        raise InvalidInput(_("Choose accept, reject or duplicate."), field="decision")
    hazard_triage(
        hazard_id=hazard_id,
        actor=actor,
        decision=decision,
        severity=post.get("severity") or None,
        duplicate_of=post.get("duplicate_of") or None,
        note=post.get("note", ""),
    )
    return str(DONE[decision])


def dispatch_from_form(*, post, actor, hazard_id: int) -> str:
    raw = post.get("assignee", "")
    outcome = task_dispatch(hazard_id=hazard_id, actor=actor, assignee_id=_id(raw, field="assignee") if raw else None)
    names = ", ".join(t.assignee.display_name or t.assignee.username for t in outcome.tasks)
    return _("Offered to %(names)s.") % {"names": names}


def verify_from_form(*, post, actor) -> str:
    approved = post.get("decision") == "approve"
    task_verify(task_id=_id(post.get("task"), field="task"), actor=actor, approved=approved, note=post.get("note", ""))
    return _("The fix is verified.") if approved else _("The fix is refused: the task went back to its assignee.")


def task_id_from_form(post) -> int:
    return _id(post.get("task"), field="task")


def reassign_from_form(*, post, actor) -> str:
    task = task_reassign(
        task_id=_id(post.get("task"), field="task"),
        actor=actor,
        assignee_id=_id(post.get("assignee"), field="assignee"),
        reason=post.get("reason", ""),
    )
    return _("Reassigned to %(name)s.") % {"name": task.assignee.display_name or task.assignee.username}
