"""A campaign's progress: its counters, moved with F() under the campaign's row lock, and the
`campaign.progress` event that follows every change of them."""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone

from govern.live import DISPATCH_TOPIC, publish, user_topic
from hazards.premises.campaigns.payloads import progress_payload
from hazards.premises.models import Campaign, CampaignPremises


def campaign_counters(campaign_id: int, **deltas: int) -> Campaign:
    """Move the counters by `deltas` and return the campaign as it now stands."""
    changes = {name: F(name) + delta for name, delta in deltas.items() if delta}
    if changes:
        Campaign.objects.filter(pk=campaign_id).update(updated_at=timezone.now(), **changes)
    return Campaign.objects.get(pk=campaign_id)


def publish_progress(campaign: Campaign, entry: CampaignPremises | None = None, hazards=(), extra_users=()) -> None:
    topics = [DISPATCH_TOPIC, *(user_topic(uid) for uid in extra_users if uid)]
    if entry is not None and entry.inspector_id:
        topics.append(user_topic(entry.inspector_id))
    publish(topics, "campaign.progress", progress_payload(campaign, entry, hazards))
