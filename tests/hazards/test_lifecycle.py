"""The lifecycle: the transition table, triage / reopen / close endpoints, events and permissions."""

from __future__ import annotations

import itertools

import pytest
from django.db import transaction

from govern.errors import Conflict
from govern.live import DISPATCH_TOPIC, grid_topic, hazard_topic, user_topic
from govern.models import LiveEvent
from hazards.core import lifecycle
from hazards.core.lifecycle import hazard_transition
from hazards.models import HazardEvent, Status
from hazards.triage.services import hazard_triage
from tests.factories import UserFactory
from tests.hazards.conftest import as_user, walk

pytestmark = pytest.mark.django_db

S = Status
PATH_TO = {
    S.SUBMITTED: [],
    S.TRIAGED: [S.TRIAGED],
    S.DISPATCHED: [S.TRIAGED, S.DISPATCHED],
    S.IN_PROGRESS: [S.TRIAGED, S.DISPATCHED, S.IN_PROGRESS],
    S.RECTIFIED: [S.TRIAGED, S.DISPATCHED, S.IN_PROGRESS, S.RECTIFIED],
    S.VERIFIED: [S.TRIAGED, S.DISPATCHED, S.IN_PROGRESS, S.RECTIFIED, S.VERIFIED],
    S.CLOSED: [S.TRIAGED, S.DISPATCHED, S.IN_PROGRESS, S.RECTIFIED, S.VERIFIED, S.CLOSED],
    S.REOPENED: [S.TRIAGED, S.DISPATCHED, S.IN_PROGRESS, S.RECTIFIED, S.REOPENED],
    S.REJECTED: [S.REJECTED],
}


def test_the_table_is_the_designed_lifecycle():
    happy = [S.SUBMITTED, S.TRIAGED, S.DISPATCHED, S.IN_PROGRESS, S.RECTIFIED, S.VERIFIED, S.CLOSED]
    for a, b in itertools.pairwise(happy):
        assert lifecycle.is_legal(a, b)
    assert lifecycle.is_legal(S.SUBMITTED, S.REJECTED) and lifecycle.is_legal(S.SUBMITTED, S.DUPLICATE)
    assert lifecycle.is_legal(S.RECTIFIED, S.REOPENED) and lifecycle.is_legal(S.VERIFIED, S.REOPENED)
    for final in (S.CLOSED, S.REJECTED, S.DUPLICATE):
        assert not lifecycle.TRANSITIONS[final]
    assert not lifecycle.is_legal(S.SUBMITTED, S.CLOSED)
    assert not lifecycle.is_legal(S.SUBMITTED, S.REOPENED)


@pytest.mark.parametrize("start", list(PATH_TO))
def test_every_pair_from_each_state_is_legal_or_a_409(start, make_hazard, dispatcher):
    hazard = walk(make_hazard(), *PATH_TO[start], actor=dispatcher)
    assert hazard.status == start
    for target in Status.values:
        if target == S.DUPLICATE:
            continue  # needs an original; covered by the triage tests
        sid = transaction.savepoint()
        try:
            hazard_transition(hazard_id=hazard.pk, actor=dispatcher, to_status=target)
        except Conflict as exc:
            assert not lifecycle.is_legal(start, target), (start, target)
            assert exc.status_code == 409 and str(exc.message).endswith((".", "。"))
        else:
            assert lifecycle.is_legal(start, target), (start, target)
        transaction.savepoint_rollback(sid)


def test_each_transition_writes_an_event_and_publishes_to_every_follower(make_hazard, dispatcher, resident, grid):
    hazard = make_hazard(reporter=resident)
    hazard_triage(hazard_id=hazard.pk, actor=dispatcher, decision="accept", severity="critical", note="马上处理")
    event = HazardEvent.objects.filter(hazard=hazard).last()
    assert (event.actor, event.from_status, event.to_status, event.note) == (
        dispatcher,
        "submitted",
        "triaged",
        "马上处理",
    )
    hazard.refresh_from_db()
    assert hazard.severity == "critical" and hazard.status_note == "马上处理"
    live = LiveEvent.objects.filter(type="hazard.status_changed").get()
    assert set(live.topics) == {
        DISPATCH_TOPIC,
        grid_topic(grid.id),
        hazard_topic(hazard.tracking_code),
        user_topic(resident.id),
    }
    assert live.data["from"] == "submitted" and live.data["to"] == "triaged" and live.data["note"] == "马上处理"
    assert "latitude" not in live.data and "reporter" not in str(live.data)


