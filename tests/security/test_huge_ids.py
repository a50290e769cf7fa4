"""Issue 21 item 12: ids beyond 64 bits in comma-list filters are a 400 naming the filter, not a 500."""

from __future__ import annotations

import pytest

from tests.conftest import client_for

pytestmark = pytest.mark.django_db

HUGE = str(2**63)  # one past the largest database key


def test_an_id_out_of_range_is_a_400_and_ordinary_ids_still_filter(demo):
    api = client_for(demo["dispatcher"])
    for url, param in [("/api/v1/hazards/", "grid"), ("/api/v1/hazards/", "community"), ("/api/v1/tasks/", "hazard")]:
        for value in [HUGE, f"1,{HUGE}", "-" + HUGE, "0"]:
            response = api.get(url, {param: value})
            assert response.status_code == 400, (url, param, value, response.content)
            assert param in response.json()["errors"]
        assert api.get(url, {param: "1,2"}).status_code == 200
