"""The report form in a real headless Chromium on a phone-sized screen: a photo, a (faked)
geolocation, submit, and the tracking page with the code. Map tiles cannot load here (no
internet), which is exactly the degraded case the form must survive."""

from __future__ import annotations

import os
import re

import pytest

from hazards.demo import seed_categories
from hazards.models import Hazard
from hazards.triage.services import hazard_triage
from tests.browser.harness import wait_until
from tests.factories import UserFactory, make_grid
from tests.hazards.images import jpeg_bytes

pytestmark = pytest.mark.browser

CODE = re.compile(r"^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{10}$")


def _photo(seed: int) -> dict:
    return {
        "name": f"hazard-{seed}.jpg",
        "mimeType": "image/jpeg",
        "buffer": jpeg_bytes(size=(1600, 1200), seed=seed, orientation=6, gps=True),
    }


def _login(page, base_url: str, username: str, password: str) -> None:
    # harness.login clicks the first submit button of the page, which is the top bar's language
    # switch; submit the login form itself.
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base_url}/")


def _fill_and_submit(page, *, photo_seed: int):
    page.set_input_files("#photo-gallery", files=[_photo(photo_seed)])
    page.wait_for_selector("#photo-previews li img")
    page.click("label.hz-chip:has(input[value=electrical-wiring])")
    page.fill("#id_description", "楼道里私拉电线给电动车充电，插线板发烫")
    page.fill("#id_contact_phone", "13812345678")
    page.click("#submit-btn")
    page.wait_for_url(re.compile(r"/track/[23456789A-Z]{10}/\?new=1$"), timeout=20_000)


def test_report_with_photo_and_geolocation_ends_on_the_tracking_page(asgi_live_server, phone_context):
    seed_categories()
    grid = make_grid(west=120.80, south=30.90)  # holds the phone's faked position 30.905, 120.805
    page = phone_context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(asgi_live_server.url + "/report/")
    # The geolocation (granted, faked) fills the coordinates by itself.
    wait_until(page, "document.getElementById('latitude').value !== ''", timeout=10_000)
    assert abs(float(page.input_value("#latitude")) - 30.905) < 1e-6
    assert abs(float(page.input_value("#longitude")) - 120.805) < 1e-6
    assert page.locator("#photo-camera").get_attribute("capture") == "environment"
    _fill_and_submit(page, photo_seed=11)

    code = page.locator(".hz-code-big").inner_text().strip()
    assert CODE.match(code)
    assert page.locator("#hazard-status").get_attribute("data-status") == "submitted"
    assert page.locator(".hz-gallery img").count() == 1
    hazard = Hazard.objects.get(tracking_code=code)
    assert hazard.grid_id == grid.id and hazard.source == "web"
    assert (round(hazard.latitude, 6), round(hazard.longitude, 6)) == (30.905, 120.805)
    photo = hazard.photos.get()
    assert photo.height > photo.width  # EXIF orientation 6 applied on the server

    # Live: a dispatcher accepts the report (as a request on the server would); the open page
    # swaps its status block in place over /ws/live/, without a reload.
    wait_until(page, "window.GovernLive && document.getElementById('live-status').hidden")
    dispatcher = UserFactory(username="duty")
    dispatcher.is_superuser = True  # counts as a dispatcher
    dispatcher.save()
    asgi_live_server.call(
        hazard_triage, hazard_id=hazard.pk, actor=dispatcher, decision="accept", note="已受理，马上处理"
    )
    page.wait_for_selector("#hazard-status[data-status=triaged]", timeout=10_000)
    assert "已受理，马上处理" in page.locator("#timeline").inner_text()
    assert errors == []


