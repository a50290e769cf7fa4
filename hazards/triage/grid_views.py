"""The grid worker's queue page (/grid/, phone first) and its actions, plain form POSTs that work
without JavaScript (POST-redirect-GET, the service's sentence shown when it refuses). Exactly what
hazards.core.policy allows a grid worker: the services decide on every write."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from govern.errors import NotFound
from govern.live import current_event_id
from govern.pages import flash_errors
from govern.roles import is_grid_worker
from hazards import conf
from hazards.dispatch.candidates import rank_candidates
from hazards.models import Severity
from hazards.triage import page_actions
from hazards.triage.grid_queue import grid_hazard, grid_queue


def _grid_worker(request) -> None:
    if not is_grid_worker(request.user):
        raise DjangoPermissionDenied(_("This page is for grid workers."))


@require_GET
@login_required
def grid_page(request):
    _grid_worker(request)
    position = current_event_id()  # before the data: anything later is replayed
    cards = grid_queue(user=request.user)
    candidates_for, candidates = None, []
    wanted = request.GET.get("candidates", "")
    if wanted.isdigit():  # the candidates of one report, asked for by its button
        hazard = grid_hazard(user=request.user, hazard_id=int(wanted))
        candidates_for, candidates = hazard.pk, rank_candidates(hazard, limit=conf.candidate_limit())
    return render(
        request,
        "hazards/grid.html",
        {
            "cards": cards,
            "candidates_for": candidates_for,
            "candidates": candidates,
            "severities": Severity.choices,
            "last_event_id": position,
        },
    )


def _triage(request, hazard_id: int) -> str:
    return page_actions.triage_from_form(
        post=request.POST, actor=request.user, hazard_id=hazard_id, decisions=("accept", "duplicate")
    )


def _dispatch(request, hazard_id: int) -> str:
    return page_actions.dispatch_from_form(post=request.POST, actor=request.user, hazard_id=hazard_id)


def _verify(request, hazard_id: int) -> str:
    return page_actions.verify_from_form(post=request.POST, actor=request.user)


ACTIONS = {"triage": _triage, "dispatch": _dispatch, "verify": _verify}


@require_POST
@login_required
def grid_action(request, hazard_id: int, action: str):
    _grid_worker(request)
    act = ACTIONS.get(action)
    if act is None:
        raise NotFound(_("No such action."))
    grid_hazard(user=request.user, hazard_id=hazard_id)  # another grid's report: 404
    with flash_errors(request) as failed:
        done = act(request, hazard_id)
    if not failed:
        messages.success(request, done)
    return redirect("hazard-grid")
