"""Fixtures and builders of the campaign tests (a pytest plugin named in tests/conftest.py, so the
browser test and the security tests can use them too; every fixture name starts with `campaign_`)."""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass

import pytest

from govern.roles import DISPATCHER, GRID_WORKER, RESIDENT, VOLUNTEER
from hazards.premises.campaigns.demo import seed_checklists
from hazards.premises.models import Premises, PremisesType
from tests.factories import UserFactory, make_grid
from tests.hazards.images import jpeg_bytes, upload

_codes = itertools.count(1)


@pytest.fixture
def campaign_media(settings, tmp_path):
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


def stored_files(root) -> list[str]:
    return sorted(os.path.join(d, f) for d, _dirs, files in os.walk(root) for f in files)


def ensure_types() -> None:
    from importlib import import_module

    import_module("hazards.premises.migrations.0002_premises_types").seed_types(_Apps(), None)


class _Apps:
    """The real models for a data migration's seed function (transactional tests flush them)."""

    def get_model(self, app_label, model_name):
        from django.apps import apps

        return apps.get_model(app_label, model_name)


def make_premises(
    grid, *, type_slug: str = "restaurant", street: str = "汾湖大道", name: str | None = None, offset=0.0
) -> Premises:
    n = next(_codes)
    return Premises.objects.create(
        code=f"P-{n:05d}",
        name=name or f"小饭店{n}",
        type=PremisesType.objects.get(slug=type_slug),
        address=f"{street}{n}号",
        street=street,
        latitude=grid.min_latitude + 0.002 + offset,
        longitude=grid.min_longitude + 0.002 + offset,
        grid=grid,
        responsible_name="老板",
    )


def approved_volunteer(community, **kwargs):
    from volunteers.models import Volunteer, VolunteerStatus

    user = UserFactory(roles=[RESIDENT, VOLUNTEER], **kwargs)
    Volunteer.objects.create(
        user=user, real_name="志愿者", phone=user.phone, community=community, status=VolunteerStatus.APPROVED
    )
    return user


def fail_photo(seed: int = 5):
    return upload("fail.jpg", jpeg_bytes(size=(320, 240), seed=seed))


@pytest.fixture
def campaign_checklists(db):
    ensure_types()
    seed_checklists()


@pytest.fixture
def campaign_office(db):
    return UserFactory(roles=[DISPATCHER], display_name="指挥室")


@pytest.fixture
def campaign_area(db):
    """Two grids side by side, each with its grid worker, and premises on two streets."""
    west = make_grid(west=120.80, south=30.90)
    east = make_grid(west=120.81, south=30.90)
    worker_w = UserFactory(roles=[GRID_WORKER], display_name="网格员西")
    worker_e = UserFactory(roles=[GRID_WORKER], display_name="网格员东")
    west.workers.add(worker_w)
    east.workers.add(worker_e)
    return {"west": west, "east": east, "worker_w": worker_w, "worker_e": worker_e}


@dataclass
class CampaignWorld:
    campaign: object  # active, over two restaurants in grid1's grid, both assigned to the matrix's volunteer
    pending: object  # a CampaignPremises not started yet
    inspection: object  # the other one, started, every item passed (ready to submit)
    item: object  # an item of that inspection's checklist


def campaign_world(world) -> CampaignWorld:
    """For tests/security: a campaign on top of the demo district and tests.security.world."""
    from hazards.premises.campaigns import inspections, services
    from hazards.premises.models import ChecklistItem

    ensure_types()
    seed_checklists()
    dispatcher, volunteer = world.users["dispatcher"], world.users["volunteer"]
    grid = world.grid1_grid
    first = make_premises(grid, name="矩阵饭店一", offset=0.005)
    second = make_premises(grid, name="矩阵饭店二", offset=0.006)
    campaign = services.campaign_create(
        actor=dispatcher, name="矩阵检查", grid_ids=[grid.pk], type_slugs=["restaurant"]
    )
    services.campaign_assign(
        campaign_id=campaign.pk, actor=dispatcher, inspector_id=volunteer.pk, premises_ids=[first.pk, second.pk]
    )
    services.campaign_activate(campaign_id=campaign.pk, actor=dispatcher)
    started = campaign.entries.get(premises=first)
    inspection = inspections.inspection_start(entry_id=started.pk, actor=volunteer)
    items = list(ChecklistItem.objects.filter(checklist=inspection.checklist, active=True))
    for item in items:
        inspections.inspection_record_item(
            inspection_id=inspection.pk, actor=volunteer, item_id=item.pk, outcome="pass"
        )
    return CampaignWorld(
        campaign=campaign, pending=campaign.entries.get(premises=second), inspection=inspection, item=items[0]
    )
