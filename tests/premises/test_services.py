"""premises_create / premises_update / premises_link_hazard."""

from __future__ import annotations

import pytest
from django.utils import translation

from govern.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from govern.models import LiveEvent
from hazards.premises.models import Premises, PremisesHazard
from hazards.premises.services import premises_create, premises_link_hazard, premises_update
from tests.premises.conftest import INSIDE, INSIDE_OTHER

pytestmark = pytest.mark.django_db


def test_create_computes_the_grid_from_the_point(make_premises, grid, other_grid):
    here = make_premises()
    there = make_premises(latitude=INSIDE_OTHER[0], longitude=INSIDE_OTHER[1])
    assert here.grid_id == grid.pk and there.grid_id == other_grid.pk
    assert here.type.slug == "restaurant" and here.street == "文化路"


@translation.override("en")  # the assertions read the English sentences
def test_a_point_outside_every_grid_is_refused_naming_latitude_and_longitude(make_premises, grid):
    with pytest.raises(InvalidInput) as caught:
        make_premises(latitude=31.5, longitude=121.5)
    assert caught.value.field == "latitude"
    assert "latitude/longitude" in str(caught.value.message)
    assert not Premises.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"responsible_phone": "12345"}, "responsible_phone"),
        ({"contact_phone": "call me"}, "contact_phone"),
        ({"type": "casino"}, "type"),
        ({"code": "has space"}, "code"),
        ({"name": " "}, "name"),
        ({"latitude": float("nan")}, "latitude"),
        ({"longitude": 500}, "longitude"),
        ({"responsible_user": 987654}, "responsible_user"),
        ({"notes": "x" * 2001}, "notes"),
    ],
)
def test_bad_fields_are_400s_naming_the_field(make_premises, grid, overrides, field):
    with pytest.raises(InvalidInput) as caught:
        make_premises(**overrides)
    assert caught.value.field == field
    assert not Premises.objects.exists()


def test_a_duplicate_code_is_refused(make_premises):
    make_premises(code="WH-1")
    with pytest.raises(InvalidInput) as caught:
        make_premises(code="WH-1")
    assert caught.value.field == "code"
    assert Premises.objects.count() == 1


def test_only_dispatchers_write(grid, worker, officer):
    for actor in (worker, officer):
        with pytest.raises(PermissionDenied):
            premises_create(
                actor=actor,
                code="X1",
                name="n",
                type="shop",
                address="a",
                latitude=INSIDE[0],
                longitude=INSIDE[1],
                responsible_name="r",
            )
    assert not Premises.objects.exists()


def test_update_moves_grid_with_the_point_and_keeps_the_rest(make_premises, boss, other_grid, officer):
    premises = make_premises()
    updated = premises_update(
        actor=boss,
        premises_id=premises.pk,
        longitude=INSIDE_OTHER[1],
        responsible_user=officer.pk,
        responsible_phone="139 1234 0000",
    )
    assert updated.grid_id == other_grid.pk
    assert updated.latitude == INSIDE[0] and updated.name == premises.name
    assert updated.responsible_user_id == officer.pk and updated.responsible_phone == "13912340000"
    with pytest.raises(InvalidInput):
        premises_update(actor=boss, premises_id=premises.pk, latitude=10.0)
    assert Premises.objects.get(pk=premises.pk).grid_id == other_grid.pk
    with pytest.raises(NotFound):
        premises_update(actor=boss, premises_id=999999, name="x")


def test_link_is_idempotent_and_publishes_once(make_premises, make_hazard, officer, django_capture_on_commit_callbacks):
    premises = make_premises(responsible_user=officer.pk)
    hazard = make_hazard()
    before = LiveEvent.objects.filter(type="premises.hazard_linked").count()
    with django_capture_on_commit_callbacks(execute=True):
        first = premises_link_hazard(premises_id=premises.pk, hazard_id=hazard.pk, origin="inspection")
    again = premises_link_hazard(premises_id=premises.pk, hazard_id=hazard.pk, origin="sensor")
    assert first.pk == again.pk and again.origin == "inspection"
    assert PremisesHazard.objects.count() == 1
    events = LiveEvent.objects.filter(type="premises.hazard_linked")
    assert events.count() == before + 1
    event = events.latest("id")
    assert set(event.topics) == {"dispatch", f"grid:{premises.grid_id}", f"user:{officer.pk}"}
    assert event.data["premises_id"] == premises.pk
    assert event.data["hazard"]["tracking_code"] == hazard.tracking_code
    assert event.data["origin"] == "inspection"


def test_link_refuses_another_premises_bad_origin_and_unknown_ids(make_premises, make_hazard):
    one, two = make_premises(), make_premises()
    hazard = make_hazard()
    premises_link_hazard(premises_id=one.pk, hazard_id=hazard.pk, origin="report")
    with pytest.raises(Conflict):
        premises_link_hazard(premises_id=two.pk, hazard_id=hazard.pk, origin="report")
    with pytest.raises(InvalidInput) as caught:
        premises_link_hazard(premises_id=one.pk, hazard_id=make_hazard().pk, origin="gossip")
    assert caught.value.field == "origin"
    with pytest.raises(NotFound):
        premises_link_hazard(premises_id=999999, hazard_id=hazard.pk, origin="report")
    with pytest.raises(NotFound):
        premises_link_hazard(premises_id=one.pk, hazard_id=999999, origin="report")
    assert PremisesHazard.objects.count() == 1
