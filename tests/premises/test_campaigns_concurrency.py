"""Races on campaigns, with real threads against PostgreSQL (CI's services pass): a double submit
from a flaky phone makes its hazards once; inspectors submitting side by side while the office
assigns (or takes premises back) keep the campaign's counters exact and never deadlock (lock order:
campaign premises → inspection → campaign)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from govern.errors import Conflict, InvalidInput, NotFound
from govern.roles import ALL_ROLES
from hazards.models import Hazard
from hazards.premises.campaigns import inspections, services
from hazards.premises.models import (
    Campaign,
    CampaignPremises,
    ChecklistItem,
    Inspection,
    InspectionResult,
    PremisesHazard,
)
from tests.premises.campaign_helpers import approved_volunteer, fail_photo, make_premises

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def role_groups(campaign_media):
    from django.contrib.auth.models import Group

    for name in ALL_ROLES:
        Group.objects.get_or_create(name=name)


def _race(calls):
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = call()
        except (Conflict, InvalidInput, NotFound) as exc:
            outcomes[index] = exc
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            outcomes[index] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def _ready(inspector, entry, *, fail_first: bool):
    inspection = inspections.inspection_start(entry_id=entry.pk, actor=inspector)
    items = list(ChecklistItem.objects.filter(checklist=inspection.checklist, active=True).order_by("order"))
    for index, item in enumerate(items):
        failing = fail_first and index == 0
        inspections.inspection_record_item(
            inspection_id=inspection.pk,
            actor=inspector,
            item_id=item.pk,
            outcome="fail" if failing else "pass",
            note="钢瓶" if failing else "",
            photo=fail_photo() if failing else None,
        )
    return inspection


def test_a_double_submit_makes_its_hazards_once(campaign_office, campaign_area, campaign_checklists):
    inspector = campaign_area["worker_w"]
    premises = make_premises(campaign_area["west"])
    campaign = services.campaign_create(actor=campaign_office, name="x", grid_ids=[campaign_area["west"].pk])
    services.campaign_assign(
        campaign_id=campaign.pk, actor=campaign_office, inspector_id=inspector.pk, premises_ids=[premises.pk]
    )
    services.campaign_activate(campaign_id=campaign.pk, actor=campaign_office)
    inspection = _ready(inspector, campaign.entries.get(), fail_first=True)
    outcomes = _race([lambda: inspections.inspection_submit(inspection_id=inspection.pk, actor=inspector)] * 3)
    assert all(isinstance(o, inspections.SubmitOutcome) for o in outcomes), outcomes
    assert sorted(o.replayed for o in outcomes) == [False, True, True]
    assert {o.hazards[0].pk for o in outcomes} == {Hazard.objects.get().pk}
    assert PremisesHazard.objects.count() == 1 and InspectionResult.objects.filter(hazard__isnull=False).count() == 1
    counters = Campaign.objects.values("premises_done", "premises_started", "findings").get(pk=campaign.pk)
    assert counters == {"premises_done": 1, "premises_started": 0, "findings": 1}


def test_side_by_side_submits_and_assignments_keep_exact_counters(campaign_office, campaign_area, campaign_checklists):
    west = campaign_area["west"]
    volunteers = [approved_volunteer(west.community) for _ in range(3)]
    premises = [make_premises(west, offset=i * 0.0008) for i in range(6)]
    campaign = services.campaign_create(actor=campaign_office, name="x", grid_ids=[west.pk])
    for volunteer, place in zip(volunteers, premises[:3], strict=True):
        services.campaign_assign(
            campaign_id=campaign.pk, actor=campaign_office, inspector_id=volunteer.pk, premises_ids=[place.pk]
        )
    services.campaign_activate(campaign_id=campaign.pk, actor=campaign_office)
    entries = {e.premises_id: e for e in campaign.entries.all()}
    started = [
        _ready(v, entries[p.pk], fail_first=i != 1)
        for i, (v, p) in enumerate(zip(volunteers, premises[:3], strict=True))
    ]
    calls = [
        lambda v=v, i=i: inspections.inspection_submit(inspection_id=i.pk, actor=v)
        for v, i in zip(volunteers, started, strict=True)
    ]
    calls.append(
        lambda: services.campaign_assign(
            campaign_id=campaign.pk,
            actor=campaign_office,
            inspector_id=campaign_area["worker_w"].pk,
            premises_ids=[p.pk for p in premises[3:]],
        )
    )
    outcomes = _race(calls)
    failed = [o for o in outcomes if isinstance(o, str | Exception)]
    assert not failed, failed
    counters = Campaign.objects.values(
        "premises_total", "premises_assigned", "premises_started", "premises_done", "findings"
    ).get(pk=campaign.pk)
    assert counters == {
        "premises_total": 6,
        "premises_assigned": 6,
        "premises_started": 0,
        "premises_done": 3,
        "findings": 2,
    }
    assert Hazard.objects.count() == 2


def _take_back_round(office, area, volunteers, street: str) -> None:
    west = area["west"]
    premises = [make_premises(west, street=street, offset=i * 0.0008) for i in range(6)]
    campaign = services.campaign_create(actor=office, name=street, streets=[street])
    cid = campaign.pk
    for volunteer, place in zip(volunteers, premises[:3], strict=True):
        services.campaign_assign(campaign_id=cid, actor=office, inspector_id=volunteer.pk, premises_ids=[place.pk])
    services.campaign_activate(campaign_id=cid, actor=office)
    entries = {e.premises_id: e for e in campaign.entries.all()}
    started = [_ready(v, entries[p.pk], fail_first=False) for v, p in zip(volunteers, premises[:3], strict=True)]
    calls = [
        lambda v=v, i=i: inspections.inspection_submit(inspection_id=i.pk, actor=v)
        for v, i in zip(volunteers, started, strict=True)
    ]
    # One take-back per started premises (each all or nothing on its own), and the free ones assigned.
    calls += [
        lambda p=p: services.campaign_unassign(campaign_id=cid, actor=office, premises_ids=[p.pk], discard_started=True)
        for p in premises[:3]
    ]
    free = [p.pk for p in premises[3:]]
    calls.append(
        lambda: services.campaign_assign(
            campaign_id=cid, actor=office, inspector_id=area["worker_w"].pk, premises_ids=free
        )
    )
    outcomes = _race(calls)
    broken = [
        o
        for o in outcomes
        if isinstance(o, str) or (isinstance(o, Exception) and not isinstance(o, Conflict | NotFound))
    ]
    assert not broken, broken
    for submitted, taken in zip(outcomes[:3], outcomes[3:6], strict=True):
        # Exactly one of the two won: a submit first makes the take-back a 409 "submitted"; a
        # take-back first discards the draft, and the submit finds no inspection (404).
        assert isinstance(submitted, inspections.SubmitOutcome) != isinstance(taken, list), (submitted, taken)
        if isinstance(taken, Conflict):
            assert taken.code == "submitted"
        else:
            assert isinstance(submitted, NotFound)
    done = sum(isinstance(o, inspections.SubmitOutcome) for o in outcomes[:3])
    rows = CampaignPremises.objects.filter(campaign_id=cid)
    counters = Campaign.objects.values("premises_assigned", "premises_started", "premises_done").get(pk=cid)
    assert counters == {
        "premises_assigned": rows.filter(inspector__isnull=False).count(),
        "premises_started": rows.filter(status="in_progress").count(),
        "premises_done": rows.filter(status="done").count(),
    }
    assert counters == {"premises_assigned": 3 + done, "premises_started": 0, "premises_done": done}
    assert Inspection.objects.filter(entry__campaign_id=cid).count() == done


def test_taking_back_while_inspectors_submit_and_the_office_assigns_keeps_exact_counters(
    campaign_office, campaign_area, campaign_checklists
):
    """The office takes back started premises (discarding drafts) while their inspectors submit them
    and another dispatcher assigns the free ones: the counters match the rows, nobody deadlocks.
    Several rounds, so both orders happen."""
    volunteers = [approved_volunteer(campaign_area["west"].community) for _ in range(3)]
    for n in range(3):
        _take_back_round(campaign_office, campaign_area, volunteers, f"第{n}轮街")


def test_taking_back_and_assigning_the_same_premises_side_by_side_keep_exact_counters(
    campaign_office, campaign_area, campaign_checklists
):
    """Two dispatchers: one takes premises back, the other (re)assigns the same ones, in both lock
    orders (ascending and descending id lists); whoever commits last decides, the count follows."""
    west, worker = campaign_area["west"], campaign_area["worker_w"]
    volunteer = approved_volunteer(west.community)
    premises = [make_premises(west, offset=i * 0.0008) for i in range(8)]
    campaign = services.campaign_create(actor=campaign_office, name="x", grid_ids=[west.pk])
    ids = [p.pk for p in premises]
    for _round in range(4):
        services.campaign_assign(
            campaign_id=campaign.pk, actor=campaign_office, inspector_id=worker.pk, premises_ids=ids
        )
        outcomes = _race(
            [
                lambda: services.campaign_unassign(campaign_id=campaign.pk, actor=campaign_office, premises_ids=ids),
                lambda: services.campaign_assign(
                    campaign_id=campaign.pk,
                    actor=campaign_office,
                    inspector_id=volunteer.pk,
                    premises_ids=list(reversed(ids)),
                ),
                lambda: services.campaign_unassign(
                    campaign_id=campaign.pk, actor=campaign_office, premises_ids=ids[::2]
                ),
            ]
        )
        assert all(isinstance(o, list) for o in outcomes), outcomes
        counters = Campaign.objects.values("premises_assigned", "premises_started").get(pk=campaign.pk)
        assigned = CampaignPremises.objects.filter(campaign=campaign, inspector__isnull=False).count()
        assert counters == {"premises_assigned": assigned, "premises_started": 0}
        services.campaign_unassign(campaign_id=campaign.pk, actor=campaign_office, premises_ids=ids)
        assert Campaign.objects.get(pk=campaign.pk).premises_assigned == 0
