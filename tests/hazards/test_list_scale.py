"""The hazard list at scale: a capped count (count_exact) that never hides a page, and `near`
pages read through growing circles that equal the full circle's pages."""

from __future__ import annotations

import pytest

from hazards.models import Hazard
from hazards.reports import filters
from tests.hazards.conftest import as_user

pytestmark = pytest.mark.django_db

CENTRE = (30.905, 120.805)


def _place(hazards, metres):
    for hazard, m in zip(hazards, metres, strict=True):
        Hazard.objects.filter(pk=hazard.pk).update(latitude=CENTRE[0] + m / 110_574.0, longitude=CENTRE[1])


def _walk(client, url):
    """Follow `next` from the first page: (ids in order, [(count, count_exact) per page])."""
    ids, counts = [], []
    while url:
        body = client.get(url).json()
        ids += [row["id"] for row in body["results"]]
        counts.append((body["count"], body["count_exact"]))
        url = body["next"]
    return ids, counts


def test_count_is_exact_up_to_the_cap_then_a_lower_bound_and_every_page_stays_reachable(
    make_hazard, dispatcher, settings
):
    made = [make_hazard() for _ in range(5)]
    client = as_user(dispatcher)
    expected = [h.pk for h in sorted(made, key=lambda h: (h.created_at, h.pk), reverse=True)]
    settings.HAZARD_LIST_COUNT_CAP = 10
    ids, counts = _walk(client, "/api/v1/hazards/?page_size=2")
    assert ids == expected and set(counts) == {(5, True)}
    assert client.get("/api/v1/hazards/?page_size=2&page=4").status_code == 404
    settings.HAZARD_LIST_COUNT_CAP = 3
    ids, counts = _walk(client, "/api/v1/hazards/?page_size=2")
    assert ids == expected and set(counts) == {(3, False)}  # "at least 3"; the third page still came
    body = client.get("/api/v1/hazards/?page_size=2&page=3").json()
    assert [r["id"] for r in body["results"]] == expected[4:] and body["next"] is None and body["previous"]
    assert client.get("/api/v1/hazards/?page_size=2&page=4").status_code == 404
    settings.HAZARD_LIST_COUNT_CAP = 5
    assert client.get("/api/v1/hazards/?page_size=2").json()["count_exact"] is True


def test_near_pages_through_growing_circles_equal_the_full_circle(make_hazard, dispatcher, monkeypatch):
    metres = [300, 5, 60, 12, 240, 25, 900, 100, 2]
    made = [make_hazard() for _ in metres]
    _place(made, metres)
    by_distance = [h.pk for _m, h in sorted(zip(metres, made, strict=True), key=lambda x: x[0]) if _m <= 500]
    client = as_user(dispatcher)
    url = f"/api/v1/hazards/?near={CENTRE[0]},{CENTRE[1]}&radius_m=500&page_size=2"
    full, _ = _walk(client, url)
    assert full == by_distance
    monkeypatch.setattr(filters, "NEAR_MIN_RING_M", 1.0)  # circles of 125, 31, 7.8, 2 m before 500
    monkeypatch.setattr(filters, "NEAR_RING_FACTOR", 4.0)
    ringed, counts = _walk(client, url)
    assert ringed == by_distance and set(counts) == {(len(by_distance), True)}
    for page_size in (1, 3, 50):
        assert _walk(client, url.replace("page_size=2", f"page_size={page_size}"))[0] == by_distance


def test_near_count_is_capped_from_a_smaller_circle(make_hazard, dispatcher, settings):
    metres = [1, 2, 3, 4, 400]
    made = [make_hazard() for _ in metres]
    _place(made, metres)
    settings.HAZARD_LIST_COUNT_CAP = 3
    client = as_user(dispatcher)
    body = client.get(f"/api/v1/hazards/?near={CENTRE[0]},{CENTRE[1]}&radius_m=500&page_size=2").json()
    assert (body["count"], body["count_exact"]) == (3, False)  # 4 within 125 m: more than the cap
    settings.HAZARD_LIST_COUNT_CAP = 5
    body = client.get(f"/api/v1/hazards/?near={CENTRE[0]},{CENTRE[1]}&radius_m=500&page_size=2").json()
    assert (body["count"], body["count_exact"]) == (5, True)
