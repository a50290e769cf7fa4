"""Taking premises back from an inspector (campaign_unassign): the service's rules and counters, its
live events, the API's statuses and field names, and the office page's "Take back" buttons."""

from __future__ import annotations

import pytest
from django.utils import translation

from govern.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from govern.live import current_event_id
from govern.models import LiveEvent
from hazards.premises.campaigns import clean, inspections, services
from hazards.premises.models import (
    Campaign,
    CampaignPremises,
    ChecklistItem,
    Inspection,
    InspectionResult,
    Outcome,
    VisitStatus,
)
from tests.conftest import client_for
from tests.premises.campaign_helpers import approved_volunteer, fail_photo, make_premises, stored_files

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(campaign_media):
    return campaign_media


def _counters(campaign_id):
    c = Campaign.objects.get(pk=campaign_id)
    return {
        "total": c.premises_total,
        "assigned": c.premises_assigned,
        "started": c.premises_started,
        "done": c.premises_done,
        "findings": c.findings,
    }


@pytest.fixture
def running(campaign_office, campaign_area, campaign_checklists):
    """An active campaign over four restaurants of the west grid, three of them assigned to its grid worker."""
    west, worker = campaign_area["west"], campaign_area["worker_w"]
    places = [make_premises(west, offset=i * 0.0008) for i in range(4)]
    campaign = services.campaign_create(actor=campaign_office, name="夏季燃气安全检查", grid_ids=[west.pk])
    services.campaign_assign(
        campaign_id=campaign.pk, actor=campaign_office, inspector_id=worker.pk, premises_ids=[p.pk for p in places[:3]]
    )
    services.campaign_activate(campaign_id=campaign.pk, actor=campaign_office)
    entries = {e.premises_id: e for e in campaign.entries.all()}
    return {
        "campaign": campaign,
        "places": places,
        "entries": [entries[p.pk] for p in places],
        "inspector": worker,
        "office": campaign_office,
        "west": west,
    }


def _unassign(running, places, **kwargs):
    return services.campaign_unassign(
        campaign_id=running["campaign"].pk, actor=running["office"], premises_ids=[p.pk for p in places], **kwargs
    )


def _start_with_a_failure(running, entry):
    inspector = running["inspector"]
    inspection = inspections.inspection_start(entry_id=entry.pk, actor=inspector)
    item = ChecklistItem.objects.filter(checklist=inspection.checklist, active=True).order_by("order").first()
    inspections.inspection_record_item(
        inspection_id=inspection.pk,
        actor=inspector,
        item_id=item.pk,
        outcome=Outcome.FAIL,
        note="钢瓶放在灶台旁",
        photo=fail_photo(),
    )
    return inspection


def _submit_all_passed(running, entry):
    inspector = running["inspector"]
    inspection = inspections.inspection_start(entry_id=entry.pk, actor=inspector)
    for item in ChecklistItem.objects.filter(checklist=inspection.checklist, active=True):
        inspections.inspection_record_item(
            inspection_id=inspection.pk, actor=inspector, item_id=item.pk, outcome=Outcome.PASS
        )
    inspections.inspection_submit(inspection_id=inspection.pk, actor=inspector)
    return inspection


# --- the service -------------------------------------------------------------------------------------


