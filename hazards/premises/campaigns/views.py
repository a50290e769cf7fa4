"""Pages of inspection campaigns. Thin: services and selectors in, templates out.

The inspector's phone flow: /inspections/ (my premises) → POST /inspections/start/ → the
checklist page /inspections/<id>/, where each item is a small form (pass / fail / n.a.; a failure
asks for a note and a camera photo) and a submit button turns failures into hazards; afterwards
the page lists the findings with their tracking codes. Every form works without JavaScript
(post, redirect); static/js/premises/inspection.js saves items in place through the API.

The dispatchers' pages: /office/campaigns/ (list and create) and /office/campaigns/<id>/ (progress,
premises, assignment and taking premises back, findings), kept live by `campaign.progress` on the dispatch topic.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from govern.live import current_event_id
from govern.models import Grid, User
from govern.pages import dispatcher_required, flash_errors, page_errors
from govern.roles import GRID_WORKER, VOLUNTEER
from hazards.premises.campaigns import inspections, selectors, services
from hazards.premises.models import CampaignStatus, Outcome, PremisesType
from volunteers.models import VolunteerStatus

# --- the inspector's phone pages ----------------------------------------------------------------------


@login_required
def my_inspections(request):
    position = current_event_id()
    entries = list(selectors.my_assignments(user=request.user))
    return render(
        request,
        "premises/my_inspections.html",
        {
            "last_event_id": position,
            "open_entries": [e for e in entries if e.status != "done"],
            "done_entries": [e for e in entries if e.status == "done"],
        },
    )


@require_POST
@login_required
def inspection_start(request):
    with flash_errors(request):
        inspection = inspections.inspection_start(entry_id=request.POST.get("entry"), actor=request.user)
        return redirect("campaigns:inspection", pk=inspection.pk)
    return redirect("campaigns:my-inspections")


def _inspection_context(request, inspection, position: int, error_item=None, error_message="") -> dict:
    lines = selectors.inspection_lines(inspection)
    done = sum(1 for line in lines if line.result is not None)
    return {
        "last_event_id": position,  # the page hears campaign.unassigned: taken back while open
        "inspection": inspection,
        "entry": inspection.entry,
        "premises": inspection.entry.premises,
        "campaign": inspection.entry.campaign,
        "lines": lines,
        "checked": done,
        "total": len(lines),
        "findings": [line for line in lines if line.result is not None and line.result.hazard_id],
        "outcomes": Outcome.choices,
        "error_item": error_item,
        "error_message": error_message,
        "editable": inspection.submitted_at is None
        and inspection.entry.campaign.status == CampaignStatus.ACTIVE
        and inspection.inspector_id == request.user.pk,
    }


@require_http_methods(["GET", "POST"])
@login_required
def inspection_page(request, pk: int):
    position = current_event_id()  # before the data: an event in between is replayed, not lost
    inspection = selectors.inspection_get(user=request.user, inspection_id=pk)  # NotFound: 404
    if request.method == "POST":
        action = request.POST.get("action")
        with page_errors() as failed:
            if action == "submit":
                inspections.inspection_submit(inspection_id=pk, actor=request.user)
                return redirect(reverse("campaigns:inspection", kwargs={"pk": pk}) + "#findings")
            item_id = request.POST.get("item")
            inspections.inspection_record_item(
                inspection_id=pk,
                actor=request.user,
                item_id=item_id,
                outcome=request.POST.get("outcome", ""),
                note=request.POST.get("note", ""),
                photo=request.FILES.get("photo"),
            )
            return redirect(reverse("campaigns:inspection", kwargs={"pk": pk}) + f"#item-{item_id}")
        inspection = selectors.inspection_get(user=request.user, inspection_id=pk)
        item = request.POST.get("item") or ""
        key = "submit" if action == "submit" else (int(item) if item.isdigit() and len(item) < 19 else 0)
        context = _inspection_context(request, inspection, position, key, failed.message)
        return render(request, "premises/inspection.html", context, status=failed.status_code)
    return render(request, "premises/inspection.html", _inspection_context(request, inspection, position))


# --- the dispatchers' pages ------------------------------------------------------------------------------


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.replace("，", ",").replace("\n", ",").split(",") if part.strip()]


@require_http_methods(["GET", "POST"])
@dispatcher_required
def campaign_list(request):
    position = current_event_id()
    error = None
    if request.method == "POST":
        with page_errors() as failed:
            campaign = services.campaign_create(
                actor=request.user,
                name=request.POST.get("name", ""),
                description=request.POST.get("description", ""),
                starts_on=request.POST.get("starts_on") or None,
                ends_on=request.POST.get("ends_on") or None,
                grid_ids=request.POST.getlist("grids"),
                streets=_split(request.POST.get("streets", "")),
                type_slugs=request.POST.getlist("types"),
            )
            return redirect("campaigns:office-campaign", pk=campaign.pk)
        error = failed.as_dict()
    return render(
        request,
        "premises/office_campaigns.html",
        {
            "last_event_id": position,
            "campaigns": list(selectors.campaign_list(user=request.user)[:100]),
            "grids": list(Grid.objects.select_related("community").order_by("community_id", "id")),
            "types": list(PremisesType.objects.order_by("sort_order", "id")),
            "error": error,
            "form": request.POST if error else {},
        },
        status=400 if error else 200,
    )


def _inspectors():
    """Grid workers and approved volunteers, for the assignment form (one query)."""
    return list(
        User.objects.filter(is_active=True)
        .filter(Q(groups__name=GRID_WORKER) | Q(groups__name=VOLUNTEER, volunteer__status=VolunteerStatus.APPROVED))
        .distinct()
        .order_by("display_name", "username")
    )


@require_http_methods(["GET", "POST"])
@dispatcher_required
def campaign_detail(request, pk: int):
    position = current_event_id()
    error = None
    if request.method == "POST":
        action = request.POST.get("action")
        with page_errors() as failed:
            if action == "activate":
                services.campaign_activate(campaign_id=pk, actor=request.user)
            elif action == "close":
                services.campaign_close(campaign_id=pk, actor=request.user)
            elif action == "unassign":
                # A row's button names its premises: "premises" (assigned, not started) or "discard"
                # (started: its unfinished checklist is discarded, the button says so).
                discard = request.POST.getlist("discard")
                entries = services.campaign_unassign(
                    campaign_id=pk,
                    actor=request.user,
                    premises_ids=request.POST.getlist("premises") + discard,
                    reason=request.POST.get("reason", ""),
                    discard_started=bool(discard),
                )
                messages.success(request, _("%(count)d premises taken back.") % {"count": len(entries)})
            else:
                entries = services.campaign_assign(
                    campaign_id=pk,
                    actor=request.user,
                    inspector_id=request.POST.get("inspector"),
                    premises_ids=request.POST.getlist("premises"),
                )
                messages.success(request, _("%(count)d premises assigned.") % {"count": len(entries)})
            return redirect("campaigns:office-campaign", pk=pk)
        error = failed.as_dict()
    campaign = selectors.campaign_get(user=request.user, campaign_id=pk)  # NotFound (no such campaign): 404
    return render(
        request,
        "premises/office_campaign.html",
        {
            "last_event_id": position,
            "campaign": campaign,
            "entries": list(selectors.campaign_entries(user=request.user, campaign_id=pk)),
            "findings": list(selectors.campaign_findings(user=request.user, campaign_id=pk)[:200]),
            "inspectors": _inspectors(),
            "error": error,
        },
        status=400 if error else 200,
    )
