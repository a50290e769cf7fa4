"""Points expiry (optional): points unspent `POINTS_EXPIRE_AFTER_DAYS` days after they were
credited expire, first in, first out. Off when the setting is 0 (the default).

First in, first out without tracking lots: everything that ever left an account (redeemed,
reversed, adjusted down, expired before) is taken from its OLDEST credits first. So the credits
still unspent are the newest ones, and what is due to expire today is

    min(balance, credits up to the cutoff − (all credits − balance))

A run posts that as one `reversal` entry (source "rewards.expiry") under the account's row
lock; afterwards the formula gives 0, so a second run, the same day or later, expires nothing
more (and the entry's idempotency key, one per account and day, says so to the database too).
A credit on day C expires on day C + N (local days), from the first run that day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from rewards import conf
from rewards.ledger import post_entry
from rewards.lock_objects import account_for_update
from rewards.models import EntryKind, PointsAccount, PointsEntry

EXPIRY_SOURCE = "rewards.expiry"


def _cutoff(today: dt.date, days: int) -> dt.datetime:
    """Credits made before this moment are due: those of day `today - days` and earlier."""
    first_kept = today - dt.timedelta(days=days - 1)
    return timezone.make_aware(dt.datetime.combine(first_kept, dt.time.min))


def _credits(account_id: int, before: dt.datetime | None = None) -> int:
    qs = PointsEntry.objects.filter(account_id=account_id, amount__gt=0)
    if before is not None:
        qs = qs.filter(created_at__lt=before)
    return qs.aggregate(total=Sum("amount"))["total"] or 0


def points_expire_account(*, user_id: int, now: dt.datetime | None = None) -> PointsEntry | None:
    """Expire what is due on one account (None when nothing is, or expiry is off)."""
    days = conf.expire_after_days()
    if days <= 0:
        return None
    now = now or timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        account = account_for_update(user_id)
        due = min(
            account.balance,
            _credits(account.pk, _cutoff(today, days)) - (_credits(account.pk) - account.balance),
        )
        if due <= 0:
            return None
        return post_entry(
            account=account,
            amount=-due,
            kind=EntryKind.REVERSAL,
            reason=_("Points expired (unspent for %(days)d days)") % {"days": days},
            idempotency_key=f"expiry:{account.pk}:{today.isoformat()}",
            source_type=EXPIRY_SOURCE,
            source_id=today.isoformat(),
        )


def points_expire_due(*, now: dt.datetime | None = None, limit: int | None = None) -> int:
    """Beat job: expire what is due on every account holding points credited before the cutoff,
    one transaction per account. Returns how many accounts lost points."""
    days = conf.expire_after_days()
    if days <= 0:
        return 0
    now = now or timezone.now()
    cutoff = _cutoff(timezone.localdate(now), days)
    user_ids = list(
        PointsAccount.objects.filter(balance__gt=0)
        .filter(Q(entries__amount__gt=0, entries__created_at__lt=cutoff))
        .distinct()
        .order_by("pk")
        .values_list("user_id", flat=True)[: limit or conf.expiry_batch()]
    )
    return sum(1 for user_id in user_ids if points_expire_account(user_id=user_id, now=now) is not None)


@dataclass(frozen=True)
class NextExpiry:
    points: int
    on: dt.date


def next_expiry(*, account: PointsAccount, now: dt.datetime | None = None) -> NextExpiry | None:
    """The wallet's "N points expire on D": the oldest unspent credits' day, plus the setting.
    One query (credits by local day)."""
    days = conf.expire_after_days()
    if days <= 0 or account.pk is None or account.balance <= 0:
        return None
    by_day = (
        PointsEntry.objects.filter(account_id=account.pk, amount__gt=0)
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(total=Sum("amount"))
        .order_by("day")
    )
    rows = [(row["day"], row["total"]) for row in by_day]
    spent = sum(total for _day, total in rows) - account.balance  # taken from the oldest first
    for day, total in rows:
        unspent = total - max(0, spent)
        spent -= total
        if unspent > 0:
            return NextExpiry(points=unspent, on=day + dt.timedelta(days=days))
    return None