def test_taking_back_pending_premises_frees_them_for_someone_else(running, campaign_area):
    places, inspector, campaign = running["places"], running["inspector"], running["campaign"]
    assert _counters(campaign.pk)["assigned"] == 3
    before = current_event_id()
    entries = _unassign(running, places[:2], reason="生病请假")
    assert sorted(e.premises_id for e in entries) == sorted(p.pk for p in places[:2])
    for entry in CampaignPremises.objects.filter(campaign=campaign, premises__in=places[:2]):
        assert (entry.inspector_id, entry.assigned_at, entry.status) == (None, None, VisitStatus.PENDING)
        # What happened is kept on the row: when, by whom, why.
        assert (entry.taken_back_by_id, entry.taken_back_reason) == (running["office"].pk, "生病请假")
        assert entry.taken_back_at is not None
    assert CampaignPremises.objects.get(campaign=campaign, premises=places[2]).taken_back_at is None
    assert CampaignPremises.objects.get(campaign=campaign, premises=places[2]).inspector_id == inspector.pk
    assert _counters(campaign.pk) == {"total": 4, "assigned": 1, "started": 0, "done": 0, "findings": 0}

    events = list(LiveEvent.objects.filter(pk__gt=before).order_by("id"))
    assert [e.type for e in events] == ["campaign.unassigned", "campaign.progress"]
    unassigned, progress = events
    assert set(unassigned.topics) == {"dispatch", f"user:{inspector.pk}"}
    assert sorted(unassigned.data["entries"]) == sorted(e.pk for e in running["entries"][:2])
    assert unassigned.data["inspectors"] == [inspector.pk] and unassigned.data["reason"] == "生病请假"
    assert unassigned.data["discarded"] == []
    assert set(progress.topics) == {"dispatch", f"user:{inspector.pk}"} and progress.data["assigned"] == 1

    # The inspector's list no longer has them; another inspector can have them.
    from hazards.premises.campaigns.selectors import my_assignments

    assert [e.premises_id for e in my_assignments(user=inspector)] == [places[2].pk]
    volunteer = approved_volunteer(running["west"].community)
    services.campaign_assign(
        campaign_id=campaign.pk, actor=running["office"], inspector_id=volunteer.pk, premises_ids=[places[0].pk]
    )
    assert _counters(campaign.pk)["assigned"] == 2

    # Premises nobody has (unassigned, or never assigned) are left alone: no count, no event.
    before = LiveEvent.objects.count()
    _unassign(running, [places[1], places[3]])
    assert _counters(campaign.pk)["assigned"] == 2 and LiveEvent.objects.count() == before


def test_started_premises_are_a_conflict_unless_the_draft_is_discarded(
    running, campaign_media, django_capture_on_commit_callbacks
):
    places, entries, inspector, campaign = (
        running["places"],
        running["entries"],
        running["inspector"],
        running["campaign"],
    )
    inspection = _start_with_a_failure(running, entries[0])
    photos = stored_files(campaign_media)
    assert photos and _counters(campaign.pk)["started"] == 1
    with translation.override("en"), pytest.raises(Conflict) as caught:
        _unassign(running, places[:2])
    assert caught.value.code == "in_progress" and places[0].name in str(caught.value.message)
    # All or nothing: the other premises was not taken back either.
    assert CampaignPremises.objects.get(pk=entries[1].pk).inspector_id == inspector.pk
    assert _counters(campaign.pk)["assigned"] == 3

    with django_capture_on_commit_callbacks(execute=True):
        _unassign(running, places[:2], discard_started=True)
    assert not Inspection.objects.filter(pk=inspection.pk).exists()
    assert not InspectionResult.objects.filter(inspection_id=inspection.pk).exists()
    assert stored_files(campaign_media) == []  # the draft's photo files went with it
    entry = CampaignPremises.objects.get(pk=entries[0].pk)
    assert (entry.status, entry.inspector_id) == (VisitStatus.PENDING, None)
    assert _counters(campaign.pk) == {"total": 4, "assigned": 1, "started": 0, "done": 0, "findings": 0}
    event = LiveEvent.objects.filter(type="campaign.unassigned").get()
    assert event.data["discarded"] == [entries[0].pk]

    # The former inspector's phone can no longer work on it; the new inspector starts afresh.
    with pytest.raises(NotFound):
        inspections.inspection_start(entry_id=entry.pk, actor=inspector)
    with pytest.raises(NotFound):
        inspections.inspection_submit(inspection_id=inspection.pk, actor=inspector)
    volunteer = approved_volunteer(running["west"].community)
    services.campaign_assign(
        campaign_id=campaign.pk, actor=running["office"], inspector_id=volunteer.pk, premises_ids=[places[0].pk]
    )
    fresh = inspections.inspection_start(entry_id=entry.pk, actor=volunteer)
    assert fresh.pk != inspection.pk and not fresh.results.exists()
    assert _counters(campaign.pk) == {"total": 4, "assigned": 2, "started": 1, "done": 0, "findings": 0}


