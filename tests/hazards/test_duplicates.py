"""Duplicate hints at submission: same category, within 50 m, last 72 h, still open."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from hazards.models import Hazard, Status, SuggestionKind
from tests.hazards.conftest import report_form, walk

pytestmark = pytest.mark.django_db

# ~33 m north of the default point (30.905, 120.805); ~80 m north (47 m from NEAR).
NEAR = {"latitude": "30.90530", "longitude": "120.805"}
FAR = {"latitude": "30.90572", "longitude": "120.805"}


def _post(client, **overrides):
    response = client.post("/api/v1/hazards/", report_form(**overrides), format="multipart")
    assert response.status_code == 201, response.content
    return response.json()


def test_an_open_report_nearby_is_hinted_and_stored_for_the_dispatcher(anon_en, make_hazard):
    earlier = make_hazard(category="electrical-wiring")
    body = _post(anon_en, **NEAR)
    [hint] = body["duplicates"]
    # Issue 21: an anonymous reporter learns category, status and a rough distance, never the
    # other report's code, id or exact distance (a few of those give its exact point).
    assert hint["id"] is None and hint["tracking_code"] is None
    assert earlier.tracking_code.encode() not in str(body).encode()
    assert hint["category"] == "electrical-wiring"
    assert hint["status"] == "submitted" and hint["distance_m"] == 30.0
    stored = Hazard.objects.get(pk=body["id"]).suggestions.get(kind=SuggestionKind.NEARBY)
    assert stored.similar_hazard_id == earlier.id


def test_a_dispatcher_reporting_sees_the_code_and_exact_distance(make_hazard, dispatcher):
    from tests.hazards.conftest import as_user

    earlier = make_hazard(category="electrical-wiring")
    [hint] = _post(as_user(dispatcher), **NEAR)["duplicates"]
    assert hint["id"] == earlier.id and hint["tracking_code"] == earlier.tracking_code
    assert 30 < hint["distance_m"] < 36 and hint["distance_m"] != 30.0


def test_the_reporters_own_suggestions_hide_the_other_report(make_hazard, resident):
    from tests.hazards.conftest import as_user

    earlier = make_hazard(category="electrical-wiring")
    mine = _post(as_user(resident), **NEAR)
    detail = as_user(resident).get(f"/api/v1/hazards/{mine['id']}/")
    assert detail.status_code == 200 and earlier.tracking_code.encode() not in detail.content
    [nearby] = [s for s in detail.json()["suggestions"] if s["kind"] == "nearby"]
    assert nearby["similar_hazard"] is None and nearby["distance"] == 30.0


def test_no_hint_for_other_category_far_old_or_finished_reports(anon_en, make_hazard, dispatcher):
    other_category = make_hazard(category="gas-safety")
    assert other_category
    make_hazard(category="electrical-wiring", latitude=float(FAR["latitude"]) + 0.0009)  # ~180 m away
    old = make_hazard(category="electrical-wiring")
    Hazard.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=73))
    rejected = make_hazard(category="electrical-wiring")
    walk(rejected, Status.REJECTED, actor=dispatcher)
    closed = make_hazard(category="electrical-wiring")
    walk(
        closed,
        Status.TRIAGED,
        Status.DISPATCHED,
        Status.IN_PROGRESS,
        Status.RECTIFIED,
        Status.VERIFIED,
        Status.CLOSED,
        actor=dispatcher,
    )
    assert _post(anon_en, **NEAR)["duplicates"] == []


def test_hint_boundaries(anon_en, make_hazard):
    make_hazard(category="electrical-wiring")
    assert _post(anon_en, **FAR)["duplicates"] == []  # 80 m: beyond 50 m
    within = _post(anon_en, **NEAR)["duplicates"]
    assert len(within) == 2  # the first one (33 m) and the 80 m one (47 m from here)
    assert within[0]["distance_m"] <= within[1]["distance_m"]


def test_the_hints_are_the_nearest_even_when_more_reports_crowd_the_box(make_hazard):
    """A crowd reporting one spot: the database returns the nearest few, not any 20 of them."""
    from hazards.reports.selectors import NEARBY_LIMIT, hazard_nearby_open

    base_lat, lng = 30.905, 120.805
    count = 2 * NEARBY_LIMIT + 2
    # Farthest first, so that the rows' insertion order is the opposite of the answer's.
    made = [make_hazard(latitude=base_lat + 0.000018 * (count - i), longitude=lng, seed=i) for i in range(count)]
    nearest = sorted(made, key=lambda h: h.latitude)[:NEARBY_LIMIT]
    found = hazard_nearby_open(category_id=made[0].category_id, latitude=base_lat, longitude=lng)
    assert [f.id for f in found] == [h.id for h in nearest]
    assert [round(f.distance_m) for f in found] == [2 * k for k in range(1, NEARBY_LIMIT + 1)]
