"""Campaigns: selection, assignment rules, progress counters, failed items becoming hazards with
their photos linked to the premises and the campaign, double submit, permissions, constraints."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from govern.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from govern.models import LiveEvent
from govern.roles import RESIDENT
from hazards.models import Category, Hazard, HazardPhoto, Severity, Source
from hazards.premises.campaigns import inspections, services
from hazards.premises.models import (
    Campaign,
    CampaignPremises,
    Checklist,
    ChecklistItem,
    Inspection,
    InspectionResult,
    Outcome,
    PremisesHazard,
    VisitStatus,
)
from tests.factories import UserFactory
from tests.premises.campaign_helpers import approved_volunteer, fail_photo, make_premises, stored_files

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(campaign_media):
    return campaign_media


@pytest.fixture
def office(campaign_office):
    return campaign_office


@pytest.fixture
def area(campaign_area):
    return campaign_area


def _campaign(office, area, **selection):
    selection = selection or {"grid_ids": [area["west"].pk, area["east"].pk]}
    return services.campaign_create(actor=office, name="夏季燃气安全检查", **selection)


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
def street(campaign_checklists, area):
    """Three restaurants and a shop in the west grid, one restaurant in the east grid (another street)."""
    west, east = area["west"], area["east"]
    return {
        "r1": make_premises(west, street="汾湖大道", offset=0.000),
        "r2": make_premises(west, street="汾湖大道", offset=0.001),
        "r3": make_premises(west, street="芦墟路", offset=0.002),
        "shop": make_premises(west, type_slug="shop", street="汾湖大道", offset=0.003),
        "east": make_premises(east, street="芦墟路"),
    }


# --- selection -------------------------------------------------------------------------------------


def test_selection_by_grid_street_and_type(office, area, street):
    by_grid = _campaign(office, area, grid_ids=[area["west"].pk])
    assert set(by_grid.entries.values_list("premises_id", flat=True)) == {
        street[k].pk for k in ("r1", "r2", "r3", "shop")
    }
    by_street_type = _campaign(office, area, streets=["芦墟路"], type_slugs=["restaurant"])
    assert set(by_street_type.entries.values_list("premises_id", flat=True)) == {street["r3"].pk, street["east"].pk}
    all_three = _campaign(office, area, grid_ids=[area["west"].pk], streets=["汾湖大道"], type_slugs=["restaurant"])
    assert set(all_three.entries.values_list("premises_id", flat=True)) == {street["r1"].pk, street["r2"].pk}
    assert all_three.premises_total == 2 and all_three.status == "draft"
    assert all_three.selection == {"grids": [area["west"].pk], "streets": ["汾湖大道"], "types": ["restaurant"]}


@pytest.mark.parametrize(
    ("selection", "field"),
    [
        ({}, "selection"),
        ({"grid_ids": [999999]}, "grids"),
        ({"type_slugs": ["spaceport"]}, "types"),
        ({"streets": ["无此路"]}, "selection"),
        ({"grid_ids": ["x"]}, "grids"),
    ],
)
def test_bad_selections_name_the_field(office, area, street, selection, field):
    with pytest.raises(InvalidInput) as caught:
        services.campaign_create(actor=office, name="x", **selection)
    assert caught.value.field == field
    assert Campaign.objects.count() == 0


def test_a_type_without_an_active_checklist_is_named(office, area, street):
    Checklist.objects.filter(premises_type__slug="shop").update(active=False)
    with pytest.raises(InvalidInput) as caught:
        _campaign(office, area, grid_ids=[area["west"].pk])
    assert caught.value.field == "types" and "商铺" in str(caught.value.message)


def test_period_and_name_are_checked(office, area, street):
    with pytest.raises(InvalidInput) as caught:
        services.campaign_create(
            actor=office, name="x", grid_ids=[area["west"].pk], starts_on="2026-06-10", ends_on="2026-06-01"
        )
    assert caught.value.field == "ends_on"
    with pytest.raises(InvalidInput) as caught:
        services.campaign_create(actor=office, name="  ", grid_ids=[area["west"].pk])
    assert caught.value.field == "name"


def test_only_dispatchers_create_and_assign(area, street):
    worker = area["worker_w"]
    with pytest.raises(PermissionDenied):
        services.campaign_create(actor=worker, name="x", grid_ids=[area["west"].pk])


# --- assignment ------------------------------------------------------------------------------------


def test_a_grid_worker_is_assigned_only_within_their_grids(office, area, street):
    campaign = _campaign(office, area)
    west_ids = [street[k].pk for k in ("r1", "r2", "r3", "shop")]
    services.campaign_assign(
        campaign_id=campaign.pk, actor=office, inspector_id=area["worker_w"].pk, premises_ids=west_ids
    )
    assert _counters(campaign.pk)["assigned"] == 4
    with pytest.raises(InvalidInput) as caught:
        services.campaign_assign(
            campaign_id=campaign.pk, actor=office, inspector_id=area["worker_w"].pk, premises_ids=[street["east"].pk]
        )
    assert caught.value.field == "premises"
    assert CampaignPremises.objects.get(campaign=campaign, premises=street["east"]).inspector_id is None


def test_approved_volunteers_inspect_anywhere_others_are_refused(office, area, street):
    campaign = _campaign(office, area)
    volunteer = approved_volunteer(area["east"].community)
    services.campaign_assign(
        campaign_id=campaign.pk,
        actor=office,
        inspector_id=volunteer.pk,
        premises_ids=[street["east"].pk, street["r1"].pk],
    )
    assert _counters(campaign.pk)["assigned"] == 2

    from volunteers.models import Volunteer, VolunteerStatus

    pending = approved_volunteer(area["east"].community)
    Volunteer.objects.filter(user=pending).update(status=VolunteerStatus.PENDING)
    resident = UserFactory(roles=[RESIDENT])
    for who, field in ((pending, "inspector"), (resident, "inspector")):
        with pytest.raises(InvalidInput) as caught:
            services.campaign_assign(
                campaign_id=campaign.pk, actor=office, inspector_id=who.pk, premises_ids=[street["r2"].pk]
            )
        assert caught.value.field == field
    with pytest.raises(InvalidInput) as caught:
        services.campaign_assign(
            campaign_id=campaign.pk, actor=office, inspector_id=volunteer.pk, premises_ids=[123456]
        )
    assert caught.value.field == "premises"
    with pytest.raises(PermissionDenied):
        services.campaign_assign(
            campaign_id=campaign.pk, actor=volunteer, inspector_id=volunteer.pk, premises_ids=[street["r2"].pk]
        )
    assert _counters(campaign.pk)["assigned"] == 2


def test_reassigning_pending_premises_keeps_the_count_started_ones_are_a_conflict(office, area, street):
    campaign = _campaign(office, area)
    volunteer = approved_volunteer(area["west"].community)
    ids = [street["r1"].pk, street["r2"].pk]
    services.campaign_assign(campaign_id=campaign.pk, actor=office, inspector_id=area["worker_w"].pk, premises_ids=ids)
    services.campaign_activate(campaign_id=campaign.pk, actor=office)
    entry = CampaignPremises.objects.get(campaign=campaign, premises=street["r1"])
    inspections.inspection_start(entry_id=entry.pk, actor=area["worker_w"])
    with pytest.raises(Conflict):
        services.campaign_assign(campaign_id=campaign.pk, actor=office, inspector_id=volunteer.pk, premises_ids=ids)
    services.campaign_assign(
        campaign_id=campaign.pk, actor=office, inspector_id=volunteer.pk, premises_ids=[street["r2"].pk]
    )
    assert CampaignPremises.objects.get(campaign=campaign, premises=street["r2"]).inspector_id == volunteer.pk
    assert _counters(campaign.pk)["assigned"] == 2
    assigned = LiveEvent.objects.filter(type="campaign.assigned").order_by("id").last()
    assert f"user:{volunteer.pk}" in assigned.topics and f"user:{area['worker_w'].pk}" in assigned.topics


# --- inspections, progress, findings -----------------------------------------------------------------


@pytest.fixture
def running(office, area, street):
    campaign = _campaign(office, area, grid_ids=[area["west"].pk], type_slugs=["restaurant"])
    services.campaign_assign(
        campaign_id=campaign.pk,
        actor=office,
        inspector_id=area["worker_w"].pk,
        premises_ids=[street["r1"].pk, street["r2"].pk, street["r3"].pk],
    )
    services.campaign_activate(campaign_id=campaign.pk, actor=office)
    entries = {e.premises_id: e for e in campaign.entries.all()}
    return {"campaign": campaign, "entry": entries[street["r1"].pk], "entries": entries, "inspector": area["worker_w"]}


def _items(inspection):
    return list(ChecklistItem.objects.filter(checklist=inspection.checklist, active=True).order_by("order"))


def _tick_all(inspection, inspector, *, failures=None):
    """Pass every item except `failures` ({index: (note, photo)}) which fail."""
    failures = failures or {}
    for index, item in enumerate(_items(inspection)):
        if index in failures:
            note, photo = failures[index]
            inspections.inspection_record_item(
                inspection_id=inspection.pk,
                actor=inspector,
                item_id=item.pk,
                outcome=Outcome.FAIL,
                note=note,
                photo=photo,
            )
        else:
            inspections.inspection_record_item(
                inspection_id=inspection.pk,
                actor=inspector,
                item_id=item.pk,
                outcome=Outcome.PASS if index % 3 else Outcome.NA,
            )


def test_progress_counts_as_inspectors_work(running, django_capture_on_commit_callbacks):
    campaign, inspector = running["campaign"], running["inspector"]
    assert _counters(campaign.pk) == {"total": 3, "assigned": 3, "started": 0, "done": 0, "findings": 0}
    first, second = list(running["entries"].values())[:2]
    one = inspections.inspection_start(entry_id=first.pk, actor=inspector)
    assert inspections.inspection_start(entry_id=first.pk, actor=inspector).pk == one.pk  # again: the same one
    two = inspections.inspection_start(entry_id=second.pk, actor=inspector)
    assert _counters(campaign.pk)["started"] == 2
    _tick_all(one, inspector, failures={0: ("钢瓶放在灶台旁", fail_photo())})
    inspections.inspection_submit(inspection_id=one.pk, actor=inspector)
    _tick_all(two, inspector)
    with django_capture_on_commit_callbacks(execute=True):
        inspections.inspection_submit(inspection_id=two.pk, actor=inspector)
    assert _counters(campaign.pk) == {"total": 3, "assigned": 3, "started": 0, "done": 2, "findings": 1}
    assert CampaignPremises.objects.get(pk=first.pk).status == VisitStatus.DONE
    event = LiveEvent.objects.filter(type="campaign.progress").order_by("id").last()
    assert "dispatch" in event.topics and f"user:{inspector.pk}" in event.topics
    assert event.data["done"] == 2 and event.data["percent"] == 67 and event.data["entry"]["status"] == "done"


def test_failed_items_become_hazards_with_photos_linked_to_premises_and_campaign(running, campaign_media):
    campaign, entry, inspector = running["campaign"], running["entry"], running["inspector"]
    inspection = inspections.inspection_start(entry_id=entry.pk, actor=inspector)
    items = _items(inspection)
    _tick_all(inspection, inspector, failures={0: ("钢瓶放在灶台旁", fail_photo(1)), 2: ("插线板串接", fail_photo(2))})
    before_hazard_files = len(stored_files(campaign_media))
    outcome = inspections.inspection_submit(inspection_id=inspection.pk, actor=inspector)

    assert len(outcome.hazards) == 2 and not outcome.replayed
    premises = entry.premises
    for hazard, item in zip(outcome.hazards, (items[0], items[2]), strict=True):
        hazard = Hazard.objects.get(pk=hazard.pk)
        assert hazard.source == Source.INSPECTION and hazard.reporter_id == inspector.pk
        assert hazard.category_id == item.category_id and hazard.severity == Severity.HIGH
        assert hazard.grid_id == premises.grid_id and hazard.latitude == premises.latitude
        assert premises.name in hazard.description and campaign.name in hazard.description
        assert HazardPhoto.objects.filter(hazard=hazard).count() == 1
        link = PremisesHazard.objects.get(hazard=hazard)
        assert link.premises_id == premises.pk and link.origin == "inspection"
        result = InspectionResult.objects.get(hazard=hazard)
        assert result.item_id == item.pk and result.inspection.entry.campaign_id == campaign.pk
    assert len(stored_files(campaign_media)) == before_hazard_files + 2 * 3  # three renditions per hazard photo
    assert not InspectionResult.objects.filter(
        inspection=inspection, outcome=Outcome.PASS, hazard__isnull=False
    ).exists()
    assert InspectionResult.objects.filter(inspection=inspection, submitted=False).count() == 0
    assert _counters(campaign.pk)["findings"] == 2
    assert CampaignPremises.objects.get(pk=entry.pk).findings == 2


def test_a_failed_item_needs_its_photo_unless_the_item_says_otherwise(running):
    inspection = inspections.inspection_start(entry_id=running["entry"].pk, actor=running["inspector"])
    items = _items(inspection)
    with pytest.raises(InvalidInput) as caught:
        inspections.inspection_record_item(
            inspection_id=inspection.pk,
            actor=running["inspector"],
            item_id=items[0].pk,
            outcome=Outcome.FAIL,
            note="没有照片",
        )
    assert caught.value.field == "photo"
    assert not InspectionResult.objects.filter(inspection=inspection).exists()
    complaints = items[-1]
    assert not complaints.photo_required
    result = inspections.inspection_record_item(
        inspection_id=inspection.pk,
        actor=running["inspector"],
        item_id=complaints.pk,
        outcome=Outcome.FAIL,
        note="邻居投诉油烟",
    )
    assert result.outcome == Outcome.FAIL and not result.photo


def test_changing_a_failed_item_to_pass_drops_its_photo(running, campaign_media):
    inspection = inspections.inspection_start(entry_id=running["entry"].pk, actor=running["inspector"])
    item = _items(inspection)[0]
    result = inspections.inspection_record_item(
        inspection_id=inspection.pk,
        actor=running["inspector"],
        item_id=item.pk,
        outcome=Outcome.FAIL,
        photo=fail_photo(),
    )
    assert result.photo and len(stored_files(campaign_media)) == 2  # large and thumb are kept
    result = inspections.inspection_record_item(
        inspection_id=inspection.pk, actor=running["inspector"], item_id=item.pk, outcome=Outcome.PASS
    )
    assert not result.photo and stored_files(campaign_media) == []
    assert InspectionResult.objects.filter(inspection=inspection).count() == 1


def test_submit_needs_every_item_and_writes_nothing_otherwise(running):
    inspection = inspections.inspection_start(entry_id=running["entry"].pk, actor=running["inspector"])
    item = _items(inspection)[0]
    inspections.inspection_record_item(
        inspection_id=inspection.pk,
        actor=running["inspector"],
        item_id=item.pk,
        outcome=Outcome.FAIL,
        photo=fail_photo(),
    )
    with pytest.raises(InvalidInput) as caught:
        inspections.inspection_submit(inspection_id=inspection.pk, actor=running["inspector"])
    assert caught.value.field == "results" and "燃气报警器" in str(caught.value.message)
    assert Hazard.objects.count() == 0 and Inspection.objects.get(pk=inspection.pk).submitted_at is None


def test_a_refused_finding_rolls_back_every_hazard_and_its_files(running, campaign_media):
    inspection = inspections.inspection_start(entry_id=running["entry"].pk, actor=running["inspector"])
    _tick_all(inspection, running["inspector"], failures={0: ("钢瓶", fail_photo(1)), 2: ("电线", fail_photo(2))})
    inspection_files = stored_files(campaign_media)
    Category.objects.filter(slug="electrical-wiring").update(active=False)  # the second finding is refused
    with pytest.raises(InvalidInput):
        inspections.inspection_submit(inspection_id=inspection.pk, actor=running["inspector"])
    assert Hazard.objects.count() == 0 and PremisesHazard.objects.count() == 0
    assert stored_files(campaign_media) == inspection_files  # the first hazard's photo files are gone again
    assert _counters(running["campaign"].pk)["done"] == 0
    Category.objects.filter(slug="electrical-wiring").update(active=True)
    assert len(inspections.inspection_submit(inspection_id=inspection.pk, actor=running["inspector"]).hazards) == 2


def test_double_submit_is_idempotent_and_nothing_changes_afterwards(running):
    inspector = running["inspector"]
    inspection = inspections.inspection_start(entry_id=running["entry"].pk, actor=inspector)
    _tick_all(inspection, inspector, failures={1: ("报警器没电", fail_photo())})
    first = inspections.inspection_submit(inspection_id=inspection.pk, actor=inspector)
    again = inspections.inspection_submit(inspection_id=inspection.pk, actor=inspector)
    assert again.replayed and [h.pk for h in again.hazards] == [h.pk for h in first.hazards]
    assert Hazard.objects.count() == 1 and _counters(running["campaign"].pk)["done"] == 1
    assert _counters(running["campaign"].pk)["findings"] == 1
    with pytest.raises(Conflict):
        inspections.inspection_record_item(
            inspection_id=inspection.pk, actor=inspector, item_id=_items(inspection)[0].pk, outcome=Outcome.PASS
        )


def test_only_the_assigned_inspector_works_the_checklist(running, office, area):
    entry = running["entry"]
    with pytest.raises(NotFound):
        inspections.inspection_start(entry_id=entry.pk, actor=area["worker_e"])
    with pytest.raises(PermissionDenied):
        inspections.inspection_start(entry_id=entry.pk, actor=office)
    inspection = inspections.inspection_start(entry_id=entry.pk, actor=running["inspector"])
    item = _items(inspection)[0]
    with pytest.raises(NotFound):
        inspections.inspection_record_item(
            inspection_id=inspection.pk, actor=area["worker_e"], item_id=item.pk, outcome="pass"
        )
    with pytest.raises(NotFound):
        inspections.inspection_submit(inspection_id=inspection.pk, actor=area["worker_e"])
    with pytest.raises(InvalidInput) as caught:
        inspections.inspection_record_item(
            inspection_id=inspection.pk, actor=running["inspector"], item_id=item.pk, outcome="maybe"
        )
    assert caught.value.field == "outcome"
    other = ChecklistItem.objects.exclude(checklist=inspection.checklist).first()
    with pytest.raises(InvalidInput) as caught:
        inspections.inspection_record_item(
            inspection_id=inspection.pk, actor=running["inspector"], item_id=other.pk, outcome="pass"
        )
    assert caught.value.field == "item"


def test_draft_and_closed_campaigns_refuse_inspections(office, area, street):
    campaign = _campaign(office, area, grid_ids=[area["west"].pk], type_slugs=["restaurant"])
    services.campaign_assign(
        campaign_id=campaign.pk, actor=office, inspector_id=area["worker_w"].pk, premises_ids=[street["r1"].pk]
    )
    entry = CampaignPremises.objects.get(campaign=campaign, premises=street["r1"])
    with pytest.raises(Conflict):
        inspections.inspection_start(entry_id=entry.pk, actor=area["worker_w"])
    services.campaign_activate(campaign_id=campaign.pk, actor=office)
    inspection = inspections.inspection_start(entry_id=entry.pk, actor=area["worker_w"])
    services.campaign_close(campaign_id=campaign.pk, actor=office)
    with pytest.raises(Conflict):
        inspections.inspection_record_item(
            inspection_id=inspection.pk, actor=area["worker_w"], item_id=_items(inspection)[0].pk, outcome="pass"
        )
    with pytest.raises(Conflict):
        services.campaign_close(campaign_id=campaign.pk, actor=office)
    with pytest.raises(Conflict):
        services.campaign_assign(
            campaign_id=campaign.pk, actor=office, inspector_id=area["worker_w"].pk, premises_ids=[street["r2"].pk]
        )


# --- constraints -----------------------------------------------------------------------------------------


def test_database_constraints_back_the_invariants(running, office):
    inspector = running["inspector"]
    entry = running["entry"]
    inspection = inspections.inspection_start(entry_id=entry.pk, actor=inspector)
    item = _items(inspection)[-1]
    result = inspections.inspection_record_item(
        inspection_id=inspection.pk, actor=inspector, item_id=item.pk, outcome="fail"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        InspectionResult.objects.filter(pk=result.pk).update(submitted=True)  # failed, submitted, no hazard
    with pytest.raises(IntegrityError), transaction.atomic():
        InspectionResult.objects.create(inspection=inspection, item=item, outcome="pass")  # one per item
    with pytest.raises(IntegrityError), transaction.atomic():
        Inspection.objects.create(entry=entry, inspector=inspector, checklist=inspection.checklist)  # one per entry
    with pytest.raises(IntegrityError), transaction.atomic():
        CampaignPremises.objects.create(campaign=running["campaign"], premises=entry.premises)  # once per campaign
    with pytest.raises(IntegrityError), transaction.atomic():
        CampaignPremises.objects.filter(pk=entry.pk).update(inspector=None)  # started without inspector
    with pytest.raises(IntegrityError), transaction.atomic():
        Campaign.objects.filter(pk=running["campaign"].pk).update(premises_done=99)
    with pytest.raises(IntegrityError), transaction.atomic():
        Checklist.objects.create(premises_type=inspection.checklist.premises_type, name="x", name_en="x", active=True)


# --- points for inspections (issue 24) --------------------------------------------------------------


def test_a_submitted_inspection_pays_its_inspector_once_and_its_fixed_finding_pays_again(
    running, office, django_capture_on_commit_callbacks
):
    from hazards.core.lifecycle import hazard_transition
    from hazards.models import Status
    from rewards.models import EarningRule, PointsAward
    from rewards.tasks import award_points
    from tests.rewards.conftest import assert_ledger_consistent, balance_of

    inspector = running["inspector"]
    inspection = inspections.inspection_start(entry_id=running["entry"].pk, actor=inspector)
    _tick_all(inspection, inspector, failures={1: ("报警器没电", fail_photo())})
    with django_capture_on_commit_callbacks(execute=True):
        first = inspections.inspection_submit(inspection_id=inspection.pk, actor=inspector)
    with django_capture_on_commit_callbacks(execute=True):
        inspections.inspection_submit(inspection_id=inspection.pk, actor=inspector)  # a replay
    award_points.apply(
        kwargs={
            "user_id": inspector.pk,
            "rule_code": "inspection_submitted",
            "source_type": "premises.inspection",
            "source_id": str(inspection.pk),
        },
        throw=True,
    )  # and a retry of the queued award
    visit = EarningRule.objects.get(code="inspection_submitted").points
    assert PointsAward.objects.filter(user=inspector, rule__code="inspection_submitted").count() == 1
    assert balance_of(inspector) == visit
    (finding,) = first.hazards
    with django_capture_on_commit_callbacks(execute=True):
        for status in (Status.TRIAGED, Status.DISPATCHED, Status.IN_PROGRESS, Status.RECTIFIED, Status.VERIFIED):
            hazard_transition(hazard_id=finding.pk, actor=office, to_status=status, note=str(status))
    fixed = PointsAward.objects.get(user=inspector, source_type="hazards.hazard", source_id=str(finding.pk))
    assert fixed.rule.code == "finding_fixed"  # not report_verified: it was the inspector's finding
    assert balance_of(inspector) == visit + fixed.points_paid and fixed.points_paid > 0
    assert_ledger_consistent()
