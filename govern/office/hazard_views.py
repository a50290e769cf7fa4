"""The back office's hazard page (/office/hazards/<id>/) and its actions, which work without
JavaScript: each action is a form POST that calls one service and comes back (POST-redirect-GET)
to the page it came from (`next`: the board or the hazard page), the service's sentence shown
there when it refuses. Thin: govern.office.selectors.hazard reads, hazards services write."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from govern.errors import InvalidInput, NotFound
from govern.live import current_event_id
from govern.office.selectors.hazard import hazard_page
from govern.pages import dispatcher_required, flash_errors
from hazards import conf
from hazards.dispatch.candidates import rank_candidates
from hazards.dispatch.services import task_cancel, task_dispatch, task_verify
from hazards.models import Severity, TaskStatus
from hazards.triage.reopen import hazard_send_back
from hazards.triage.services import hazard_close, hazard_triage


@require_GET
@dispatcher_required
def hazard_detail(request, hazard_id: int):
    position = current_event_id()  # before the data: anything later is replayed
    page = hazard_page(user=request.user, hazard_id=hazard_id)
    candidates = rank_candidates(page.hazard, limit=conf.candidate_limit()) if page.actions["dispatch"] else []
    return render(
        request,
        "office/hazard.html",
        {
            "page": page,
            "hazard": page.hazard,
            "candidates": candidates,
            "severities": Severity.choices,
            "open_task_statuses": (TaskStatus.OFFERED, TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS),
            "last_event_id": position,
        },
    )


def _int(value, *, field: str) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise InvalidInput(_("Choose one from the list."), field=field) from None


def _triage(request, hazard_id: int) -> str:
    decision = request.POST.get("decision", "")
    if decision not in ("accept", "reject", "duplicate"):
        raise InvalidInput(_("Choose accept, reject or duplicate."), field="decision")
    hazard_triage(
        hazard_id=hazard_id,
        actor=request.user,
        decision=decision,
        severity=request.POST.get("severity") or None,
        duplicate_of=request.POST.get("duplicate_of") or None,
        note=request.POST.get("note", ""),
    )
    return {"accept": _("Accepted."), "reject": _("Rejected."), "duplicate": _("Marked as duplicate.")}[decision]


def _dispatch(request, hazard_id: int) -> str:
    assignee = request.POST.get("assignee", "")
    assignee_id = _int(assignee, field="assignee") if assignee else None
    outcome = task_dispatch(hazard_id=hazard_id, actor=request.user, assignee_id=assignee_id)
    names = ", ".join(t.assignee.display_name or t.assignee.username for t in outcome.tasks)
    return _("Offered to %(names)s.") % {"names": names}


def _verify(request, hazard_id: int) -> str:
    approved = request.POST.get("decision") == "approve"
    task_verify(
        task_id=_int(request.POST.get("task"), field="task"),
        actor=request.user,
        approved=approved,
        note=request.POST.get("note", ""),
    )
    return _("The fix is verified.") if approved else _("The fix is refused: the task went back to its assignee.")


def _reopen(request, hazard_id: int) -> str:
    hazard_send_back(hazard_id=hazard_id, actor=request.user, note=request.POST.get("note", ""))
    return _("Reopened.")


def _close(request, hazard_id: int) -> str:
    hazard_close(hazard_id=hazard_id, actor=request.user, note=request.POST.get("note", ""))
    return _("Closed.")


def _cancel(request, hazard_id: int) -> str:
    task_cancel(
        task_id=_int(request.POST.get("task"), field="task"), actor=request.user, reason=request.POST.get("reason", "")
    )
    return _("The task is cancelled.")


ACTIONS = {
    "triage": _triage,
    "dispatch": _dispatch,
    "verify": _verify,
    "reopen": _reopen,
    "close": _close,
    "cancel": _cancel,
}


def _back(request, hazard_id: int) -> str:
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("office:hazard", args=[hazard_id])


@require_POST
@dispatcher_required
def hazard_action(request, hazard_id: int, action: str):
    act = ACTIONS.get(action)
    if act is None:
        raise NotFound(_("No such action."))
    with flash_errors(request) as failed:
        done = act(request, hazard_id)
    if not failed:
        messages.success(request, done)
    return redirect(_back(request, hazard_id))
