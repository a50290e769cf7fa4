"""POST /api/v1/alerts/: key authentication, bad input, throttling, OpenAPI."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from govern.api_keys import api_client_issue
from govern.models import ApiClient
from hazards.models import Hazard
from hazards.premises.alerts.services import enterprise_key_issue
from hazards.premises.models import AlertEvent, Sensor
from tests.conftest import client_for
from tests.premises.alerts_fixtures import *  # noqa: F403 (the fixtures)
from tests.premises.alerts_fixtures import alert, key_client, make_premises

pytestmark = pytest.mark.django_db


def nothing_written():
    return not Hazard.objects.exists() and not AlertEvent.objects.exists() and not Sensor.objects.exists()


# --- keys -----------------------------------------------------------------------------------------------


def test_both_key_headers_work(sensor_key):
    assert alert(key_client(sensor_key, header="x")).status_code == 201
    assert alert(key_client(sensor_key, header="authorization"), value=86).status_code == 200


def test_no_key_is_a_401_that_says_how(enterprise, dispatcher):
    for client in (APIClient(), client_for(dispatcher)):  # a user's login is no sensor key
        response = alert(client)
        assert response.status_code == 401
        assert "X-Api-Key" in response.json()["detail"] and response.json()["code"] == "not_authenticated"
        assert response["WWW-Authenticate"].startswith("Api-Key")
    assert nothing_written()


def test_a_bad_or_revoked_key_is_a_401(sensor_key):
    assert alert(key_client("not-a-key")).status_code == 401
    assert alert(key_client("")).status_code == 401
    ApiClient.objects.update(active=False)
    refused = alert(key_client(sensor_key))
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    assert nothing_written()


def test_a_key_that_is_not_an_enterprise_key_is_a_403(enterprise):
    _client, open311_key = api_client_issue(name="Open311 app")
    refused = alert(key_client(open311_key))
    assert refused.status_code == 403 and "enterprise" in refused.json()["detail"]
    assert nothing_written()


def test_an_inactive_enterprise_key_is_a_403(sensor_key, enterprise):
    enterprise.active = False
    enterprise.save()
    assert alert(key_client(sensor_key)).status_code == 403


def test_keys_are_issued_to_enterprises_only(grid, categories):
    from govern.errors import InvalidInput

    restaurant = make_premises(grid=grid, code="R-1", type_slug="restaurant")
    with pytest.raises(InvalidInput):
        enterprise_key_issue(premises_id=restaurant.pk)


def test_another_enterprises_key_files_under_that_enterprise(sensor_api, enterprise, grid):
    other = make_premises(grid=grid, code="ENT-TEST-2")
    other_key = enterprise_key_issue(premises_id=other.pk)[1]
    mine = alert(sensor_api, sensor_id="S-1").json()
    theirs = alert(key_client(other_key), sensor_id="S-1")
    assert theirs.status_code == 201  # the same sensor id at another enterprise is another sensor
    assert theirs.json()["hazard"]["id"] != mine["hazard"]["id"]
    assert set(Sensor.objects.values_list("premises_id", flat=True)) == {enterprise.pk, other.pk}
    # and their clear does not close my hazard
    alert(key_client(other_key), sensor_id="S-1", value=1)
    assert Hazard.objects.get(pk=mine["hazard"]["id"]).status == "submitted"


def test_the_key_is_shown_once_by_the_command(enterprise):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("alert_key_issue", enterprise.code, stdout=out)
    raw = out.getvalue().strip().splitlines()[-1]
    assert alert(key_client(raw)).status_code == 201
    assert not ApiClient.objects.filter(key_hash=raw).exists()  # stored hashed


# --- bad input -------------------------------------------------------------------------------------------

BAD = [
    ({"sensor_id": ""}, "sensor_id"),
    ({"sensor_id": ...}, "sensor_id"),
    ({"sensor_id": "   "}, "sensor_id"),
    ({"sensor_id": "a b"}, "sensor_id"),
    ({"sensor_id": "x" * 65}, "sensor_id"),
    ({"sensor_id": "<script>"}, "sensor_id"),
    ({"sensor_id": ["a"]}, "sensor_id"),
    ({"metric": ""}, "metric"),
    ({"metric": ...}, "metric"),
    ({"metric": "温度"}, "metric"),
    ({"metric": "temp erature"}, "metric"),
    ({"metric": "temp;drop"}, "metric"),
    ({"metric": "1temp"}, "metric"),
    ({"metric": "t" * 41}, "metric"),
    ({"value": "NaN"}, "value"),
    ({"value": "nan"}, "value"),
    ({"value": "Infinity"}, "value"),
    ({"value": "-inf"}, "value"),
    ({"value": 1e300}, "value"),
    ({"value": 10**400}, "value"),
    ({"value": "1e999"}, "value"),
    ({"value": "hot"}, "value"),
    ({"value": None}, "value"),
    ({"value": ...}, "value"),
    ({"value": True}, "value"),
    ({"value": [1]}, "value"),
    ({"threshold": "NaN"}, "threshold"),
    ({"threshold": ...}, "threshold"),
    ({"threshold": -1e12}, "threshold"),
    ({"message": "长" * 501}, "message"),
    ({"clear": "perhaps"}, "clear"),
]


@pytest.mark.parametrize(("override", "field"), BAD, ids=[f"{f}-{i}" for i, (_o, f) in enumerate(BAD)])
def test_bad_input_is_a_400_naming_the_field(sensor_api, override, field):
    response = alert(sensor_api, **override)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"], response.json()
    assert nothing_written()


def test_json_nan_literals_and_non_objects_are_400(sensor_api):
    raw = '{"sensor_id": "A", "metric": "temperature", "value": NaN, "threshold": 80}'
    assert sensor_api.post("/api/v1/alerts/", raw, content_type="application/json").status_code == 400
    assert sensor_api.post("/api/v1/alerts/", "[1, 2]", content_type="application/json").status_code == 400
    assert sensor_api.post("/api/v1/alerts/", "{", content_type="application/json").status_code == 400
    assert nothing_written()


def test_numbers_as_strings_and_a_form_body_are_accepted(sensor_api):
    response = sensor_api.post(
        "/api/v1/alerts/", {"sensor_id": "A-1", "metric": "Temperature", "value": "85.5", "threshold": "80"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["metric"] == "temperature"


def test_the_sensor_cap_is_a_409(sensor_api, settings):
    settings.ALERTS_MAX_SENSORS_PER_PREMISES = 2
    assert alert(sensor_api, sensor_id="A").status_code == 201
    assert alert(sensor_api, sensor_id="B").status_code == 201
    refused = alert(sensor_api, sensor_id="C")
    assert refused.status_code == 409 and refused.json()["code"] == "too_many_sensors"
    assert alert(sensor_api, sensor_id="A", value=90).status_code == 200  # known sensors still report


# --- throttle -------------------------------------------------------------------------------------------


def test_a_flooding_key_gets_429_with_retry_after_and_other_keys_do_not(sensor_api, enterprise, grid, settings):
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], sensor_alert="3/min")
    settings.REST_FRAMEWORK = dict(settings.REST_FRAMEWORK, DEFAULT_THROTTLE_RATES=rates)
    cache.clear()
    try:
        statuses = [alert(sensor_api, value=85 + i).status_code for i in range(4)]
        assert statuses == [201, 200, 200, 429]
        throttled = alert(sensor_api)
        assert throttled.status_code == 429 and int(throttled["Retry-After"]) > 0
        assert AlertEvent.objects.count() == 3
        other = make_premises(grid=grid, code="ENT-TEST-3")
        assert alert(key_client(enterprise_key_issue(premises_id=other.pk)[1])).status_code == 201
    finally:
        cache.clear()


# --- OpenAPI ---------------------------------------------------------------------------------------------


def test_openapi_documents_the_endpoint_and_its_key_scheme(api):
    schema = api.get("/api/v1/schema/", {"format": "json"}).json()
    scheme = schema["components"]["securitySchemes"]["EnterpriseApiKey"]
    assert scheme == {**scheme, "type": "apiKey", "in": "header", "name": "X-Api-Key"}
    post = schema["paths"]["/api/v1/alerts/"]["post"]
    assert post["security"] == [{"EnterpriseApiKey": []}]
    assert {"200", "201", "400", "401", "403", "409", "429"} <= set(post["responses"])
    body = post["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert {"sensor_id", "metric", "value", "threshold", "message"} <= set(
        schema["components"]["schemas"][body]["properties"]
    )
