"""seed_demo's premises register: realistic, idempotent, with safety officers and a hazard history."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from govern.demo import DEMO_ACCOUNTS
from govern.models import User
from hazards.premises.demo import RESTAURANT_COUNT, WENHUA_ROAD
from hazards.premises.models import Premises, PremisesHazard

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def test_seed_demo_registers_premises_idempotently():
    call_command("seed_demo", verbosity=0)
    counts = (Premises.objects.count(), PremisesHazard.objects.count())
    call_command("seed_demo", verbosity=0)
    assert (Premises.objects.count(), PremisesHazard.objects.count()) == counts

    restaurants = Premises.objects.filter(street=WENHUA_ROAD, type__slug="restaurant")
    assert restaurants.count() == RESTAURANT_COUNT == 69
    grids = set(restaurants.values_list("grid__code", flat=True))
    assert grids == {"lili-1", "lili-2"}
    assert Premises.objects.filter(type__slug="shop").count() >= 3
    assert Premises.objects.filter(type__slug="workshop").count() >= 2
    assert "safety1" in DEMO_ACCOUNTS and "safety2" in DEMO_ACCOUNTS
    plant = Premises.objects.get(responsible_user__username="safety1")
    warehouse = Premises.objects.get(responsible_user__username="safety2")
    assert plant.type.slug == warehouse.type.slug == "enterprise"
    assert "钢" in plant.name and "仓储" in warehouse.name
    # grid2 (the demo grid worker of 芦墟社区's first grid) looks after the steel plant.
    assert plant.grid.workers.filter(username="grid2").exists()
    assert counts[1] == 3  # three demo reports are about a premises
    assert User.objects.get(username="safety1").check_password("govern-demo")
