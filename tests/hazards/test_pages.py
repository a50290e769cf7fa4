"""Pages: the report form (with and without JavaScript), tracking, my reports, the public map."""

from __future__ import annotations

import pytest

from hazards.models import Hazard, Status
from hazards.triage.services import hazard_triage
from tests.hazards.conftest import english, report_form, walk
from tests.hazards.images import jpeg_bytes, upload

pytestmark = pytest.mark.django_db


def test_home_links_the_report_form(client):
    assert 'href="/report/"' in client.get("/").content.decode()


def test_report_form_is_mobile_first_with_camera_capture(client, categories, grid):
    response = client.get("/report/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'accept="image/*" capture="environment"' in html
    assert 'id="photo-gallery"' in html and 'name="latitude"' in html and 'name="longitude"' in html
    assert "燃气安全" in html and "消防通道堵塞" in html
    assert "<script>" not in html and "onclick" not in html  # CSP: no inline scripts or handlers
    assert 'id="service-area"' in html and "vendor/leaflet/leaflet.js" in html
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_report_without_javascript_redirects_to_the_tracking_page(client, categories, grid, make_hazard):
    make_hazard()  # an open report at the same point: the reporter gets a hint
    response = client.post("/report/", report_form())
    assert response.status_code == 302
    hazard = Hazard.objects.order_by("-id").first()
    assert response["Location"] == f"/track/{hazard.tracking_code}/?new=1"
    page = client.get(response["Location"])
    html = page.content.decode()
    assert hazard.tracking_code in html and "hz-thanks" in html
    # The hint, via messages: category, status, rough distance; never the other report's code (issue 21).
    assert "附近约" in html and Hazard.objects.order_by("id").first().tracking_code not in html


def test_report_form_errors_rerender_with_the_reason(client, categories, grid):
    english(client)
    bad_photo = client.post("/report/", report_form(photos=[upload("x.jpg", b"not an image at all")]))
    assert bad_photo.status_code == 400
    assert "photo 1 (x.jpg): not an image" in bad_photo.content.decode()
    outside = client.post("/report/", report_form(latitude="31.5", longitude="121.0"))
    assert "outside the service area" in outside.content.decode()
    no_location = client.post("/report/", report_form(latitude="", longitude=""))
    assert no_location.status_code == 400 and "location is missing" in no_location.content.decode()
    assert Hazard.objects.count() == 0


def test_logged_in_form_report_is_linked(client, categories, grid, resident):
    client.force_login(resident)
    assert client.post("/report/", report_form(photos=[upload("a.jpg", jpeg_bytes())])).status_code == 302
    assert Hazard.objects.get().reporter == resident


def test_tracking_page_is_public_and_shows_no_identity(client, make_hazard, resident, dispatcher):
    hazard = make_hazard(
        reporter=resident, description="我是302的张三，电话13812345678", latitude=30.905371, longitude=120.804629
    )
    hazard_triage(hazard_id=hazard.pk, actor=dispatcher, decision="accept", note="已受理，网格员将尽快处理")
    response = client.get(f"/track/{hazard.tracking_code}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert hazard.tracking_code in html and "已受理，网格员将尽快处理" in html
    for secret in ("张三", "13812345678", resident.username, "30.905371", "120.804629"):
        assert secret not in html
    assert f'data-code="{hazard.tracking_code}"' in html and "js/hazards/track.js" in html
    assert 'data-last-event-id="' in html
    fragment = client.get(f"/track/{hazard.tracking_code}/?fragment=status")
    assert fragment.status_code == 200 and 'id="track-status"' in fragment.content.decode()
    assert client.get(f"/track/{hazard.tracking_code.lower()}/").status_code == 302
    assert client.get("/track/ZZZZZZZZZZ/").status_code == 404
    assert (
        client.get("/track/", {"code": hazard.tracking_code.lower()})["Location"] == f"/track/{hazard.tracking_code}/"
    )


def test_tracking_page_of_a_duplicate_follows_the_original(client, make_hazard, dispatcher):
    original, duplicate = make_hazard(), make_hazard()
    hazard_triage(hazard_id=duplicate.pk, actor=dispatcher, decision="duplicate", duplicate_of=original.pk)
    walk(original, Status.TRIAGED, Status.DISPATCHED, actor=dispatcher)
    html = client.get(f"/track/{duplicate.tracking_code}/").content.decode()
    assert f'href="/track/{original.tracking_code}/"' in html
    assert 'id="original-status" data-status="dispatched"' in html


def test_my_reports_needs_login_and_lists_only_mine(
    client, make_hazard, resident, dispatcher, django_assert_max_num_queries
):
    assert client.get("/my/reports/").status_code == 302
    mine = make_hazard(reporter=resident)
    other = make_hazard()
    hazard_triage(hazard_id=mine.pk, actor=dispatcher, decision="duplicate", duplicate_of=other.pk)
    client.force_login(resident)
    counts = []
    for extra in (0, 8):
        for _ in range(extra):
            make_hazard(reporter=resident)
        with django_assert_max_num_queries(10) as ctx:
            html = client.get("/my/reports/").content.decode()
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    assert mine.tracking_code in html and f'href="/track/{other.tracking_code}/"' in html
    assert html.count('class="card hz-item"') == 9


def test_public_map_shows_open_hazards_coarsely_without_identities(
    client, make_hazard, resident, dispatcher, django_assert_max_num_queries
):
    open_one = make_hazard(reporter=resident, latitude=30.905371, longitude=120.804629, description="张三家门口")
    closed = make_hazard()
    walk(closed, Status.REJECTED, actor=dispatcher)
    counts = []
    for extra in (0, 6):
        for _ in range(extra):
            make_hazard()
        with django_assert_max_num_queries(6) as ctx:
            response = client.get("/hazards/map/")
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    html = response.content.decode()
    assert html.count('class="card hz-item"') == 7
    assert '"lat": 30.905' in html and "30.905371" not in html and "120.804629" not in html
    for secret in ("张三", resident.username, open_one.tracking_code, closed.tracking_code):
        assert secret not in html