def test_logged_in_without_geolocation_the_map_pin_places_the_report(asgi_live_server, browser):
    seed_categories()
    make_grid(west=120.80, south=30.90)
    resident = UserFactory(username="walker")
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    try:
        page = context.new_page()
        _login(page, asgi_live_server.url, "walker", "pw-govern-test")
        page.goto(asgi_live_server.url + "/report/")
        # Location refused: the form says so and opens the manual coordinates.
        wait_until(page, "document.getElementById('manual-coords').open === true", timeout=15_000)
        assert page.input_value("#latitude") == ""
        page.locator("#report-map").tap()  # the map fits the service area: its centre is inside the grid
        wait_until(page, "document.getElementById('latitude').value !== ''")
        assert page.locator(".leaflet-marker-icon").count() == 1
        _fill_and_submit(page, photo_seed=12)
        code = page.locator(".hz-code-big").inner_text().strip()
        hazard = Hazard.objects.get(tracking_code=code)
        assert 30.90 <= hazard.latitude <= 30.91 and 120.80 <= hazard.longitude <= 120.81
        assert hazard.reporter == resident  # the session (and its CSRF token) went with the API call
        page.goto(asgi_live_server.url + "/my/reports/")
        assert page.locator(f'#my-reports [data-code="{code}"]').count() == 1
    finally:
        context.close()


def test_an_anonymous_reporter_asks_for_sms_updates_and_gets_the_status_by_sms(
    asgi_live_server, phone_context, settings, tmp_path
):
    import json

    settings.NOTIFY_SMS_FILE = str(tmp_path / "sms.log")
    settings.NOTIFY_PHONE_QUIET_HOURS = ""  # whatever the hour this runs
    seed_categories()
    make_grid(west=120.80, south=30.90)
    page = phone_context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(asgi_live_server.url + "/report/")
    wait_until(page, "document.getElementById('latitude').value !== ''", timeout=10_000)
    box = page.get_by_label("通过短信把这条上报的进展")
    box.check()
    shots = os.environ.get("GOVERN_SCREENSHOTS", "")
    if shots:
        page.screenshot(path=f"{shots}/report-sms-consent-390.png", full_page=True)
    _fill_and_submit(page, photo_seed=12)
    hazard = Hazard.objects.get(tracking_code=page.locator(".hz-code-big").inner_text().strip())
    assert hazard.sms_updates and hazard.contact_phone == "13812345678"

    dispatcher = UserFactory(username="duty-sms")
    dispatcher.is_superuser = True
    dispatcher.save()
    asgi_live_server.call(hazard_triage, hazard_id=hazard.pk, actor=dispatcher, decision="accept")
    lines = [json.loads(x) for x in (tmp_path / "sms.log").read_text(encoding="utf-8").splitlines()]
    assert [(x["phone"], x["kind"]) for x in lines] == [("13812345678", "report_update")]
    assert f"/track/{hazard.tracking_code}/" in lines[0]["text"]
    assert errors == []


def test_the_report_form_suggests_the_registered_premises_near_the_pin(asgi_live_server, phone_context):
    from hazards.premises.services import premises_create

    seed_categories()
    make_grid(west=120.80, south=30.90)
    boss = UserFactory(username="duty")
    boss.is_superuser = True
    boss.save()
    shop = premises_create(
        actor=boss,
        code="BR-0042",
        name="老街面馆",
        type="restaurant",
        address="文化路38号",
        latitude=30.9052,
        longitude=120.805,
        responsible_name="王建国",
    )
    page = phone_context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(asgi_live_server.url + "/report/")
    # Once the pin rests, the premises near it are offered (after a short pause and one lookup).
    wait_until(page, "!document.getElementById('premises-suggest').hidden", timeout=10_000)
    assert "老街面馆" in page.locator("#id_premises").inner_text()
    page.select_option("#id_premises", str(shop.pk))
    _fill_and_submit(page, photo_seed=13)
    code = page.locator(".hz-code-big").inner_text().strip()
    hazard = Hazard.objects.get(tracking_code=code)
    # A hint for the grid worker, not a link: nothing enters the premises' record on the reporter's word.
    assert hazard.client_data == {"premises_hint": shop.pk} and not hasattr(hazard, "premises_link")
    assert not errors, errors