def test_submitted_premises_cannot_be_taken_back(running):
    places, entries, campaign = running["places"], running["entries"], running["campaign"]
    _submit_all_passed(running, entries[0])
    before = _counters(campaign.pk)
    for discard in (False, True):
        with translation.override("en"), pytest.raises(Conflict) as caught:
            _unassign(running, places[:2], discard_started=discard)
        assert caught.value.code == "submitted" and places[0].name in str(caught.value.message)
    assert _counters(campaign.pk) == before == {"total": 4, "assigned": 3, "started": 0, "done": 1, "findings": 0}
    assert CampaignPremises.objects.get(pk=entries[1].pk).inspector_id == running["inspector"].pk


def test_refusals(running, campaign_area):
    campaign, office, places = running["campaign"], running["office"], running["places"]
    stranger = make_premises(campaign_area["east"])
    with pytest.raises(InvalidInput) as caught:
        _unassign(running, [places[0], stranger])
    assert caught.value.field == "premises" and str(stranger.pk) in str(caught.value.message)
    with pytest.raises(InvalidInput) as caught:
        _unassign(running, [])
    assert caught.value.field == "premises"
    with pytest.raises(InvalidInput) as caught:
        services.campaign_unassign(campaign_id=campaign.pk, actor=office, premises_ids=["x"])
    assert caught.value.field == "premises"
    with pytest.raises(InvalidInput) as caught:
        _unassign(running, places[:1], reason="x" * (clean.NOTE_MAX + 1))
    assert caught.value.field == "reason"
    with pytest.raises(PermissionDenied):
        services.campaign_unassign(campaign_id=campaign.pk, actor=running["inspector"], premises_ids=[places[0].pk])
    with pytest.raises(NotFound):
        services.campaign_unassign(campaign_id=999999, actor=office, premises_ids=[places[0].pk])
    services.campaign_close(campaign_id=campaign.pk, actor=office)
    with pytest.raises(Conflict):
        _unassign(running, places[:1])
    assert _counters(campaign.pk)["assigned"] == 3


# --- the API -------------------------------------------------------------------------------------------


