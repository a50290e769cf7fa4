"""Service tests: every rule and every refusal of the ledger, awards, catalog and redemptions."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone
from PIL import Image

from govern.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unprocessable
from govern.models import LiveEvent
from govern.roles import DISPATCHER, MERCHANT_STAFF, RESIDENT
from rewards import services, tasks
from rewards.codes import ALPHABET, normalise_code
from rewards.models import (
    Coupon,
    EarningRule,
    EntryKind,
    PointsAccount,
    PointsAward,
    PointsEntry,
    Redemption,
    RedemptionStatus,
)
from tests.factories import UserFactory
from tests.rewards.conftest import (
    assert_ledger_consistent,
    balance_of,
    between_read_and_update,
    fund,
    make_coupon,
    make_merchant,
)

pytestmark = pytest.mark.django_db


def events(type_):
    return list(LiveEvent.objects.filter(type=type_).order_by("id"))


# --- awards -------------------------------------------------------------------------------------


def test_seeded_rules_exist_with_severity_factors():
    report = EarningRule.objects.get(code="report_verified")
    task = EarningRule.objects.get(code="task_verified")
    assert (report.points, report.severity_factors, report.active) == (10, {}, True)
    assert task.points == 20
    assert task.severity_factors == {"low": 1, "medium": 1.5, "high": 2, "critical": 3}


def test_award_pays_once_and_publishes_points_changed(resident, dispatcher):
    award = services.points_award(
        user_id=resident.pk,
        rule_code="report_verified",
        source_type="hazards.hazard",
        source_id="7",
        actor_id=dispatcher.pk,
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
    again = services.points_award(
        user_id=resident.pk,
        rule_code="report_verified",
        source_type="hazards.hazard",
        source_id=7,
        actor_id=dispatcher.pk,
    )
    assert again.pk == award.pk
    assert balance_of(resident) == 10
    assert PointsEntry.objects.count() == 1
    [event] = events("points.changed")
    assert event.topics == [f"user:{resident.pk}"]
    assert event.data["balance"] == 10 and event.data["amount"] == 10 and event.data["entry_id"] == entry.pk
    assert_ledger_consistent()


def test_same_source_under_another_rule_or_user_pays_separately(resident, volunteer_user):
    services.points_award(user_id=resident.pk, rule_code="report_verified", source_type="hazards.hazard", source_id="1")
    services.points_award(user_id=resident.pk, rule_code="task_verified", source_type="hazards.hazard", source_id="1")
    services.points_award(
        user_id=volunteer_user.pk, rule_code="report_verified", source_type="hazards.hazard", source_id="1"
    )
    assert balance_of(resident) == 30 and balance_of(volunteer_user) == 10
    assert PointsAward.objects.count() == 3


@pytest.mark.parametrize(
    ("severity", "points"), [("low", 20), ("medium", 30), ("high", 40), ("critical", 60), (None, 20)]
)
def test_task_award_times_severity_factor(volunteer_user, severity, points):
    award = services.points_award(
        user_id=volunteer_user.pk,
        rule_code="task_verified",
        source_type="hazards.task",
        source_id="3",
        severity=severity,
    )
    assert award.points_paid == points and balance_of(volunteer_user) == points


def test_unknown_severity_is_refused_with_the_field(volunteer_user):
    with pytest.raises(InvalidInput) as info:
        services.points_award(
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
        services.points_award(
            user_id=resident.pk,
            rule_code="report_verified",
            source_type="hazards.hazard",
            source_id="9",
            actor_id=resident.pk,
        )
        is None
    )
    assert not PointsEntry.objects.exists() and not PointsAward.objects.exists()
    assert balance_of(resident) == 0


def test_inactive_rule_pays_nothing_and_unknown_rule_is_not_found(resident):
    EarningRule.objects.filter(code="report_verified").update(active=False)
    assert (
        services.points_award(user_id=resident.pk, rule_code="report_verified", source_type="x", source_id="1") is None
    )
    with pytest.raises(NotFound):
        services.points_award(user_id=resident.pk, rule_code="no_such_rule", source_type="x", source_id="1")
    assert not PointsEntry.objects.exists()


@pytest.mark.parametrize(
    ("source_type", "source_id", "field"),
    [("", "1", "source_type"), ("x", "", "source_id"), ("x" * 41, "1", "source_type")],
)
def test_award_needs_a_source_reference(resident, source_type, source_id, field):
    with pytest.raises(InvalidInput) as info:
        services.points_award(
            user_id=resident.pk, rule_code="report_verified", source_type=source_type, source_id=source_id
        )
    assert info.value.field == field


def test_award_to_missing_user_is_not_found():
    with pytest.raises(NotFound):
        services.points_award(user_id=999_999, rule_code="report_verified", source_type="x", source_id="1")


def test_daily_cap_pays_partially_then_records_zero(settings, volunteer_user):
    settings.POINTS_DAILY_CAP = 50
    fund(volunteer_user, 1000)  # adjustments are not earnings: they do not use up the cap
    paid = [
        services.points_award(
            user_id=volunteer_user.pk, rule_code="task_verified", source_type="hazards.task", source_id=str(i)
        ).points_paid
        for i in range(4)
    ]
    assert paid == [20, 20, 10, 0]
    capped = PointsAward.objects.get(source_id="3")
    assert capped.capped and capped.entry is None and capped.points_due == 20
    # A retry of a capped award (even on a later day) never pays: the outcome is recorded.
    settings.POINTS_DAILY_CAP = 0
    again = services.points_award(
        user_id=volunteer_user.pk, rule_code="task_verified", source_type="hazards.task", source_id="3"
    )
    assert again.pk == capped.pk and again.points_paid == 0
    assert balance_of(volunteer_user) == 1050
    assert_ledger_consistent()


def test_daily_cap_zero_means_no_cap(settings, volunteer_user):
    settings.POINTS_DAILY_CAP = 0
    for i in range(30):
        services.points_award(
            user_id=volunteer_user.pk, rule_code="task_verified", source_type="t", source_id=str(i), severity="critical"
        )
    assert balance_of(volunteer_user) == 30 * 60


def test_cap_counts_only_today(settings, volunteer_user, monkeypatch):
    settings.POINTS_DAILY_CAP = 20
    yesterday = timezone.now() - timedelta(days=1)
    monkeypatch.setattr(timezone, "now", lambda: yesterday)
    assert (
        services.points_award(
            user_id=volunteer_user.pk, rule_code="task_verified", source_type="t", source_id="old"
        ).points_paid
        == 20
    )
    monkeypatch.undo()
    assert (
        services.points_award(
            user_id=volunteer_user.pk, rule_code="task_verified", source_type="t", source_id="new"
        ).points_paid
        == 20
    )
    assert (
        services.points_award(
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
    result = services.points_adjust(
        user_id=resident.pk, amount=50, reason="  Fire drill\nhelper ", actor_id=dispatcher.pk
    )
    assert result.created and result.entry.reason == "Fire drill helper" and result.entry.kind == EntryKind.ADJUST
    down = services.points_adjust(user_id=resident.pk, amount=-20, reason="Typo fix", actor_id=dispatcher.pk)
    assert down.entry.balance_after == 30 and balance_of(resident) == 30
    assert_ledger_consistent()


def test_adjust_refusals(resident, dispatcher, volunteer_user):
    with pytest.raises(Unprocessable) as info:
        services.points_adjust(user_id=resident.pk, amount=-1, reason="x", actor_id=dispatcher.pk)
    assert info.value.code == "insufficient_points"
    with pytest.raises(PermissionDenied):
        services.points_adjust(user_id=dispatcher.pk, amount=10, reason="me", actor_id=dispatcher.pk)
    with pytest.raises(PermissionDenied):
        services.points_adjust(user_id=resident.pk, amount=10, reason="x", actor_id=volunteer_user.pk)
    for amount in (0, 10_001, 1.5, True):
        with pytest.raises(InvalidInput) as info:
            services.points_adjust(user_id=resident.pk, amount=amount, reason="x", actor_id=dispatcher.pk)
        assert info.value.field == "amount"
    with pytest.raises(InvalidInput) as info:
        services.points_adjust(user_id=resident.pk, amount=5, reason="   ", actor_id=dispatcher.pk)
    assert info.value.field == "reason"
    with pytest.raises(NotFound):
        services.points_adjust(user_id=999_999, amount=5, reason="x", actor_id=dispatcher.pk)
    assert not PointsEntry.objects.exists()


def test_adjust_idempotency_key(resident, dispatcher):
    first = services.points_adjust(
        user_id=resident.pk, amount=40, reason="x", actor_id=dispatcher.pk, idempotency_key="k-1"
    )
    again = services.points_adjust(
        user_id=resident.pk, amount=40, reason="x", actor_id=dispatcher.pk, idempotency_key="k-1"
    )
    assert first.created and not again.created and again.entry.pk == first.entry.pk
    with pytest.raises(Unprocessable):
        services.points_adjust(
            user_id=resident.pk, amount=41, reason="x", actor_id=dispatcher.pk, idempotency_key="k-1"
        )
    assert balance_of(resident) == 40


def test_bulk_adjust_is_all_or_nothing(dispatcher):
    users = [UserFactory(roles=[RESIDENT]) for _ in range(3)]
    fund(users[0], 100)
    fund(users[1], 100)
    with pytest.raises(Unprocessable):
        services.points_adjust_bulk(
            user_ids=[u.pk for u in users], amount=-50, reason="drill no-show", actor_id=dispatcher.pk
        )
    assert [balance_of(u) for u in users] == [100, 100, 0]
    entries = services.points_adjust_bulk(
        user_ids=[u.pk for u in users], amount=25, reason="drill", actor_id=dispatcher.pk
    )
    assert len(entries) == 3 and [balance_of(u) for u in users] == [125, 125, 25]
    with pytest.raises(PermissionDenied):
        services.points_adjust_bulk(user_ids=[users[0].pk, dispatcher.pk], amount=5, reason="x", actor_id=dispatcher.pk)
    assert_ledger_consistent()


def test_reverse_once(resident, dispatcher):
    award = services.points_award(
        user_id=resident.pk, rule_code="report_verified", source_type="hazards.hazard", source_id="1"
    )
    reversal = services.points_reverse(entry_id=award.entry.pk, reason="report was a prank", actor_id=dispatcher.pk)
    assert reversal.amount == -10 and reversal.reverses_id == award.entry.pk and reversal.kind == EntryKind.REVERSAL
    assert balance_of(resident) == 0
    with pytest.raises(Conflict):
        services.points_reverse(entry_id=award.entry.pk, reason="again", actor_id=dispatcher.pk)
    with pytest.raises(Conflict):
        services.points_reverse(entry_id=reversal.pk, reason="undo the undo", actor_id=dispatcher.pk)
    with pytest.raises(NotFound):
        services.points_reverse(entry_id=999_999, reason="x", actor_id=dispatcher.pk)
    assert_ledger_consistent()


def test_reversal_cannot_take_balance_below_zero(resident, dispatcher, coupon):
    award = services.points_award(user_id=resident.pk, rule_code="report_verified", source_type="h", source_id="1")
    fund(resident, 90)
    services.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="a")
    with pytest.raises(Unprocessable):
        services.points_reverse(entry_id=award.entry.pk, reason="x", actor_id=dispatcher.pk)
    debit = PointsEntry.objects.get(kind=EntryKind.REDEEM)
    with pytest.raises(Conflict):
        services.points_reverse(entry_id=debit.pk, reason="x", actor_id=dispatcher.pk)


def test_leaderboard_opt_in(resident):
    account = services.points_account_set_leaderboard(user_id=resident.pk, show=True)
    assert account.show_on_leaderboard and PointsAccount.objects.get(user=resident).show_on_leaderboard
    services.points_account_set_leaderboard(user_id=resident.pk, show=False)
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


# --- catalog -----------------------------------------------------------------------------------------


def test_coupon_create_validates(merchant):
    now = timezone.now()
    base = {
        "merchant_id": merchant.pk,
        "title": "t",
        "cost": 10,
        "stock_total": 1,
        "valid_from": now,
        "valid_until": now + timedelta(days=1),
    }
    assert services.coupon_create(**base).stock_remaining == 1
    for change, field in [
        ({"cost": 0}, "cost"),
        ({"title": " "}, "title"),
        ({"valid_until": now}, "valid_until"),
        ({"stock_total": -1}, "stock_total"),
        ({"kind": "cash"}, "kind"),
        ({"per_user_limit": 0}, "per_user_limit"),
        ({"code_valid_for": timedelta(0)}, "code_valid_for"),
    ]:
        with pytest.raises(InvalidInput) as info:
            services.coupon_create(**{**base, **change})
        assert info.value.field == field
    with pytest.raises(NotFound):
        services.coupon_create(**{**base, "merchant_id": 999_999})


def test_coupon_update_moves_remaining_with_total(resident, coupon):
    fund(resident, 500)
    services.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="a")
    updated = services.coupon_update(coupon_id=coupon.pk, stock_total=20, title="new title")
    assert (updated.stock_total, updated.stock_remaining, updated.title) == (20, 19, "new title")
    assert services.coupon_update(coupon_id=coupon.pk, stock_total=1).stock_remaining == 0
    with pytest.raises(InvalidInput) as info:
        services.coupon_update(coupon_id=coupon.pk, stock_total=0)
    assert info.value.field == "stock_total"
    with pytest.raises(InvalidInput):
        services.coupon_update(coupon_id=coupon.pk, bogus=1)


def _png(size=(1600, 900), mode="RGBA") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new(mode, size, (200, 30, 30, 128) if mode == "RGBA" else (200, 30, 30)).save(out, format="PNG")
    return SimpleUploadedFile("c.png", out.getvalue(), content_type="image/png")


def test_coupon_image_is_reencoded_and_bounded(merchant):
    coupon = make_coupon(merchant, image=_png())
    assert coupon.image.name.endswith(".jpg")
    with Image.open(coupon.image.path) as stored:
        assert stored.format == "JPEG" and max(stored.size) == 1200
    with pytest.raises(InvalidInput) as info:
        make_coupon(merchant, image=SimpleUploadedFile("x.png", b"<svg onload=alert(1)>", content_type="image/png"))
    assert info.value.field == "image"


# --- redemption --------------------------------------------------------------------------------------


def test_redeem_debits_decrements_and_issues_a_code(resident, coupon):
    fund(resident, 250)
    before = timezone.now()
    result = services.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="key-1")
    r = result.redemption
    assert result.created and r.status == RedemptionStatus.ISSUED and r.cost == 100
    assert len(r.code) >= 12 and set(r.code) <= set(ALPHABET) and not set(r.code) & set("01OIL")
    assert before + coupon.code_valid_for <= r.expires_at <= timezone.now() + coupon.code_valid_for
    assert balance_of(resident) == 150
    coupon.refresh_from_db()
    assert coupon.stock_remaining == 9
    debit = PointsEntry.objects.get(kind=EntryKind.REDEEM)
    assert (debit.amount, debit.source_type, debit.source_id) == (-100, "rewards.redemption", str(r.pk))
    [updated] = events("redemption.updated")
    assert (
        updated.data["status"] == "issued"
        and updated.data["code"] == r.code
        and updated.topics == [f"user:{resident.pk}"]
    )
    assert events("points.changed")[-1].data["balance"] == 150
    assert_ledger_consistent()


def test_codes_are_unique_and_random(resident, merchant):
    coupon = make_coupon(merchant, cost=1, stock_total=50, per_user_limit=50)
    fund(resident, 50)
    codes = {
        services.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key=f"k{i}").redemption.code
        for i in range(50)
    }
    assert len(codes) == 50


def test_same_key_returns_the_same_redemption(resident, merchant, coupon):
    fund(resident, 500)
    first = services.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="same")
    again = services.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="same")
    assert not again.created and again.redemption.pk == first.redemption.pk
    other = make_coupon(merchant)
    with pytest.raises(Unprocessable) as info:
        services.redemption_create(user_id=resident.pk, coupon_id=other.pk, idempotency_key="same")
    assert info.value.code == "idempotency_key_reused"
    assert balance_of(resident) == 400 and Redemption.objects.count() == 1


def test_keys_are_per_user(resident, volunteer_user, merchant):
    coupon = make_coupon(merchant, per_user_limit=1)
    fund(resident, 100)
    fund(volunteer_user, 100)
    a = services.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="shared")
    b = services.redemption_create(user_id=volunteer_user.pk, coupon_id=coupon.pk, idempotency_key="shared")
    assert a.redemption.pk != b.redemption.pk and b.created


@pytest.mark.parametrize("key", [None, "", "   ", "has space", "x" * 101, "ü-nicode"])
def test_idempotency_key_is_required_and_well_formed(resident, coupon, key):
    fund(resident, 500)
    with pytest.raises(InvalidInput) as info:
        services.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key=key)
    assert info.value.field == "Idempotency-Key" and "Idempotency-Key" in str(info.value.message)


def _refused(user, coupon, exc, code):
    stock = Coupon.objects.get(pk=coupon.pk).stock_remaining
    balance = balance_of(user)
    with pytest.raises(exc) as info:
        services.redemption_create(user_id=user.pk, coupon_id=coupon.pk, idempotency_key="refused")
    assert info.value.code == code and str(info.value.message)
    assert Coupon.objects.get(pk=coupon.pk).stock_remaining == stock and balance_of(user) == balance
    assert not Redemption.objects.filter(idempotency_key="refused").exists()
    return info.value


def test_refusals_record_nothing(resident, merchant):
    now = timezone.now()
    fund(resident, 99)
    error = _refused(resident, make_coupon(merchant, cost=100), Unprocessable, "insufficient_points")
    assert "100" in str(error.message) and "99" in str(error.message)
    fund(resident, 1000)
    _refused(resident, make_coupon(merchant, stock_total=0), Conflict, "out_of_stock")
    _refused(
        resident,
        make_coupon(merchant, valid_from=now + timedelta(hours=1), valid_until=now + timedelta(days=1)),
        Unprocessable,
        "outside_window",
    )
    _refused(
        resident,
        make_coupon(merchant, valid_from=now - timedelta(days=2), valid_until=now - timedelta(days=1)),
        Unprocessable,
        "outside_window",
    )
    _refused(resident, make_coupon(merchant, active=False), Unprocessable, "inactive")
    closed = make_merchant()
    closed_coupon = make_coupon(closed)
    closed.active = False
    closed.save()
    _refused(resident, closed_coupon, Unprocessable, "inactive")
    with pytest.raises(NotFound):
        services.redemption_create(user_id=resident.pk, coupon_id=999_999, idempotency_key="x")
    assert_ledger_consistent()


def _meanwhile(monkeypatch, change):
    """`change` inside the redemption's own transaction, between its read and its stock update:
    what a concurrent commit looks like to it (rolled back with it)."""
    return between_read_and_update(monkeypatch, change)


def test_stock_gone_between_the_read_and_the_update_is_409_and_records_nothing(resident, merchant, monkeypatch):
    coupon = make_coupon(merchant, cost=10, stock_total=3)
    fund(resident, 100)
    _meanwhile(monkeypatch, lambda: Coupon.objects.filter(pk=coupon.pk).update(stock_remaining=0))
    with pytest.raises(Conflict) as info:
        services.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="late")
    assert info.value.code == "out_of_stock"
    # The whole attempt rolled back, the competitor's update included (it was in the same transaction).
    assert Coupon.objects.get(pk=coupon.pk).stock_remaining == 3
    assert balance_of(resident) == 100 and not Redemption.objects.exists()
    assert not events("redemption.updated")
    assert_ledger_consistent()


def test_terms_changed_between_the_read_and_the_update_redo_the_attempt(resident, merchant, monkeypatch):
    coupon = make_coupon(merchant, cost=10, stock_total=3)
    fund(resident, 100)
    changed = _meanwhile(monkeypatch, lambda: Coupon.objects.filter(pk=coupon.pk).update(cost=20))
    result = services.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="edited")
    assert changed and result.created
    # The first attempt (and the edit inside it) rolled back; the second charged the current cost once.
    assert result.redemption.cost == 10 and balance_of(resident) == 90
    assert Coupon.objects.get(pk=coupon.pk).stock_remaining == 2
    assert Redemption.objects.count() == 1 and PointsEntry.objects.filter(kind=EntryKind.REDEEM).count() == 1
    assert len(events("redemption.updated")) == 1
    assert_ledger_consistent()


def test_a_coupon_edited_between_every_read_and_its_update_ends_in_a_clear_conflict(resident, merchant, monkeypatch):
    coupon = make_coupon(merchant, cost=10, stock_total=3)
    fund(resident, 100)
    real = services._post_entry

    def post_entry_then_edit(**kwargs):
        entry = real(**kwargs)
        Coupon.objects.filter(pk=coupon.pk).update(cost=20)  # every attempt sees its terms change
        return entry

    monkeypatch.setattr(services, "_post_entry", post_entry_then_edit)
    with pytest.raises(Conflict) as info:
        services.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="edited")
    assert info.value.code == "coupon_changing"
    assert Coupon.objects.get(pk=coupon.pk).stock_remaining == 3
    assert balance_of(resident) == 100 and not Redemption.objects.exists()
    assert_ledger_consistent()


def test_a_successful_redemption_takes_a_fixed_number_of_queries(resident, merchant, django_assert_max_num_queries):
    coupon = make_coupon(merchant, cost=10, stock_total=5, per_user_limit=5)
    fund(resident, 100)
    services.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="warm")
    # Account lock, key lookup, coupon (+ merchant, + this user's holdings), code, balance, entry,
    # stock, and the two live events (lock, newest id, events, topics); plus transaction control.
    with django_assert_max_num_queries(16):
        services.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="counted")


def test_per_user_limit_counts_issued_and_used_not_refunded(resident, staff_user, merchant):
    coupon = make_coupon(merchant, per_user_limit=2, cost=10)
    fund(resident, 1000)
    a = services.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="a").redemption
    services.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="b")
    _refused(resident, coupon, Unprocessable, "limit_reached")
    services.redemption_use(code=a.code, staff_user_id=staff_user.pk)
    _refused(resident, coupon, Unprocessable, "limit_reached")  # used still counts
    b = Redemption.objects.get(idempotency_key="b")
    services.redemption_cancel(redemption_id=b.pk, actor_id=resident.pk)
    assert services.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="c").created


# --- use at the merchant -------------------------------------------------------------------------------


@pytest.fixture
def issued(resident, coupon):
    fund(resident, 100)
    return services.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="k").redemption


def test_use_exactly_once(issued, staff_user):
    used = services.redemption_use(code=issued.display_code.lower(), staff_user_id=staff_user.pk)
    assert used.status == RedemptionStatus.USED and used.used_by_id == staff_user.pk and used.used_at
    assert events("redemption.updated")[-1].data["status"] == "used"
    with pytest.raises(Conflict) as info:
        services.redemption_use(code=issued.code, staff_user_id=staff_user.pk)
    local = timezone.localtime(used.used_at).strftime("%Y-%m-%d %H:%M")
    assert info.value.code == "already_used" and local in str(info.value.message)


def test_use_by_other_merchants_staff_is_not_found(issued):
    other_staff = UserFactory(roles=[MERCHANT_STAFF])
    make_merchant(staff=[other_staff])
    with pytest.raises(NotFound):
        services.redemption_use(code=issued.code, staff_user_id=other_staff.pk)
    assert Redemption.objects.get(pk=issued.pk).status == RedemptionStatus.ISSUED


def test_use_refusals(issued, staff_user, resident):
    with pytest.raises(PermissionDenied):
        services.redemption_use(code=issued.code, staff_user_id=resident.pk)
    with pytest.raises(NotFound):
        services.redemption_use(code="ABCD-EFGH-JKMN", staff_user_id=staff_user.pk)
    with pytest.raises(NotFound):
        services.redemption_use(code="not a code", staff_user_id=staff_user.pk)
    with pytest.raises(InvalidInput) as info:
        services.redemption_use(code=" - ", staff_user_id=staff_user.pk)
    assert info.value.field == "code"


def test_use_after_expiry_time_is_refused(issued, staff_user):
    Redemption.objects.filter(pk=issued.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(Conflict) as info:
        services.redemption_use(code=issued.code, staff_user_id=staff_user.pk)
    assert info.value.code == "expired"


def test_use_of_cancelled_code_is_refused(issued, staff_user, resident):
    services.redemption_cancel(redemption_id=issued.pk, actor_id=resident.pk)
    with pytest.raises(Conflict) as info:
        services.redemption_use(code=issued.code, staff_user_id=staff_user.pk)
    assert info.value.code == "cancelled"


def test_normalise_code():
    assert normalise_code(" abcd-efgh jkmn ") == "ABCDEFGHJKMN"


# --- cancellation and expiry ------------------------------------------------------------------------------


def test_cancel_refunds_once(issued, resident, coupon):
    assert balance_of(resident) == 0
    cancelled = services.redemption_cancel(redemption_id=issued.pk, actor_id=resident.pk)
    assert (
        cancelled.status == RedemptionStatus.CANCELLED
        and cancelled.ended_at
        and cancelled.cancelled_by_id == resident.pk
    )
    assert balance_of(resident) == 100 and Coupon.objects.get(pk=coupon.pk).stock_remaining == 10
    refund = PointsEntry.objects.get(kind=EntryKind.REFUND)
    assert refund.amount == 100 and refund.idempotency_key == f"redemption:{issued.pk}:refund"
    with pytest.raises(Conflict):
        services.redemption_cancel(redemption_id=issued.pk, actor_id=resident.pk)
    assert services.redemption_expire(redemption_id=issued.pk, now=timezone.now() + timedelta(days=30)) is None
    assert balance_of(resident) == 100 and PointsEntry.objects.filter(kind=EntryKind.REFUND).count() == 1
    assert events("redemption.updated")[-1].data["status"] == "cancelled"
    assert_ledger_consistent()


def test_cancel_by_others_and_of_used_codes(issued, staff_user, volunteer_user, dispatcher):
    with pytest.raises(NotFound):
        services.redemption_cancel(redemption_id=issued.pk, actor_id=volunteer_user.pk)
    services.redemption_use(code=issued.code, staff_user_id=staff_user.pk)
    with pytest.raises(Conflict):
        services.redemption_cancel(redemption_id=issued.pk, actor_id=dispatcher.pk)


def test_dispatcher_may_cancel(issued, dispatcher, resident):
    services.redemption_cancel(redemption_id=issued.pk, actor_id=dispatcher.pk)
    assert balance_of(resident) == 100


def test_expiry_refunds_overdue_codes_once(resident, staff_user, merchant):
    coupon = make_coupon(merchant, cost=10, per_user_limit=5, code_valid_for=timedelta(hours=1))
    fund(resident, 30)
    a, b, c = (
        services.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key=k).redemption
        for k in "abc"
    )
    services.redemption_use(code=b.code, staff_user_id=staff_user.pk)
    assert services.redemptions_expire_due() == 0  # nothing is overdue yet
    later = timezone.now() + timedelta(hours=2)
    assert services.redemptions_expire_due(now=later) == 2
    assert services.redemptions_expire_due(now=later) == 0
    statuses = dict(Redemption.objects.values_list("pk", "status"))
    assert statuses == {a.pk: "expired", b.pk: "used", c.pk: "expired"}
    assert balance_of(resident) == 20 and Coupon.objects.get(pk=coupon.pk).stock_remaining == 9
    assert_ledger_consistent()


def test_expire_command_and_task(resident, coupon):
    fund(resident, 200)
    r = services.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="a").redemption
    Redemption.objects.filter(pk=r.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    out = io.StringIO()
    call_command("expire_redemptions", stdout=out)
    assert "Expired 1" in out.getvalue()
    assert Redemption.objects.get(pk=r.pk).status == "expired" and balance_of(resident) == 200
    r2 = services.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="b").redemption
    Redemption.objects.filter(pk=r2.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert tasks.expire_redemptions.delay().get() == 1
    assert tasks.expire_redemptions.delay().get() == 0


def test_expire_not_overdue_does_nothing(issued):
    assert services.redemption_expire(redemption_id=issued.pk) is None
    assert Redemption.objects.get(pk=issued.pk).status == "issued"


def test_beat_schedule_runs_expiry(settings):
    entries = {v["task"] for v in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "rewards.tasks.expire_redemptions" in entries


def test_demo_seed_is_idempotent():
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    from govern.models import User
    from rewards.models import Merchant

    for name in ("vol1", "vol2", "vol3", "vol4", "vol5"):
        assert balance_of(User.objects.get(username=name)) == 500
    assert balance_of(User.objects.get(username="resident1")) > 0
    kitchen = Merchant.objects.get(name="汾湖小厨")
    assert list(kitchen.staff.values_list("username", flat=True)) == ["merchant1"]
    assert kitchen.coupons.filter(stock_total__lte=5).exists()
    assert Merchant.objects.count() == 2
    assert_ledger_consistent()


def test_dispatcher_role_needed_for_adjust_even_for_staff_users(resident):
    staff = UserFactory(roles=[DISPATCHER])
    staff.is_staff = True
    staff.save()
    assert services.points_adjust(user_id=resident.pk, amount=1, reason="x", actor_id=staff.pk).created
