"""The data of the campaign.* live events (docs/events.md): one builder per payload."""

from __future__ import annotations

from collections.abc import Sequence

from hazards.models import Hazard
from hazards.premises.models import Campaign, CampaignPremises


def _name(user) -> str:
    return (user.display_name or user.username) if user is not None else ""


def progress_payload(campaign: Campaign, entry: CampaignPremises | None = None, hazards: Sequence[Hazard] = ()) -> dict:
    """`campaign.progress`: the campaign's counters and what changed."""
    data = {
        "campaign": campaign.pk,
        "name": campaign.name,
        "status": campaign.status,
        "total": campaign.premises_total,
        "assigned": campaign.premises_assigned,
        "in_progress": campaign.premises_started,
        "done": campaign.premises_done,
        "findings": campaign.findings,
        "percent": campaign.done_percent,
        "entry": None,
        "hazards": [
            {"id": h.pk, "tracking_code": h.tracking_code, "category": h.category.slug, "severity": h.severity}
            for h in hazards
        ],
    }
    if entry is not None:
        data["entry"] = {
            "id": entry.pk,
            "premises": entry.premises_id,
            "premises_name": entry.premises.name,
            "status": entry.status,
            "inspector": entry.inspector_id,
            "inspector_name": _name(entry.inspector),
            "findings": entry.findings,
        }
    return data


def assigned_payload(campaign: Campaign, entries: Sequence[CampaignPremises], *, inspector_id: int) -> dict:
    """`campaign.assigned`: premises given to an inspector (or taken from the former ones)."""
    return {
        "campaign": campaign.pk,
        "name": campaign.name,
        "entries": [e.pk for e in entries],
        "inspector": inspector_id,
    }


def unassigned_payload(
    campaign: Campaign,
    entries: Sequence[CampaignPremises],
    *,
    inspectors: Sequence[int],
    discarded: Sequence[CampaignPremises],
    reason: str,
) -> dict:
    """`campaign.unassigned`: premises the office took back, from whom, and what was discarded."""
    return {
        "campaign": campaign.pk,
        "name": campaign.name,
        "entries": [e.pk for e in entries],
        "premises": [e.premises_id for e in entries],
        "inspectors": list(inspectors),
        "discarded": [e.pk for e in discarded],
        "reason": reason,
    }