def test_the_api_takes_premises_back_and_names_fields(running, campaign_area):
    campaign, places, entries = running["campaign"], running["places"], running["entries"]
    office = client_for(running["office"])
    url = f"/api/v1/campaigns/{campaign.pk}/unassign/"
    ok = office.post(url, {"premises": [places[1].pk], "reason": "离职"}, format="json")
    assert ok.status_code == 200, ok.content
    assert [(row["premises"]["id"], row["inspector"], row["status"]) for row in ok.json()] == [
        (places[1].pk, None, "pending")
    ]
    assert (ok.json()[0]["taken_back_reason"], ok.json()[0]["taken_back_by"]["id"]) == ("离职", running["office"].pk)
    assert ok.json()[0]["taken_back_at"]
    # The office sees why in the campaign's premises; an inspector given it later does not (the
    # reason may be about the person it was taken from).
    listed = {row["id"]: row for row in office.get(f"/api/v1/campaigns/{campaign.pk}/premises/").json()["results"]}
    assert listed[entries[1].pk]["taken_back_reason"] == "离职"
    services.campaign_assign(
        campaign_id=campaign.pk,
        actor=running["office"],
        inspector_id=running["inspector"].pk,
        premises_ids=[places[1].pk],
    )
    mine = client_for(running["inspector"]).get(f"/api/v1/campaigns/{campaign.pk}/premises/").json()["results"]
    row = next(r for r in mine if r["id"] == entries[1].pk)
    assert (row["taken_back_at"], row["taken_back_by"], row["taken_back_reason"]) == (None, None, "")
    _unassign(running, [places[1]], reason="离职")
    assert office.get(f"/api/v1/campaigns/{campaign.pk}/").json()["progress"]["assigned"] == 2

    stranger = make_premises(campaign_area["east"])
    for body, field in (
        ({"premises": [stranger.pk]}, "premises"),
        ({"premises": []}, "premises"),
        ({}, "premises"),
        ({"premises": ["x"]}, "premises"),
        ({"premises": [places[0].pk], "reason": "x" * 501}, "reason"),
        ({"premises": [places[0].pk], "discard_started": "maybe"}, "discard_started"),
    ):
        refused = office.post(url, body, format="json")
        assert refused.status_code == 400 and field in refused.json()["errors"], (body, refused.content)

    _start_with_a_failure(running, entries[0])
    started = office.post(url, {"premises": [places[0].pk]}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert started.status_code == 409 and started.json()["code"] == "in_progress", started.content
    assert places[0].name in started.json()["detail"]
    discarded = office.post(url, {"premises": [places[0].pk], "discard_started": True}, format="json")
    assert discarded.status_code == 200 and discarded.json()[0]["inspection"] is None, discarded.content

    _submit_all_passed(running, entries[2])
    done = office.post(url, {"premises": [places[2].pk]}, format="json")
    assert done.status_code == 409 and done.json()["code"] == "submitted"
    assert client_for(running["inspector"]).post(url, {"premises": [places[2].pk]}, format="json").status_code == 403
    assert (
        office.post("/api/v1/campaigns/999999/unassign/", {"premises": [places[2].pk]}, format="json").status_code
        == 404
    )
    assert _counters(campaign.pk) == {"total": 4, "assigned": 1, "started": 0, "done": 1, "findings": 0}


def test_the_schema_documents_the_endpoint(running):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/campaigns/{id}/unassign/"]["post"]
    assert {"200", "400", "403", "404", "409"} <= set(operation["responses"])
    body = schema["components"]["schemas"]["UnassignRequest"]
    assert set(body["properties"]) == {"premises", "reason", "discard_started"}


# --- the office page -----------------------------------------------------------------------------------


def test_the_office_page_takes_premises_back_without_javascript(client, running):
    campaign, places, entries = running["campaign"], running["places"], running["entries"]
    _start_with_a_failure(running, entries[0])
    client.force_login(running["office"])
    url = f"/office/campaigns/{campaign.pk}/"
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="unassign-form"' in page and "csrfmiddlewaretoken" in page
    assert f'form="unassign-form" name="premises" value="{places[1].pk}"' in page
    assert f'form="unassign-form" name="discard" value="{places[0].pk}"' in page
    assert f'name="premises" value="{places[3].pk}" class="btn"' not in page  # nobody has it: nothing to take back

    taken = client.post(url, {"action": "unassign", "premises": [places[1].pk], "reason": "病假"})
    assert taken.status_code == 302
    assert CampaignPremises.objects.get(pk=entries[1].pk).inspector_id is None
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    row = page[page.index(f'data-entry-id="{entries[1].pk}"') :]
    assert "Taken back" in row[: row.index("</tr>")] and "病假" in row[: row.index("</tr>")]
    refused = client.post(url, {"action": "unassign", "premises": [places[0].pk]}, HTTP_ACCEPT_LANGUAGE="en")
    assert (
        refused.status_code == 400 and places[0].name in refused.content.decode()
    )  # the page answers 400 to every refusal
    discarded = client.post(url, {"action": "unassign", "discard": [places[0].pk]})
    assert discarded.status_code == 302
    assert _counters(campaign.pk) == {"total": 4, "assigned": 1, "started": 0, "done": 0, "findings": 0}
