"""Monthly statements: the codes used at a merchant in one calendar month (local time), what the
merchant settles with the community. Reads only, a fixed number of queries whatever the size."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from govern.errors import InvalidInput, NotFound
from rewards.models import Merchant, Redemption, RedemptionStatus

MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


def clean_month(raw: str | None) -> dt.date:
    """`YYYY-MM` (empty: this month) as the first day of that month, or a 400 naming `month`."""
    if not raw:
        return timezone.localdate().replace(day=1)
    match = MONTH_PATTERN.match(str(raw).strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2100:
        raise InvalidInput(_("month must look like 2026-03 (year and month)."), field="month")
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The first instant of the month and of the next one, in the site's time zone."""
    following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(month, dt.time.min, tzinfo=zone)
    return start, dt.datetime.combine(following, dt.time.min, tzinfo=zone)


def used_in_month(*, merchant_id: int, month: dt.date) -> QuerySet[Redemption]:
    """The codes used at this merchant's coupons in the month, in the order they were used."""
    start, end = month_bounds(month)
    return (
        Redemption.objects.filter(
            coupon__merchant_id=merchant_id, status=RedemptionStatus.USED, used_at__gte=start, used_at__lt=end
        )
        .select_related("coupon", "used_by")
        .order_by("used_at", "id")
    )


@dataclass(frozen=True)
class CouponTotal:
    coupon_id: int
    title: str
    codes: int
    points: int


@dataclass(frozen=True)
class Statement:
    merchant: Merchant
    month: dt.date
    totals: list[CouponTotal]
    codes: int
    points: int


def merchant_statement(*, merchant_id: int, month: dt.date) -> Statement:
    """One merchant's month: the totals per coupon (two queries; the rows are `used_in_month`)."""
    merchant = Merchant.objects.filter(pk=merchant_id).first()
    if merchant is None:
        raise NotFound(_("No such merchant."), field="merchant")
    per_coupon = (
        used_in_month(merchant_id=merchant_id, month=month)
        .order_by()
        .values("coupon_id", "coupon__title")
        .annotate(codes=Count("id"), points=Sum("cost"))
        .order_by("coupon__title", "coupon_id")
    )
    totals = [CouponTotal(r["coupon_id"], r["coupon__title"], r["codes"], r["points"] or 0) for r in per_coupon]
    return Statement(
        merchant=merchant,
        month=month,
        totals=totals,
        codes=sum(t.codes for t in totals),
        points=sum(t.points for t in totals),
    )


def merchants_month_overview(*, month: dt.date, merchant_ids: list[int] | None = None) -> QuerySet[Merchant]:
    """Every merchant (or these) with `codes_used` and `points_used` in the month (one query)."""
    start, end = month_bounds(month)
    used = Q(
        coupons__redemptions__status=RedemptionStatus.USED,
        coupons__redemptions__used_at__gte=start,
        coupons__redemptions__used_at__lt=end,
    )
    qs = Merchant.objects.annotate(
        codes_used=Count("coupons__redemptions", filter=used),
        points_used=Sum("coupons__redemptions__cost", filter=used, default=0),
    ).order_by("name", "id")
    return qs.filter(pk__in=merchant_ids) if merchant_ids is not None else qs
