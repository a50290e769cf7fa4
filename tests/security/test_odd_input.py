"""Issue 21 item 18: the two 500s schemathesis found with more examples than CI used."""

from __future__ import annotations

import pytest

from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_an_availability_slot_that_ends_when_it_starts_is_a_400(demo):
    body = {"availability": [{"weekday": 1, "start": "08:00", "end": "08:00"}]}
    response = client_for(demo["vol1"]).patch("/api/v1/volunteers/me/", body, format="json")
    assert response.status_code == 400, response.content
    assert "availability" in response.json()["errors"]


@pytest.mark.parametrize("body", [[None, None], [], "text", [{"item": 1}]])
def test_inspection_results_that_are_not_an_object_are_a_400(demo, body):
    from hazards.premises.models import Inspection

    inspection = Inspection.objects.select_related("inspector").first()
    inspector = inspection.inspector if inspection else demo["grid1"]
    pk = inspection.pk if inspection else 1
    response = client_for(inspector).post(f"/api/v1/inspections/{pk}/results/", body, format="json")
    assert response.status_code in (400, 404, 409), response.content
