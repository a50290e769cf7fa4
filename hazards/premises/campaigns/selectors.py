"""Reads of campaigns and inspections: permission-scoped, constant query counts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Case, IntegerField, Prefetch, Q, Value, When
from django.utils.translation import gettext as _

from govern.errors import NotFound
from govern.roles import is_dispatcher
from hazards.premises.models import (
    Campaign,
    CampaignPremises,
    CampaignStatus,
    Checklist,
    ChecklistItem,
    Inspection,
    InspectionResult,
)


def active_checklist_ids(type_ids: Iterable[int]) -> dict[int, int]:
    """premises type id → its active checklist's id (types without one are left out)."""
    return dict(
        Checklist.objects.filter(premises_type_id__in=set(type_ids), active=True).values_list("premises_type_id", "id")
    )


def campaign_list(*, user):
    """Dispatchers: every campaign; anyone else: the campaigns with premises assigned to them."""
    query = Campaign.objects.select_related("created_by")
    if not is_dispatcher(user):
        query = query.filter(pk__in=CampaignPremises.objects.filter(inspector=user).values("campaign_id"))
    return query.order_by("-created_at", "-id")


def campaign_get(*, user, campaign_id) -> Campaign:
    campaign = campaign_list(user=user).filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound(_("No campaign with this id (or not visible to you)."))
    return campaign


def entry_queryset():
    return CampaignPremises.objects.select_related(
        "campaign", "premises", "premises__type", "premises__grid", "inspector", "inspection", "taken_back_by"
    )


def campaign_entries(*, user, campaign_id):
    """The premises of a campaign with their inspector and status (an inspector: only theirs)."""
    campaign = campaign_get(user=user, campaign_id=campaign_id)
    query = entry_queryset().filter(campaign=campaign)
    if not is_dispatcher(user):
        query = query.filter(inspector=user)
    return query.order_by("premises__street", "premises__name", "id")


def finding_queryset():
    return InspectionResult.objects.filter(hazard__isnull=False).select_related(
        "item",
        "hazard",
        "hazard__category",
        "inspection__entry__premises",
        "inspection__inspector",
        "inspection__entry__campaign",
    )


def campaign_findings(*, user, campaign_id):
    """The hazards a campaign raised, newest first."""
    campaign = campaign_get(user=user, campaign_id=campaign_id)
    query = finding_queryset().filter(inspection__entry__campaign=campaign)
    if not is_dispatcher(user):
        query = query.filter(inspection__inspector=user)
    return query.order_by("-inspection__submitted_at", "item__order", "id")


def my_assignments(*, user, include_done: bool = True):
    """The premises assigned to this user in active campaigns: pending and in progress first."""
    query = entry_queryset().filter(inspector=user, campaign__status=CampaignStatus.ACTIVE)
    if not include_done:
        query = query.exclude(status="done")
    rank = Case(
        When(status="in_progress", then=Value(0)),
        When(status="pending", then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return query.annotate(rank=rank).order_by("rank", "premises__street", "premises__name", "id")


def inspection_get(*, user, inspection_id) -> Inspection:
    """One inspection with its checklist's active items and its results (its inspector and dispatchers)."""
    query = Inspection.objects.select_related(
        "entry", "entry__campaign", "entry__premises", "entry__premises__type", "checklist", "inspector"
    ).prefetch_related(
        Prefetch(
            "checklist__items",
            queryset=ChecklistItem.objects.filter(active=True).select_related("category").order_by("order", "id"),
            to_attr="active_items",
        ),
        Prefetch("results", queryset=InspectionResult.objects.select_related("hazard", "hazard__category")),
    )
    if not is_dispatcher(user):
        query = query.filter(Q(inspector=user) | Q(entry__inspector=user))
    inspection = query.filter(pk=inspection_id).first()
    if inspection is None:
        raise NotFound(_("No such inspection assigned to you."))
    return inspection


@dataclass
class Line:
    """One checklist item as the phone page and the API show it: the item and its result, if any."""

    item: ChecklistItem
    result: InspectionResult | None


def inspection_lines(inspection: Inspection) -> list[Line]:
    results = {r.item_id: r for r in inspection.results.all()}
    return [Line(item=item, result=results.get(item.pk)) for item in inspection.checklist.active_items]


@dataclass
class DashboardCampaigns:
    campaigns: list[Campaign]
    findings: list[InspectionResult]
    findings_limit: int  # the page keeps its live list to this many


def dashboard_campaigns(*, limit: int = 6, findings: int = 10) -> DashboardCampaigns:
    """Active campaigns (and the latest closed ones) with their counters, and the newest findings.
    Two queries, whatever the numbers."""
    campaigns = list(
        Campaign.objects.exclude(status=CampaignStatus.DRAFT)
        .select_related("created_by")
        .order_by("status", "-created_at", "-id")[:limit]
    )
    recent = list(finding_queryset().order_by("-inspection__submitted_at", "-id")[:findings])
    return DashboardCampaigns(campaigns=campaigns, findings=recent, findings_limit=findings)
