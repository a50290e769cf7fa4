"""Redemption tests: buying, using, cancelling and expiring codes, each exactly once."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from govern.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unprocessable
from govern.roles import MERCHANT_STAFF
from rewards import ledger, redemptions, tasks
from rewards.codes import ALPHABET, normalise_code
from rewards.models import (
    Coupon,
    EntryKind,
    PointsEntry,
    Redemption,
    RedemptionStatus,
)
from tests.factories import UserFactory
from tests.rewards.conftest import (
    assert_ledger_consistent,
    balance_of,
    between_read_and_update,
    events,
    fund,
    make_coupon,
    make_merchant,
)

pytestmark = pytest.mark.django_db


# --- redemption --------------------------------------------------------------------------------------


def test_redeem_debits_decrements_and_issues_a_code(resident, coupon):
    fund(resident, 250)
    before = timezone.now()
    result = redemptions.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="key-1")
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
        redemptions.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key=f"k{i}").redemption.code
        for i in range(50)
    }
    assert len(codes) == 50


def test_same_key_returns_the_same_redemption(resident, merchant, coupon):
    fund(resident, 500)
    first = redemptions.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="same")
    again = redemptions.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="same")
    assert not again.created and again.redemption.pk == first.redemption.pk
    other = make_coupon(merchant)
    with pytest.raises(Unprocessable) as info:
        redemptions.redemption_create(user_id=resident.pk, coupon_id=other.pk, idempotency_key="same")
    assert info.value.code == "idempotency_key_reused"
    assert balance_of(resident) == 400 and Redemption.objects.count() == 1


def test_keys_are_per_user(resident, volunteer_user, merchant):
    coupon = make_coupon(merchant, per_user_limit=1)
    fund(resident, 100)
    fund(volunteer_user, 100)
    a = redemptions.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="shared")
    b = redemptions.redemption_create(user_id=volunteer_user.pk, coupon_id=coupon.pk, idempotency_key="shared")
    assert a.redemption.pk != b.redemption.pk and b.created


@pytest.mark.parametrize("key", [None, "", "   ", "has space", "x" * 101, "ü-nicode"])
def test_idempotency_key_is_required_and_well_formed(resident, coupon, key):
    fund(resident, 500)
    with pytest.raises(InvalidInput) as info:
        redemptions.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key=key)
    assert info.value.field == "Idempotency-Key" and "Idempotency-Key" in str(info.value.message)


def _refused(user, coupon, exc, code):
    stock = Coupon.objects.get(pk=coupon.pk).stock_remaining
    balance = balance_of(user)
    with pytest.raises(exc) as info:
        redemptions.redemption_create(user_id=user.pk, coupon_id=coupon.pk, idempotency_key="refused")
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
        redemptions.redemption_create(user_id=resident.pk, coupon_id=999_999, idempotency_key="x")
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
        redemptions.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="late")
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
    result = redemptions.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="edited")
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
    real = ledger.post_entry

    def post_entry_then_edit(**kwargs):
        entry = real(**kwargs)
        Coupon.objects.filter(pk=coupon.pk).update(cost=20)  # every attempt sees its terms change
        return entry

    monkeypatch.setattr(redemptions, "post_entry", post_entry_then_edit)
    with pytest.raises(Conflict) as info:
        redemptions.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="edited")
    assert info.value.code == "coupon_changing"
    assert Coupon.objects.get(pk=coupon.pk).stock_remaining == 3
    assert balance_of(resident) == 100 and not Redemption.objects.exists()
    assert_ledger_consistent()


def test_a_successful_redemption_takes_a_fixed_number_of_queries(resident, merchant, django_assert_max_num_queries):
    coupon = make_coupon(merchant, cost=10, stock_total=5, per_user_limit=5)
    fund(resident, 100)
    redemptions.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="warm")
    # Account lock, key lookup, coupon (+ merchant, + this user's holdings), code, balance, entry,
    # stock, and the two live events (lock, newest id, events, topics); plus transaction control.
    with django_assert_max_num_queries(16):
        redemptions.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="counted")


def test_per_user_limit_counts_issued_and_used_not_refunded(resident, staff_user, merchant):
    coupon = make_coupon(merchant, per_user_limit=2, cost=10)
    fund(resident, 1000)
    a = redemptions.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="a").redemption
    redemptions.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="b")
    _refused(resident, coupon, Unprocessable, "limit_reached")
    redemptions.redemption_use(code=a.code, actor=staff_user)
    _refused(resident, coupon, Unprocessable, "limit_reached")  # used still counts
    b = Redemption.objects.get(idempotency_key="b")
    redemptions.redemption_cancel(redemption_id=b.pk, actor=resident)
    assert redemptions.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="c").created


# --- use at the merchant -------------------------------------------------------------------------------


@pytest.fixture
def issued(resident, coupon):
    fund(resident, 100)
    return redemptions.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="k").redemption


def test_use_exactly_once(issued, staff_user):
    used = redemptions.redemption_use(code=issued.display_code.lower(), actor=staff_user)
    assert used.status == RedemptionStatus.USED and used.used_by_id == staff_user.pk and used.used_at
    assert events("redemption.updated")[-1].data["status"] == "used"
    with pytest.raises(Conflict) as info:
        redemptions.redemption_use(code=issued.code, actor=staff_user)
    local = timezone.localtime(used.used_at).strftime("%Y-%m-%d %H:%M")
    assert info.value.code == "already_used" and local in str(info.value.message)


def test_use_by_other_merchants_staff_is_not_found(issued):
    other_staff = UserFactory(roles=[MERCHANT_STAFF])
    make_merchant(staff=[other_staff])
    with pytest.raises(NotFound):
        redemptions.redemption_use(code=issued.code, actor=other_staff)
    assert Redemption.objects.get(pk=issued.pk).status == RedemptionStatus.ISSUED


def test_use_refusals(issued, staff_user, resident):
    with pytest.raises(PermissionDenied):
        redemptions.redemption_use(code=issued.code, actor=resident)
    with pytest.raises(NotFound):
        redemptions.redemption_use(code="ABCD-EFGH-JKMN", actor=staff_user)
    with pytest.raises(NotFound):
        redemptions.redemption_use(code="not a code", actor=staff_user)
    with pytest.raises(InvalidInput) as info:
        redemptions.redemption_use(code=" - ", actor=staff_user)
    assert info.value.field == "code"


def test_use_after_expiry_time_is_refused(issued, staff_user):
    Redemption.objects.filter(pk=issued.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(Conflict) as info:
        redemptions.redemption_use(code=issued.code, actor=staff_user)
    assert info.value.code == "expired"


def test_use_of_cancelled_code_is_refused(issued, staff_user, resident):
    redemptions.redemption_cancel(redemption_id=issued.pk, actor=resident)
    with pytest.raises(Conflict) as info:
        redemptions.redemption_use(code=issued.code, actor=staff_user)
    assert info.value.code == "cancelled"


def test_normalise_code():
    assert normalise_code(" abcd-efgh jkmn ") == "ABCDEFGHJKMN"


# --- cancellation and expiry ------------------------------------------------------------------------------


def test_cancel_refunds_once(issued, resident, coupon):
    assert balance_of(resident) == 0
    cancelled = redemptions.redemption_cancel(redemption_id=issued.pk, actor=resident)
    assert (
        cancelled.status == RedemptionStatus.CANCELLED
        and cancelled.ended_at
        and cancelled.cancelled_by_id == resident.pk
    )
    assert balance_of(resident) == 100 and Coupon.objects.get(pk=coupon.pk).stock_remaining == 10
    refund = PointsEntry.objects.get(kind=EntryKind.REFUND)
    assert refund.amount == 100 and refund.idempotency_key == f"redemption:{issued.pk}:refund"
    with pytest.raises(Conflict):
        redemptions.redemption_cancel(redemption_id=issued.pk, actor=resident)
    assert redemptions.redemption_expire(redemption_id=issued.pk, now=timezone.now() + timedelta(days=30)) is None
    assert balance_of(resident) == 100 and PointsEntry.objects.filter(kind=EntryKind.REFUND).count() == 1
    assert events("redemption.updated")[-1].data["status"] == "cancelled"
    assert_ledger_consistent()


def test_cancel_by_others_and_of_used_codes(issued, staff_user, volunteer_user, dispatcher):
    with pytest.raises(NotFound):
        redemptions.redemption_cancel(redemption_id=issued.pk, actor=volunteer_user)
    redemptions.redemption_use(code=issued.code, actor=staff_user)
    with pytest.raises(Conflict):
        redemptions.redemption_cancel(redemption_id=issued.pk, actor=dispatcher)


def test_dispatcher_may_cancel(issued, dispatcher, resident):
    redemptions.redemption_cancel(redemption_id=issued.pk, actor=dispatcher)
    assert balance_of(resident) == 100


def test_expiry_refunds_overdue_codes_once(resident, staff_user, merchant):
    coupon = make_coupon(merchant, cost=10, per_user_limit=5, code_valid_for=timedelta(hours=1))
    fund(resident, 30)
    a, b, c = (
        redemptions.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key=k).redemption
        for k in "abc"
    )
    redemptions.redemption_use(code=b.code, actor=staff_user)
    assert redemptions.redemptions_expire_due() == 0  # nothing is overdue yet
    later = timezone.now() + timedelta(hours=2)
    assert redemptions.redemptions_expire_due(now=later) == 2
    assert redemptions.redemptions_expire_due(now=later) == 0
    statuses = dict(Redemption.objects.values_list("pk", "status"))
    assert statuses == {a.pk: "expired", b.pk: "used", c.pk: "expired"}
    assert balance_of(resident) == 20 and Coupon.objects.get(pk=coupon.pk).stock_remaining == 9
    assert_ledger_consistent()


def test_expire_command_and_task(resident, coupon):
    fund(resident, 200)
    r = redemptions.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="a").redemption
    Redemption.objects.filter(pk=r.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    out = io.StringIO()
    call_command("expire_redemptions", stdout=out)
    assert "Expired 1" in out.getvalue()
    assert Redemption.objects.get(pk=r.pk).status == "expired" and balance_of(resident) == 200
    r2 = redemptions.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="b").redemption
    Redemption.objects.filter(pk=r2.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert tasks.expire_redemptions.delay().get() == 1
    assert tasks.expire_redemptions.delay().get() == 0


def test_expire_not_overdue_does_nothing(issued):
    assert redemptions.redemption_expire(redemption_id=issued.pk) is None
    assert Redemption.objects.get(pk=issued.pk).status == "issued"


def test_beat_schedule_runs_expiry(settings):
    entries = {v["task"] for v in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "rewards.tasks.expire_redemptions" in entries


def test_an_expiring_code_is_told_to_its_owner_once(resident, coupon, settings):
    from govern.models import Notification

    settings.REDEMPTION_EXPIRY_WARNING_HOURS = 24
    fund(resident, 250)
    r = redemptions.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="warn-1").redemption
    assert redemptions.redemptions_warn_expiring(now=r.expires_at - timedelta(hours=25)) == 0  # not yet
    soon = r.expires_at - timedelta(hours=2)
    assert redemptions.redemptions_warn_expiring(now=soon) == 1
    assert redemptions.redemptions_warn_expiring(now=soon + timedelta(minutes=15)) == 0  # once per code
    [warned] = events("redemption.expiring")
    assert warned.data["code"] == r.code and warned.topics == [f"user:{resident.pk}"]
    inbox = Notification.objects.get(user=resident, kind="coupon_expiring", channel="inbox")
    assert inbox.ref == f"redemption:{r.pk}"


def test_a_cancelled_code_is_never_told_it_expires(resident, coupon):
    fund(resident, 250)
    r = redemptions.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="warn-2").redemption
    redemptions.redemption_cancel(redemption_id=r.pk, actor=resident)
    assert redemptions.redemptions_warn_expiring(now=r.expires_at - timedelta(hours=1)) == 0
    assert events("redemption.expiring") == []
