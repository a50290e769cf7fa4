"""Fixtures for rewards tests: merchants, coupons and funded accounts, built through services."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from govern.models import LiveEvent
from govern.roles import MERCHANT_STAFF
from rewards.catalog import coupon_create
from rewards.ledger import points_adjust
from rewards.models import Merchant, PointsAccount, PointsEntry
from tests.factories import UserFactory

_names = itertools.count(1)


def make_merchant(*, staff=(), name: str | None = None) -> Merchant:
    merchant = Merchant.objects.create(name=name or f"商户{next(_names)}")
    merchant.staff.add(*staff)
    return merchant


def make_coupon(merchant: Merchant, **overrides):
    now = timezone.now()
    fields = {
        "title": f"券{next(_names)}",
        "cost": 100,
        "stock_total": 10,
        "per_user_limit": 1,
        "valid_from": now - timedelta(days=1),
        "valid_until": now + timedelta(days=30),
        "code_valid_for": timedelta(days=7),
    }
    fields.update(overrides)
    return coupon_create(merchant_id=merchant.pk, **fields)


def between_read_and_update(monkeypatch, change):
    """Run `change` (once) after the redemption has read the coupon and written the debit, before
    it takes the stock: the window a concurrent sale or edit races through. Returns a list that
    is non-empty once it ran."""
    from rewards import ledger, redemptions

    real = ledger.post_entry
    done = []

    def post_entry_then_change(**kwargs):
        entry = real(**kwargs)
        if not done:
            done.append(True)
            change()
        return entry

    monkeypatch.setattr(redemptions, "post_entry", post_entry_then_change)
    return done


def events(type_):
    """The live events of one type, oldest first."""
    return list(LiveEvent.objects.filter(type=type_).order_by("id"))


def fund(user, amount: int) -> None:
    """Give a user points the way the system does (a system adjustment)."""
    points_adjust(user_id=user.pk, amount=amount, reason="test funding", actor=None)


def balance_of(user) -> int:
    account = PointsAccount.objects.filter(user=user).first()
    return account.balance if account else 0


def assert_ledger_consistent() -> None:
    """Every account's stored balance equals the sum of its entries, and the last entry's
    balance_after equals the balance."""
    sums = dict(PointsEntry.objects.values_list("account_id").annotate(total=Sum("amount")))
    for account in PointsAccount.objects.all():
        assert account.balance == sums.get(account.pk, 0), account
        assert account.balance >= 0
        last = PointsEntry.objects.filter(account=account).order_by("-id").first()
        if last is not None:
            assert last.balance_after == account.balance, account


@pytest.fixture
def staff_user(db):
    return UserFactory(roles=[MERCHANT_STAFF])


@pytest.fixture
def merchant(staff_user):
    return make_merchant(staff=[staff_user])


@pytest.fixture
def coupon(merchant):
    return make_coupon(merchant)


def ensure_reference_data() -> None:
    """Kept for the rewards tests that call it; the shared autouse fixture does this too."""
    from tests.reference import ensure_reference_data as ensure

    ensure()
