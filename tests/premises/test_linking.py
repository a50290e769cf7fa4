"""Linking a hazard to a premises by hand: the service (who may, which premises, moving a wrong
link), the API, the back office's hazard page (form POST, no JavaScript), the report form's
nearby premises and the reporter's hint, and the premises page's history."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from govern.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from govern.live import current_event_id
from govern.models import LiveEvent
from hazards.premises.linking import hazard_link_premises, premises_near
from hazards.premises.models import HazardOrigin, PremisesHazard
from hazards.premises.services import premises_link_hazard
from tests.conftest import client_for
from tests.hazards.images import jpeg_bytes, upload
from tests.premises.conftest import INSIDE, INSIDE_OTHER

pytestmark = pytest.mark.django_db

NEAR = (INSIDE[0] + 0.001, INSIDE[1])  # about 111 m north
FAR = (INSIDE[0] + 0.004, INSIDE[1])  # about 445 m north, still in the grid


def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_a_dispatcher_links_and_the_premises_history_shows_it(make_premises, make_hazard, boss):
    premises, hazard = make_premises(), make_hazard()
    before = current_event_id()
    link = hazard_link_premises(actor=boss, hazard_id=hazard.pk, premises_id=premises.pk)
    assert (link.premises_id, link.origin) == (premises.pk, HazardOrigin.REPORT)
    assert LiveEvent.objects.filter(pk__gt=before, type="premises.hazard_linked").count() == 1
    # Again: nothing new.
    assert hazard_link_premises(actor=boss, hazard_id=hazard.pk, premises_id=str(premises.pk)).pk == link.pk
    assert LiveEvent.objects.filter(pk__gt=before, type="premises.hazard_linked").count() == 1
    client = Client()
    client.force_login(boss)
    page = client.get(f"/premises/{premises.pk}/").content.decode()
    assert hazard.tracking_code in page


def test_a_wrong_report_link_moves_a_sensors_stays(make_premises, make_hazard, boss):
    first, second = make_premises(), make_premises()
    report, raised = make_hazard(), make_hazard()
    hazard_link_premises(actor=boss, hazard_id=report.pk, premises_id=first.pk)
    moved = hazard_link_premises(actor=boss, hazard_id=report.pk, premises_id=second.pk)
    assert moved.premises_id == second.pk and PremisesHazard.objects.filter(hazard=report).count() == 1
    premises_link_hazard(premises_id=first.pk, hazard_id=raised.pk, origin=HazardOrigin.SENSOR)
    with pytest.raises(Conflict):
        hazard_link_premises(actor=boss, hazard_id=raised.pk, premises_id=second.pk)
    assert PremisesHazard.objects.get(hazard=raised).premises_id == first.pk


def test_grid_workers_link_within_their_grids_only(make_premises, make_hazard, worker, other_worker, resident):
    here, there = make_premises(), make_premises(latitude=INSIDE_OTHER[0], longitude=INSIDE_OTHER[1])
    hazard = make_hazard()
    with pytest.raises(NotFound):  # another grid's worker does not see the hazard
        hazard_link_premises(actor=other_worker, hazard_id=hazard.pk, premises_id=there.pk)
    with pytest.raises(NotFound) as unseen:  # the worker does not see another grid's premises
        hazard_link_premises(actor=worker, hazard_id=hazard.pk, premises_id=there.pk)
    assert unseen.value.field == "premises"
    with pytest.raises(InvalidInput):
        hazard_link_premises(actor=worker, hazard_id=hazard.pk, premises_id="abc")
    assert not PremisesHazard.objects.exists()
    assert hazard_link_premises(actor=worker, hazard_id=hazard.pk, premises_id=here.pk).premises_id == here.pk


def test_the_reporter_sees_their_report_but_may_not_link_it(make_premises, categories, resident):
    from hazards.reports.services import hazard_report

    premises = make_premises()
    mine = hazard_report(
        reporter=resident,
        category_slug="gas-safety",
        description="液化气",
        latitude=INSIDE[0],
        longitude=INSIDE[1],
        photos=[],
        photos_required=False,
    ).hazard
    with pytest.raises(PermissionDenied):
        hazard_link_premises(actor=resident, hazard_id=mine.pk, premises_id=premises.pk)


def test_the_api(make_premises, make_hazard, boss, worker, other_worker):
    premises, hazard = make_premises(), make_hazard()
    url = f"/api/v1/hazards/{hazard.pk}/premises/"
    assert APIClient().post(url, {"premises": premises.pk}, format="json").status_code == 401
    assert client_for(other_worker).post(url, {"premises": premises.pk}, format="json").status_code == 404
    bad = english(client_for(worker)).post(url, {"premises": "x"}, format="json")
    assert bad.status_code == 400 and "premises" in bad.json()["errors"]
    done = client_for(worker).post(url, {"premises": premises.pk}, format="json")
    assert done.status_code == 200, done.content
    body = done.json()
    assert body["premises"] == {"id": premises.pk, "name": premises.name} and body["origin"] == "report"
    history = client_for(boss).get(f"/api/v1/premises/{premises.pk}/").json()["history"]
    assert [h["hazard_id"] for h in history] == [hazard.pk]


def test_nearby_premises_for_the_report_form(make_premises, django_assert_max_num_queries):
    near = make_premises(latitude=NEAR[0], longitude=NEAR[1])
    here = make_premises()
    make_premises(latitude=FAR[0], longitude=FAR[1])
    make_premises(latitude=INSIDE[0], longitude=INSIDE[1] + 0.0001, active=False)
    found = premises_near(latitude=INSIDE[0], longitude=INSIDE[1])
    assert [n.premises.pk for n in found] == [here.pk, near.pk]
    answer = APIClient().get("/api/v1/premises/nearby/", {"latitude": INSIDE[0], "longitude": INSIDE[1]})
    assert answer.status_code == 200
    rows = answer.json()
    assert [r["id"] for r in rows] == [here.pk, near.pk] and rows[1]["distance_m"] in (100, 110, 120)
    # Names only: no register code, address or phone for an anonymous caller.
    assert set(rows[0]) == {"id", "name", "type", "distance_m"}
    missing = english(APIClient()).get("/api/v1/premises/nearby/", {"latitude": INSIDE[0]})
    assert missing.status_code == 400 and "longitude" in missing.json()["errors"]
    with django_assert_max_num_queries(3) as few:
        APIClient().get("/api/v1/premises/nearby/", {"latitude": INSIDE[0], "longitude": INSIDE[1]})
    for n in range(6):
        make_premises(latitude=INSIDE[0] + 0.0001 * n, longitude=INSIDE[1])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert (
            len(APIClient().get("/api/v1/premises/nearby/", {"latitude": INSIDE[0], "longitude": INSIDE[1]}).json())
            == 8
        )


def test_the_reporter_names_a_premises_and_the_hazard_page_links_it(make_premises, categories, boss, client):
    premises = make_premises(latitude=NEAR[0], longitude=NEAR[1])
    form = {
        "category": "gas-safety",
        "description": "饭店后厨液化气罐",
        "latitude": str(INSIDE[0]),
        "longitude": str(INSIDE[1]),
        "premises": str(premises.pk),
        "photos": [upload("a.jpg", jpeg_bytes())],
    }
    assert client.post("/report/", form).status_code == 302
    from hazards.models import Hazard

    hazard = Hazard.objects.get()
    assert hazard.client_data == {"premises_hint": premises.pk} and not PremisesHazard.objects.exists()

    office = english(Client())
    office.force_login(boss)
    page = office.get(f"/office/hazards/{hazard.pk}/")
    html = page.content.decode()
    assert page.context["page"].premises_hint.pk == premises.pk and 'id="premises-form"' in html
    assert f'<option value="{premises.pk}" selected>' in html
    done = office.post(f"/office/hazards/{hazard.pk}/premises/", {"premises": premises.pk, "premises_id": ""})
    assert done.status_code == 302
    assert PremisesHazard.objects.get(hazard=hazard).premises_id == premises.pk
    html = office.get(f"/office/hazards/{hazard.pk}/").content.decode()
    assert 'id="premises-linked"' in html and f"Linked to {premises.name}." in html
    # An id typed in wins over the list; an unknown one is refused in the page's language.
    office.post(f"/office/hazards/{hazard.pk}/premises/", {"premises": premises.pk, "premises_id": "999999"})
    assert "No such premises" in office.get(f"/office/hazards/{hazard.pk}/").content.decode()
    assert PremisesHazard.objects.get(hazard=hazard).premises_id == premises.pk


def test_the_hazard_page_keeps_its_query_count_with_premises_nearby(
    make_premises, make_hazard, boss, worker, django_assert_max_num_queries
):
    hazard = make_hazard()
    named = make_premises(latitude=FAR[0], longitude=FAR[1])  # the reporter's pick, beyond 300 m
    type(hazard).objects.filter(pk=hazard.pk).update(client_data={"premises_hint": named.pk})
    make_premises(latitude=NEAR[0], longitude=NEAR[1])
    client = Client()
    client.force_login(boss)
    url = f"/office/hazards/{hazard.pk}/"
    with django_assert_max_num_queries(60) as small:
        page = client.get(url)
    assert len(page.context["page"].nearby_premises) == 1 and page.context["page"].premises_hint.pk == named.pk
    for n in range(7):
        make_premises(latitude=INSIDE[0] + 0.0002 * n, longitude=INSIDE[1])
    hazard_link_premises(actor=worker, hazard_id=hazard.pk, premises_id=named.pk)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get(url)
    assert len(page.context["page"].nearby_premises) == 8 and 'id="premises-linked"' in page.content.decode()


def test_the_grids_worker_links_a_report_from_the_premises_page(client, make_premises, make_hazard, worker, officer):
    premises, hazard = make_premises(responsible_user=officer.pk), make_hazard()
    english(client)
    client.force_login(officer)  # the responsible person sees the page, not the form
    assert 'id="premises-link-form"' not in client.get(f"/premises/{premises.pk}/").content.decode()
    client.post(f"/premises/{premises.pk}/link/", {"tracking_code": hazard.tracking_code})
    assert not PremisesHazard.objects.exists()
    client.force_login(worker)
    url = f"/premises/{premises.pk}/"
    assert 'id="premises-link-form"' in client.get(url).content.decode()
    client.post(url + "link/", {"tracking_code": "ZZZZZZZZZZ"})
    assert "No hazard with this tracking code is visible to you" in client.get(url).content.decode()
    done = client.post(url + "link/", {"tracking_code": hazard.tracking_code.lower()})
    assert done.status_code == 302 and done["Location"] == url
    assert PremisesHazard.objects.get(hazard=hazard).premises_id == premises.pk
    html = client.get(url).content.decode()
    assert f"Report {hazard.tracking_code} linked." in html and f"/track/{hazard.tracking_code}/" in html
