"""A NUL character in a query parameter or a path is a 400 or 404, never PostgreSQL's DataError
("text fields cannot contain NUL") as a 500: schemathesis found it in the category filter of
/api/v1/hazards.geojson in the services pass."""

from __future__ import annotations

import pytest

from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/hazards.geojson?category=gas%00safety",
        "/api/v1/hazards/?category=a,%00",
        "/api/v1/premises/?type=restaurant%00",
        "/api/v1/hazards/?status=submitted%00",
        "/api/v1/volunteers/?skill=gas%00",
    ],
)
def test_a_nul_in_a_filter_is_a_400(demo, url):
    response = client_for(demo["dispatcher"]).get(url)
    assert response.status_code == 400, (url, response.status_code, response.content[:300])


@pytest.mark.parametrize("url", ["/api/v1/track/ABC%00DEF/", "/track/ABC%00DEF/", "/track/?code=ABC%00DEF"])
def test_a_nul_in_a_tracking_code_is_not_found(demo, url):
    response = client_for(demo["resident1"]).get(url)
    assert response.status_code in (400, 404), (url, response.status_code, response.content[:300])
