"""Ledger tests: every rule and every refusal of awards, adjustments and reversals, and the
invariants the database keeps on its own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from govern.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unprocessable
from govern.roles import DISPATCHER, RESIDENT
from rewards import ledger, redemptions, tasks
from rewards.models import (
    Coupon,
    EarningRule,
    EntryKind,
    PointsAccount,
    PointsAward,
    PointsEntry,
)
from tests.factories import UserFactory
from tests.rewards.conftest import (
    assert_ledger_consistent,
    balance_of,
    events,
    fund,
)

pytestmark = pytest.mark.django_db


# --- awards -------------------------------------------------------------------------------------


def test_seeded_rules_exist_with_severity_factors():
    report = EarningRule.objects.get(code="report_verified")
    task = EarningRule.objects.get(code="task_verified")
    assert (report.points, report.severity_factors, report.active) == (10, {}, True)
    assert task.points == 20
    assert task.severity_factors == {"low": 1, "medium": 1.5, "high": 2, "critical": 3}


def test_award_pays_once_and_publishes_points_changed(resident, dispatcher):
    award = ledger.points_award(
        user_id=resident.pk,
        rule_code="report_verified",
        source_type="hazards.hazard",
        source_id="7",
        actor=dispatcher,
    )
    assert award.points_paid == 10 and award.points_due == 10 and not award.capped
    entry = award.entry
    assert (entry.amount, entry.kind, entry.balance_after, entry.source_type, entry.source_id) == (
        10,
        EntryKind.EARN,
        10,
        "hazards.hazard",
        "7",
    )
    assert entry.idempotency_key == f"award:report_verified:hazards.hazard:7:{resident.pk}"
    assert entry.actor_id == dispatcher.pk and entry.reason == award.rule.name
    again = ledger.points_award(
        user_id=resident.pk,
        rule_code="report_verified",
        source_type="hazards.hazard",
        source_id=7,
        actor=dispatcher,
    )
    assert again.pk == award.pk
    assert balance_of(resident) == 10
    assert PointsEntry.objects.count() == 1
    [event] = events("points.changed")
    assert event.topics == [f"user:{resident.pk}"]
    assert event.data["balance"] == 10 and event.data["amount"] == 10 and event.data["entry_id"] == entry.pk
    assert_ledger_consistent()


def test_same_source_under_another_rule_or_user_pays_separately(resident, volunteer_user):
    ledger.points_award(user_id=resident.pk, rule_code="report_verified", source_type="hazards.hazard", source_id="1")
    ledger.points_award(user_id=resident.pk, rule_code="task_verified", source_type="hazards.hazard", source_id="1")
    ledger.points_award(
        user_id=volunteer_user.pk, rule_code="report_verified", source_type="hazards.hazard", source_id="1"
    )
    assert balance_of(resident) == 30 and balance_of(volunteer_user) == 10
    assert PointsAward.objects.count() == 3


@pytest.mark.parametrize(
    ("severity", "points"), [("low", 20), ("medium", 30), ("high", 40), ("critical", 60), (None, 20)]
)
def test_task_award_times_severity_factor(volunteer_user, severity, points):
    award = ledger.points_award(
        user_id=volunteer_user.pk,
        rule_code="task_verified",
        source_type="hazards.task",
        source_id="3",
        severity=severity,
    )
    assert award.points_paid == points and balance_of(volunteer_user) == points


def test_unknown_severity_is_refused_with_the_field(volunteer_user):
    with pytest.raises(InvalidInput) as info:
        ledger.points_award(
            user_id=volunteer_user.pk,
            rule_code="task_verified",
            source_type="hazards.task",
            source_id="3",
            severity="apocalyptic",
        )
    assert info.value.field == "severity"
    assert not PointsEntry.objects.exists()


def test_no_points_for_verifying_your_own_report(resident):
    assert (
        ledger.points_award(
            user_id=resident.pk,
            rule_code="report_verified",
            source_type="hazards.hazard",
            source_id="9",
            actor=resident,
        )
        is None
    )
    assert not PointsEntry.objects.exists() and not PointsAward.objects.exists()
    assert balance_of(resident) == 0


def test_inactive_rule_pays_nothing_and_unknown_rule_is_not_found(resident):
    EarningRule.objects.filter(code="report_verified").update(active=False)
    assert ledger.points_award(user_id=resident.pk, rule_code="report_verified", source_type="x", source_id="1") is None
    with pytest.raises(NotFound):
        ledger.points_award(user_id=resident.pk, rule_code="no_such_rule", source_type="x", source_id="1")
    assert not PointsEntry.objects.exists()


@pytest.mark.parametrize(
    ("source_type", "source_id", "field"),
    [("", "1", "source_type"), ("x", "", "source_id"), ("x" * 41, "1", "source_type")],
)
def test_award_needs_a_source_reference(resident, source_type, source_id, field):
    with pytest.raises(InvalidInput) as info:
        ledger.points_award(
            user_id=resident.pk, rule_code="report_verified", source_type=source_type, source_id=source_id
        )
    assert info.value.field == field


def test_award_to_missing_user_is_not_found():
    with pytest.raises(NotFound):
        ledger.points_award(user_id=999_999, rule_code="report_verified", source_type="x", source_id="1")


def test_daily_cap_pays_partially_then_records_zero(settings, volunteer_user):
    settings.POINTS_DAILY_CAP = 50
    fund(volunteer_user, 1000)  # adjustments are not earnings: they do not use up the cap
    paid = [
        ledger.points_award(
            user_id=volunteer_user.pk, rule_code="task_verified", source_type="hazards.task", source_id=str(i)
        ).points_paid
        for i in range(4)
    ]
    assert paid == [20, 20, 10, 0]
    capped = PointsAward.objects.get(source_id="3")
    assert capped.capped and capped.entry is None and capped.points_due == 20
    # A retry of a capped award (even on a later day) never pays: the outcome is recorded.
    settings.POINTS_DAILY_CAP = 0
    again = ledger.points_award(
        user_id=volunteer_user.pk, rule_code="task_verified", source_type="hazards.task", source_id="3"
    )
    assert again.pk == capped.pk and again.points_paid == 0
    assert balance_of(volunteer_user) == 1050
    assert_ledger_consistent()


def test_daily_cap_zero_means_no_cap(settings, volunteer_user):
    settings.POINTS_DAILY_CAP = 0
    for i in range(30):
        ledger.points_award(
            user_id=volunteer_user.pk, rule_code="task_verified", source_type="t", source_id=str(i), severity="critical"
        )
    assert balance_of(volunteer_user) == 30 * 60


def test_cap_counts_only_today(settings, volunteer_user, monkeypatch):
    settings.POINTS_DAILY_CAP = 20
    yesterday = timezone.now() - timedelta(days=1)
    monkeypatch.setattr(timezone, "now", lambda: yesterday)
    assert (
        ledger.points_award(
            user_id=volunteer_user.pk, rule_code="task_verified", source_type="t", source_id="old"
        ).points_paid
        == 20
    )
    monkeypatch.undo()
    assert (
        ledger.points_award(
            user_id=volunteer_user.pk, rule_code="task_verified", source_type="t", source_id="new"
        ).points_paid
        == 20
    )
    assert (
        ledger.points_award(
            user_id=volunteer_user.pk, rule_code="task_verified", source_type="t", source_id="newer"
        ).points_paid
        == 0
    )
    assert balance_of(volunteer_user) == 40


def test_award_task_retries_are_harmless(resident, dispatcher):
    first = tasks.award_points.delay(
        user_id=resident.pk,
        rule_code="report_verified",
        source_type="hazards.hazard",
        source_id="5",
        actor_id=dispatcher.pk,
    ).get()
    second = tasks.award_points.delay(
        user_id=resident.pk,
        rule_code="report_verified",
        source_type="hazards.hazard",
        source_id="5",
        actor_id=dispatcher.pk,
    ).get()
    assert first == second and balance_of(resident) == 10
    assert tasks.award_points.delay(user_id=resident.pk, rule_code="nope", source_type="x", source_id="1").get() is None


# --- adjustments and reversals ----------------------------------------------------------------------


def test_dispatcher_adjusts_with_reason(resident, dispatcher):
    result = ledger.points_adjust(user_id=resident.pk, amount=50, reason="  Fire drill\nhelper ", actor=dispatcher)
    assert result.created and result.entry.reason == "Fire drill helper" and result.entry.kind == EntryKind.ADJUST
    down = ledger.points_adjust(user_id=resident.pk, amount=-20, reason="Typo fix", actor=dispatcher)
    assert down.entry.balance_after == 30 and balance_of(resident) == 30
    assert_ledger_consistent()


def test_adjust_refusals(resident, dispatcher, volunteer_user):
    with pytest.raises(Unprocessable) as info:
        ledger.points_adjust(user_id=resident.pk, amount=-1, reason="x", actor=dispatcher)
    assert info.value.code == "insufficient_points"
    with pytest.raises(PermissionDenied):
        ledger.points_adjust(user_id=dispatcher.pk, amount=10, reason="me", actor=dispatcher)
    with pytest.raises(PermissionDenied):
        ledger.points_adjust(user_id=resident.pk, amount=10, reason="x", actor=volunteer_user)
    for amount in (0, 10_001, 1.5, True):
        with pytest.raises(InvalidInput) as info:
            ledger.points_adjust(user_id=resident.pk, amount=amount, reason="x", actor=dispatcher)
        assert info.value.field == "amount"
    with pytest.raises(InvalidInput) as info:
        ledger.points_adjust(user_id=resident.pk, amount=5, reason="   ", actor=dispatcher)
    assert info.value.field == "reason"
    with pytest.raises(NotFound):
        ledger.points_adjust(user_id=999_999, amount=5, reason="x", actor=dispatcher)
    assert not PointsEntry.objects.exists()


def test_adjust_idempotency_key(resident, dispatcher):
    first = ledger.points_adjust(user_id=resident.pk, amount=40, reason="x", actor=dispatcher, idempotency_key="k-1")
    again = ledger.points_adjust(user_id=resident.pk, amount=40, reason="x", actor=dispatcher, idempotency_key="k-1")
    assert first.created and not again.created and again.entry.pk == first.entry.pk
    with pytest.raises(Unprocessable):
        ledger.points_adjust(user_id=resident.pk, amount=41, reason="x", actor=dispatcher, idempotency_key="k-1")
    assert balance_of(resident) == 40


def test_bulk_adjust_is_all_or_nothing(dispatcher):
    users = [UserFactory(roles=[RESIDENT]) for _ in range(3)]
    fund(users[0], 100)
    fund(users[1], 100)
    with pytest.raises(Unprocessable):
        ledger.points_adjust_bulk(user_ids=[u.pk for u in users], amount=-50, reason="drill no-show", actor=dispatcher)
    assert [balance_of(u) for u in users] == [100, 100, 0]
    entries = ledger.points_adjust_bulk(user_ids=[u.pk for u in users], amount=25, reason="drill", actor=dispatcher)
    assert len(entries) == 3 and [balance_of(u) for u in users] == [125, 125, 25]
    with pytest.raises(PermissionDenied):
        ledger.points_adjust_bulk(user_ids=[users[0].pk, dispatcher.pk], amount=5, reason="x", actor=dispatcher)
    assert_ledger_consistent()


def test_reverse_once(resident, dispatcher):
    award = ledger.points_award(
        user_id=resident.pk, rule_code="report_verified", source_type="hazards.hazard", source_id="1"
    )
    reversal = ledger.points_reverse(entry_id=award.entry.pk, reason="report was a prank", actor=dispatcher)
    assert reversal.amount == -10 and reversal.reverses_id == award.entry.pk and reversal.kind == EntryKind.REVERSAL
    assert balance_of(resident) == 0
    with pytest.raises(Conflict):
        ledger.points_reverse(entry_id=award.entry.pk, reason="again", actor=dispatcher)
    with pytest.raises(Conflict):
        ledger.points_reverse(entry_id=reversal.pk, reason="undo the undo", actor=dispatcher)
    with pytest.raises(NotFound):
        ledger.points_reverse(entry_id=999_999, reason="x", actor=dispatcher)
    assert_ledger_consistent()


def test_reversal_cannot_take_balance_below_zero(resident, dispatcher, coupon):
    award = ledger.points_award(user_id=resident.pk, rule_code="report_verified", source_type="h", source_id="1")
    fund(resident, 90)
    redemptions.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="a")
    with pytest.raises(Unprocessable):
        ledger.points_reverse(entry_id=award.entry.pk, reason="x", actor=dispatcher)
    debit = PointsEntry.objects.get(kind=EntryKind.REDEEM)
    with pytest.raises(Conflict):
        ledger.points_reverse(entry_id=debit.pk, reason="x", actor=dispatcher)


def test_leaderboard_opt_in(resident):
    account = ledger.points_account_set_leaderboard(user_id=resident.pk, show=True)
    assert account.show_on_leaderboard and PointsAccount.objects.get(user=resident).show_on_leaderboard
    ledger.points_account_set_leaderboard(user_id=resident.pk, show=False)
    assert not PointsAccount.objects.get(user=resident).show_on_leaderboard


# --- the database keeps the invariants on its own -----------------------------------------------------


def test_entries_are_append_only_in_the_database(resident):
    fund(resident, 10)
    entry = PointsEntry.objects.get()
    with pytest.raises(DatabaseError), transaction.atomic():
        PointsEntry.objects.filter(pk=entry.pk).update(amount=1000)
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic():
            PointsEntry.objects.filter(pk=entry.pk).delete()
    assert PointsEntry.objects.get().amount == 10


def test_constraints_back_the_invariants(resident, coupon):
    fund(resident, 10)
    account = PointsAccount.objects.get(user=resident)
    with pytest.raises(IntegrityError), transaction.atomic():
        PointsAccount.objects.filter(pk=account.pk).update(balance=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        PointsEntry.objects.create(
            account=account, amount=0, kind="earn", reason="x", balance_after=10, idempotency_key="zero"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        PointsEntry.objects.create(
            account=account,
            amount=1,
            kind="earn",
            reason="x",
            balance_after=11,
            idempotency_key=PointsEntry.objects.get().idempotency_key,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Coupon.objects.filter(pk=coupon.pk).update(stock_remaining=coupon.stock_total + 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Coupon.objects.filter(pk=coupon.pk).update(cost=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        Coupon.objects.filter(pk=coupon.pk).update(valid_until=coupon.valid_from)


def test_dispatcher_role_needed_for_adjust_even_for_staff_users(resident):
    staff = UserFactory(roles=[DISPATCHER])
    staff.is_staff = True
    staff.save()
    assert ledger.points_adjust(user_id=resident.pk, amount=1, reason="x", actor=staff).created
