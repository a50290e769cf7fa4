"""The premises API: visibility per role, phone masking, filters, writes, constant query counts."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from hazards.premises.models import Premises
from hazards.premises.services import premises_link_hazard
from tests.conftest import client_for
from tests.premises.conftest import INSIDE, INSIDE_OTHER

pytestmark = pytest.mark.django_db

MASKED_MOBILE = "139****5678"
MASKED_LANDLINE = "051****1234"


def ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


def test_who_sees_which_premises(make_premises, boss, worker, other_worker, officer, resident):
    mine = make_premises(responsible_user=officer.pk)
    here = make_premises()
    there = make_premises(latitude=INSIDE_OTHER[0], longitude=INSIDE_OTHER[1])
    assert ids(client_for(boss).get("/api/v1/premises/")) == {mine.pk, here.pk, there.pk}
    assert ids(client_for(worker).get("/api/v1/premises/")) == {mine.pk, here.pk}
    assert ids(client_for(other_worker).get("/api/v1/premises/")) == {there.pk}
    assert ids(client_for(officer).get("/api/v1/premises/")) == {mine.pk}
    assert client_for(resident).get("/api/v1/premises/").status_code == 403
    assert APIClient().get("/api/v1/premises/").status_code == 401

    assert client_for(officer).get(f"/api/v1/premises/{mine.pk}/").status_code == 200
    assert client_for(officer).get(f"/api/v1/premises/{here.pk}/").status_code == 404
    assert client_for(other_worker).get(f"/api/v1/premises/{here.pk}/").status_code == 404
    assert client_for(resident).get(f"/api/v1/premises/{here.pk}/").status_code == 404
    assert APIClient().get(f"/api/v1/premises/{here.pk}/").status_code == 401


def test_phones_are_masked_except_for_dispatchers_and_the_responsible_person(make_premises, boss, worker, officer):
    premises = make_premises(responsible_user=officer.pk)
    url = f"/api/v1/premises/{premises.pk}/"
    for user in (boss, officer):
        body = client_for(user).get(url).json()
        assert (body["contact_phone"], body["responsible_phone"]) == ("0512-63251234", "13912345678")
    body = client_for(worker).get(url).json()
    assert (body["contact_phone"], body["responsible_phone"]) == (MASKED_LANDLINE, MASKED_MOBILE)
    listed = client_for(worker).get("/api/v1/premises/")
    assert b"13912345678" not in listed.content and b"63251234" not in listed.content
    assert listed.json()["results"][0]["responsible_phone"] == MASKED_MOBILE


def test_detail_has_the_hazard_history_newest_first(make_premises, make_hazard, boss, settings):
    settings.PREMISES_HISTORY_LIMIT = 2
    premises = make_premises()
    hazards = [make_hazard() for _ in range(3)]
    for hazard, origin in zip(hazards, ["report", "inspection", "sensor"], strict=True):
        premises_link_hazard(premises_id=premises.pk, hazard_id=hazard.pk, origin=origin)
    body = client_for(boss).get(f"/api/v1/premises/{premises.pk}/").json()
    assert [h["hazard_id"] for h in body["history"]] == [hazards[2].pk, hazards[1].pk]
    entry = body["history"][0]
    assert entry["origin"] == "sensor" and entry["status"] == "submitted"
    assert entry["category"]["slug"] == "gas-safety" and entry["tracking_code"] == hazards[2].tracking_code
    assert entry["tracking_url"] == f"/track/{hazards[2].tracking_code}/"
    assert body["hazard_total"] == 3 and body["open_hazards"] == 3
    listed = client_for(boss).get("/api/v1/premises/").json()["results"][0]
    assert (listed["open_hazards"], listed["hazard_total"]) == (3, 3)


def test_filters(make_premises, boss, grid, other_grid):
    a = make_premises(name="老王面馆", street="文化路")
    b = make_premises(type="shop", street="黎里老街", latitude=INSIDE_OTHER[0], longitude=INSIDE_OTHER[1])
    c = make_premises(type="enterprise", name="汾湖特钢", code="91320509MA1X", street="汾湖大道")
    api = client_for(boss)
    assert ids(api.get("/api/v1/premises/", {"grid": grid.pk})) == {a.pk, c.pk}
    assert ids(api.get("/api/v1/premises/", {"grid": f"{grid.pk},{other_grid.pk}"})) == {a.pk, b.pk, c.pk}
    assert ids(api.get("/api/v1/premises/", {"type": "shop"})) == {b.pk}
    assert ids(api.get("/api/v1/premises/", {"type": "shop,enterprise"})) == {b.pk, c.pk}
    assert ids(api.get("/api/v1/premises/", {"street": "文化路"})) == {a.pk}
    assert ids(api.get("/api/v1/premises/", {"q": "特钢"})) == {c.pk}
    assert ids(api.get("/api/v1/premises/", {"q": "MA1X"})) == {c.pk}
    assert ids(api.get("/api/v1/premises/", {"has_open_hazards": "false"})) == {a.pk, b.pk, c.pk}
    bad = api.get("/api/v1/premises/", {"grid": "x"})
    assert bad.status_code == 400 and "grid" in bad.json()["errors"]


def test_dispatchers_create_and_patch(boss, worker, officer, grid, other_grid):
    body = {
        "code": "WH-001",
        "name": "老王面馆",
        "type": "restaurant",
        "address": "文化路1号",
        "latitude": INSIDE[0],
        "longitude": INSIDE[1],
        "responsible_name": "王建国",
        "responsible_phone": "13912345678",
        "responsible_user": officer.pk,
    }
    assert client_for(worker).post("/api/v1/premises/", body, format="json").status_code == 403
    assert client_for(officer).post("/api/v1/premises/", body, format="json").status_code == 403
    created = client_for(boss).post("/api/v1/premises/", body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["grid"]["id"] == grid.pk and created.json()["history"] == []
    pk = created.json()["id"]

    again = client_for(boss).post("/api/v1/premises/", body, format="json")
    assert again.status_code == 400 and "code" in again.json()["errors"]
    outside = client_for(boss).post(
        "/api/v1/premises/",
        {**body, "code": "X", "latitude": 10, "longitude": 10},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert outside.status_code == 400 and "latitude" in outside.json()["errors"]
    assert "longitude" in outside.json()["detail"]
    phone = client_for(boss).post("/api/v1/premises/", {**body, "code": "Y", "responsible_phone": "123"}, format="json")
    assert phone.status_code == 400 and "responsible_phone" in phone.json()["errors"]
    assert Premises.objects.count() == 1

    url = f"/api/v1/premises/{pk}/"
    assert client_for(officer).patch(url, {"name": "改名"}, format="json").status_code == 403
    moved = client_for(boss).patch(url, {"longitude": INSIDE_OTHER[1], "notes": "后厨已整改"}, format="json")
    assert moved.status_code == 200, moved.content
    assert moved.json()["grid"]["id"] == other_grid.pk and moved.json()["notes"] == "后厨已整改"
    assert moved.json()["name"] == "老王面馆"
    bad = client_for(boss).patch(url, {"type": "casino"}, format="json")
    assert bad.status_code == 400 and "type" in bad.json()["errors"]
    assert client_for(boss).patch("/api/v1/premises/999999/", {"name": "x"}, format="json").status_code == 404


@pytest.mark.parametrize("size", [3, 25])
def test_list_runs_constant_queries(make_premises, make_hazard, boss, worker, size, django_assert_max_num_queries):
    for i in range(size):
        premises = make_premises(type=["restaurant", "shop", "workshop"][i % 3])
        premises_link_hazard(premises_id=premises.pk, hazard_id=make_hazard().pk, origin="report")
    for user in (boss, worker):
        api = client_for(user)
        with django_assert_max_num_queries(6):
            response = api.get("/api/v1/premises/", {"page_size": 100, "street": "文化路"})
        assert response.json()["count"] == size


@pytest.mark.parametrize("size", [2, 30])
def test_detail_runs_constant_queries(make_premises, make_hazard, worker, size, django_assert_max_num_queries):
    premises = make_premises()
    for _ in range(size):
        premises_link_hazard(premises_id=premises.pk, hazard_id=make_hazard().pk, origin="inspection")
    api = client_for(worker)
    with django_assert_max_num_queries(7):
        response = api.get(f"/api/v1/premises/{premises.pk}/")
    assert len(response.json()["history"]) == min(size, 20)
