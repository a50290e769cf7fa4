"""The data of the rewards app's live events (docs/events.md): one builder per payload."""

from __future__ import annotations

from rewards.models import Coupon, PointsEntry, Redemption


def entry_payload(entry: PointsEntry) -> dict:
    """`points.changed`: one ledger entry and the balance after it."""
    return {
        "entry_id": entry.pk,
        "amount": entry.amount,
        "kind": entry.kind,
        "reason": entry.reason,
        "balance": entry.balance_after,
        "balance_after": entry.balance_after,
        "source_type": entry.source_type,
        "source_id": entry.source_id,
        "created_at": entry.created_at.isoformat(),
    }


def redemption_payload(redemption: Redemption) -> dict:
    """`redemption.updated`: a code as its owner sees it."""
    return {
        "id": redemption.pk,
        "code": redemption.code,
        "status": redemption.status,
        "coupon_id": redemption.coupon_id,
        "coupon_title": redemption.coupon.title,
        "expires_at": redemption.expires_at.isoformat(),
        "used_at": redemption.used_at.isoformat() if redemption.used_at else None,
        "ended_at": redemption.ended_at.isoformat() if redemption.ended_at else None,
    }


def coupon_review_payload(coupon: Coupon) -> dict:
    """`coupon.reviewed`: a dispatcher's decision on a merchant's proposed offer."""
    return {
        "coupon_id": coupon.pk,
        "merchant_id": coupon.merchant_id,
        "title": coupon.title,
        "review": coupon.review,
        "reason": coupon.review_reason,
        "reviewed_at": coupon.reviewed_at.isoformat() if coupon.reviewed_at else None,
    }
