"""Redemption under contention: 200 concurrent clients for a stock of 50, through the real servers."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import requests

from bench.report import Report, Row


def prepare(clients: int, stock: int) -> tuple[int, list[str]]:
    """A coupon and `clients` funded users with tokens, built through the services (in-process)."""
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from govern.services import user_register
    from rewards.models import Merchant
    from rewards.services import coupon_create, points_adjust

    merchant, _ = Merchant.objects.get_or_create(name="压测商户")
    now = timezone.now()
    coupon = coupon_create(
        merchant_id=merchant.pk, title=f"压测券 {uuid.uuid4().hex[:6]}", cost=10, stock_total=stock, per_user_limit=1,
        valid_from=now - timedelta(days=1), valid_until=now + timedelta(days=1), code_valid_for=timedelta(days=1),
    )
    tokens = []
    tag = uuid.uuid4().hex[:6]
    for i in range(clients):
        user = user_register(username=f"bench-{tag}-{i}", password="govern-bench-pw-1")
        points_adjust(user_id=user.pk, amount=100, reason="bench funding", actor_id=None)
        tokens.append(Token.objects.create(user=user).key)
    return coupon.pk, tokens


def run(report: Report, urls: list[str], *, clients: int, stock: int) -> None:
    from django.db.models import Sum

    from rewards.models import Coupon, PointsAccount, PointsEntry, Redemption

    coupon_id, tokens = prepare(clients, stock)

    def redeem(i: int) -> int:
        response = requests.post(
            f"{urls[i % len(urls)]}/api/v1/coupons/{coupon_id}/redeem/",
            headers={"Authorization": f"Token {tokens[i]}", "Idempotency-Key": f"bench-{i}"},
            timeout=60,
        )
        return response.status_code

    start = time.perf_counter()
    with ThreadPoolExecutor(min(clients, 50)) as pool:
        statuses = list(pool.map(redeem, range(clients)))
    elapsed = time.perf_counter() - start
    issued = statuses.count(201)
    refused = statuses.count(409)
    errors = len(statuses) - issued - refused
    coupon = Coupon.objects.get(pk=coupon_id)
    stored = Redemption.objects.filter(coupon_id=coupon_id).count()
    sums = dict(PointsEntry.objects.values_list("account_id").annotate(t=Sum("amount")))
    consistent = all(a.balance == sums.get(a.pk, 0) and a.balance >= 0 for a in PointsAccount.objects.all())
    exact = issued == stock == stored and coupon.stock_remaining == 0 and errors == 0 and consistent
    rate = clients / elapsed
    report.add(Row(
        name=f"redemption: {clients} concurrent clients, stock {stock} ({len(urls)} ASGI processes)",
        value=rate, unit="redemptions/s", target="exactly-once at ≥ 200/s", ok=exact and rate >= 200,
        note=f"{issued} issued (201), {refused} out of stock (409), {errors} other; stock left {coupon.stock_remaining}; "
        f"ledger sums equal balances: {consistent}",
    ))
