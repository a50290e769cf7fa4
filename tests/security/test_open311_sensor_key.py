"""Issue 21 item 15: an enterprise sensor key is not an Open311 api_key (for posting or reading)."""

from __future__ import annotations

import pytest
from django.test import Client

from govern.api_keys import api_client_issue
from hazards.models import Hazard
from tests.open311.conftest import BASE, INSIDE
from tests.premises.alerts_fixtures import *  # noqa: F403 (the fixtures)

pytestmark = pytest.mark.django_db


def _post(web, raw_key):
    return web.post(
        BASE + "requests.json",
        {
            "api_key": raw_key,
            "service_code": "fire-passage",
            "lat": str(INSIDE[0]),
            "long": str(INSIDE[1]),
            "description": "Bikes and boxes block the fire passage behind building 3.",
        },
    )


def test_a_sensor_key_is_refused_by_open311(sensor_key):
    web = Client(HTTP_ACCEPT_LANGUAGE="en")
    refused = _post(web, sensor_key)
    assert refused.status_code == 403, refused.content
    assert "sensor key" in refused.json()[0]["description"]
    assert not Hazard.objects.exists()
    listed = web.get(BASE + "requests.json", {"api_key": sensor_key})
    assert listed.status_code == 403 and "sensor key" in listed.json()[0]["description"]
    # An Open311 client's own key still works.
    _client, open311_key = api_client_issue(name="City 311 app")
    assert _post(web, open311_key).status_code == 201
