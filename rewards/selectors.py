"""Reads of the rewards app: permission-scoped and N+1 free (a fixed number of queries)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from govern.errors import NotFound
from rewards import conf
from rewards.models import (
    HOLDING_STATUSES,
    Coupon,
    CouponReview,
    EarningRule,
    EntryKind,
    Merchant,
    PointsAccount,
    PointsClawback,
    PointsEntry,
    Redemption,
    RedemptionStatus,
)


def points_account_get(*, user) -> PointsAccount:
    """The user's account, or an unsaved empty one: reading never creates rows."""
    account = PointsAccount.objects.filter(user=user).first()
    return account if account is not None else PointsAccount(user=user, balance=0)


def points_entry_list(*, user) -> QuerySet[PointsEntry]:
    return PointsEntry.objects.filter(account__user=user).order_by("-id")


def points_earned_today(*, user) -> int:
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    total = PointsEntry.objects.filter(account__user=user, kind=EntryKind.EARN, created_at__gte=start).aggregate(
        total=Sum("amount")
    )["total"]
    return total or 0


def earning_rule_list() -> QuerySet[EarningRule]:
    """The active earning rules, for "how to earn" (the wallet and the API)."""
    return EarningRule.objects.filter(active=True).order_by("code")


def clawback_list(*, state: str = "") -> QuerySet[PointsClawback]:
    """Claw-backs newest first; state `open`: unresolved shortfalls (for dispatchers); `resolved`:
    shortfalls resolved; `full`: taken back in full; anything else: all of them."""
    qs = PointsClawback.objects.select_related("award", "award__user", "award__rule", "resolved_by").order_by("-id")
    if state == "open":
        return qs.filter(shortfall__gt=0, resolved_at__isnull=True)
    if state == "resolved":
        return qs.filter(resolved_at__isnull=False)
    if state == "full":
        return qs.filter(shortfall=0)
    return qs


def coupon_list(*, user=None, include_unavailable: bool = False) -> QuerySet[Coupon]:
    """Coupons on offer (approved, active, merchant active, not ended), cheapest first, each
    annotated with `redeemed_by_me`: the viewer's issued + used codes of it (0 for anonymous
    viewers). A merchant's proposal is never listed before a dispatcher approves it."""
    qs = (
        Coupon.objects.filter(review=CouponReview.APPROVED)
        .select_related("merchant", "audience_community")
        .prefetch_related("audience_teams")
    )
    if not include_unavailable:
        qs = qs.filter(active=True, merchant__active=True, valid_until__gt=timezone.now())
    if user is not None and getattr(user, "is_authenticated", False):
        mine = (
            Redemption.objects.filter(coupon=OuterRef("pk"), user=user, status__in=HOLDING_STATUSES)
            .order_by()
            .values("coupon")
            .annotate(n=Count("id"))
            .values("n")
        )
        qs = qs.annotate(redeemed_by_me=Coalesce(Subquery(mine, output_field=IntegerField()), Value(0)))
    else:
        qs = qs.annotate(redeemed_by_me=Value(0, output_field=IntegerField()))
    return qs.order_by("cost", "id")


def coupon_get(*, coupon_id: int, user=None) -> Coupon:
    coupon = coupon_list(user=user, include_unavailable=True).filter(pk=coupon_id).first()
    if coupon is None:
        raise NotFound(_("No such coupon."))
    return coupon


def _offer_queryset() -> QuerySet[Coupon]:
    return Coupon.objects.select_related(
        "merchant", "audience_community", "proposed_by", "reviewed_by"
    ).prefetch_related("audience_teams")


def merchant_offers(*, merchant_ids: list[int]) -> QuerySet[Coupon]:
    """Every offer of these merchants, whatever its review, newest first (their staff's page)."""
    return _offer_queryset().filter(merchant_id__in=merchant_ids).order_by("-id")


