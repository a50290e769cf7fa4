"""Payloads of the premises register's live events (docs/events.md, premises.*)."""

from __future__ import annotations

from hazards.core.events import hazard_fields
from hazards.models import Hazard
from hazards.premises.models import PremisesHazard

# The hazard as a premises' history shows it.
LINKED_HAZARD = (
    "id",
    "tracking_code",
    "status",
    "severity",
    "category",
    "category_name",
    "category_name_en",
    "created_at",
)


def hazard_linked(link: PremisesHazard, hazard: Hazard) -> dict:
    """`premises.hazard_linked`: a hazard entered a premises' history."""
    return {
        "premises_id": link.premises_id,
        "origin": link.origin,
        "linked_at": link.created_at.isoformat(),
        "hazard": hazard_fields(hazard, LINKED_HAZARD),
    }
