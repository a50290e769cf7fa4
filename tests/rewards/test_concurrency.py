"""Real concurrency against PostgreSQL: threads, each with its own connection, racing for the
same rows. SQLite serialises writers whole, so these run only in the services pass.

After every test the ledger must add up: each account's balance equals the sum of its entries.
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from govern.roles import RESIDENT
from rewards import ledger, redemptions
from rewards.models import Coupon, PointsAccount, PointsAward, PointsEntry, Redemption
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.rewards.conftest import (
    assert_ledger_consistent,
    balance_of,
    between_read_and_update,
    ensure_reference_data,
    fund,
    make_coupon,
)

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

# Well under PostgreSQL's max_connections (100 here), shared with other test runs.
WORKERS = 20


def race(calls):
    """Run zero-argument callables on WORKERS threads, released together by a barrier in waves;
    every thread closes its own database connection. Returns the results in order."""
    barrier = threading.Barrier(min(WORKERS, len(calls)))

    def run(call):
        try:
            # The last wave may be smaller than the barrier: it starts anyway after the timeout.
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=5)
            return call()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(run, calls))


@pytest.fixture(autouse=True)
def _ledger_adds_up_afterwards(transactional_db):
    assert connection.vendor == "postgresql"
    ensure_reference_data()
    yield
    assert_ledger_consistent()


def test_200_concurrent_redemptions_for_a_stock_of_50(merchant):
    coupon = make_coupon(merchant, cost=100, stock_total=50, per_user_limit=3)
    users = [UserFactory(roles=[RESIDENT]) for _ in range(100)]
    for user in users:
        fund(user, 1000)
    clients = {user.pk: client_for(user) for user in users}

    def attempt(user, n):
        def call():
            response = clients[user.pk].post(
                f"/api/v1/coupons/{coupon.pk}/redeem/", HTTP_IDEMPOTENCY_KEY=f"{user.pk}-{n}"
            )
            return response.status_code

        return call

    statuses = race([attempt(user, n) for n in range(2) for user in users])
    counts = Counter(statuses)
    assert counts == {201: 50, 409: 150}, counts
    coupon.refresh_from_db()
    assert coupon.stock_remaining == 0
    assert Redemption.objects.filter(coupon=coupon, status="issued").count() == 50
    assert not PointsAccount.objects.filter(balance__lt=0).exists()
    for user in users:
        assert balance_of(user) == 1000 - 100 * Redemption.objects.filter(user=user).count()
    assert PointsEntry.objects.filter(kind="redeem").count() == 50


def test_balance_for_one_coupon_10_concurrent_redemptions_issue_exactly_one(resident, merchant):
    coupon = make_coupon(merchant, cost=100, stock_total=100, per_user_limit=10)
    fund(resident, 100)

    def attempt(n):
        return lambda: _redeem_status(resident.pk, coupon.pk, f"k{n}")

    statuses = race([attempt(n) for n in range(10)])
    assert sorted(statuses) == ["created"] + ["insufficient_points"] * 9
    assert balance_of(resident) == 0
    assert Redemption.objects.filter(user=resident).count() == 1
    assert Coupon.objects.get(pk=coupon.pk).stock_remaining == 99


def _redeem_status(user_id, coupon_id, key):
    from govern.errors import DomainError

    try:
        return (
            "created"
            if redemptions.redemption_create(user_id=user_id, coupon_id=coupon_id, idempotency_key=key).created
            else "replay"
        )
    except DomainError as exc:
        return exc.code


def test_same_idempotency_key_concurrently_redeems_once(resident, merchant):
    coupon = make_coupon(merchant, cost=10, stock_total=10, per_user_limit=10)
    fund(resident, 100)
    client = client_for(resident)

    def call():
        response = client_for(resident).post(f"/api/v1/coupons/{coupon.pk}/redeem/", HTTP_IDEMPOTENCY_KEY="one-click")
        return response.status_code, response.json()["id"]

    assert client  # token exists before the threads start
    results = race([call for _ in range(10)])
    assert sorted(status for status, _ in results) == [200] * 9 + [201]
    assert len({rid for _, rid in results}) == 1
    assert balance_of(resident) == 90 and Redemption.objects.count() == 1


def test_10_concurrent_uses_of_one_code_accept_exactly_one(resident, staff_user, coupon):
    fund(resident, 100)
    code = redemptions.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="k").redemption.code
    client_for(staff_user)  # token before the race

    def call():
        return client_for(staff_user).post("/api/v1/redemptions/use/", {"code": code}, format="json").status_code

    statuses = race([call for _ in range(10)])
    assert sorted(statuses) == [200] + [409] * 9
    assert Redemption.objects.get(code=code).status == "used"


@pytest.mark.parametrize("has_account", [False, True])
def test_concurrent_identical_awards_pay_once(has_account):
    user = UserFactory(roles=[RESIDENT])  # without an account, the account is created in the race too
    if has_account:
        ledger.points_account_set_leaderboard(user_id=user.pk, show=False)

    def call():
        award = ledger.points_award(
            user_id=user.pk, rule_code="task_verified", source_type="hazards.task", source_id="77", severity="high"
        )
        return award.pk

    award_ids = race([call for _ in range(12)])
    assert len(set(award_ids)) == 1
    assert PointsAward.objects.count() == 1 and PointsEntry.objects.count() == 1
    assert balance_of(user) == 40 and PointsAccount.objects.filter(user=user).count() == 1


def test_concurrent_awards_respect_the_daily_cap(settings):
    settings.POINTS_DAILY_CAP = 50
    user = UserFactory(roles=[RESIDENT])

    def award(i):
        return lambda: (
            ledger.points_award(
                user_id=user.pk, rule_code="task_verified", source_type="t", source_id=str(i)
            ).points_paid
        )

    paid = race([award(i) for i in range(10)])
    assert sum(paid) == 50 and balance_of(user) == 50
    assert PointsAward.objects.filter(user=user).count() == 10


def test_cancel_expire_and_use_race_for_one_code(resident, staff_user, merchant, dispatcher):
    """Whatever wins, the code ends in exactly one state and is refunded at most once."""
    coupon = make_coupon(merchant, cost=100, stock_total=5, per_user_limit=5)
    fund(resident, 500)
    outcomes = []
    for round_ in range(5):
        r = redemptions.redemption_create(
            user_id=resident.pk, coupon_id=coupon.pk, idempotency_key=f"r{round_}"
        ).redemption
        # Overdue for the expiry job, but still "issued": use, cancel and expiry all compete.
        Redemption.objects.filter(pk=r.pk).update(expires_at=timezone.now() + timedelta(milliseconds=300))
        later = timezone.now() + timedelta(days=1)

        def use(code=r.code):
            from govern.errors import DomainError

            try:
                redemptions.redemption_use(code=code, actor=staff_user)
                return "used"
            except DomainError:
                return None

        def cancel(pk=r.pk, actor=(resident if round_ % 2 else dispatcher)):
            from govern.errors import DomainError

            try:
                redemptions.redemption_cancel(redemption_id=pk, actor=actor)
                return "cancelled"
            except DomainError:
                return None

        def expire(pk=r.pk, now=later):
            return "expired" if redemptions.redemption_expire(redemption_id=pk, now=now) else None

        results = race([use, cancel, expire, use, cancel, expire])
        winners = [x for x in results if x]
        assert len(winners) == 1, results
        final = Redemption.objects.get(pk=r.pk)
        assert final.status == winners[0]
        refunds = PointsEntry.objects.filter(kind="refund", source_id=str(r.pk)).count()
        assert refunds == (0 if final.status == "used" else 1)
        outcomes.append(final.status)
    used = outcomes.count("used")
    assert balance_of(resident) == 500 - 100 * used
    assert Coupon.objects.get(pk=coupon.pk).stock_remaining == 5 - used


def test_retries_after_success_are_idempotent(resident, coupon, staff_user):
    """A client that lost the response retries: same key → same redemption, nothing paid twice."""
    fund(resident, 100)
    first = race([lambda: _redeem_status(resident.pk, coupon.pk, "lost-response")])[0]
    retries = race([lambda: _redeem_status(resident.pk, coupon.pk, "lost-response") for _ in range(5)])
    assert first == "created" and retries == ["replay"] * 5
    assert balance_of(resident) == 0 and Redemption.objects.count() == 1


def _while_between_read_and_update(monkeypatch, competitor):
    """`competitor` committed on another connection inside the redemption's window."""

    def on_another_connection():
        with ThreadPoolExecutor(1) as pool:
            pool.submit(lambda: (competitor(), connections.close_all())).result(timeout=20)

    return between_read_and_update(monkeypatch, on_another_connection)


