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

from govern.errors import NotFound
from govern.live import current_event_id
from govern.office.selectors.hazard import hazard_page
from govern.pages import dispatcher_required, flash_errors
from hazards import conf
from hazards.dispatch.candidates import rank_candidates
from hazards.dispatch.services import task_cancel
from hazards.models import Severity, TaskStatus
from hazards.premises.linking import hazard_link_premises
from hazards.triage import page_actions
from hazards.triage.reopen import hazard_send_back
from hazards.triage.services import hazard_close

OPEN_TASK_STATUSES = (TaskStatus.OFFERED, TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS)


def _similar_open_codes(hazard) -> list[str]:
    """The open reports triage found near this one: the likely originals (already prefetched)."""
    codes = []
    for suggestion in hazard.suggestions.all():
        similar = suggestion.similar_hazard
        if similar is not None and similar.is_open and similar.tracking_code not in codes:
            codes.append(similar.tracking_code)
    return codes


@require_GET
@dispatcher_required
def hazard_detail(request, hazard_id: int):
    position = current_event_id()  # before the data: anything later is replayed
    page = hazard_page(user=request.user, hazard_id=hazard_id)
    wanted = page.actions["dispatch"] or page.actions["reassign"]
    candidates = rank_candidates(page.hazard, limit=conf.candidate_limit()) if wanted else []
    holding = {t.assignee_id for t in page.tasks if t.status in OPEN_TASK_STATUSES}
    return render(
        request,
        "office/hazard.html",
        {
            "page": page,
            "hazard": page.hazard,
            "candidates": candidates,
            # Whom an open task may go to instead: anyone ranked who does not already hold one.
            "reassign_to": [c for c in candidates if c.user_id not in holding],
            "similar": _similar_open_codes(page.hazard) if page.actions["duplicate"] else [],
            "severities": Severity.choices,
            "open_task_statuses": OPEN_TASK_STATUSES,
            "last_event_id": position,
        },
    )


def _triage(request, hazard_id: int) -> str:
    return page_actions.triage_from_form(
        post=request.POST, actor=request.user, hazard_id=hazard_id, decisions=("accept", "reject", "duplicate")
    )


def _premises(request, hazard_id: int) -> str:
    typed = request.POST.get("premises_id", "").strip()  # an id typed in wins over the list's choice
    link = hazard_link_premises(
        actor=request.user, hazard_id=hazard_id, premises_id=typed or request.POST.get("premises")
    )
    return _("Linked to %(name)s.") % {"name": link.premises.name}


def _reassign(request, hazard_id: int) -> str:
    return page_actions.reassign_from_form(post=request.POST, actor=request.user)


def _dispatch(request, hazard_id: int) -> str:
    return page_actions.dispatch_from_form(post=request.POST, actor=request.user, hazard_id=hazard_id)


def _verify(request, hazard_id: int) -> str:
    return page_actions.verify_from_form(post=request.POST, actor=request.user)


def _reopen(request, hazard_id: int) -> str:
    hazard_send_back(hazard_id=hazard_id, actor=request.user, note=request.POST.get("note", ""))
    return _("Reopened.")


def _close(request, hazard_id: int) -> str:
    hazard_close(hazard_id=hazard_id, actor=request.user, note=request.POST.get("note", ""))
    return _("Closed.")


def _cancel(request, hazard_id: int) -> str:
    task_id = page_actions.task_id_from_form(request.POST)
    task_cancel(task_id=task_id, actor=request.user, reason=request.POST.get("reason", ""))
    return _("The task is cancelled.")


ACTIONS = {
    "triage": _triage,
    "dispatch": _dispatch,
    "verify": _verify,
    "reopen": _reopen,
    "close": _close,
    "cancel": _cancel,
    "reassign": _reassign,
    "premises": _premises,
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
