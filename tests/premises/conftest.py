"""Fixtures of the premises tests: types (seeded by migration), two grids, role users, a premises factory."""

from __future__ import annotations

import itertools

import pytest

from govern.roles import DISPATCHER, GRID_WORKER, RESIDENT
from hazards.demo import seed_categories
from hazards.reports.services import hazard_report
from tests.factories import UserFactory

INSIDE = (30.905, 120.805)  # inside the `grid` fixture (120.80–120.81 E, 30.90–30.91 N)
INSIDE_OTHER = (30.905, 120.815)  # inside `other_grid`

_codes = itertools.count(1)


@pytest.fixture
def boss(db):
    return UserFactory(roles=[DISPATCHER])


@pytest.fixture
def worker(db, grid):
    user = UserFactory(roles=[GRID_WORKER])
    grid.workers.add(user)
    return user


@pytest.fixture
def other_worker(db, other_grid):
    user = UserFactory(roles=[GRID_WORKER])
    other_grid.workers.add(user)
    return user


@pytest.fixture
def officer(db):
    """A safety officer: an ordinary account that answers for a premises."""
    return UserFactory(roles=[RESIDENT])


@pytest.fixture
def make_premises(boss, grid, other_grid):
    from hazards.premises.services import premises_create

    def make(**overrides):
        n = next(_codes)
        values = {
            "code": f"T-{n:04d}",
            "name": f"测试饭店{n}",
            "type": "restaurant",
            "address": f"文化路{n}号",
            "street": "文化路",
            "latitude": INSIDE[0],
            "longitude": INSIDE[1],
            "contact_name": "王老板",
            "contact_phone": "0512-63251234",
            "responsible_name": "王建国",
            "responsible_phone": "13912345678",
        }
        values.update(overrides)
        return premises_create(actor=boss, **values)

    return make


@pytest.fixture
def categories(db):
    return seed_categories()


@pytest.fixture
def make_hazard(categories):
    counter = itertools.count(1)

    def make(*, latitude=INSIDE[0], longitude=INSIDE[1], category="gas-safety"):
        return hazard_report(
            reporter=None,
            category_slug=category,
            description=f"液化气罐紧挨灶台 {next(counter)}",
            latitude=latitude,
            longitude=longitude,
            photos=[],
            photos_required=False,
        ).hazard

    return make
