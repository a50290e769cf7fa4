"""The campaign pages: the inspector's phone flow without JavaScript (every form posts and
redirects), the office's list/create/detail/assign pages, and constant queries at two sizes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hazards.models import Hazard
from hazards.premises.campaigns import inspections, services
from hazards.premises.models import Campaign, ChecklistItem, Inspection
from tests.hazards.images import jpeg_bytes, upload
from tests.premises.campaign_helpers import make_premises

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(campaign_media):
    return campaign_media


def _login(client, user):
    client.force_login(user)
    return client


def _running(office, area, n=2):
    premises = [make_premises(area["west"], street=f"第{n}街", offset=i * 0.0009) for i in range(n)]
    campaign = services.campaign_create(actor=office, name="入夏检查", streets=[f"第{n}街"])
    services.campaign_assign(
        campaign_id=campaign.pk, actor=office, inspector_id=area["worker_w"].pk, premises_ids=[p.pk for p in premises]
    )
    services.campaign_activate(campaign_id=campaign.pk, actor=office)
    return campaign


def test_an_inspector_works_through_a_checklist_without_javascript(
    client, campaign_office, campaign_area, campaign_checklists
):
    campaign = _running(campaign_office, campaign_area)
    _login(client, campaign_area["worker_w"])
    page = client.get("/inspections/")
    assert page.status_code == 200 and "入夏检查" in page.content.decode()
    entry = campaign.entries.order_by("pk").first()
    started = client.post("/inspections/start/", {"entry": entry.pk})
    inspection = Inspection.objects.get(entry=entry)
    assert started.status_code == 302 and started["Location"] == f"/inspections/{inspection.pk}/"
    page = client.get(started["Location"]).content.decode()
    assert 'capture="environment"' in page and 'accept="image/*"' in page
    items = list(ChecklistItem.objects.filter(checklist=inspection.checklist, active=True).order_by("order"))
    url = f"/inspections/{inspection.pk}/"
    missing = client.post(url, {"item": items[0].pk, "outcome": "fail", "note": "钢瓶倒放"})
    assert missing.status_code == 400 and 'class="error ck-error" role="alert">' in missing.content.decode()
    saved = client.post(
        url,
        {
            "item": items[0].pk,
            "outcome": "fail",
            "note": "钢瓶倒放",
            "photo": upload("g.jpg", jpeg_bytes(size=(300, 200))),
        },
    )
    assert saved.status_code == 302
    early = client.post(url, {"action": "submit"})
    assert early.status_code == 400 and 'id="submit-error"' in early.content.decode()
    for item in items[1:]:
        assert client.post(url, {"item": item.pk, "outcome": "pass"}).status_code == 302
    done = client.post(url, {"action": "submit"})
    assert done.status_code == 302 and done["Location"].endswith("#findings")
    hazard = Hazard.objects.get()
    page = client.get(url).content.decode()
    assert hazard.tracking_code in page and 'id="findings"' in page and "ck-form" not in page
    assert client.post(url, {"item": items[1].pk, "outcome": "na"}).status_code == 409


def test_other_people_cannot_open_an_inspection(client, campaign_office, campaign_area, campaign_checklists):
    campaign = _running(campaign_office, campaign_area)
    inspection = inspections.inspection_start(
        entry_id=campaign.entries.order_by("pk").first().pk, actor=campaign_area["worker_w"]
    )
    _login(client, campaign_area["worker_e"])
    assert client.get(f"/inspections/{inspection.pk}/").status_code == 404
    assert client.get("/office/campaigns/").status_code == 403
    client.logout()
    assert client.get(f"/inspections/{inspection.pk}/").status_code == 302  # to the login page


def test_the_office_creates_assigns_and_follows_a_campaign(client, campaign_office, campaign_area, campaign_checklists):
    shops = [make_premises(campaign_area["west"], street="汾湖大道", offset=i * 0.001) for i in range(3)]
    _login(client, campaign_office)
    refused = client.post("/office/campaigns/", {"name": "x"})
    assert refused.status_code == 400 and "campaign-error" in refused.content.decode()
    created = client.post("/office/campaigns/", {"name": "大道检查", "streets": "汾湖大道", "types": ["restaurant"]})
    assert created.status_code == 302
    campaign = Campaign.objects.get(name="大道检查")
    url = f"/office/campaigns/{campaign.pk}/"
    outside = client.post(
        url, {"action": "assign", "inspector": campaign_area["worker_e"].pk, "premises": [shops[0].pk]}
    )
    assert outside.status_code == 400 and "premises" in outside.content.decode()
    assigned = client.post(
        url, {"action": "assign", "inspector": campaign_area["worker_w"].pk, "premises": [s.pk for s in shops]}
    )
    assert assigned.status_code == 302
    assert client.post(url, {"action": "activate"}).status_code == 302
    page = client.get(url).content.decode()
    assert "网格员西" in page and f'data-campaign-id="{campaign.pk}"' in page
    assert Campaign.objects.get(pk=campaign.pk).premises_assigned == 3


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_pages_run_a_constant_number_of_queries(client, campaign_office, campaign_area, campaign_checklists):
    small = _running(campaign_office, campaign_area, 2)
    office = _login(client, campaign_office)
    counts = [
        _queries(office, "/office/campaigns/"),
        _queries(office, f"/office/campaigns/{small.pk}/"),
        _queries(office, "/office/dashboard/"),
    ]
    large = _running(campaign_office, campaign_area, 8)
    for entry in list(large.entries.order_by("pk"))[:3]:
        inspection = inspections.inspection_start(entry_id=entry.pk, actor=campaign_area["worker_w"])
        items = list(ChecklistItem.objects.filter(checklist=inspection.checklist, active=True))
        for item in items:
            inspections.inspection_record_item(
                inspection_id=inspection.pk,
                actor=campaign_area["worker_w"],
                item_id=item.pk,
                outcome="fail" if item == items[-1] else "pass",
            )
        inspections.inspection_submit(inspection_id=inspection.pk, actor=campaign_area["worker_w"])
    after = [
        _queries(office, "/office/campaigns/"),
        _queries(office, f"/office/campaigns/{large.pk}/"),
        _queries(office, "/office/dashboard/"),
    ]
    assert after == counts
    dashboard = office.get("/office/dashboard/").content.decode()
    assert f'data-campaign-id="{large.pk}"' in dashboard and 'id="finding-list"' in dashboard
    for hazard in Hazard.objects.all():
        assert hazard.tracking_code in dashboard
    client.force_login(campaign_area["worker_w"])
    mine_small = _queries(client, "/inspections/")
    inspection = Inspection.objects.filter(entry__campaign=large).order_by("pk").first()
    checklist_page = _queries(client, f"/inspections/{inspection.pk}/")
    assert mine_small < 20 and checklist_page < 20
