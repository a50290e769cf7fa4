"""Volunteers for the coupon-audience tests, made through the volunteers services."""

from __future__ import annotations

import itertools

from govern.models import Community
from govern.roles import DISPATCHER, RESIDENT
from tests.factories import UserFactory
from volunteers import services
from volunteers.models import Volunteer

_phones = itertools.count(13900000000)


def make_community(name: str) -> Community:
    return Community.objects.get_or_create(name=name, defaults={"code": f"C{abs(hash(name)) % 10**6:06d}"})[0]


def make_team(community: Community, name: str):
    return services.team_create(community_id=community.pk, name=name)


def make_member(community: Community, *, team=None, approved: bool = True, minutes: int = 0) -> Volunteer:
    """A volunteer of `community` (approved unless told otherwise) with `minutes` credited."""
    user = UserFactory(roles=[RESIDENT])
    boss = UserFactory(roles=[DISPATCHER])
    volunteer = services.volunteer_apply(
        actor=user,
        real_name="志愿者",
        phone=str(next(_phones)),
        community_id=community.pk,
        skills=[],
        team_id=team.pk if team else None,
        availability=[],
    )
    if approved:
        services.volunteer_approve(volunteer_id=volunteer.pk, actor=boss)
    if minutes:
        from volunteers.service_records import service_record_create

        service_record_create(
            volunteer_user_id=user.pk, minutes=minutes, source_ref=f"import:{user.pk}", source="import", actor=None
        )
    volunteer.refresh_from_db()
    return volunteer
