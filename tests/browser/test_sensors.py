"""The safety officer's sensors page on a phone, live: an alert raised, worsened and cleared by the
enterprise's gateway shows on the open page without a reload."""

from __future__ import annotations

import pytest

from govern.models import ApiClient
from hazards.demo import seed_categories
from hazards.premises.alerts.services import alert_receive, enterprise_key_issue
from hazards.premises.models import Premises, PremisesType
from tests.browser.harness import login
from tests.factories import UserFactory, make_grid
from tests.govern.live_helpers import ensure_roles, fresh_channel_layer

pytestmark = pytest.mark.browser


def test_the_safety_officer_sees_an_alert_arrive_and_clear_live(asgi_live_server, phone_context):
    fresh_channel_layer()
    ensure_roles()
    seed_categories()
    grid = make_grid(west=120.80, south=30.90)
    officer = UserFactory(username="safety-browser")
    plant = Premises.objects.create(
        code="ENT-BROWSER",
        name="汾湖特钢厂",
        type=PremisesType.objects.get(slug="enterprise"),
        address="工业园区 8 号",
        latitude=30.905,
        longitude=120.805,
        grid=grid,
        responsible_name="钱工",
        responsible_user=officer,
    )
    enterprise_key_issue(premises_id=plant.pk)
    client = ApiClient.objects.get(enterprise_key__premises=plant)

    page = phone_context.new_page()
    login(page, asgi_live_server.url, "safety-browser", "pw-govern-test")
    page.goto(asgi_live_server.url + "/sensors/")
    assert page.locator("[data-sensor]").count() == 0

    outcome = asgi_live_server.call(
        alert_receive,
        api_client=client,
        sensor_id="BRG-07",
        metric="temperature",
        value=85,
        threshold=80,
        message="轴承温度高",
    )
    code = outcome.hazard.tracking_code
    page.wait_for_selector(f'#sensor-list a[href="/track/{code}/"]', timeout=15000)
    assert "轴承温度高" in page.locator("#alert-list").inner_text()

    asgi_live_server.call(
        alert_receive, api_client=client, sensor_id="BRG-07", metric="temperature", value=60, threshold=80
    )
    page.wait_for_selector("#sensor-list .hz-status-closed", timeout=15000)
    assert page.locator(f'#sensor-list a[href="/track/{code}/"]').count() == 0
    assert page.locator("#alert-list [data-alert]").count() == 2
