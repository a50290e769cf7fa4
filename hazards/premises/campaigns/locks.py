"""Row locks of inspection campaigns, always taken in this order so two services never wait for
each other in a circle: campaign premises rows (by primary key) → the inspection → the campaign
row (whose progress counters move with F()) → the live outbox's publish lock (govern.live).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.utils.translation import gettext as _

from govern.errors import InvalidInput, NotFound
from hazards.premises.models import Campaign, CampaignPremises, Inspection


def lock_entries(ids: Iterable[int]) -> list[CampaignPremises]:
    return list(
        CampaignPremises.objects.select_for_update(of=("self",))
        .select_related("premises", "inspector")
        .filter(pk__in=sorted(set(ids)))
        .order_by("pk")
    )


def lock_campaign_premises(*, campaign: Campaign, premises_ids: Sequence[int]) -> list[CampaignPremises]:
    """The campaign's entries for these premises, row-locked in id order; a 400 naming any
    premises that is not in the campaign."""
    wanted = list(
        CampaignPremises.objects.filter(campaign=campaign, premises_id__in=premises_ids).values_list("pk", flat=True)
    )
    entries = lock_entries(wanted)
    found = {e.premises_id for e in entries}
    strangers = [str(p) for p in premises_ids if p not in found]
    if strangers:
        raise InvalidInput(
            _("Not in this campaign: premises %(ids)s.") % {"ids": ", ".join(strangers)}, field="premises"
        )
    return entries


def lock_inspection(inspection_id) -> Inspection:
    inspection = (
        Inspection.objects.select_for_update(of=("self",))
        .select_related("entry", "entry__premises", "entry__inspector", "checklist")
        .filter(pk=inspection_id)
        .first()
    )
    if inspection is None:
        raise NotFound(_("No such inspection assigned to you."))
    return inspection


def lock_campaign(campaign_id) -> Campaign:
    campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound(_("No campaign with this id."))
    return campaign
