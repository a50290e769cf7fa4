"""Fixtures of the hazards tests: seeded categories/rules, an isolated MEDIA_ROOT, report helpers."""

from __future__ import annotations

import logging
import os

import pytest

from hazards.demo import seed_categories, seed_rules
from hazards.reports.services import hazard_report
from tests.hazards.images import jpeg_bytes, upload

INSIDE = (30.905, 120.805)  # inside the `grid` fixture (120.80–120.81 E, 30.90–30.91 N)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


def stored_files(root) -> list[str]:
    return sorted(os.path.join(d, f) for d, _dirs, files in os.walk(root) for f in files)


@pytest.fixture
def categories(db):
    cats = seed_categories()
    seed_rules(cats)
    return cats


def report_form(*, photos=None, **overrides) -> dict:
    data = {
        "category": "electrical-wiring",
        "description": "楼道里私拉电线",
        "latitude": str(INSIDE[0]),
        "longitude": str(INSIDE[1]),
        "address": "3号楼",
        "contact_phone": "13812345678",
    }
    data.update(overrides)
    data["photos"] = photos if photos is not None else [upload("a.jpg", jpeg_bytes())]
    return data


@pytest.fixture
def make_hazard(categories, grid):
    counter = {"n": 0}

    def make(
        *,
        reporter=None,
        category="electrical-wiring",
        latitude=INSIDE[0],
        longitude=INSIDE[1],
        description=None,
        photos=None,
        seed=None,
    ):
        counter["n"] += 1
        n = counter["n"]
        return hazard_report(
            reporter=reporter,
            category_slug=category,
            description=description or f"测试隐患 {n}",
            latitude=latitude,
            longitude=longitude,
            photos=photos
            or [upload(f"p{n}.jpg", jpeg_bytes(size=(200, 150), seed=seed if seed is not None else 1000 + n))],
        ).hazard

    return make


def english(client):
    """Ask for English sentences (the default language is Chinese)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def anon_en():
    from rest_framework.test import APIClient

    return english(APIClient())


def as_user(user):
    from tests.conftest import client_for

    return english(client_for(user))


def walk(hazard, *statuses, actor=None):
    """Move a hazard along the lifecycle through the one transition service."""
    from hazards.core.lifecycle import hazard_transition

    for status in statuses:
        hazard = hazard_transition(hazard_id=hazard.pk, actor=actor, to_status=status, note=f"to {status}")
    return hazard


# --- dispatch (issue 6) -------------------------------------------------------------------------------

import itertools  # noqa: E402

_dispatch_phones = itertools.count(1)


@pytest.fixture
def boss(db):
    """A dispatcher who approves volunteers and dispatches."""
    from govern.roles import DISPATCHER
    from tests.factories import UserFactory

    return UserFactory(roles=[DISPATCHER], username="boss", display_name="值班民警")


@pytest.fixture
def on_duty(db, grid, boss):
    """on_duty(position=(lat, lng), skills={"slug": date|None}, max_tasks=2, name=...) → an approved
    volunteer on duty at `position`, built through the volunteers services."""
    from govern.roles import RESIDENT, VOLUNTEER
    from tests.factories import UserFactory
    from volunteers import clean, duty, services
    from volunteers.models import Skill, Volunteer

    def make(position, *, skills=None, max_tasks=2, name=None, user=None):
        user = user or UserFactory(roles=[RESIDENT, VOLUNTEER], display_name=name or "")
        for slug in skills or {}:
            Skill.objects.get_or_create(slug=slug, defaults={"name": slug, "name_en": slug})
        claims = [clean.SkillClaim(slug, until) for slug, until in (skills or {}).items()]
        volunteer = services.volunteer_apply(
            actor=user,
            real_name=name or "志愿者",
            phone=f"157{next(_dispatch_phones):08d}",
            community_id=grid.community_id,
            skills=claims,
            availability=[],
        )
        services.volunteer_approve(volunteer_id=volunteer.pk, actor=boss)
        Volunteer.objects.filter(pk=volunteer.pk).update(max_active_tasks=max_tasks)
        duty.volunteer_duty_set(actor=user, on_duty=True, latitude=position[0], longitude=position[1])
        volunteer.refresh_from_db()
        return volunteer

    return make


@pytest.fixture
def triaged(make_hazard, boss):
    """triaged(**make_hazard kwargs) → a hazard accepted at triage (ready for dispatch)."""
    from hazards.triage.services import hazard_triage

    def make(severity=None, **kwargs):
        hazard = make_hazard(**kwargs)
        return hazard_triage(hazard_id=hazard.pk, actor=boss, decision="accept", severity=severity)

    return make


class Heard(logging.Handler):
    """The records one logger emits (govern's loggers do not propagate to the root, which writes
    JSON lines, so pytest's caplog never sees them): `logger.addHandler(Heard())`."""

    def __init__(self, level=logging.INFO):
        super().__init__(level)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)
