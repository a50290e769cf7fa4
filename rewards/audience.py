"""Who may redeem a coupon (Coupon.audience): the check the redemption runs inside its
transaction, and the badge the shop shows. Who is an approved volunteer comes through the
kernel's port (govern.membership), as rewards and volunteers never import each other.

Every audience but `everyone` needs an APPROVED volunteer profile: a pending, rejected or
suspended volunteer is refused like a resident. "Approved hours" are the volunteer's credited
service minutes (verified tasks and reviewed records) divided by 60.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from govern.membership import Member, member_of
from rewards.models import Audience, Coupon

__all__ = ["audience_badge", "audience_refusal", "member_of"]


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