def test_triage_accept_reject_duplicate_via_api(make_hazard, dispatcher):
    client = as_user(dispatcher)
    a, b, c = make_hazard(), make_hazard(), make_hazard()
    accepted = client.post(
        f"/api/v1/hazards/{a.id}/triage/", {"decision": "accept", "severity": "low", "category": "other"}, format="json"
    )
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "triaged" and accepted.json()["severity"] == "low"
    assert accepted.json()["category"]["slug"] == "other"
    no_reason = client.post(f"/api/v1/hazards/{b.id}/triage/", {"decision": "reject"}, format="json")
    assert no_reason.status_code == 400 and "note" in no_reason.json()["errors"]
    rejected = client.post(
        f"/api/v1/hazards/{b.id}/triage/", {"decision": "reject", "note": "不属于安全隐患"}, format="json"
    )
    assert rejected.json()["status"] == "rejected"
    dup = client.post(f"/api/v1/hazards/{c.id}/triage/", {"decision": "duplicate", "duplicate_of": a.id}, format="json")
    assert dup.status_code == 200
    assert dup.json()["status"] == "duplicate" and dup.json()["duplicate_of"]["tracking_code"] == a.tracking_code
    again = client.post(f"/api/v1/hazards/{a.id}/triage/", {"decision": "accept"}, format="json")
    assert again.status_code == 409 and "already triaged" in again.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"decision": "maybe"}, "decision"),
        ({"decision": "accept", "severity": "apocalyptic"}, "severity"),
        ({"decision": "duplicate"}, "duplicate_of"),
        ({"decision": "reject", "note": "x" * 501}, "note"),
    ],
)
def test_triage_bad_input_is_400(make_hazard, dispatcher, body, field):
    """(An unknown original is 404 naming duplicate_of, like one the actor may not merge into: issue 21.)"""
    hazard = make_hazard()
    response = as_user(dispatcher).post(f"/api/v1/hazards/{hazard.id}/triage/", body, format="json")
    assert response.status_code == 400 and field in response.json()["errors"], response.content


def test_duplicate_of_itself_or_of_a_rejected_report_is_refused(make_hazard, dispatcher):
    a, b = make_hazard(), make_hazard()
    client = as_user(dispatcher)
    assert (
        client.post(
            f"/api/v1/hazards/{a.id}/triage/", {"decision": "duplicate", "duplicate_of": a.tracking_code}, format="json"
        ).status_code
        == 400
    )
    hazard_triage(hazard_id=b.pk, actor=dispatcher, decision="reject", note="no")
    assert (
        client.post(
            f"/api/v1/hazards/{a.id}/triage/", {"decision": "duplicate", "duplicate_of": b.id}, format="json"
        ).status_code
        == 400
    )


def test_duplicates_follow_the_root_and_get_its_status_changes(make_hazard, dispatcher, resident):
    original = make_hazard()
    first = make_hazard(reporter=resident)
    second = make_hazard()
    hazard_triage(hazard_id=first.pk, actor=dispatcher, decision="duplicate", duplicate_of=original.pk)
    # Naming a duplicate as the original resolves to its root.
    hazard_triage(hazard_id=second.pk, actor=dispatcher, decision="duplicate", duplicate_of=first.tracking_code)
    second.refresh_from_db()
    assert second.duplicate_of_id == original.pk
    LiveEvent.objects.all().delete()
    hazard_triage(hazard_id=original.pk, actor=dispatcher, decision="accept")
    live = LiveEvent.objects.get(type="hazard.status_changed")
    assert {hazard_topic(first.tracking_code), hazard_topic(second.tracking_code), user_topic(resident.id)} <= set(
        live.topics
    )
    assert live.data["tracking_code"] == original.tracking_code


