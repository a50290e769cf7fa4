"""Who may redeem a coupon (Coupon.audience): the check the redemption runs inside its
transaction, and the badge the shop shows. Rewards reads volunteers here (rewards sits above
volunteers; volunteers never imports rewards).

Every audience but `everyone` needs an APPROVED volunteer profile: a pending, rejected or
suspended volunteer is refused like a resident. "Approved hours" are the volunteer's credited
service minutes (verified tasks and reviewed records) divided by 60.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from rewards.models import Audience, Coupon
from volunteers.models import Volunteer, VolunteerStatus


@dataclass(frozen=True)
class Member:
    """What an audience looks at about a person: their approved volunteer profile."""

    team_id: int | None
    community_id: int
    service_minutes: int


def member_of(user_id: int | None) -> Member | None:
    """The approved volunteer profile of a user (one query), or None."""
    if user_id is None:
        return None
    row = (
        Volunteer.objects.filter(user_id=user_id, status=VolunteerStatus.APPROVED)
        .values_list("team_id", "community_id", "service_minutes")
        .first()
    )
    return Member(*row) if row is not None else None


def audience_refusal(coupon: Coupon, member: Member | None, *, team_ids: set[int] | None = None) -> str | None:
    """Why this person may not redeem the coupon (a sentence), or None when they may.
    `team_ids`: the coupon's audience teams when the caller has them already (the shop
    prefetches them); otherwise they are read (one query, only for a `teams` audience)."""
    if coupon.audience == Audience.EVERYONE:
        return None
    if member is None:
        if coupon.audience == Audience.VOLUNTEERS:
            return _("Only approved volunteers can redeem this coupon.")
        return _("Only approved volunteers can redeem this coupon (%(who)s).") % {"who": audience_badge(coupon)}
    if coupon.audience == Audience.VOLUNTEERS:
        return None
    if coupon.audience == Audience.TEAMS:
        if team_ids is None:
            team_ids = set(coupon.audience_teams.values_list("pk", flat=True))
        if member.team_id in team_ids:
            return None
        return _("This coupon is only for members of certain volunteer teams.")
    if coupon.audience == Audience.COMMUNITY:
        if member.community_id == coupon.audience_community_id:
            return None
        return _("This coupon is only for volunteers of %(community)s.") % {"community": coupon.audience_community.name}
    hours = member.service_minutes // 60
    if hours >= (coupon.audience_min_hours or 0):
        return None
    return _("Only for volunteers with at least %(need)d approved hours; you have %(have)d.") % {
        "need": coupon.audience_min_hours,
        "have": hours,
    }


def audience_badge(coupon: Coupon, *, team_names: list[str] | None = None) -> str:
    """The shop's badge: "" for everyone, else who may redeem, in words."""
    if coupon.audience == Audience.EVERYONE:
        return ""
    if coupon.audience == Audience.VOLUNTEERS:
        return _("Volunteers only")
    if coupon.audience == Audience.TEAMS:
        if team_names:
            return _("Teams only: %(teams)s") % {"teams": "、".join(team_names)}
        return _("Given teams only")
    if coupon.audience == Audience.COMMUNITY:
        name = coupon.audience_community.name if coupon.audience_community_id else ""
        return _("Volunteers of %(community)s only") % {"community": name}
    return _("Volunteers with %(hours)d+ approved hours") % {"hours": coupon.audience_min_hours or 0}
