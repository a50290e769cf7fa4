"""Fixtures of the volunteers tests: skills, communities with teams, volunteers built through services."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from govern.models import LiveEvent
from govern.roles import DISPATCHER, RESIDENT
from tests.factories import CommunityFactory, UserFactory
from volunteers import clean, duty, services
from volunteers.models import Skill

_phones = itertools.count(1)

# Inside the demo-like test area (tests/conftest.py grids start at 120.80, 30.90).
HOME = (30.905, 120.805)


@pytest.fixture
def skills(db):
    rows = [
        ("first-aid", "急救", "First aid"),
        ("electrician", "电工", "Electrician"),
        ("gas-safety", "燃气安全", "Gas safety"),
    ]
    return {
        slug: Skill.objects.get_or_create(slug=slug, defaults={"name": zh, "name_en": en})[0] for slug, zh, en in rows
    }


@pytest.fixture
def community(db):
    return CommunityFactory(code="lili", name="黎里社区")


@pytest.fixture
def other_community(db):
    return CommunityFactory(code="luxu", name="芦墟社区")


@pytest.fixture
def team(community):
    return services.team_create(community_id=community.pk, name="黎里蓝盾志愿队")


@pytest.fixture
def boss(db):
    """A dispatcher who decides on volunteers."""
    return UserFactory(roles=[DISPATCHER])


def next_phone() -> str:
    return f"158{next(_phones):08d}"


@pytest.fixture
def make_volunteer(db, community, boss):
    """make_volunteer(status="approved", position=(lat, lng), skills={"gas-safety": date|None}, team=..., user=...)."""

    def make(
        *,
        status="approved",
        position=None,
        skills=None,
        team=None,
        user=None,
        leader=False,
        real_name="志愿者",
        community_obj=None,
        availability=(),
    ):
        user = user or UserFactory(roles=[RESIDENT])
        claims = [clean.SkillClaim(slug, until) for slug, until in (skills or {}).items()]
        volunteer = services.volunteer_apply(
            actor=user,
            real_name=real_name,
            phone=next_phone(),
            community_id=(community_obj or community).pk,
            skills=claims,
            team_id=team.pk if team else None,
            availability=list(availability),
        )
        if status in ("approved", "suspended"):
            services.volunteer_approve(volunteer_id=volunteer.pk, actor=boss)
        if status == "rejected":
            services.volunteer_reject(volunteer_id=volunteer.pk, actor=boss, reason="not local")
        if position is not None:
            duty.volunteer_duty_set(actor=user, on_duty=True, latitude=position[0], longitude=position[1])
        if leader:
            services.team_leader_set(volunteer_id=volunteer.pk, is_leader=True, actor=boss)
        if status == "suspended":
            services.volunteer_suspend(volunteer_id=volunteer.pk, actor=boss, reason="complaint")
        volunteer.refresh_from_db()
        return volunteer

    return make


def events(type_: str | None = None, after: int = 0):
    qs = LiveEvent.objects.filter(id__gt=after).order_by("id")
    if type_:
        qs = qs.filter(type=type_)
    return list(qs)


def last_event_id() -> int:
    return LiveEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def days(n: int) -> dt.date:
    from django.utils import timezone

    return timezone.localdate() + dt.timedelta(days=n)
