"""Points expiry (POINTS_EXPIRE_AFTER_DAYS): first in, first out, idempotent, off by default."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from rewards import expiry, ledger
from rewards.models import PointsEntry
from rewards.tasks import expire_points
from tests.rewards.conftest import assert_ledger_consistent, balance_of, fund

pytestmark = pytest.mark.django_db


def _credit_on(user, amount: int, day: dt.date) -> None:
    """Fund `user` as if on `day` (entries are append-only: the time is set as they are written)."""
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(10)))
    real_now = timezone.now
    try:
        timezone.now = lambda: moment
        fund(user, amount)
    finally:
        timezone.now = real_now


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(3)))


def test_off_by_default(resident):
    assert getattr(django_settings, "POINTS_EXPIRE_AFTER_DAYS", 0) == 0
    _credit_on(resident, 100, dt.date(2020, 1, 1))
    assert expire_points.apply().get() == 0
    assert balance_of(resident) == 100


def test_oldest_unspent_points_expire_first_once(resident, settings):
    settings.POINTS_EXPIRE_AFTER_DAYS = 30
    day1, day10 = dt.date(2026, 1, 1), dt.date(2026, 1, 10)
    _credit_on(resident, 100, day1)
    _credit_on(resident, 50, day10)
    ledger.points_adjust(user_id=resident.pk, amount=-70, reason="spent", actor=None)  # eats day 1's first
    # the wallet's forecast: 30 of day 1's points are left, due on day 31
    account = resident.points_account
    soon = expiry.next_expiry(account=account)
    assert (soon.points, soon.on) == (30, day1 + dt.timedelta(days=30))
    # the day before, nothing expires
    assert expiry.points_expire_due(now=_at(dt.date(2026, 1, 30))) == 0 and balance_of(resident) == 80
    # on day 31 the 30 unspent points of day 1 expire, not day 10's
    on_31 = _at(dt.date(2026, 1, 31))
    assert expiry.points_expire_due(now=on_31) == 1
    assert balance_of(resident) == 50
    for _ in range(3):  # the job again, the same day and the next: idempotent
        assert expiry.points_expire_due(now=on_31) == 0
        assert expiry.points_expire_due(now=_at(dt.date(2026, 2, 1))) == 0
    (expired,) = PointsEntry.objects.filter(source_type="rewards.expiry")
    assert expired.amount == -30 and expired.kind == "reversal"
    account.refresh_from_db()
    soon = expiry.next_expiry(account=account)
    assert (soon.points, soon.on) == (50, day10 + dt.timedelta(days=30))
    assert expiry.points_expire_due(now=_at(dt.date(2026, 2, 9))) == 1 and balance_of(resident) == 0
    account.refresh_from_db()
    assert expiry.next_expiry(account=account) is None
    assert_ledger_consistent()


def test_wallet_says_when_points_expire(client, resident, settings):
    settings.POINTS_EXPIRE_AFTER_DAYS = 365
    fund(resident, 40)
    client.force_login(resident)
    html = client.get("/wallet/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    on = (timezone.localdate() + dt.timedelta(days=365)).isoformat()
    assert 'id="next-expiry"' in html and f"40 积分将于 {on} 过期" in html
    settings.POINTS_EXPIRE_AFTER_DAYS = 0
    assert 'id="next-expiry"' not in client.get("/wallet/").content.decode()


def test_the_job_is_on_both_schedules():
    from govern import embedded_beat

    entry = django_settings.CELERY_BEAT_SCHEDULE["rewards-expire-points"]
    assert entry["task"] == "rewards.tasks.expire_points"
    assert "rewards-expire-points" in embedded_beat._schedules()
