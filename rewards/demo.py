"""Demo data for rewards (`manage.py seed_demo`): two merchants, their coupons, opening balances.

Deterministic and idempotent: merchants and coupons by natural key, balances as ledger entries
with fixed idempotency keys (running seed_demo twice pays nobody twice).
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from rewards.catalog import coupon_create
from rewards.ledger import points_account_set_leaderboard, points_adjust
from rewards.models import Coupon, CouponKind, Merchant

OPENING_BALANCE = 500
RESIDENT_BALANCE = 120

MERCHANTS = [
    # (name, address, phone, staff usernames)
    ("汾湖小厨", "汾湖镇黎里路 18 号", "0512-63200001", ("merchant1",)),
    ("芦墟百货便利店", "汾湖镇芦墟东大街 56 号", "0512-63200002", ()),
]

COUPONS = [
    # (merchant, title, description, kind, cost, stock, per-user limit, code valid days)
    ("汾湖小厨", "汾湖小厨 10 元代金券", "堂食满 50 元可用，每桌限用一张。", CouponKind.DISCOUNT, 100, 50, 2, 14),
    ("汾湖小厨", "招牌阳澄湖大闸蟹套餐（限量）", "志愿者专享，凭码到店兑换一份套餐。", CouponKind.GOODS, 400, 3, 1, 7),
    ("汾湖小厨", "免费饮品一杯", "任意消费可兑换酸梅汤或豆浆一杯。", CouponKind.GOODS, 30, 200, 5, 7),
    ("芦墟百货便利店", "灭火器 8 折券", "购买家用干粉灭火器享 8 折。", CouponKind.DISCOUNT, 80, 30, 1, 30),
    ("芦墟百货便利店", "燃气泄漏报警器", "凭码免费领取一只家用燃气报警器。", CouponKind.GOODS, 300, 10, 1, 14),
]


def _seed_merchants(ctx) -> dict[str, Merchant]:
    merchants = {}
    for name, address, phone, staff in MERCHANTS:
        merchant, _created = Merchant.objects.get_or_create(name=name, defaults={"address": address, "phone": phone})
        merchant.staff.add(*(ctx.users[u] for u in staff if u in ctx.users))
        merchants[name] = merchant
    return merchants


def _seed_coupons(merchants: dict[str, Merchant]) -> None:
    start = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    for merchant_name, title, description, kind, cost, stock, limit, days in COUPONS:
        merchant = merchants[merchant_name]
        if Coupon.objects.filter(merchant=merchant, title=title).exists():
            continue
        coupon_create(
            merchant_id=merchant.pk,
            title=title,
            description=description,
            kind=kind,
            cost=cost,
            stock_total=stock,
            per_user_limit=limit,
            valid_from=start,
            valid_until=start + timedelta(days=180),
            code_valid_for=timedelta(days=days),
        )


def _opening_balance(user, amount: int) -> None:
    # A fixed idempotency key: the second seed_demo run returns the first entry and pays nothing.
    points_adjust(
        user_id=user.pk,
        amount=amount,
        reason="开户赠送积分（演示）",
        actor=None,
        idempotency_key=f"demo-opening-{user.username}",
    )


def seed(ctx) -> None:
    merchants = _seed_merchants(ctx)
    _seed_coupons(merchants)
    for username in ("vol1", "vol2", "vol3", "vol4", "vol5"):
        _opening_balance(ctx.users[username], OPENING_BALANCE)
    _opening_balance(ctx.users["resident1"], RESIDENT_BALANCE)
    # Two volunteers chose to show their names on the leaderboard; the rest rank anonymously.
    for username in ("vol1", "vol2"):
        points_account_set_leaderboard(user_id=ctx.users[username].pk, show=True)
    ctx.log(
        f"rewards: {len(merchants)} merchants, {Coupon.objects.count()} coupons, opening balances for vol1–vol5 and resident1"
    )
