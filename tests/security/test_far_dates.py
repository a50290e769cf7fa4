"""Issue 21 item 12: year-0001 (and far-future) dates in API and office-export filters are a 400
naming the parameter, not a 500 or an export that never answers."""

from __future__ import annotations

import pytest

from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_far_dates_are_a_400_naming_the_filter(demo):
    api = client_for(demo["dispatcher"])
    for value in ["0001-01-01T00:00:00+08:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59-12:00", "0001-01-01"]:
        for param in ("created_after", "created_before"):
            response = api.get("/api/v1/hazards/", {param: value})
            assert response.status_code == 400, (param, value, response.content)
            assert param in response.json()["errors"]
    assert api.get("/api/v1/hazards/", {"created_after": "2026-01-01T00:00:00+08:00"}).status_code == 200
