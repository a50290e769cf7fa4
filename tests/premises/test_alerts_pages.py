"""The sensors page (safety officer / dispatcher), the dispatch board and the demo seed."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from hazards.premises.models import AlertEvent, EnterpriseKey, Sensor
from tests.factories import UserFactory
from tests.premises.alerts_fixtures import *  # noqa: F403 (the fixtures)
from tests.premises.alerts_fixtures import alert, key_client, make_premises

pytestmark = pytest.mark.django_db


def test_the_safety_officer_sees_their_sensors_and_open_alerts_in_constant_queries(
    client, sensor_api, officer, django_assert_max_num_queries
):
    client.force_login(officer)
    counts = []
    for batch in (range(1), range(1, 8)):
        for n in batch:
            alert(sensor_api, sensor_id=f"S-{n}", value=85 + n)
        with django_assert_max_num_queries(12) as ctx:
            response = client.get("/sensors/")
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("data-sensor=") == 8 and html.count("data-alert=") == 8
    open_code = Sensor.objects.get(sensor_id="S-3").open_hazard.tracking_code
    assert f"/track/{open_code}/" in html and "js/premises/sensors.js" in html and "js/live.js" in html
    assert 'data-last-event-id="' in html


def test_a_cleared_sensor_shows_normal(client, sensor_api, officer):
    alert(sensor_api, value=90)
    alert(sensor_api, value=70)
    client.force_login(officer)
    html = client.get("/sensors/").content.decode()
    assert "hz-status-closed" in html and Sensor.objects.get().open_hazard is None


def test_others_do_not_see_an_enterprises_sensors(client, sensor_api, grid, dispatcher):
    alert(sensor_api, sensor_id="SECRET-1")
    assert client.get("/sensors/").status_code == 302  # login first
    stranger = UserFactory()
    client.force_login(stranger)
    refused = client.get("/sensors/")
    assert refused.status_code == 403 and "SECRET-1" not in refused.content.decode()
    # the officer of another enterprise sees theirs only
    other_officer = UserFactory()
    make_premises(grid=grid, code="ENT-OTHER", responsible_user=other_officer)
    client.force_login(other_officer)
    page = client.get("/sensors/")
    assert page.status_code == 200 and "SECRET-1" not in page.content.decode()
    # dispatchers see every enterprise's sensors
    client.force_login(dispatcher)
    assert "SECRET-1" in client.get("/sensors/").content.decode()


def test_sensor_hazards_are_on_the_dispatch_board_like_any_hazard(client, sensor_api, dispatcher):
    code = alert(sensor_api, value=99).json()["hazard"]["tracking_code"]
    client.force_login(dispatcher)
    listed = client.get("/api/v1/hazards/")
    assert listed.status_code == 200
    assert code in {h["tracking_code"] for h in listed.json()["results"]}
    board = client.get("/office/")
    assert board.status_code == 200 and code in board.content.decode()


def test_seed_demo_issues_the_demo_sensor_key_idempotently(db):
    from hazards.premises.alerts.demo import DEMO_SENSOR_KEY

    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)
    key = EnterpriseKey.objects.get()
    assert key.premises.type.slug == "enterprise" and key.premises.responsible_user is not None
    response = alert(key_client(DEMO_SENSOR_KEY), value=99, message="demo")
    assert response.status_code == 201, response.content
    assert response.json()["hazard"]["severity"] == "high"  # the demo rule for temperature: 23.75 % over
    assert AlertEvent.objects.count() == 1