def coupon_proposals(*, review: str | None = CouponReview.PROPOSED) -> QuerySet[Coupon]:
    """Merchants' proposals for the dispatchers: waiting ones oldest first (first come, first
    decided); `review` another state to look back, None for every proposal."""
    qs = _offer_queryset().filter(proposed_by__isnull=False)
    if review:
        qs = qs.filter(review=review)
    return qs.order_by("id") if review == CouponReview.PROPOSED else qs.order_by("-id")


def redemption_list(*, user, status: str | None = None) -> QuerySet[Redemption]:
    """The user's own codes, newest first."""
    qs = Redemption.objects.filter(user=user).select_related("coupon__merchant").order_by("-id")
    if status:
        qs = qs.filter(status=status)
    return qs


def redemption_get(*, user, redemption_id: int) -> Redemption:
    """One of the user's own codes; anyone else's is reported as missing."""
    redemption = redemption_list(user=user).filter(pk=redemption_id).first()
    if redemption is None:
        raise NotFound(_("No such redemption."))
    return redemption


def merchants_of_staff(*, user) -> list[Merchant]:
    if not getattr(user, "is_authenticated", False):
        return []
    return list(Merchant.objects.filter(staff=user, active=True).order_by("id"))


def merchant_recent_uses(*, merchant_ids: list[int], limit: int = 20) -> QuerySet[Redemption]:
    """Codes recently accepted at these merchants (for the check page)."""
    return (
        Redemption.objects.filter(coupon__merchant_id__in=merchant_ids, status=RedemptionStatus.USED)
        .select_related("coupon", "used_by")
        .order_by("-used_at")[:limit]
    )


# --- leaderboard ----------------------------------------------------------------------------

PERIODS = ("month", "all")


@dataclass(frozen=True)
class LeaderRow:
    rank: int
    user_id: int
    points: int
    name: str | None  # None: the user has not opted in to show a name
    is_me: bool


@dataclass(frozen=True)
class Leaderboard:
    period: str
    since: datetime | None
    rows: list[LeaderRow]
    me: LeaderRow | None


def _period_start(period: str) -> datetime | None:
    if period == "all":
        return None
    local = timezone.localtime()
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _earned_entries(since: datetime | None) -> QuerySet[PointsEntry]:
    """Points earned under rules (reversed earnings subtracted); adjustments, redemptions and
    refunds are not "help given" and do not rank."""
    qs = PointsEntry.objects.filter(Q(kind=EntryKind.EARN) | Q(kind=EntryKind.REVERSAL, reverses__kind=EntryKind.EARN))
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    return qs


def leaderboard_get(*, period: str = "month", viewer=None, size: int | None = None) -> Leaderboard:
    """Top earners of the period. Everyone ranks; only those who opted in show a name. Three
    queries whatever the size: the top rows, and the viewer's points and rank."""
    period = period if period in PERIODS else "month"
    since = _period_start(period)
    size = size or conf.leaderboard_size()
    viewer_id = viewer.pk if viewer is not None and getattr(viewer, "is_authenticated", False) else None
    totals = _earned_entries(since).values("account_id").annotate(points=Sum("amount")).filter(points__gt=0)
    top = list(
        totals.values(
            "account_id",
            "points",
            "account__user_id",
            "account__show_on_leaderboard",
            "account__user__display_name",
            "account__user__username",
        ).order_by("-points", "account_id")[:size]
    )
    rows = []
    for index, row in enumerate(top, start=1):
        shown = row["account__show_on_leaderboard"]
        name = (row["account__user__display_name"] or row["account__user__username"]) if shown else None
        rows.append(
            LeaderRow(index, row["account__user_id"], row["points"], name, row["account__user_id"] == viewer_id)
        )
    me = next((row for row in rows if row.is_me), None)
    if me is None and viewer_id is not None:
        mine = _earned_entries(since).filter(account__user_id=viewer_id).aggregate(points=Sum("amount"))["points"] or 0
        if mine > 0:
            ahead = totals.filter(points__gt=mine).count()
            me = LeaderRow(ahead + 1, viewer_id, mine, viewer.display_name or viewer.username, True)
    return Leaderboard(period=period, since=since, rows=rows, me=me)
