"""The dispatchers' page of claw-backs (/office/clawbacks/): awards taken back because what they
paid for was undone, filtered by state, with the open shortfalls to resolve."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from govern.pages import dispatcher_required, flash_errors
from rewards import clawback, selectors

PAGE_SIZE = 50
STATES = ("open", "resolved", "full", "all")


@dispatcher_required
def clawbacks(request):
    state = request.GET.get("state", "open")
    state = state if state in STATES else "open"
    page = Paginator(selectors.clawback_list(state="" if state == "all" else state), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    filters = [
        ("open", _("Open shortfalls")),
        ("resolved", _("Resolved")),
        ("full", _("Taken back in full")),
        ("all", _("All")),
    ]
    return render(request, "rewards/clawbacks.html", {"state": state, "filters": filters, "page": page})


@dispatcher_required
@require_POST
def clawback_resolve(request, pk: int):
    with flash_errors(request) as failed:
        clawback.points_clawback_resolve(clawback_id=pk, actor=request.user)
    if not failed:
        messages.success(request, _("Marked as resolved."))
    return redirect(f"/office/clawbacks/?state={request.POST.get('state', 'open')}")