def test_the_last_unit_sold_by_another_buyer_meanwhile_is_a_409_and_records_nothing(resident, merchant, monkeypatch):
    from govern.errors import Conflict

    coupon = make_coupon(merchant, cost=10, stock_total=3)
    fund(resident, 100)
    sold = _while_between_read_and_update(
        monkeypatch, lambda: Coupon.objects.filter(pk=coupon.pk).update(stock_remaining=0)
    )
    with pytest.raises(Conflict) as info:
        redemptions.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="late")
    assert sold and info.value.code == "out_of_stock"
    assert Coupon.objects.get(pk=coupon.pk).stock_remaining == 0  # the competitor's sale stands
    assert balance_of(resident) == 100 and not Redemption.objects.exists()


def test_terms_edited_meanwhile_are_charged_as_edited_on_the_redone_attempt(resident, merchant, monkeypatch):
    coupon = make_coupon(merchant, cost=10, stock_total=3)
    fund(resident, 100)
    edited = _while_between_read_and_update(monkeypatch, lambda: Coupon.objects.filter(pk=coupon.pk).update(cost=20))
    result = redemptions.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="edited")
    assert edited and result.created and result.redemption.cost == 20
    assert balance_of(resident) == 80 and Coupon.objects.get(pk=coupon.pk).stock_remaining == 2
    assert Redemption.objects.count() == 1 and PointsEntry.objects.filter(amount=-20).count() == 1


