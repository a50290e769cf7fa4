"""Races against real PostgreSQL with real threads (CI's services pass): an inspection and a sensor
alert linking the same hazard at once, and two imports or creates of the same register code."""

from __future__ import annotations

import pytest

from govern.errors import InvalidInput
from govern.models import LiveEvent
from hazards.premises.imports import premises_import
from hazards.premises.models import Premises, PremisesHazard
from hazards.premises.services import premises_create, premises_link_hazard
from tests.premises.conftest import INSIDE
from tests.volunteers.test_concurrency import race

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_concurrent_links_of_one_hazard_make_one_link_and_one_event(make_premises, make_hazard):
    premises = make_premises()
    hazard = make_hazard()
    results = race(
        6,
        lambda i: premises_link_hazard(
            premises_id=premises.pk, hazard_id=hazard.pk, origin=["inspection", "sensor"][i % 2]
        ),
    )
    assert all(isinstance(r, PremisesHazard) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert PremisesHazard.objects.filter(hazard=hazard).count() == 1
    assert LiveEvent.objects.filter(type="premises.hazard_linked").count() == 1


def test_concurrent_creates_of_one_code_register_it_once(boss, grid):
    def create(i):
        return premises_create(
            actor=boss,
            code="WH-RACE",
            name=f"店{i}",
            type="restaurant",
            address="文化路1号",
            latitude=INSIDE[0],
            longitude=INSIDE[1],
            responsible_name="王",
        )

    results = race(5, create)
    created = [r for r in results if isinstance(r, Premises)]
    refused = [r for r in results if isinstance(r, InvalidInput)]
    assert len(created) == 1 and len(refused) == 4, results
    assert all(r.field == "code" for r in refused)
    assert Premises.objects.filter(code="WH-RACE").count() == 1


def test_concurrent_imports_of_one_file_upsert_without_duplicates(boss, grid):
    text = "code,name,type,address,latitude,longitude,responsible_name\n" + "\n".join(
        f"WH-{n:03d},店{n},restaurant,文化路{n}号,{INSIDE[0]},{INSIDE[1]},王" for n in range(20)
    )
    results = race(3, lambda i: premises_import(data=text, actor=boss))
    assert sum(r.committed for r in results) >= 1, results
    assert Premises.objects.count() == 20
