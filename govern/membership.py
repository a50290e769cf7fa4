"""Who a person is in the community's volunteer service, for apps that must not import volunteers.

rewards restricts coupons to approved volunteers, teams, communities or hours of service
(rewards.audience), but rewards and volunteers know nothing of each other (the import contract
"apps"). So the kernel holds this port: volunteers registers its lookup when Django starts
(volunteers.apps), and rewards asks through `member_of`. Without a registered lookup nobody is a
member, so restricted coupons are refused rather than given away.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Member:
    """An APPROVED volunteer's standing: team, community and credited service minutes."""

    team_id: int | None
    community_id: int
    service_minutes: int


_lookup: Callable[[int], Member | None] | None = None


def register_member_lookup(lookup: Callable[[int], Member | None]) -> None:
    """Called once by the volunteers app (AppConfig.ready)."""
    global _lookup
    _lookup = lookup


def member_of(user_id: int | None) -> Member | None:
    """The approved volunteer standing of a user, or None (not a volunteer, not approved)."""
    if user_id is None or _lookup is None:
        return None
    return _lookup(int(user_id))
