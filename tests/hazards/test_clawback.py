"""Claw-back (issue 24): reopening a verified hazard takes its task award back once, never
below zero; a shortfall is recorded and flagged for a dispatcher."""

from __future__ import annotations

import pytest

from govern.errors import Conflict
from govern.live import DISPATCH_TOPIC
from govern.models import LiveEvent
from hazards.dispatch import services
from hazards.triage.services import hazard_reopen
from rewards import clawback, ledger
from rewards.models import PointsClawback, PointsEntry
from rewards.tasks import claw_back_points
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.hazards.images import jpeg_bytes, upload
from tests.rewards.conftest import assert_ledger_consistent, balance_of

pytestmark = pytest.mark.django_db

NEAR = (30.9051, 120.8051)


def _verified_task(triaged, on_duty, boss, resident, capture):
    volunteer = on_duty(NEAR)
    hazard = triaged(reporter=resident)
    task = services.task_dispatch(hazard_id=hazard.pk, actor=boss).tasks[0]
    user = volunteer.user
    services.task_accept(task_id=task.pk, actor=user)
    services.task_start(task_id=task.pk, actor=user)
    services.task_complete(
        task_id=task.pk, actor=user, note="已修好", photos=[upload("after.jpg", jpeg_bytes(size=(160, 120), seed=507))]
    )
    with capture(execute=True):
        services.task_verify(task_id=task.pk, actor=boss, approved=True, note="")
    return hazard, task, user


def test_a_reopen_after_verification_reverses_the_task_award_exactly_once(
    triaged, on_duty, boss, resident, django_capture_on_commit_callbacks
):
    hazard, task, user = _verified_task(triaged, on_duty, boss, resident, django_capture_on_commit_callbacks)
    assert balance_of(user) == 40  # 20 × high
    with django_capture_on_commit_callbacks(execute=True):
        hazard_reopen(hazard_id=hazard.pk, actor=boss, note="整改不到位，又坏了")
    assert balance_of(user) == 0
    (taken,) = PointsClawback.objects.all()
    assert (taken.points_paid, taken.points_taken, taken.shortfall) == (40, 40, 0)
    assert taken.entry.kind == "reversal" and taken.entry.reverses.award.source_id == str(task.pk)
    kwargs = {
        "rule_code": "task_verified",
        "source_type": "hazards.task",
        "source_id": str(task.pk),
        "reason": "again",
    }
    for _ in range(3):  # the job retried
        claw_back_points.apply(kwargs=kwargs, throw=True)
    assert PointsClawback.objects.count() == 1 and balance_of(user) == 0
    assert PointsEntry.objects.filter(account__user=user, kind="reversal").count() == 1
    # the reporter's award stands: only the fix was undone
    assert PointsEntry.objects.filter(account__user=resident, amount=10).exists() and balance_of(resident) == 10
    assert not LiveEvent.objects.filter(type="points.clawback_shortfall").exists()
    assert_ledger_consistent()


def test_spent_points_stay_spent_the_balance_stops_at_zero_and_the_shortfall_is_flagged(
    triaged, on_duty, boss, resident, django_capture_on_commit_callbacks
):
    hazard, task, user = _verified_task(triaged, on_duty, boss, resident, django_capture_on_commit_callbacks)
    other = UserFactory()
    ledger.points_adjust(user_id=user.pk, amount=-25, reason="spent in the shop (as if)", actor=None)
    assert balance_of(user) == 15
    with django_capture_on_commit_callbacks(execute=True):
        hazard_reopen(hazard_id=hazard.pk, actor=boss, note="复查不合格")
    (taken,) = PointsClawback.objects.all()
    assert (taken.points_paid, taken.points_taken, taken.shortfall) == (40, 15, 25)
    assert balance_of(user) == 0
    flag = LiveEvent.objects.get(type="points.clawback_shortfall")
    assert DISPATCH_TOPIC in flag.topics and flag.data["shortfall"] == 25 and flag.data["user_id"] == user.pk
    listed = client_for(boss).get("/api/v1/points/clawbacks/?open=true").json()
    assert [c["shortfall"] for c in listed["results"]] == [25]
    assert client_for(other).get("/api/v1/points/clawbacks/").status_code == 403
    resolved = client_for(boss).post(f"/api/v1/points/clawbacks/{taken.pk}/resolve/")
    assert resolved.status_code == 200 and resolved.json()["resolved_at"]
    assert client_for(boss).post(f"/api/v1/points/clawbacks/{taken.pk}/resolve/").status_code == 409
    assert client_for(boss).get("/api/v1/points/clawbacks/?open=true").json()["results"] == []
    with pytest.raises(Conflict):
        clawback.points_clawback_resolve(clawback_id=taken.pk, actor=boss)
    # verified again and reopened again: nothing more is taken (the award was paid once, taken once)
    assert_ledger_consistent()


@pytest.mark.parametrize("n", [1, 6])
def test_clawback_list_constant_queries(boss, django_assert_max_num_queries, n):
    from rewards.models import EarningRule, PointsAward
    from tests.factories import UserFactory

    rule = EarningRule.objects.get(code="task_verified")
    for i in range(n):
        award = PointsAward.objects.create(
            rule=rule, user=UserFactory(), source_type="hazards.task", source_id=str(i), points_due=5, points_paid=0
        )
        PointsClawback.objects.create(award=award, points_paid=5, points_taken=0, shortfall=5, reason="x")
    client = client_for(boss)
    with django_assert_max_num_queries(5):
        assert len(client.get("/api/v1/points/clawbacks/?open=1").json()["results"]) == n
