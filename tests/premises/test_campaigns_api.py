"""The campaigns API end to end: create, assign, inspect on the phone's API calls (multipart photo),
submit; 4xx naming fields; lists in a constant number of queries at two sizes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hazards.models import Hazard, Source
from hazards.premises.campaigns import inspections, services
from hazards.premises.models import ChecklistItem
from tests.conftest import client_for
from tests.hazards.images import jpeg_bytes, upload
from tests.premises.campaign_helpers import approved_volunteer, make_premises

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(campaign_media):
    return campaign_media


def test_a_campaign_from_creation_to_findings(campaign_office, campaign_area, campaign_checklists):
    west, worker = campaign_area["west"], campaign_area["worker_w"]
    shops = [make_premises(west, offset=i * 0.001) for i in range(2)]
    office = client_for(campaign_office)
    created = office.post(
        "/api/v1/campaigns/",
        {
            "name": "夏季检查",
            "grids": [west.pk],
            "types": ["restaurant"],
            "starts_on": "2026-06-01",
            "ends_on": "2026-06-30",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    campaign = created.json()
    assert campaign["status"] == "draft" and campaign["progress"]["total"] == 2
    cid = campaign["id"]
    assigned = office.post(
        f"/api/v1/campaigns/{cid}/assign/", {"inspector": worker.pk, "premises": [p.pk for p in shops]}, format="json"
    )
    assert assigned.status_code == 200, assigned.content
    assert {row["inspector"]["id"] for row in assigned.json()} == {worker.pk}
    assert office.post(f"/api/v1/campaigns/{cid}/activate/", {}, format="json").json()["status"] == "active"

    phone = client_for(worker)
    mine = phone.get("/api/v1/inspections/mine/").json()["results"]
    assert [row["status"] for row in mine] == ["pending", "pending"]
    started = phone.post("/api/v1/inspections/", {"entry": mine[0]["id"]}, format="json")
    assert started.status_code == 201, started.content
    again = phone.post("/api/v1/inspections/", {"entry": mine[0]["id"]}, format="json")
    assert again.status_code == 200 and again.json()["id"] == started.json()["id"]
    inspection = started.json()
    iid, lines = inspection["id"], inspection["lines"]
    assert lines[0]["item"]["text"].startswith("液化气钢瓶") and lines[0]["result"] is None

    refused = phone.post(
        f"/api/v1/inspections/{iid}/results/",
        {"item": lines[0]["item"]["id"], "outcome": "fail", "note": "钢瓶紧挨灶台"},
        format="multipart",
    )
    assert refused.status_code == 400 and "photo" in refused.json()["errors"]
    failed = phone.post(
        f"/api/v1/inspections/{iid}/results/",
        {
            "item": lines[0]["item"]["id"],
            "outcome": "fail",
            "note": "钢瓶紧挨灶台",
            "photo": upload("gas.jpg", jpeg_bytes(size=(400, 300))),
        },
        format="multipart",
    )
    assert failed.status_code == 200, failed.content
    result = failed.json()["lines"][0]["result"]
    assert result["outcome"] == "fail" and result["thumb"].startswith("/media/inspections/")
    early = phone.post(f"/api/v1/inspections/{iid}/submit/", {}, format="json")
    assert early.status_code == 400 and "results" in early.json()["errors"]
    for line in lines[1:]:
        ok = phone.post(
            f"/api/v1/inspections/{iid}/results/", {"item": line["item"]["id"], "outcome": "pass"}, format="json"
        )
        assert ok.status_code == 200, ok.content
    submitted = phone.post(f"/api/v1/inspections/{iid}/submit/", {}, format="json")
    assert submitted.status_code == 200, submitted.content
    body = submitted.json()
    assert not body["replayed"] and len(body["hazards"]) == 1
    code = body["hazards"][0]["tracking_code"]
    assert body["inspection"]["lines"][0]["result"]["hazard"]["tracking_code"] == code
    hazard = Hazard.objects.get(tracking_code=code)
    assert hazard.source == Source.INSPECTION and hazard.photos.count() == 1
    replay = phone.post(f"/api/v1/inspections/{iid}/submit/", {}, format="json").json()
    assert replay["replayed"] and [h["tracking_code"] for h in replay["hazards"]] == [code]
    late = phone.post(
        f"/api/v1/inspections/{iid}/results/", {"item": lines[1]["item"]["id"], "outcome": "na"}, format="json"
    )
    assert late.status_code == 409

    detail = office.get(f"/api/v1/campaigns/{cid}/").json()
    assert detail["progress"] == {"total": 2, "assigned": 2, "in_progress": 0, "done": 1, "findings": 1, "percent": 50}
    findings = office.get(f"/api/v1/campaigns/{cid}/findings/").json()["results"]
    assert [f["hazard"]["tracking_code"] for f in findings] == [code]
    assert findings[0]["premises"]["name"] == shops[0].name or findings[0]["premises"]["name"] == shops[1].name
    assert office.get(f"/api/v1/campaigns/{cid}/premises/").json()["count"] == 2
    other = client_for(campaign_area["worker_e"])
    assert other.get(f"/api/v1/campaigns/{cid}/").status_code == 404
    assert other.get(f"/api/v1/inspections/{iid}/").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"grids": [1]}, "name"),
        ({"name": "x", "grids": ["a"]}, "grids"),
        ({"name": "x", "starts_on": "tomorrow", "grids": [1]}, "starts_on"),
        ({"name": "x"}, "selection"),
        ({"name": "x", "types": ["nope"]}, "types"),
    ],
)
def test_create_refusals_name_the_field(campaign_office, campaign_checklists, body, field):
    response = client_for(campaign_office).post("/api/v1/campaigns/", body, format="json")
    assert response.status_code == 400 and field in response.json()["errors"], response.content


def test_assign_refusals_name_the_field(campaign_office, campaign_area, campaign_checklists):
    east_shop = make_premises(campaign_area["east"])
    campaign = services.campaign_create(actor=campaign_office, name="x", grid_ids=[campaign_area["east"].pk])
    office = client_for(campaign_office)
    url = f"/api/v1/campaigns/{campaign.pk}/assign/"
    outside = office.post(url, {"inspector": campaign_area["worker_w"].pk, "premises": [east_shop.pk]}, format="json")
    assert outside.status_code == 400 and "premises" in outside.json()["errors"]
    nobody = office.post(url, {"inspector": 999999, "premises": [east_shop.pk]}, format="json")
    assert nobody.status_code == 400 and "inspector" in nobody.json()["errors"]
    empty = office.post(url, {"inspector": campaign_area["worker_e"].pk, "premises": []}, format="json")
    assert empty.status_code == 400 and "premises" in empty.json()["errors"]


def _build(office, area, n: int, inspector):
    west = area["west"]
    premises = [make_premises(west, street=f"第{n}街", offset=(i % 9) * 0.0009) for i in range(n)]
    campaign = services.campaign_create(actor=office, name=f"c{n}", streets=[f"第{n}街"], type_slugs=["restaurant"])
    services.campaign_assign(
        campaign_id=campaign.pk, actor=office, inspector_id=inspector.pk, premises_ids=[p.pk for p in premises]
    )
    services.campaign_activate(campaign_id=campaign.pk, actor=office)
    for entry in list(campaign.entries.order_by("pk"))[:2]:
        inspection = inspections.inspection_start(entry_id=entry.pk, actor=inspector)
        items = list(ChecklistItem.objects.filter(checklist=inspection.checklist, active=True))
        for item in items:
            inspections.inspection_record_item(
                inspection_id=inspection.pk,
                actor=inspector,
                item_id=item.pk,
                outcome="fail" if item == items[-1] else "pass",
            )
        inspections.inspection_submit(inspection_id=inspection.pk, actor=inspector)
    return campaign


def _count(client, url) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"page_size": 200})
    assert response.status_code == 200, response.content
    return len(queries), response.json()["count"]


def test_lists_run_a_constant_number_of_queries(campaign_office, campaign_area, campaign_checklists):
    volunteer = approved_volunteer(campaign_area["west"].community)
    small = _build(campaign_office, campaign_area, 2, volunteer)
    office, phone = client_for(campaign_office), client_for(volunteer)
    urls = lambda c: [f"/api/v1/campaigns/{c.pk}/premises/", f"/api/v1/campaigns/{c.pk}/findings/"]  # noqa: E731
    before = {name: _count(office, url) for name, url in zip(("premises", "findings"), urls(small), strict=True)}
    before["list"] = _count(office, "/api/v1/campaigns/")
    before["mine"] = _count(phone, "/api/v1/inspections/mine/")
    large = _build(campaign_office, campaign_area, 9, volunteer)
    after = {name: _count(office, url) for name, url in zip(("premises", "findings"), urls(large), strict=True)}
    after["list"] = _count(office, "/api/v1/campaigns/")
    after["mine"] = _count(phone, "/api/v1/inspections/mine/")
    for key in before:
        assert after[key][0] == before[key][0], (key, before[key], after[key])
    assert after["premises"][1] == 9 and after["findings"][1] == 2 and after["mine"][1] == 11 and after["list"][1] == 2


@pytest.mark.parametrize("body", ["1.5", "[1, 2]", '"pass"', "null"])
def test_a_result_body_that_is_not_an_object_is_a_400(campaign_office, campaign_area, campaign_checklists, body):
    west, worker = campaign_area["west"], campaign_area["worker_w"]
    shop = make_premises(west)
    campaign = services.campaign_create(actor=campaign_office, name="x", grid_ids=[west.pk], type_slugs=["restaurant"])
    services.campaign_assign(
        campaign_id=campaign.pk, actor=campaign_office, inspector_id=worker.pk, premises_ids=[shop.pk]
    )
    services.campaign_activate(campaign_id=campaign.pk, actor=campaign_office)
    inspection = inspections.inspection_start(entry_id=campaign.entries.get().pk, actor=worker)
    response = client_for(worker).post(
        f"/api/v1/inspections/{inspection.pk}/results/", body, content_type="application/json"
    )
    assert response.status_code == 400 and response["Content-Type"] == "application/json", response.content