def test_permissions_on_triage(make_hazard, grid_worker, resident, other_grid):
    from govern.roles import GRID_WORKER

    mine = make_hazard()  # in grid_worker's grid
    elsewhere = make_hazard(latitude=30.905, longitude=120.815)
    worker = as_user(grid_worker)
    assert (
        worker.post(
            f"/api/v1/hazards/{mine.id}/triage/", {"decision": "reject", "note": "n"}, format="json"
        ).status_code
        == 403
    )
    assert (
        worker.post(f"/api/v1/hazards/{elsewhere.id}/triage/", {"decision": "accept"}, format="json").status_code == 404
    )
    assert worker.post(f"/api/v1/hazards/{mine.id}/triage/", {"decision": "accept"}, format="json").status_code == 200
    own = make_hazard(reporter=resident)
    assert (
        as_user(resident).post(f"/api/v1/hazards/{own.id}/triage/", {"decision": "accept"}, format="json").status_code
        == 403
    )
    stranger = UserFactory(roles=[GRID_WORKER])
    assert (
        as_user(stranger).post(f"/api/v1/hazards/{own.id}/triage/", {"decision": "accept"}, format="json").status_code
        == 404
    )


def test_reopen_and_close(make_hazard, dispatcher, grid_worker):
    hazard = walk(make_hazard(), S.TRIAGED, S.DISPATCHED, S.IN_PROGRESS, S.RECTIFIED, actor=dispatcher)
    client = as_user(dispatcher)
    early_close = client.post(f"/api/v1/hazards/{hazard.id}/close/", {}, format="json")
    assert early_close.status_code == 409
    assert "rectified" in early_close.json()["detail"] and "closed" in early_close.json()["detail"]
    assert (
        as_user(grid_worker).post(f"/api/v1/hazards/{hazard.id}/reopen/", {"note": "不行"}, format="json").status_code
        == 403
    )
    assert client.post(f"/api/v1/hazards/{hazard.id}/reopen/", {}, format="json").status_code == 400
    reopened = client.post(f"/api/v1/hazards/{hazard.id}/reopen/", {"note": "整改照片不清楚"}, format="json")
    assert reopened.status_code == 200 and reopened.json()["status"] == "reopened"
    walk(hazard, S.IN_PROGRESS, S.RECTIFIED, S.VERIFIED, actor=dispatcher)
    assert as_user(grid_worker).post(f"/api/v1/hazards/{hazard.id}/close/", {}, format="json").status_code == 403
    closed = client.post(f"/api/v1/hazards/{hazard.id}/close/", {"note": "办结"}, format="json")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert [e["to_status"] for e in closed.json()["events"]] == [
        "submitted",
        "triaged",
        "dispatched",
        "in_progress",
        "rectified",
        "reopened",
        "in_progress",
        "rectified",
        "verified",
        "closed",
    ]
    assert client.post(f"/api/v1/hazards/{hazard.id}/reopen/", {"note": "x"}, format="json").status_code == 409


def test_verification_reaches_the_points_hook(make_hazard, dispatcher, resident, monkeypatch):
    import hazards.core.lifecycle

    calls = []
    monkeypatch.setattr(
        hazards.core.lifecycle,
        "hazard_verified_followups",
        lambda *, hazard, actor: calls.append((hazard.pk, actor.pk)),
    )
    hazard = walk(make_hazard(reporter=resident), S.TRIAGED, S.DISPATCHED, S.IN_PROGRESS, S.RECTIFIED, actor=dispatcher)
    assert calls == []
    walk(hazard, S.VERIFIED, actor=dispatcher)
    assert calls == [(hazard.pk, dispatcher.pk)]


def test_constraint_keeps_duplicate_and_original_together(make_hazard):
    from django.db import IntegrityError, transaction

    from hazards.models import Hazard

    hazard = make_hazard()
    with pytest.raises(IntegrityError), transaction.atomic():
        Hazard.objects.filter(pk=hazard.pk).update(status=S.DUPLICATE)
    with pytest.raises(IntegrityError), transaction.atomic():
        Hazard.objects.filter(pk=hazard.pk).update(status="lost")
