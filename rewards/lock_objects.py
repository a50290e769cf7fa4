"""Row locks in one fixed order, so two transactions never wait on each other in a circle.

The order everywhere in rewards: points accounts (lowest primary key first), then the coupon,
then the redemption. Like Saleor's lock_objects.py: querysets, not helpers with side effects,
except that accounts are created on first use (a user without an account has a balance of 0).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction

from rewards.models import Coupon, PointsAccount, Redemption


def _ensure_accounts(user_ids: set[int]) -> None:
    existing = set(PointsAccount.objects.filter(user_id__in=user_ids).values_list("user_id", flat=True))
    for user_id in sorted(user_ids - existing):
        try:
            # A savepoint, so that losing the race to a concurrent creator only undoes this insert.
            with transaction.atomic():
                PointsAccount.objects.create(user_id=user_id)
        except IntegrityError:
            pass  # created meanwhile by another transaction: fine, we lock it below


def accounts_for_update(user_ids: Iterable[int]) -> dict[int, PointsAccount]:
    """Lock the accounts of these users (created if missing) in primary-key order; by user id."""
    wanted = {int(uid) for uid in user_ids}
    _ensure_accounts(wanted)
    locked = PointsAccount.objects.select_for_update().filter(user_id__in=wanted).order_by("pk")
    return {account.user_id: account for account in locked}


def account_for_update(user_id: int) -> PointsAccount:
    """Lock one user's account: one statement when it exists (the usual case), else create it first."""
    account = PointsAccount.objects.select_for_update().filter(user_id=user_id).first()
    return account if account is not None else accounts_for_update([user_id])[int(user_id)]


def coupon_for_update(coupon_id: int) -> Coupon:
    """Lock one coupon (after any account). select_related is avoided: FOR UPDATE would lock the
    merchant row too, and merchants are not part of the lock order."""
    return Coupon.objects.select_for_update().get(pk=coupon_id)


def redemption_for_update(*, redemption_id: int | None = None, code: str | None = None) -> Redemption:
    """Lock one redemption (last in the order: after its account and coupon, if those are taken)."""
    qs = Redemption.objects.select_for_update(of=("self",)).select_related("coupon", "coupon__merchant")
    return qs.get(pk=redemption_id) if redemption_id is not None else qs.get(code=code)