def test_residents_racing_volunteers_for_a_volunteers_only_coupon_are_refused_and_pay_nothing(merchant):
    """Residents and volunteers press at once on a small volunteers-only stock: every resident
    gets 422 not_eligible with balance unchanged; the stock goes to volunteers only."""
    from tests.rewards.audience_helpers import make_community, make_member

    coupon = make_coupon(merchant, cost=10, stock_total=3, per_user_limit=1, audience="volunteers")
    residents = [UserFactory(roles=[RESIDENT]) for _ in range(8)]
    home = make_community("黎里社区")
    volunteers = [make_member(home).user for _ in range(6)]
    for user in residents + volunteers:
        fund(user, 50)

    def attempt(user):
        return lambda: (user.pk, _redeem_status(user.pk, coupon.pk, f"race-{user.pk}"))

    results = dict(race([attempt(u) for u in residents + volunteers]))
    assert {results[u.pk] for u in residents} == {"not_eligible"}
    assert sorted(results[u.pk] for u in volunteers) == ["created"] * 3 + ["out_of_stock"] * 3
    assert all(balance_of(u) == 50 for u in residents)
    assert not Redemption.objects.filter(user__in=residents).exists()
    assert Coupon.objects.get(pk=coupon.pk).stock_remaining == 0


def test_an_audience_narrowed_meanwhile_refuses_on_the_redone_attempt(resident, merchant, monkeypatch):
    from govern.errors import Unprocessable

    coupon = make_coupon(merchant, cost=10, stock_total=3)
    fund(resident, 100)
    narrowed = _while_between_read_and_update(
        monkeypatch, lambda: Coupon.objects.filter(pk=coupon.pk).update(audience="volunteers")
    )
    with pytest.raises(Unprocessable) as info:
        redemptions.redemption_create(user_id=resident.pk, coupon_id=coupon.pk, idempotency_key="narrowed")
    assert narrowed and info.value.code == "not_eligible"
    assert balance_of(resident) == 100 and not Redemption.objects.exists()
    assert Coupon.objects.get(pk=coupon.pk).stock_remaining == 3
